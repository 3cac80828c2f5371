"""authdoctor run and diagnose --doctor: the command's output passed through unchanged, its exit code kept, the diagnosis after it.

A fake `terraform` written by each test stands on PATH: it answers `version -json`
and, for anything else, prints a log and a real credential error, and exits 1.
"""
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from authdoctor.cli.run import TAIL_BYTES, Tail, error_part, read_tail

ROOT = Path(__file__).resolve().parents[2]
ERROR = ("╷\n│ Error: configuring Terraform AWS Provider: validating provider credentials: retrieving caller identity from STS: "
         "operation error STS: GetCallerIdentity, https response error StatusCode: 403, RequestID: "
         "1d6bfb5c-3c2a-4b1e-9a0b-4f1c1c1c1c1c, api error InvalidClientTokenId: The security token included in the request is invalid.\n"
         '│\n│   with provider["registry.terraform.io/hashicorp/aws"],\n│   on main.tf line 5, in provider "aws":\n│    5: provider "aws" {\n╵\n')
FAKE = """#!/bin/sh
if [ "$1" = "version" ]; then echo '{"terraform_version": "1.9.5", "platform": "linux_amd64"}'; exit 0; fi
[ -f "$FAKE_LOG" ] && cat "$FAKE_LOG"
printf 'Initializing the backend...\\n'
[ -f "$FAKE_ERR" ] && cat "$FAKE_ERR" >&2
exit "${FAKE_EXIT:-1}"
"""
MAIN_TF = ('terraform {\n  backend "s3" {\n    bucket = "state"\n    key = "k"\n    region = "eu-west-1"\n    profile = "prod"\n  }\n}\n'
           'provider "aws" {\n  region = "eu-west-1"\n}\n')


