"""The command line: diagnose from a file or stdin, hints, JSON, the KB lint and counts, and the walk."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args, stdin=""):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-m", "authdoctor", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=60)


def test_diagnose_reads_stdin_and_prints_a_ranking(icti):
    r = run("diagnose", stdin=icti + "\n")
    assert r.returncode == 0 and "InvalidClientTokenId" in r.stdout and "1." in r.stdout


def test_diagnose_reads_a_file(tmp_path, icti):
    f = tmp_path / "err.txt"
    f.write_text(icti + "\n")
    assert "InvalidClientTokenId" in run("diagnose", str(f)).stdout


def test_hints_move_the_answer_and_json_is_the_api_shape(icti):
    r = run("diagnose", "--json", "--hint", "key_prefix=ASIA", "--hint", "has_session_token=false", stdin=icti + "\n")
    body = json.loads(r.stdout)
    assert body["causes"][0]["id"] == "missing-session-token" and body["hints_used"]["key_prefix"]["source"] == "user"


def test_format_markdown_prints_an_answer_to_paste_into_a_ticket(icti):
    r = run("diagnose", "--format", "markdown", stdin=icti + "\n")
    assert r.returncode == 0 and r.stdout.startswith("### AuthDoctor: `InvalidClientTokenId`")
    assert "<details><summary>The error as pasted (secrets masked)</summary>" in r.stdout


def test_a_bad_hint_is_a_clear_error(icti):
    r = run("diagnose", "--hint", "runner=teamcity", stdin=icti + "\n")
    assert r.returncode == 2 and "runner" in r.stderr and "Traceback" not in r.stderr


def test_unrecognised_text_exits_1_and_says_so():
    r = run("diagnose", stdin="Error: Cycle: a, b\n")
    assert r.returncode == 1 and "Not recognised" in r.stdout


def test_interactive_never_prompts_without_a_terminal(icti):
    r = run("diagnose", "--interactive", stdin=icti + "\n")
    assert r.returncode == 0 and "> " not in r.stdout.splitlines()[-1:]


def test_kb_check_passes_on_the_project_kb():
    r = run("kb", "check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("ok:")


def test_kb_check_names_file_and_field_of_a_broken_kb(kb_copy):
    p = kb_copy / "causes" / "clock-skew.yaml"
    p.write_text(p.read_text().replace("title:", "titel:", 1))
    r = run("--kb", str(kb_copy), "kb", "check")
    assert r.returncode == 1 and "causes/clock-skew.yaml" in r.stdout and "titel" in r.stdout


def _counted_local_row(kb_dir):
    """clock-skew's counted `local:` line as the cause file holds it (the count moves as threads are added)."""
    return next(line for line in (kb_dir / "causes" / "clock-skew.yaml").read_text().splitlines()
                if line.startswith("    local: ") and "# reports:" in line)


def test_kb_check_refuses_a_runner_weight_its_reports_do_not_give(kb_copy):
    p = kb_copy / "causes" / "clock-skew.yaml"
    p.write_text(p.read_text().replace(_counted_local_row(kb_copy), "    local: 1.9  # reports: made up", 1))
    r = run("--kb", str(kb_copy), "kb", "check")
    assert r.returncode == 1 and "KB035" in r.stdout and "causes/clock-skew.yaml" in r.stdout


def test_kb_counts_prints_each_counted_row_with_its_count():
    r = run("kb", "counts")
    assert r.returncode == 0
    assert _counted_local_row(ROOT / "kb") in r.stdout.splitlines()


def test_kb_counts_write_puts_the_counted_rows_into_the_cause_files(kb_copy):
    p = kb_copy / "causes" / "clock-skew.yaml"
    row = _counted_local_row(kb_copy)
    p.write_text(p.read_text().replace(row, "    local: 1.9  # reports: made up", 1))
    r = run("--kb", str(kb_copy), "kb", "counts", "--write")
    assert r.returncode == 0 and "updated kb/causes/clock-skew.yaml" in r.stdout
    assert run("--kb", str(kb_copy), "kb", "check").returncode == 0 and _counted_local_row(kb_copy) == row


@pytest.mark.parametrize("command", [("kb", "counts"), ("kb", "counts", "--write"), ("eval",)])
def test_a_command_on_a_broken_kb_names_the_file_and_field_without_a_traceback(kb_copy, command):
    p = kb_copy / "causes" / "clock-skew.yaml"
    p.write_text(p.read_text().replace("title:", "titel:", 1))
    r = run("--kb", str(kb_copy), *command)
    assert r.returncode == 2 and "Traceback" not in r.stderr + r.stdout
    assert "causes/clock-skew.yaml" in r.stderr and "titel" in r.stderr


