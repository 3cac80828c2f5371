"""The app factory: a broken KB stops the start; a body over 64 KiB is refused before it is read; only the chosen doors; trusted proxies."""
import pytest

from authdoctor import knowledge as kbmod


class CountingInput:
    """A wsgi.input that counts what the server reads from it."""

    def __init__(self):
        self.read_bytes = 0

    def read(self, size=-1):
        size = 1 << 20 if size is None or size < 0 else size
        self.read_bytes += size
        return b"x" * size

    readline = read


def test_a_broken_kb_stops_the_app_start(kb_copy, edit_kb_file):
    from authdoctor.web import create_app
    edit_kb_file(kb_copy / "causes" / "clock-skew.yaml", "id: clock-skew", "id: [")
    with pytest.raises(kbmod.KBError) as exc:
        create_app(str(kb_copy))
    assert "causes/clock-skew.yaml" in str(exc.value)


@pytest.mark.parametrize("path,mimetype", [("/api/v1/diagnose", "application/json"),
                                           ("/", "application/x-www-form-urlencoded"),
                                           ("/slack/commands", "application/x-www-form-urlencoded")])
def test_a_1_mib_body_is_refused_with_413_without_being_read(make_app, slack_secret, path, mimetype):
    # the limiter on too: its Slack key reads the team from the body, and must not read this one
    client = make_app(RATELIMIT_ENABLED=True, SLACK_SIGNING_SECRET=slack_secret).test_client()
    body = CountingInput()
    r = client.post(path, content_type=mimetype,
                    environ_overrides={"wsgi.input": body, "CONTENT_LENGTH": str(1 << 20)})
    assert r.status_code == 413 and body.read_bytes == 0


@pytest.mark.parametrize("doors, open_paths", [
    ({"slack"}, {"/slack/commands", "/healthz"}),
    ({"page"}, {"/", "/static/copy.js", "/healthz"}),
    ({"api"}, {"/api/v1/hints", "/healthz"}),
])
def test_only_the_chosen_doors_are_served(make_app, doors, open_paths):
    client = make_app(DOORS=doors).test_client()
    paths = {"/": "get", "/static/copy.js": "get", "/api/v1/hints": "get", "/healthz": "get", "/slack/commands": "post"}
    served = {p for p, m in paths.items() if getattr(client, m)(p).status_code != 404}
    assert served == open_paths


def test_a_client_behind_trusted_proxies_is_limited_by_its_own_address(make_app, icti_provider):
    client = make_app(TRUSTED_PROXIES=1, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="1 per minute").test_client()

    def post(client_addr):
        return client.post("/api/v1/diagnose", json={"error": icti_provider}, environ_base={"REMOTE_ADDR": "10.0.0.9"},
                           headers={"X-Forwarded-For": client_addr}).status_code
    assert [post("203.0.113.1"), post("203.0.113.1"), post("203.0.113.2")] == [200, 429, 200]


def test_without_trusted_proxies_x_forwarded_for_is_ignored(make_app, icti_provider):
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="1 per minute").test_client()

    def post(client_addr):
        return client.post("/api/v1/diagnose", json={"error": icti_provider}, environ_base={"REMOTE_ADDR": "10.0.0.9"},
                           headers={"X-Forwarded-For": client_addr}).status_code
    assert [post("203.0.113.1"), post("203.0.113.2")] == [200, 429]


# what a start does not import: each is imported where it is used (the feedback store's first use, the first
# Slack request, the first page, a KB build), and together they were over half a second of every start
NOT_AT_START = ("sqlalchemy", "alembic", "slack_sdk", "flask_limiter", "limits", "markdown", "nh3", "yaml")
START = """
import json, sys
from authdoctor.web import create_app
app = create_app(test_config={"RATELIMIT_ENABLED": False})
r = app.test_client().post("/api/v1/diagnose", json={"error": sys.argv[1]})
assert r.status_code == 200, r.status_code
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_a_start_and_a_first_answer_import_no_database_slack_limiter_or_markdown(tmp_path):
    import json
    import os
    import subprocess
    import sys
    env = dict(os.environ, AUTHDOCTOR_CACHE_DIR=str(tmp_path / "cache"), AUTHDOCTOR_DATA_DIR=str(tmp_path / "data"))
    paste = "Error: error configuring S3 Backend: no valid credential sources for S3 Backend found."
    # the first start builds the KB cache and creates the feedback store; the second finds both
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", START, paste], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr[-3000:]
    assert set(json.loads(out.stdout.splitlines()[-1])) & set(NOT_AT_START) == set()


WARM = """
import json, sys
from authdoctor.web import create_app, warm
warm(create_app(test_config={"RATELIMIT_ENABLED": False, "DOORS": set(sys.argv[1].split(","))}))
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


@pytest.mark.parametrize("doors, warmed, not_warmed", [
    ("api", {"sqlalchemy", "alembic"}, {"slack_sdk", "markdown", "nh3"}),
    ("page,api,slack", {"sqlalchemy", "alembic", "slack_sdk", "markdown", "nh3"}, set()),
])
def test_warm_imports_what_the_open_doors_would_import_on_first_use(tmp_path, doors, warmed, not_warmed):
    import json
    import os
    import subprocess
    import sys

    from authdoctor.feedback import Store, store_url
    Store(store_url(None, tmp_path / "data")).upgrade("head")  # migrated already: the start itself needs no database layer
    env = dict(os.environ, AUTHDOCTOR_DATA_DIR=str(tmp_path / "data"))
    out = subprocess.run([sys.executable, "-c", WARM, doors], env=env, capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.splitlines()[-1]))
    assert warmed <= loaded and not (not_warmed & loaded)


def test_the_checkouts_app_leaves_the_collector_on_with_what_loading_made_frozen(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    code = "import gc, json, app; print(json.dumps([gc.isenabled(), gc.get_freeze_count()]))"
    env = dict(os.environ, AUTHDOCTOR_DATA_DIR=str(tmp_path / "data"))
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True)
    enabled, frozen = json.loads(out.stdout.splitlines()[-1])
    assert enabled and frozen > 10_000
