"""What every test folder shares: the KB and its engine, the app, and the pastes used everywhere."""
import atexit
import http.server
import json
import os
import queue
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import settings

from authdoctor import knowledge as kbmod
from authdoctor.diagnose import Doctor
from authdoctor.hints import check_hints, feature_value
from authdoctor.rank import log_posterior, priors_for

ROOT = Path(__file__).resolve().parent.parent
KB_DIR = ROOT / "kb"

# CI replays the same generated examples on every run, so a landing never hangs on the
# luck of a draw; a developer's run explores new ones, and bench/secrets_leak.py draws
# 10,000 (a leak it finds becomes a regression test in tests/test_redact.py).
settings.register_profile("ci", derandomize=True)
# the feedback store of every app the tests make (and the fuzzed API's posts) lives in a folder of the run's own
_DATA_DIR = tempfile.mkdtemp(prefix="authdoctor-test-data-")
os.environ.setdefault("AUTHDOCTOR_DATA_DIR", _DATA_DIR)
atexit.register(shutil.rmtree, _DATA_DIR, True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def kb_dir():
    return KB_DIR


@pytest.fixture(scope="session")
def kb():
    return kbmod.load(KB_DIR)


@pytest.fixture(scope="session")
def doctor(kb):
    return Doctor(kb)


@pytest.fixture(scope="session")
def app():
    from authdoctor.web import create_app
    return create_app(str(KB_DIR), test_config={"TESTING": True, "RATELIMIT_ENABLED": False})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def kb_copy(tmp_path):
    """A writable copy of the real KB, for breaking one file at a time."""
    dst = tmp_path / "kb"
    shutil.copytree(KB_DIR, dst)
    return dst


@pytest.fixture(scope="session")
def edit_kb_file():
    """Replace the first `old` in a (copied) KB file with `new`; fails loudly if `old` is gone."""
    def edit(path, old, new):
        text = path.read_text()
        assert old in text, f"fixture text not found in {path.name}"
        path.write_text(text.replace(old, new, 1))
    return edit


# --- the pastes ---------------------------------------------------------------------

@pytest.fixture(scope="session")
def icti():
    """InvalidClientTokenId, the bare line older Terraform prints."""
    return "provider.aws: InvalidClientTokenId: The security token included in the request is invalid."


@pytest.fixture(scope="session")
def tls_refused():
    """A credential request that never reached AWS: the endpoint's certificate refused (kb/declines)."""
    return ("aws-vault: error: exec: Failed to get credentials for dev: RequestError: send request failed\n"
            'caused by: Post "https://sts.amazonaws.com/": x509: certificate signed by unknown authority')


@pytest.fixture(scope="session")
def icti_provider():
    """InvalidClientTokenId as the AWS provider (v4) reports it while configuring itself."""
    return ("Error: error configuring Terraform AWS Provider: error validating provider credentials: "
            "error calling sts:GetCallerIdentity: InvalidClientTokenId: The security token included in the request is invalid.")


# --- the engine's own weighing ----------------------------------------------------

@pytest.fixture(scope="session")
def posterior(doctor, icti):
    """weigh(hints, text=icti) -> (answer, log-scores): the untempered posterior the ranking and
    the question share, over the hints given (not those read from the text)."""
    def weigh(hints=None, text=icti):
        a = doctor.diagnose(text, hints=hints)
        error = doctor.kb.errors[a.error_code]
        variant = next(v for v in error.variants if v.id == a.variant.id)
        priors, _ = priors_for(error, variant)
        values = check_hints(doctor.kb, hints)
        feats = {k: feature_value(doctor.kb.hints[k], v) for k, v in values.items()}
        return a, log_posterior(doctor.kb, priors, feats, a.markers, dict.fromkeys(feats, "user"))
    return weigh


class _Recorder(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.server.posts.put(json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture()
def response_url():
    """A real HTTP server on 127.0.0.1 standing in for a Slack response_url: its address in .url, what
    it was sent in .posts."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.posts = queue.Queue()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/actions/T1/1/x"
    yield server
    server.shutdown()
    server.server_close()
