"""Runner weights counted from kb/reports: the arithmetic, and kb check keeping the cause files true to it."""
import re
import shutil

import pytest

from authdoctor import knowledge as kbmod
from authdoctor.authoring.counts import count, lint_counts, load_reports, pooled, render_rows, write_priors, write_rows


def _report(url, runner, token="unknown", error="ExpiredToken"):
    return (f"  - url: {url}\n    error: {error}\n    tool: terraform\n    runner: {runner}\n    has_session_token: {token}\n"
            f"    where: 'the thread says so'\n    confirmed: 'the maintainer says so'\n")


def _reports_file(kb_dir, cause, runners, tokens=()):
    tokens = list(tokens) + ["unknown"] * (len(runners) - len(tokens))
    body = "".join(_report(f"https://github.com/o/r/issues/{cause}-{i}", r, t)
                   for i, (r, t) in enumerate(zip(runners, tokens)))
    (kb_dir / "reports" / f"{cause}.yaml").write_text(f"cause: {cause}\nthreads:\n{body}")


@pytest.fixture
def two_causes(kb_copy):
    """Only two counted causes: clock-skew 18 local / 2 CI, sso-session-expired the mirror image."""
    shutil.rmtree(kb_copy / "reports")
    (kb_copy / "reports").mkdir()
    _reports_file(kb_copy, "clock-skew", ["local"] * 18 + ["github-actions", "jenkins"])
    _reports_file(kb_copy, "sso-session-expired", ["local"] * 2 + ["other-ci"] * 18 + ["unknown"] * 3)
    return kb_copy


def test_the_project_kb_agrees_with_its_reports(kb):
    reports, problems = load_reports(kb)
    assert problems == [] and len(count(kb, reports, "runner")) >= 20
    assert lint_counts(kb) == []


def test_ratios_count_the_base_rate_as_pseudo_reports(two_causes):
    kb = kbmod.load(two_causes)
    counted = count(kb, load_reports(kb)[0], "runner")
    # pooled: 20 local, 20 CI; clock-skew: P(local) = (18 + 4 * 0.5) / (20 + 4) = 0.833, over 0.5
    assert counted["clock-skew"].ratios == {"local": 1.67, "ci": 0.33}
    assert counted["sso-session-expired"].ratios == {"local": 0.33, "ci": 1.67}


def test_reports_that_do_not_say_where_they_ran_are_listed_but_not_counted(two_causes):
    kb = kbmod.load(two_causes)
    c = count(kb, load_reports(kb)[0], "runner")["sso-session-expired"]
    assert c.known == 20 and c.unknown == 3


def test_a_cell_few_reports_ran_in_keeps_its_written_weights(two_causes):
    _reports_file(two_causes, "oidc-trust-misconfigured", ["terraform-cloud", "github-actions"])
    kb = kbmod.load(two_causes)
    reports = load_reports(kb)[0]
    assert set(pooled(kb, reports, "runner")) == {"local", "ci"}
    assert "remote-platform" not in count(kb, reports, "runner")["oidc-trust-misconfigured"].ratios


def _local_row(kb_dir):
    """clock-skew's counted runner.local row as the file has it: (the number, the whole line)."""
    line = re.search(r"(?m)^    local: ([0-9.]+)  # reports:.*$", (kb_dir / "causes" / "clock-skew.yaml").read_text())
    assert line, "clock-skew.yaml has no counted runner.local row"
    return line.group(1), line.group(0)


def test_a_weight_that_differs_from_its_count_is_refused(kb_copy, edit_kb_file):
    counted, _ = _local_row(kb_copy)
    edit_kb_file(kb_copy / "causes" / "clock-skew.yaml", f"    local: {counted}  #", "    local: 0.3  #")
    problems = lint_counts(kbmod.load(kb_copy))
    assert [(p.code, p.file) for p in problems] == [("KB035", "kb/causes/clock-skew.yaml")]
    assert "evidence.runner.local" in problems[0].message and counted in problems[0].message


def test_a_counted_weight_must_name_its_count(kb_copy, edit_kb_file):
    counted, _ = _local_row(kb_copy)
    edit_kb_file(kb_copy / "causes" / "clock-skew.yaml", f"    local: {counted}  # reports:", f"    local: {counted}  # estimate, reports:")
    problems = lint_counts(kbmod.load(kb_copy))
    assert [p.code for p in problems] == ["KB035"] and "names its count" in problems[0].message


