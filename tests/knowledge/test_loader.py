"""The loader refuses a broken KB, naming the file, the entry and the field."""
import re
import subprocess
import sys
import time

import pytest

from authdoctor import knowledge as kbmod


def test_the_real_kb_loads_clean(kb):
    assert kb.errors and len(kb.causes) == len(kb.cause_ids)


def test_unknown_cause_in_priors_names_the_field(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "errors" / "AccessDeniedGetCallerIdentity.yaml", "  account-suspended: 0.15", "  account-suspendez: 0.15")
    p = [x for x in kb_problems(kb_copy) if x.code == "KB019"][0]
    assert "priors.account-suspendez" in p.message and "cause-ids.yaml" in p.message


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


# --- a KB file with an alias bomb or a python tag: refused with the file named, never a hang or a traceback ---

BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))


@pytest.mark.parametrize("name,text,code", [
    ("hints.yaml", BOMB, "KB037"),
    ("errors/InvalidClientTokenId.yaml", "id: !!python/object/apply:os.system ['true']\n", "KB038"),
    ("causes/missing-session-token.yaml", "title: &t x\nsummary: *t\n", "KB037"),
])
def test_load_and_create_app_refuse_an_alias_or_a_python_tag_naming_the_file(kb_copy, kb_problems, name, text, code):
    from authdoctor.web import create_app
    (kb_copy / name).write_text(text)
    t0 = time.process_time()
    problems = kb_problems(kb_copy)
    assert time.process_time() - t0 < 5
    p = next(p for p in problems if p.code == code)
    assert p.file.endswith(name) and p.line >= 1 and p.col >= 1
    with pytest.raises(kbmod.KBError) as exc:
        create_app(str(kb_copy))
    assert any(x.code == code and x.file.endswith(name) for x in exc.value.problems)


