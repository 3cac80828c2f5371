"""KB text to HTML: rendered once at load, then sanitised (Python-Markdown does not sanitise).

The page renders one line of KB Markdown (a title, a label) per cause and
question with `render_inline`, through the same kind of shared parser.
"""
from __future__ import annotations

import re
import threading
from typing import Any

_ALLOWED_TAGS = {"p", "br", "code", "pre", "em", "strong", "ul", "ol", "li", "a", "blockquote", "h4", "h5"}
# in a title, a button or a label only the inline marks belong
_INLINE_TAGS = {"code", "em", "strong"}
_PARAGRAPH = re.compile(r"^<p>(.*)</p>$", re.S)
# One parser per set of extensions for every text: building one (its extensions, patterns and
# processors) costs more than converting a summary. reset() after each text, as markdown.markdown()
# would get with a new parser; the lock because a parser holds its state while it converts. Made on
# first use: a start that finds the KB in its cache (cache.py) renders nothing.
_PARSERS: dict[tuple[str, ...], Any] = {}
_LOCK = threading.Lock()


def _convert(text: str, extensions: tuple[str, ...]) -> str:
    with _LOCK:
        parser = _PARSERS.get(extensions)
        if parser is None:
            import markdown
            parser = _PARSERS[extensions] = markdown.Markdown(extensions=list(extensions))
        try:
            return str(parser.convert(text or ""))
        finally:
            parser.reset()


def render_markdown(text: str) -> str:
    import nh3
    html = _convert(text, ("fenced_code",))
    return nh3.clean(html, tags=_ALLOWED_TAGS, attributes={"a": {"href"}}, url_schemes={"https"},
                     link_rel="noopener noreferrer nofollow")


def render_inline(text: str | None) -> str:
    """One line of KB Markdown as HTML: code spans and emphasis only, sanitised, no paragraph around it."""
    import nh3
    html = _PARAGRAPH.sub(r"\1", _convert(text or "", ()).strip())
    return str(nh3.clean(html, tags=_INLINE_TAGS, attributes={}).strip())