def test_an_estimate_left_where_reports_count_is_refused(kb_copy):
    # region-not-enabled had no runner row before its reports were counted
    path = kb_copy / "causes" / "region-not-enabled.yaml"
    text = path.read_text()
    start = text.index("  runner:\n")
    end = text.index("\n", text.index("    ci:", start))
    path.write_text(text[:start] + text[end + 1:])
    problems = lint_counts(kbmod.load(kb_copy))
    assert {p.code for p in problems} == {"KB035"} and all("None" in p.message for p in problems)


def test_a_report_with_a_runner_outside_the_hint_is_refused(kb_copy, edit_kb_file):
    edit_kb_file(kb_copy / "reports" / "clock-skew.yaml", "runner: local", "runner: my-laptop")
    problems = lint_counts(kbmod.load(kb_copy))
    assert problems[0].code == "KB034" and "my-laptop" in problems[0].message
    assert problems[0].file == "kb/reports/clock-skew.yaml" and problems[0].line > 1


def test_a_report_naming_an_error_outside_kb_errors_is_refused(two_causes):
    path = two_causes / "reports" / "clock-skew.yaml"
    path.write_text(path.read_text() + _report("https://github.com/o/r/issues/99", "local", error="RequestTimeTooSkewedish"))
    problems = lint_counts(kbmod.load(two_causes))
    assert [(p.code, p.file) for p in problems] == [("KB034", "kb/reports/clock-skew.yaml")]
    assert problems[0].message.startswith("threads.20.error:") and "RequestTimeTooSkewedish" in problems[0].message


def test_a_report_must_say_which_error_it_shows(two_causes):
    path = two_causes / "reports" / "clock-skew.yaml"
    path.write_text(path.read_text().replace("    error: ExpiredToken\n", "", 1))
    problems = lint_counts(kbmod.load(two_causes))
    assert [p.code for p in problems] == ["KB004"] and problems[0].message.startswith("threads.0.error:")


def test_a_report_keeps_its_error_and_may_quote_the_paste(two_causes):
    path = two_causes / "reports" / "clock-skew.yaml"
    paste = "    paste: |\n      An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity operation: Signature expired\n"
    path.write_text(path.read_text() + _report("https://github.com/o/r/issues/99", "local", error="SignatureExpired") + paste
                    + _report("https://github.com/o/r/issues/100", "local", error="unknown"))
    kb = kbmod.load(two_causes)
    reports, problems = load_reports(kb)
    assert problems == []
    assert [x.error for x in reports["clock-skew"][-3:]] == ["ExpiredToken", "SignatureExpired", "unknown"]


def test_a_thread_counted_twice_for_one_cause_is_refused(two_causes):
    path = two_causes / "reports" / "clock-skew.yaml"
    path.write_text(path.read_text() + _report("https://github.com/o/r/issues/clock-skew-0", "local"))
    problems = lint_counts(kbmod.load(two_causes))
    assert [p.code for p in problems] == ["KB034"] and "already counted" in problems[0].message


def test_the_base_rate_must_match_the_counted_share(kb_copy, edit_kb_file):
    # local's base moved up and CI's down, as a hand edit would leave them
    text = (kb_copy / "hints.yaml").read_text()
    local = re.search(r"(?m)^    local: ([0-9.]+) ", text).group(1)
    edit_kb_file(kb_copy / "hints.yaml", f"    local: {local} ", f"    local: {float(local) + 0.07:.4f} ")
    other = re.search(r"(?m)^    other-ci: ([0-9.]+) ", text).group(1)
    edit_kb_file(kb_copy / "hints.yaml", f"    other-ci: {other} ", f"    other-ci: {float(other) - 0.03:.4f} ")
    github = re.search(r"(?m)^    github-actions: ([0-9.]+) ", text).group(1)
    edit_kb_file(kb_copy / "hints.yaml", f"    github-actions: {github} ", f"    github-actions: {float(github) - 0.04:.4f} ")
    codes = {p.code for p in lint_counts(kbmod.load(kb_copy))}
    assert codes == {"KB036"}


def test_rendered_rows_are_the_ones_in_the_cause_files(kb):
    rows = render_rows(kb)
    with open(f"{kb.path}/causes/clock-skew.yaml", encoding="utf-8") as f:
        cause = f.read()
    line = next(x for x in rows.splitlines() if x.strip().startswith("local:") and "clock-skew.yaml" in x)
    assert line.strip() in {x.strip() for x in cause.splitlines()}