@pytest.mark.parametrize("name,text,expected", [
    ("errors/InvalidClientTokenId.yaml", "id: !!python/object:os.system x\n", "kb/errors/InvalidClientTokenId.yaml:1:5: KB038"),
    ("hints.yaml", BOMB, "kb/hints.yaml:1:4: KB037"),
])
def test_kb_check_prints_the_problem_and_exits_1(kb_copy, name, text, expected):
    (kb_copy / name).write_text(text)
    run = subprocess.run([sys.executable, "-m", "authdoctor", "--kb", str(kb_copy), "kb", "check"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert expected in run.stdout


def test_cues_without_the_variant_they_answer_with_are_refused(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "errors" / "OptInRequired.yaml", "anchors:\n", "cues:\n  - 'token'   # test\nanchors:\n")
    assert "KB040" in {p.code for p in kb_problems(kb_copy)}


def test_a_variant_answered_from_cues_needs_cues(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "errors" / "OptInRequired.yaml", "    stage:", "    by_cue: true\n    stage:")
    problems = [p for p in kb_problems(kb_copy) if p.code == "KB040"]
    assert problems and "by_cue" in problems[0].message


def test_an_implied_marker_that_is_no_marker_is_refused_with_its_file(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "errors" / "OptInRequired.yaml", "anchors:\n", "implied_markers:\n  - no_such_marker\nanchors:\n")
    problems = [p for p in kb_problems(kb_copy) if p.code == "KB016"]
    assert problems and "no_such_marker" in problems[0].message and problems[0].file.endswith("OptInRequired.yaml")


def test_an_implied_marker_that_is_not_a_name_is_refused_not_a_crash(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "errors" / "OptInRequired.yaml", "anchors:\n", "implied_markers:\n  - {a: b}\nanchors:\n")
    assert "KB016" in {p.code for p in kb_problems(kb_copy)}


def test_vetoes_without_cues_are_refused(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "errors" / "OptInRequired.yaml", "anchors:\n", "vetoes:\n  - 'token'   # test\nanchors:\n")
    assert "KB040" in {p.code for p in kb_problems(kb_copy)}


def test_the_fallback_error_needs_cues(kb_copy, kb_problems):
    path = kb_copy / "errors" / "CredentialFailure.yaml"
    text = path.read_text()
    start, end = text.index("cues:\n"), text.index("anchors: []")
    path.write_text(text[:start] + text[end:])
    problems = kb_problems(kb_copy)
    assert any(p.code == "KB004" and "cues" in p.message for p in problems)


CLI_WORKS_FALSE = ('    "false": "the credentials fail everywhere, so the keys or the session themselves are at fault, '
                   'not the way Terraform reads them"\n')


def test_a_hint_why_that_is_one_sentence_for_every_answer_is_refused(kb_copy, kb_problems, edit_kb_file):
    yes = '"the credentials themselves work, so what differs is how Terraform gets them"'
    edit_kb_file(kb_copy / "hints.yaml", f'  why:\n    "true": {yes}\n' + CLI_WORKS_FALSE, f"  why: {yes}\n")
    assert any(p.code == "KB041" and "cli_works.why" in p.message for p in kb_problems(kb_copy))


def test_a_hint_why_missing_an_answer_is_refused(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "hints.yaml", CLI_WORKS_FALSE, "")
    assert any(p.code == "KB041" and "['false']" in p.message for p in kb_problems(kb_copy))


def test_every_fix_command_of_the_kb_has_a_kind_and_the_terraform_ones_are_hcl(kb):
    fixes = [f for c in kb.causes.values() for f in c.fixes]
    assert all(len(f.kinds) == len(f.commands) for f in fixes)
    for f in fixes:
        for kind, cmd in zip(f.kinds, f.commands):
            assert not cmd.startswith("```")
            if cmd.startswith('provider "aws" {'):
                assert kind == "hcl"


def test_an_unfenced_terraform_block_in_a_fix_is_refused_naming_the_fence(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "causes" / "missing-session-token.yaml", "        ```hcl\n        provider", "        provider")
    text = (kb_copy / "causes" / "missing-session-token.yaml").read_text()
    (kb_copy / "causes" / "missing-session-token.yaml").write_text(text.replace("        }\n        ```\n", "        }\n", 1))
    p = [x for x in kb_problems(kb_copy) if x.code == "KB044"][0]
    assert "fixes.1.commands.0" in p.message and "```hcl" in p.message


def test_a_fence_without_a_language_in_a_fix_is_refused(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "causes" / "missing-session-token.yaml", "        ```hcl\n        provider", "        ```\n        provider")
    p = [x for x in kb_problems(kb_copy) if x.code == "KB043"][0]
    assert "fixes.1.commands.0" in p.message and "names no language" in p.message


def test_a_cue_that_starts_with_a_word_boundary_is_refused(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "errors" / "AuthFailure.yaml", "  - 'authfailure\\b(?!\\.)'", "  - '\\bauthfailure\\b(?!\\.)'")
    assert "KB045" in {p.code for p in kb_problems(kb_copy)}


# --- kb/declines: one look-alike a file ---------------------------------------------------

def test_a_decline_pattern_that_is_not_a_regex_is_refused_naming_the_file_and_field(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "declines" / "s3-bucket-missing.yaml", "  - 'nosuchbucket'", "  - 'nosuch(bucket'")
    p = [x for x in kb_problems(kb_copy) if x.code == "KB014"][0]
    assert p.file.endswith("declines/s3-bucket-missing.yaml") and "patterns.0" in p.message


def test_a_decline_without_examples_is_refused(kb_copy, kb_problems):
    path = kb_copy / "declines" / "s3-bucket-missing.yaml"
    path.write_text(path.read_text().split("examples:")[0])
    p = [x for x in kb_problems(kb_copy) if x.code in ("KB004", "KB022")][0]
    assert p.file.endswith("declines/s3-bucket-missing.yaml") and "examples" in p.message


def test_a_decline_whose_id_is_not_its_file_name_is_refused(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "declines" / "s3-bucket-missing.yaml", "id: s3-bucket-missing", "id: bucket-missing")
    p = [x for x in kb_problems(kb_copy) if x.code == "KB017"][0]
    assert "s3-bucket-missing" in p.message


def test_a_decline_pattern_that_starts_with_a_word_boundary_is_refused(kb_copy, kb_problems, edit_kb_file):
    edit_kb_file(kb_copy / "declines" / "s3-bucket-missing.yaml", "  - 'nosuchbucket'", "  - '\\bnosuchbucket'")
    assert "KB045" in {p.code for p in kb_problems(kb_copy)}


def test_a_kb_without_a_declines_folder_loads_and_declines_nothing(kb_copy):
    import shutil
    shutil.rmtree(kb_copy / "declines")
    assert dict(kbmod.load(kb_copy).declines) == {}


def test_a_decline_without_patterns_is_refused(kb_copy, kb_problems):
    path = kb_copy / "declines" / "s3-bucket-missing.yaml"
    text = path.read_text()
    start, end = text.index("patterns:"), text.index("fixes:")
    path.write_text(text[:start] + "patterns: []\n" + text[end:])
    p = [x for x in kb_problems(kb_copy) if x.file.endswith("declines/s3-bucket-missing.yaml")][0]
    assert p.code == "KB004" and "patterns" in p.message
