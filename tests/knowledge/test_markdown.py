"""The KB's Markdown is rendered once, at load, and sanitised."""
from authdoctor import knowledge as kbmod


def test_markdown_is_rendered_once_and_sanitised(kb_copy, edit_kb_file):
    edit_kb_file(kb_copy / "causes" / "clock-skew.yaml", "summary: |\n",
                 "summary: |\n  <script>alert(1)</script> [x](javascript:alert(1))\n")
    cause = kbmod.load(kb_copy).causes["clock-skew"]
    assert "<script" not in cause.summary_html and "javascript:" not in cause.summary_html


def test_the_shared_parser_renders_every_kb_text_as_a_new_parser_would(kb):
    import markdown
    import nh3

    from authdoctor.knowledge.markdown import _ALLOWED_TAGS, render_markdown
    texts = [e.summary for e in kb.errors.values()] + [c.summary for c in kb.causes.values()]
    texts += [f.detail for c in kb.causes.values() for f in c.fixes]
    texts += ["```\ncode\n```", "* a\n* b\n\n1. c", "", "[x](https://example.com) *em* `code`", "```\nunclosed"]
    for text in texts + texts[::-1]:  # in both orders: nothing one text leaves behind changes the next
        fresh = nh3.clean(markdown.markdown(text or "", extensions=["fenced_code"]), tags=_ALLOWED_TAGS, attributes={"a": {"href"}},
                          url_schemes={"https"}, link_rel="noopener noreferrer nofollow")
        assert render_markdown(text) == fresh


def test_the_shared_inline_parser_renders_every_kb_line_as_a_new_parser_would(kb):
    import re

    import markdown
    import nh3

    from authdoctor.knowledge.markdown import render_inline
    texts = [c.title for c in kb.causes.values()] + [e.title for e in kb.errors.values()]
    texts += [h.question_text for h in kb.hints.values()] + [str(o) for h in kb.hints.values() for o in h.options]
    texts += ["The `+` or `/` lost", "*em* **strong** `code`", "", "```\ncode\n```", "<script>x</script>", "[x](javascript:alert(1))"]
    for text in texts + texts[::-1]:
        html = re.sub(r"^<p>(.*)</p>$", r"\1", markdown.markdown(text).strip(), flags=re.S)
        assert render_inline(text) == nh3.clean(html, tags={"code", "em", "strong"}, attributes={}).strip()
