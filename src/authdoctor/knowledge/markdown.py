"""KB text to HTML: rendered once at load, then sanitised (Python-Markdown does not sanitise)."""
from __future__ import annotations

import markdown as _markdown
import nh3

_ALLOWED_TAGS = {"p", "br", "code", "pre", "em", "strong", "ul", "ol", "li", "a", "blockquote", "h4", "h5"}


def render_markdown(text: str) -> str:
    html = _markdown.markdown(text or "", extensions=["fenced_code"])
    return nh3.clean(html, tags=_ALLOWED_TAGS, attributes={"a": {"href"}}, url_schemes={"https"},
                     link_rel="noopener noreferrer nofollow")


