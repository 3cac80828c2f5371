"""KB text to HTML: rendered once at load, then sanitised (Python-Markdown does not sanitise)."""
from __future__ import annotations

import threading
from typing import Any

_ALLOWED_TAGS = {"p", "br", "code", "pre", "em", "strong", "ul", "ol", "li", "a", "blockquote", "h4", "h5"}
# One parser for every text: building one (its extensions, patterns and processors) costs
# more than converting a summary. reset() after each text, as markdown.markdown() would get
# with a new parser; the lock because a parser holds its state while it converts. Made on
# first use: a start that finds the KB in its cache (cache.py) renders nothing.
_PARSER: Any = None
_LOCK = threading.Lock()


def render_markdown(text: str) -> str:
    global _PARSER
    import nh3
    with _LOCK:
        if _PARSER is None:
            import markdown
            _PARSER = markdown.Markdown(extensions=["fenced_code"])
        try:
            html = _PARSER.convert(text or "")
        finally:
            _PARSER.reset()
    return nh3.clean(html, tags=_ALLOWED_TAGS, attributes={"a": {"href"}}, url_schemes={"https"},
                     link_rel="noopener noreferrer nofollow")