def test_kb_check_compares_cause_ids_with_the_shared_table(tmp_path):
    table = tmp_path / "CAUSES.md"
    ids = (ROOT / "kb" / "cause-ids.yaml").read_text().split("ids:")[1].split()
    ids = [i for i in ids if i != "-"]
    table.write_text("\n".join(f"| `{i}` | x |" for i in ids + ["a-new-shared-cause"]) + "\n")
    r = run("kb", "check", "--causes-md", str(table))
    assert r.returncode == 1 and "KB027 'a-new-shared-cause'" in r.stdout


def test_walk_prints_each_cases_ranks_and_the_figures_the_benchmark_reports(tmp_path):
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "cases:\n"
        "  - id: asia-without-token\n"
        "    error: 'InvalidClientTokenId: The security token included in the request is invalid.'\n"
        "    expected: missing-session-token\n"
        "    hints: {key_prefix: ASIA, has_session_token: false}\n"
        "  - id: no-hints-not-walked\n"
        "    error: 'InvalidClientTokenId: The security token included in the request is invalid.'\n"
        "    expected: key-inactive-or-deleted\n")
    r = run("walk", str(cases))
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and lines[0].startswith("asia-without-token: expected missing-session-token ranks ") and lines[0].endswith(" -> 1")
    assert "no-hints-not-walked" not in r.stdout and "cases=1 " in lines[-1] and "ended worse=0" in lines[-1]


def test_walk_names_the_answer_after_which_the_expected_cause_fell(tmp_path):
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "cases:\n"
        "  - id: akia-against-missing-token\n"
        "    error: 'InvalidClientTokenId: The security token included in the request is invalid.'\n"
        "    expected: missing-session-token\n"
        "    hints: {key_prefix: AKIA}\n")
    r = run("walk", str(cases))
    line = r.stdout.splitlines()[0]
    assert "WORSE after key_prefix=AKIA (" in line
    assert any(line.split()[:3] == ["key_prefix", "0", "1"] for line in r.stdout.splitlines())


def _key_pair(rng):
    """A fresh access key id and secret access key, of AWS's shapes."""
    key_id = "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    chars = [rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") for _ in range(37)]
    chars += [rng.choice("abcdef"), rng.choice("QRSTUV"), rng.choice("0123456789")]
    rng.shuffle(chars)
    return key_id, "".join(chars)


def test_a_refused_hint_never_echoes_a_secret(tmp_path, capsys, icti):
    import random
    import secrets

    import pytest

    from authdoctor.cli.main import main
    seed = secrets.randbits(32)
    rng = random.Random(seed)
    paste = tmp_path / "err.txt"
    paste.write_text(icti + "\n")
    for _ in range(2):
        key_id, secret = _key_pair(rng)
        for hint in (f"key_prefix={key_id}", f"region={secret}", f"runner={key_id}{secret}", f"{key_id}=local",
                     f"{secret}=x", f"env_vars_set={key_id},{secret}", f"terraform_version={secret}", key_id, secret):
            try:
                code = main(["diagnose", str(paste), "--hint", hint])
            except SystemExit as exc:  # argparse refuses a --hint without '='
                code = exc.code
            out = capsys.readouterr()
            said = out.out + out.err
            assert code == 2 and "error" in said, (hint, said)
            windows = {s[i:i + 12] for s in (key_id, secret) for i in range(len(s) - 11)}
            assert not [w for w in windows if w in said], (seed, hint, said)
    with pytest.raises(SystemExit):
        main(["diagnose", str(paste), "--hint", "AKIAJ7Q2ZK4XW3N5PLMD"])
    assert "'AKIA****REDACTED****'" in capsys.readouterr().err


def test_a_reader_that_goes_away_ends_the_output_quietly(tmp_path, icti):
    import subprocess
    import sys
    paste = tmp_path / "e.txt"
    paste.write_text(icti)
    # `true` exits at once: the pipe has no reader by the time the answer is written
    run = subprocess.run(f"{sys.executable} -m authdoctor diagnose --json {paste} | true", shell=True,
                         capture_output=True, text=True, timeout=60)
    assert "Traceback" not in run.stderr and "BrokenPipe" not in run.stderr


def test_a_whole_ci_log_piped_in_is_read_from_its_tail_where_the_error_is(icti):
    # 6 MB of a plan's progress lines around the error: only the last 64 KiB is read
    noise = "".join(f"aws_s3_bucket.b[{i}]: Refreshing state... [id=bucket-{i}]\n" for i in range(110_000))
    assert len(noise) > 6_000_000
    at_the_end = json.loads(run("diagnose", "--json", stdin=noise + icti + "\n").stdout)
    long_before = json.loads(run("diagnose", "--json", stdin=icti + "\n" + noise).stdout)
    assert at_the_end["error_code"] == "InvalidClientTokenId"
    assert long_before["recognized"] is False
