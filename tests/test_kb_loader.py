"""The loader refuses a broken KB, naming the file, the entry and the field."""
import pytest

from authdoctor import knowledge as kbmod


def _break(path, old, new):
    text = path.read_text()
    assert old in text, f"fixture text not found in {path.name}"
    path.write_text(text.replace(old, new, 1))


def _problems(kb_dir):
    with pytest.raises(kbmod.KBError) as exc:
        kbmod.load(kb_dir)
    return exc.value.problems


def test_the_real_kb_loads_clean(kb):
    assert kb.errors and len(kb.causes) == len(kb.cause_ids)


def test_invalid_yaml_names_file_and_line(kb_copy):
    (kb_copy / "errors" / "InvalidClientTokenId.yaml").write_text("id: [unclosed\n")
    p = _problems(kb_copy)[0]
    assert p.code == "KB001" and p.file.endswith("errors/InvalidClientTokenId.yaml") and p.line >= 1


def test_duplicate_key_is_refused_with_both_lines(kb_copy):
    _break(kb_copy / "causes" / "missing-session-token.yaml", "title: ", "title: one\ntitle: ")
    p = [x for x in _problems(kb_copy) if x.code == "KB002"][0]
    assert "duplicate key 'title'" in p.message and p.file.endswith("missing-session-token.yaml")


def test_yes_no_booleans_are_refused(kb_copy):
    _break(kb_copy / "causes" / "missing-session-token.yaml", "title: ", "extra_flag: yes\ntitle: ")
    codes = {p.code for p in _problems(kb_copy)}
    assert "KB003" in codes


def test_unknown_cause_in_priors_names_the_field(kb_copy):
    _break(kb_copy / "errors" / "InvalidClientTokenId.yaml", "  stale-env-vars: 0.16", "  stale-env-varz: 0.16")
    p = [x for x in _problems(kb_copy) if x.code == "KB019"][0]
    assert "priors.stale-env-varz" in p.message and "cause-ids.yaml" in p.message


def test_a_number_without_its_source_comment_is_refused(kb_copy):
    path = kb_copy / "errors" / "InvalidClientTokenId.yaml"
    lines = path.read_text().splitlines()
    lines = [ln.split("#")[0].rstrip() if ln.startswith("  stale-env-vars:") else ln for ln in lines]
    path.write_text("\n".join(lines) + "\n")
    p = [x for x in _problems(kb_copy) if x.code == "KB010"][0]
    assert "priors.stale-env-vars" in p.message


def test_a_fix_without_commands_is_refused(kb_copy):
    path = kb_copy / "causes" / "missing-session-token.yaml"
    text = path.read_text()
    start = text.index("    commands:\n", text.index("fixes:"))
    end = text.index("  - title:", start)
    path.write_text(text[:start] + "    commands: []\n" + text[end:])
    p = [x for x in _problems(kb_copy) if x.code == "KB015"][0]
    assert "fixes.0.commands" in p.message


def test_an_evidence_value_outside_the_hint_domain_is_refused(kb_copy):
    _break(kb_copy / "causes" / "missing-session-token.yaml", "    ASIA: 6.0", "    ASIB: 6.0")
    p = [x for x in _problems(kb_copy) if x.code == "KB012"][0]
    assert "evidence.key_prefix.ASIB" in p.message


def test_a_missing_cause_file_is_refused(kb_copy):
    (kb_copy / "causes" / "clock-skew.yaml").unlink()
    assert any(p.code == "KB024" and "clock-skew" in p.message for p in _problems(kb_copy))


def test_file_name_must_equal_id(kb_copy):
    _break(kb_copy / "causes" / "clock-skew.yaml", "id: clock-skew", "id: clock-skewed")
    assert any(p.code == "KB017" for p in _problems(kb_copy))


def test_markdown_is_rendered_once_and_sanitised(kb_copy):
    _break(kb_copy / "causes" / "clock-skew.yaml", "summary: |\n", "summary: |\n  <script>alert(1)</script> [x](javascript:alert(1))\n")
    cause = kbmod.load(kb_copy).causes["clock-skew"]
    assert "<script" not in cause.summary_html and "javascript:" not in cause.summary_html


def test_a_broken_kb_stops_the_app_start(kb_copy):
    from authdoctor.web import create_app
    _break(kb_copy / "causes" / "clock-skew.yaml", "id: clock-skew", "id: [")
    with pytest.raises(kbmod.KBError) as exc:
        create_app(str(kb_copy))
    assert "causes/clock-skew.yaml" in str(exc.value)


def test_a_cause_no_error_names_is_refused(kb_copy):
    import re
    for f in (kb_copy / "errors").glob("*.yaml"):
        f.write_text(re.sub(r"^(\s*)keys-swapped: .*\n", "", f.read_text(), flags=re.M))
    assert any(p.code == "KB026" and "keys-swapped" in p.message for p in _problems(kb_copy))


def test_a_marker_pattern_with_capital_letters_is_refused(kb_copy):
    # markers are matched against the lower-cased paste, so "Vault" would never match
    _break(kb_copy / "markers.yaml", "    - '\\bhvac\\.'", "    - 'Hvac\\.'")
    p = [x for x in _problems(kb_copy) if x.code == "KB033"][0]
    assert p.file.endswith("markers.yaml") and "lower case" in p.message


def test_escapes_in_a_marker_pattern_are_not_capital_letters(kb):
    assert any("\\S" in p.pattern for m in kb.markers.values() for p in m.patterns)