def test_a_yes_no_fact_is_counted_like_any_other_hint(two_causes):
    _reports_file(two_causes, "clock-skew", ["local"] * 20, ["false"] * 18 + ["true"] * 2)
    _reports_file(two_causes, "sso-session-expired", ["local"] * 23, ["false"] * 2 + ["true"] * 18)
    kb = kbmod.load(two_causes)
    counted = count(kb, load_reports(kb)[0], "has_session_token")
    assert counted["clock-skew"].ratios == {"true": 0.33, "false": 1.67}
    assert counted["sso-session-expired"].unknown == 3


def test_a_fact_outside_its_hint_is_refused(kb_copy):
    path = kb_copy / "reports" / "clock-skew.yaml"
    path.write_text(re.sub(r"(?m)^    has_session_token: \w+$", "    has_session_token: maybe", path.read_text(), count=1))
    problems = lint_counts(kbmod.load(kb_copy))
    assert [p.code for p in problems] == ["KB034"] and "has_session_token" in problems[0].message


def test_writing_the_counts_puts_a_drifted_row_back(kb_copy, edit_kb_file):
    counted, row = _local_row(kb_copy)
    edit_kb_file(kb_copy / "causes" / "clock-skew.yaml", f"    local: {counted}  #", "    local: 0.3  #")
    assert write_rows(kbmod.load(kb_copy)) == ["kb/causes/clock-skew.yaml"]
    assert lint_counts(kbmod.load(kb_copy)) == []
    assert row in (kb_copy / "causes" / "clock-skew.yaml").read_text()


def test_a_new_thread_moves_its_cause_once_the_counts_are_written(kb_copy):
    path = kb_copy / "reports" / "clock-skew.yaml"
    path.write_text(path.read_text() + "".join(_report(f"https://github.com/o/r/issues/ci-{i}", "jenkins") for i in range(20)))
    assert "KB035" in [p.code for p in lint_counts(kbmod.load(kb_copy))]
    write_rows(kbmod.load(kb_copy))
    write_priors(kbmod.load(kb_copy))  # the threads name an error, so its priors move too
    kb = kbmod.load(kb_copy)
    assert kb.causes["clock-skew"].evidence["runner"]["ci"] > 0.37
    # twenty more CI threads move the pooled share too: the base rate is left to a person
    assert {p.code for p in lint_counts(kb)} == {"KB036"}


def test_writing_leaves_a_rows_uncounted_values_alone(kb_copy):
    write_rows(kbmod.load(kb_copy))
    text = (kb_copy / "causes" / "clock-skew.yaml").read_text()
    assert "    remote-platform: 0.3 # estimate: platform workers are managed, synced machines" in text


def _thread(url, error, cause_counts=None):
    from authdoctor.authoring.counts import Report
    return Report(url, {"runner": "unknown", "auth_method": "unknown", "has_session_token": "unknown"}, error)


def test_counted_priors_move_toward_the_threads_and_keep_a_floor(kb):
    from authdoctor.authoring.counts import PRIOR_PSEUDO, count_priors
    reports = {"clock-skew": [_thread(f"https://x/{i}", "SignatureDoesNotMatch") for i in range(40)]}
    c = count_priors(kb, reports)["SignatureDoesNotMatch"]
    written = kb.errors["SignatureDoesNotMatch"].estimates or kb.errors["SignatureDoesNotMatch"].priors
    share = written["clock-skew"] / sum(written.values())
    assert c.priors["clock-skew"] == round((40 + PRIOR_PSEUDO * share) / (40 + PRIOR_PSEUDO), 4)
    assert all(p > 0 for p in c.priors.values())  # no thread for them, yet every other cause keeps a floor
    assert set(written) <= set(c.priors)


def test_a_held_out_thread_does_not_count(kb):
    from authdoctor.authoring.counts import count_priors
    reports = {"clock-skew": [_thread("https://x/1", "SignatureDoesNotMatch"), _thread("https://x/2", "SignatureDoesNotMatch")]}
    assert count_priors(kb, reports, leave_out=frozenset({"https://x/1"}))["SignatureDoesNotMatch"].counts["clock-skew"] == 1


def test_a_thread_that_quotes_no_error_counts_for_no_error(kb):
    from authdoctor.authoring.counts import count_priors
    assert count_priors(kb, {"clock-skew": [_thread("https://x/1", "unknown")]}) == {}
