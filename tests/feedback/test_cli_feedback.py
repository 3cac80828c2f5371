"""`authdoctor feedback` and `authdoctor report` at the command line: to the local store (SQLite or
AUTHDOCTOR_DATABASE_URL's PostgreSQL) or, with --send, to a running server's API."""
import json
import threading

import pytest
from werkzeug.serving import make_server

from authdoctor.cli.main import main

PASTE = ("Error: error configuring Terraform AWS Provider: error validating provider credentials: error calling "
         "sts:GetCallerIdentity: operation error STS: GetCallerIdentity, https response error StatusCode: 403, "
         "api error InvalidClientTokenId: The security token included in the request is invalid.")


@pytest.fixture()
def env(database, monkeypatch):
    config = database[0]
    monkeypatch.delenv("AUTHDOCTOR_DATABASE_URL", raising=False)
    if "DATA_DIR" in config:
        monkeypatch.setenv("AUTHDOCTOR_DATA_DIR", config["DATA_DIR"])
    else:
        monkeypatch.setenv("AUTHDOCTOR_DATABASE_URL", config["DATABASE_URL"])


@pytest.fixture()
def answer_file(tmp_path, monkeypatch, capsys):
    paste = tmp_path / "error.txt"
    paste.write_text(PASTE)
    assert main(["diagnose", "--json", str(paste), "--hint", "key_prefix=ASIA"]) == 0
    path = tmp_path / "answer.json"
    path.write_text(capsys.readouterr().out)
    return path


def test_feedback_from_a_saved_answer_is_stored_and_reported(env, answer_file, capsys):
    answer = json.loads(answer_file.read_text())
    first, second = answer["causes"][0]["id"], answer["causes"][1]["id"]
    assert main(["feedback", answer["answer_id"], "not-this", first, "--answer", str(answer_file)]) == 0
    assert main(["feedback", answer["answer_id"], "fixed", second, "--answer", str(answer_file)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"stored: fixed for {second} (InvalidClientTokenId")
    assert main(["feedback", answer["answer_id"], "fixed", second, "--answer", str(answer_file)]) == 0
    assert capsys.readouterr().out.startswith("already stored")
    assert main(["report"]) == 0
    out = capsys.readouterr().out
    assert "Feedback: 2 report(s) on 1 answer(s)." in out
    assert f"InvalidClientTokenId {first}" in out and "1 answer(s) where the feedback says" in out
    assert "+++ b/kb/errors/InvalidClientTokenId.yaml" in out


def test_a_cause_of_several_errors_needs_the_error_named(env, capsys):
    assert main(["feedback", "0123456789abcdef", "fixed", "stale-env-vars"]) == 2
    assert "say which with --error CODE or --answer FILE" in capsys.readouterr().err
    assert main(["feedback", "0123456789abcdef", "fixed", "stale-env-vars", "--error", "ExpiredToken"]) == 0


def test_a_bad_answer_id_is_refused_with_the_reason(env, capsys):
    assert main(["feedback", "not-an-id", "fixed", "stale-env-vars", "--error", "ExpiredToken"]) == 2
    assert "16 lower-case hex digits" in capsys.readouterr().err


def test_report_writes_the_patch_to_a_file_when_asked(env, tmp_path, capsys):
    for n in range(5):
        main(["feedback", f"{n:016x}", "fixed", "stale-env-vars", "--error", "InvalidClientTokenId"])
    target = tmp_path / "priors.patch"
    assert main(["report", "--patch", str(target)]) == 0
    assert target.read_text().startswith("--- a/kb/errors/InvalidClientTokenId.yaml") and str(target) in capsys.readouterr().out


@pytest.fixture()
def server(make_app):
    app = make_app()
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


def test_send_posts_it_to_a_server_which_stores_it(server, answer_file, capsys):
    app, url = server
    answer = json.loads(answer_file.read_text())
    cause = answer["causes"][0]["id"]
    assert main(["feedback", answer["answer_id"], "fixed", cause, "--answer", str(answer_file), "--send", url]) == 0
    assert capsys.readouterr().out.startswith(f"stored: fixed for {cause}")
    (row,) = app.extensions["authdoctor.feedback"].feedback_rows()
    assert (row["answer_id"], row["cause"], row["door"]) == (answer["answer_id"], cause, "api")


def test_send_says_what_the_server_refused(server, capsys):
    _, url = server
    assert main(["feedback", "0123456789abcdef", "fixed", "no-such-cause", "--error", "ExpiredToken", "--send", url]) == 2
    assert "the server answered 400" in capsys.readouterr().err


def test_report_can_add_the_calibration_on_the_projects_own_cases(env, kb_dir, capsys):
    cases = kb_dir.parent / "tests" / "cases" / "stale-env-vars.yaml"
    assert main(["report", "--cases", str(cases)]) == 0
    out = capsys.readouterr().out
    assert "The same on the project's own labelled cases" in out and str(cases) in out and "Brier score" in out


def test_a_bad_database_url_is_one_line_naming_the_variable(monkeypatch, capsys):
    monkeypatch.setenv("AUTHDOCTOR_DATABASE_URL", "mysql://u:secretpw@db/x")
    assert main(["feedback", "0123456789abcdef", "fixed", "stale-env-vars", "--error", "ExpiredToken"]) == 2
    err = capsys.readouterr().err
    assert "AUTHDOCTOR_DATABASE_URL" in err and "secretpw" not in err
    assert main(["report"]) == 2
