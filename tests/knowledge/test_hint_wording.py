"""Every hint carries the words a person reads (label, help), checked by the loader and so by `kb check`."""
import pytest


def test_every_hint_has_a_label_and_help_and_a_few_are_up_front(kb):
    assert all(h.label and h.help for h in kb.hints.values())
    assert 4 <= sum(h.up_front for h in kb.hints.values()) <= 5


@pytest.mark.parametrize("field", ["label", "help"])
def test_a_hint_without_its_words_is_refused(kb_copy, kb_problems, field):
    path = kb_copy / "hints.yaml"
    lines = path.read_text().splitlines(keepends=True)
    start = lines.index("runner:\n")
    cut = next(i for i in range(start, len(lines)) if lines[i].startswith(f"  {field}:"))
    path.write_text("".join(lines[:cut] + lines[cut + 1:]))
    assert any(p.code == "KB004" and p.message.startswith(f"runner.{field}:") for p in kb_problems(kb_copy))


def test_up_front_must_be_true_or_false(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "hints.yaml", "  up_front: true", "  up_front: often")
    assert any(p.code == "KB005" and "up_front" in p.message for p in kb_problems(kb_copy))
