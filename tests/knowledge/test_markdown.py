"""The KB's Markdown is rendered once, at load, and sanitised."""
from authdoctor import knowledge as kbmod


def test_markdown_is_rendered_once_and_sanitised(kb_copy, edit_kb_file):
    edit_kb_file(kb_copy / "causes" / "clock-skew.yaml", "summary: |\n",
                 "summary: |\n  <script>alert(1)</script> [x](javascript:alert(1))\n")
    cause = kbmod.load(kb_copy).causes["clock-skew"]
    assert "<script" not in cause.summary_html and "javascript:" not in cause.summary_html
