"""The loader refuses a broken KB, naming the file, the entry and the field."""
import re


def test_the_real_kb_loads_clean(kb):
    assert kb.errors and len(kb.causes) == len(kb.cause_ids)


def test_unknown_cause_in_priors_names_the_field(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "errors" / "InvalidClientTokenId.yaml", "  stale-env-vars: 0.16", "  stale-env-varz: 0.16")
    p = [x for x in kb_problems(kb_copy) if x.code == "KB019"][0]
    assert "priors.stale-env-varz" in p.message and "cause-ids.yaml" in p.message


def test_a_number_without_its_source_comment_is_refused(kb_copy, kb_problems):
    path = kb_copy / "errors" / "InvalidClientTokenId.yaml"
    lines = path.read_text().splitlines()
    lines = [ln.split("#")[0].rstrip() if ln.startswith("  stale-env-vars:") else ln for ln in lines]
    path.write_text("\n".join(lines) + "\n")
    p = [x for x in kb_problems(kb_copy) if x.code == "KB010"][0]
    assert "priors.stale-env-vars" in p.message


def test_a_fix_without_commands_is_refused(kb_copy, kb_problems):
    path = kb_copy / "causes" / "missing-session-token.yaml"
    text = path.read_text()
    start = text.index("    commands:\n", text.index("fixes:"))
    end = text.index("  - title:", start)
    path.write_text(text[:start] + "    commands: []\n" + text[end:])
    p = [x for x in kb_problems(kb_copy) if x.code == "KB015"][0]
    assert "fixes.0.commands" in p.message


def test_an_evidence_value_outside_the_hint_domain_is_refused(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "causes" / "missing-session-token.yaml", "    ASIA: 6.0", "    ASIB: 6.0")
    p = [x for x in kb_problems(kb_copy) if x.code == "KB012"][0]
    assert "evidence.key_prefix.ASIB" in p.message


def test_a_missing_cause_file_is_refused(kb_copy, kb_problems):
    (kb_copy / "causes" / "clock-skew.yaml").unlink()
    assert any(p.code == "KB024" and "clock-skew" in p.message for p in kb_problems(kb_copy))


def test_file_name_must_equal_id(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "causes" / "clock-skew.yaml", "id: clock-skew", "id: clock-skewed")
    assert any(p.code == "KB017" for p in kb_problems(kb_copy))


def test_a_cause_no_error_names_is_refused(kb_copy, kb_problems):
    for f in (kb_copy / "errors").glob("*.yaml"):
        f.write_text(re.sub(r"^(\s*)keys-swapped: .*\n", "", f.read_text(), flags=re.M))
    assert any(p.code == "KB026" and "keys-swapped" in p.message for p in kb_problems(kb_copy))


def test_a_marker_pattern_with_capital_letters_is_refused(kb_copy, kb_problems, edit_kb_file):
    # markers are matched against the lower-cased paste, so "Vault" would never match
    edit_kb_file(kb_copy / "markers.yaml", "    - '\\bhvac\\.'", "    - 'Hvac\\.'")
    p = [x for x in kb_problems(kb_copy) if x.code == "KB033"][0]
    assert p.file.endswith("markers.yaml") and "lower case" in p.message


def test_escapes_in_a_marker_pattern_are_not_capital_letters(kb):
    assert any("\\S" in p.pattern for m in kb.markers.values() for p in m.patterns)
