"""The app factory: a broken KB stops the start; a body over 64 KiB is refused before it is read."""
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