@pytest.fixture()
def world(tmp_path):
    """A PATH with the fake terraform, an empty HOME, a Terraform folder whose backend and provider differ, and an error file."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    (bin_ / "terraform").write_text(FAKE)
    (bin_ / "terraform").chmod(0o755)
    (tmp_path / "home").mkdir()
    folder = tmp_path / "tf"
    folder.mkdir()
    (folder / "main.tf").write_text(MAIN_TF)
    (tmp_path / "err.txt").write_text(ERROR)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_VAR_")) and k not in ("CI", "GITHUB_ACTIONS", "GITLAB_CI")}
    env.update(PATH=f"{bin_}{os.pathsep}{env.get('PATH', '')}", HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT / "src"),
               FAKE_ERR=str(tmp_path / "err.txt"))
    return {"env": env, "dir": folder, "tmp": tmp_path}


def authdoctor(*args, env, cwd, stdin=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "authdoctor", *args], input=stdin, capture_output=True, cwd=cwd, env=env, timeout=timeout)


def test_run_passes_the_output_through_keeps_the_exit_code_and_diagnoses_after_it(world):
    r = authdoctor("run", "--", "terraform", "plan", "-input=false", env=world["env"], cwd=world["dir"])
    assert r.returncode == 1
    assert r.stdout == b"Initializing the backend...\n"
    err = r.stderr.decode()
    assert err.startswith(ERROR) and "InvalidClientTokenId" in err[len(ERROR):]
    assert 'backend "s3" uses profile prod, provider "aws" uses profile default' in err


def test_run_keeps_a_success_silent_and_its_exit_code(world):
    r = authdoctor("run", "--", "terraform", "plan", env={**world["env"], "FAKE_EXIT": "0"}, cwd=world["dir"])
    assert r.returncode == 0 and r.stderr.decode() == ERROR


WAITS_FOR_VERSION = """#!/bin/sh
if [ "$1" = "version" ]; then touch "$MARK"; echo '{"terraform_version": "1.9.5"}'; exit 0; fi
i=0
while [ ! -f "$MARK" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
[ -f "$MARK" ] && echo "the machine was inspected while I ran"
cat "$FAKE_ERR" >&2
exit 1
"""


def test_run_inspects_the_machine_while_the_command_runs(world):
    # this terraform fails only after `terraform version` was asked, or after 30 s
    (world["tmp"] / "bin" / "terraform").write_text(WAITS_FOR_VERSION)
    r = authdoctor("run", "--", "terraform", "plan", env={**world["env"], "MARK": str(world["tmp"] / "asked")}, cwd=world["dir"])
    assert r.stdout == b"the machine was inspected while I ran\n"
    assert r.returncode == 1 and "InvalidClientTokenId" in r.stderr.decode()[len(ERROR):]


@pytest.mark.parametrize("code", [2, 3])
def test_run_keeps_any_failing_exit_code(world, code):
    assert authdoctor("run", "--", "terraform", "plan", env={**world["env"], "FAKE_EXIT": str(code)}, cwd=world["dir"]).returncode == code


def test_a_failure_that_is_no_credential_error_gets_one_line_and_no_diagnosis(world):
    (world["tmp"] / "err.txt").write_text("Error: Invalid reference\n\n  on main.tf line 3: a reference to a resource type must be"
                                          " followed by at least one attribute access\n")
    r = authdoctor("run", "--", "terraform", "plan", env=world["env"], cwd=world["dir"])
    err = r.stderr.decode()
    assert r.returncode == 1 and "shows no credential error the knowledge base knows" in err and "Fix:" not in err


def test_a_knowledge_base_that_does_not_load_still_keeps_the_exit_code(world, tmp_path):
    r = authdoctor("--kb", str(tmp_path / "no-kb"), "run", "--", "terraform", "plan", env=world["env"], cwd=world["dir"])
    assert r.returncode == 1 and "no diagnosis" in r.stderr.decode() and r.stdout == b"Initializing the backend...\n"


def test_a_command_that_is_not_there_exits_127(world):
    r = authdoctor("run", "--", "no-such-command-here", env=world["env"], cwd=world["dir"])
    assert r.returncode == 127 and "command not found" in r.stderr.decode()


def test_run_inspects_the_folder_terraform_works_in(world, tmp_path):
    r = authdoctor("run", "--format", "json", "--", "terraform", f"-chdir={world['dir']}", "plan", env=world["env"], cwd=tmp_path)
    body = json.loads(r.stderr.decode()[len(ERROR):])
    assert body["error_code"] == "InvalidClientTokenId" and body["doctor"]["hints"]["backend"] == "s3"
    assert body["doctor"]["hints"]["terraform_version"] == "1.9.5"


def test_the_machines_findings_lift_the_cause_they_show(world):
    body = json.loads(authdoctor("run", "--format", "json", "--", "terraform", "plan", env=world["env"], cwd=world["dir"])
                      .stderr.decode()[len(ERROR):])
    top = body["causes"][0]
    assert top["id"] == "backend-provider-auth-mismatch" and any("sign matches" in w for w in top["why"])


def test_summary_appends_the_diagnosis_as_markdown(world):
    summary = world["tmp"] / "summary.md"
    summary.write_text("# earlier step\n")
    authdoctor("run", "--summary", str(summary), "--", "terraform", "plan", env=world["env"], cwd=world["dir"])
    text = summary.read_text()
    assert text.startswith("# earlier step\n### AuthDoctor: `InvalidClientTokenId`") and "#### What this machine tells" in text


def test_the_pipe_does_the_same_from_stdin(world):
    log = b"".join(b"aws_s3_bucket.b%d: Refreshing state... [id=b-%d]\n" % (i, i) for i in range(500)) + ERROR.encode()
    r = authdoctor("diagnose", "--doctor", env=world["env"], cwd=world["dir"], stdin=log)
    out = r.stdout.decode()
    assert r.returncode == 0 and out.startswith("InvalidClientTokenId") and "What this machine tells" in out


def test_the_pipe_with_no_credential_error_says_it_is_not_recognised(world):
    r = authdoctor("diagnose", "--doctor", env=world["env"], cwd=world["dir"], stdin=b"Plan: 3 to add, 0 to change, 0 to destroy.\n")
    assert r.returncode == 1 and "Not recognised" in r.stdout.decode()


def test_a_six_megabyte_log_goes_through_run_unchanged_and_is_diagnosed(world):
    log = world["tmp"] / "big.log"
    line = b"aws_instance.web[%d]: Still creating... [10s elapsed] ....................................................\n"
    with log.open("wb") as f:
        i = 0
        while f.tell() < 6 * 1024 * 1024:
            f.write(line % i)
            i += 1
    r = authdoctor("run", "--", "terraform", "apply", env={**world["env"], "FAKE_LOG": str(log)}, cwd=world["dir"])
    assert r.returncode == 1 and r.stdout == log.read_bytes() + b"Initializing the backend...\n"
    assert "InvalidClientTokenId" in r.stderr.decode()


# --- the bounded tail ----------------------------------------------------------------------

def test_the_tail_keeps_only_the_last_bytes_in_bounded_memory():
    tail = Tail(1024)
    for i in range(10_000):
        tail.feed(b"%06d " % i * 10)
        assert len(tail._buf) <= 2 * 1024 + 70
    assert tail.text().endswith("009999 ") and len(tail.text()) == 1024


def test_read_tail_of_a_file_reads_only_its_end(tmp_path):
    f = tmp_path / "log"
    f.write_bytes(b"x" * (3 * TAIL_BYTES) + ERROR.encode())
    with f.open("rb") as stream:
        text = read_tail(stream)
    assert text.endswith(ERROR) and len(text.encode()) <= TAIL_BYTES


def test_the_error_part_keeps_the_error_box_and_drops_the_noise():
    log = "".join(f"aws_s3_bucket.b{i}: Refreshing state... [id=b-{i}]\n" for i in range(3000)) + ERROR
    part = error_part(log)
    assert "InvalidClientTokenId" in part and "Refreshing state" not in part and len(part) < 2048


def test_a_long_apply_keeps_only_its_last_still_creating_line():
    log = "".join(f"aws_db_instance.db: Still creating... [{i}0s elapsed]\n" for i in range(400)) + ERROR
    part = error_part(log)
    assert part.count("Still creating") == 1 and "[3990s elapsed]" in part


# --- what leaves the machine ---------------------------------------------------------------

class _Catch(http.server.BaseHTTPRequestHandler):
    bodies: list = []

    def do_POST(self):  # noqa: N802 - the standard library's name
        self.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture()
def catcher():
    _Catch.bodies = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Catch)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/api/v1/diagnose", _Catch.bodies
    server.shutdown()


SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def test_send_posts_only_the_masked_error_and_the_hints(world, catcher):
    url, bodies = catcher
    (world["tmp"] / "err.txt").write_text(ERROR + f"export AWS_SECRET_ACCESS_KEY={SECRET}\n")
    env = {**world["env"], "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLQ", "AWS_SECRET_ACCESS_KEY": SECRET}
    r = authdoctor("run", "--send", url, "--", "terraform", "plan", env=env, cwd=world["dir"])
    assert r.returncode == 1 and "sent the masked error and the hints" in r.stderr.decode()
    assert len(bodies) == 1 and set(bodies[0]) == {"error", "hints"}
    assert "InvalidClientTokenId" in bodies[0]["error"] and bodies[0]["hints"]["key_prefix"] == "AKIA"
    assert SECRET not in json.dumps(bodies[0]) and "IOSFODNN7EXAMPLQ" not in json.dumps(bodies[0])


def test_nothing_is_sent_without_send(world, catcher):
    _, bodies = catcher
    authdoctor("run", "--", "terraform", "plan", env=world["env"], cwd=world["dir"])
    assert bodies == []


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(secret=st.text(B64, min_size=40, max_size=40).filter(lambda s: len(set(s)) > 12),
       key16=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=16).filter(lambda s: len(set(s)) > 6))
def test_no_secret_comes_out_of_run_in_any_format(world, secret, key16):
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / ".aws").mkdir()
        (home / ".aws" / "credentials").write_text(f"[prod]\naws_access_key_id = AKIA{key16}\naws_secret_access_key = {secret}\n")
        env = {**world["env"], "HOME": str(home), "AWS_ACCESS_KEY_ID": f"AKIA{key16}", "AWS_SECRET_ACCESS_KEY": secret,
               "TF_VAR_secret": secret}
        for fmt in ("text", "markdown", "json"):
            summary = home / "summary.md"
            r = authdoctor("run", "--format", fmt, "--summary", str(summary), "--", "terraform", "plan", env=env, cwd=world["dir"])
            seen = r.stdout.decode() + r.stderr.decode() + summary.read_text()
            assert "InvalidClientTokenId" in seen
            for value in (secret, key16, secret[8:28]):
                assert value not in seen


# --- the GitHub Action ---------------------------------------------------------------------

def test_the_actions_run_step_keeps_the_exit_code_and_writes_the_job_summary(world):
    import yaml
    step = next(s for s in yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"] if s.get("id") == "run")
    tmp = world["tmp"]
    venv_bin = tmp / "runner" / "authdoctor-venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "authdoctor").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m authdoctor "$@"\n')
    (venv_bin / "authdoctor").chmod(0o755)
    (tmp / "step.sh").write_text(step["run"])
    env = {**world["env"], "RUNNER_TEMP": str(tmp / "runner"), "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
           "GITHUB_OUTPUT": str(tmp / "output"), "DOCTOR_COMMAND": "terraform plan -input=false", "DOCTOR_SEND": "", "DOCTOR_SUMMARY": "true",
           "GITHUB_ACTIONS": "true"}
    # as GitHub runs a composite step's `shell: bash`
    r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(tmp / "step.sh")], cwd=world["dir"], env=env,
                       capture_output=True, timeout=120)
    assert r.returncode == 1 and (tmp / "output").read_text() == "exit-code=1\n", r.stderr.decode()[-3000:]
    summary = (tmp / "summary.md").read_text()
    assert summary.startswith("### AuthDoctor: `InvalidClientTokenId`") and "github-actions" in summary


def test_the_action_is_valid_against_the_github_actions_schema():
    exe = Path(sys.executable).with_name("check-jsonschema")
    r = subprocess.run([str(exe), "--builtin-schema", "vendor.github-actions", str(ROOT / "action.yml")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
