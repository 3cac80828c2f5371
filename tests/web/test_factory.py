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
