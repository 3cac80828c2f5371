"""The Slack door's bench: an app that trusts the tests' signing secret, a stand-in for Slack's
response_url, and a driver that talks to the app as Slack does and checks every message it gets back."""
from __future__ import annotations

import http.server
import json
import queue
import threading
import time
import urllib.parse
from types import SimpleNamespace

import pytest
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)

from authdoctor.web import create_app


def check_message(msg: dict) -> None:
    """Re-build every block with slack_sdk and check Slack's limits by hand as well."""
    assert isinstance(msg.get("text"), str) and msg["text"].strip(), "every message needs a text fallback"
    blocks = msg.get("blocks", [])
    assert 0 < len(blocks) <= 50
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    for b in blocks:
        parsed = Block.parse(b)
        assert isinstance(parsed, (SectionBlock, ContextBlock, ActionsBlock, DividerBlock, HeaderBlock)), b
        assert parsed.to_dict() == b  # to_dict() runs slack_sdk's own validators too
        assert len(b.get("block_id", "")) <= 255
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= 3000
            assert b["text"]["text"].count("```") % 2 == 0, "a cut must not leave a code fence open"
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= 150
        if b["type"] == "context":
            assert len(b["elements"]) <= 10
        if b["type"] == "actions":
            assert 0 < len(b["elements"]) <= 25
            ids = [e["action_id"] for e in b["elements"]]
            assert len(ids) == len(set(ids))
            for e in b["elements"]:
                assert len(e["text"]["text"]) <= 75
                assert len(e["value"]) <= 2000
                assert len(e["action_id"]) <= 255


class Slack:
    """Talks to the app as Slack does: signed form posts, the slash command, button clicks."""

    def __init__(self, client, signature):
        self.client, self.signature = client, signature

    def on(self, client) -> Slack:
        """The same driver, talking to another app."""
        return Slack(client, self.signature)

    # --- what Slack sends ------------------------------------------------------------

    @staticmethod
    def escape(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    @staticmethod
    def command_body(text: str, response_url: str = "https://hooks.slack.com/commands/T1/1/x") -> str:
        return urllib.parse.urlencode({
            "token": "deprecated", "team_id": "T0001", "team_domain": "acme", "channel_id": "C0001",
            "channel_name": "infra", "user_id": "U0001", "user_name": "dev", "command": "/authdoctor",
            "text": text, "api_app_id": "A0001", "response_url": response_url, "trigger_id": "1.2.3",
        })

    def post(self, path: str, body: str, headers: dict | None = None):
        """A form post, signed for its body unless other headers are given."""
        return self.client.post(path, data=body, content_type="application/x-www-form-urlencoded",
                                headers=self.signature(body) if headers is None else headers)

    def command(self, text: str):
        """`/authdoctor <text>`; a 200 answer must be a valid Slack message."""
        resp = self.post("/slack/commands", self.command_body(text))
        if resp.status_code == 200:
            check_message(resp.get_json())
        return resp

    def click(self, button: dict, response_url: str, user: str = "U0001"):
        payload = {
            "type": "block_actions", "team": {"id": "T0001", "domain": "acme"}, "user": {"id": user, "name": "dev"},
            "api_app_id": "A0001", "container": {"type": "message", "is_ephemeral": True},
            "trigger_id": "1.2.3", "response_url": response_url,
            "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "x",
                         "value": button["value"], "action_ts": str(time.time())}],
        }
        return self.post("/slack/interactions", urllib.parse.urlencode({"payload": json.dumps(payload)}))

    def shortcut(self, message: dict, response_url: str, callback_id: str = "diagnose_message", user: str = "U0001"):
        """The message shortcut ("Diagnose with AuthDoctor") on `message`, as Slack posts it."""
        payload = {
            "type": "message_action", "callback_id": callback_id, "trigger_id": "1.2.3", "action_ts": str(time.time()),
            "team": {"id": "T0001", "domain": "acme"}, "user": {"id": user, "name": "dev"},
            "channel": {"id": "C0001", "name": "infra"}, "message_ts": message.get("ts", "1.1") if isinstance(message, dict) else "1.1",
            "message": message, "response_url": response_url,
        }
        return self.post("/slack/interactions", urllib.parse.urlencode({"payload": json.dumps(payload)}))

    def api(self, error: str, hints: dict | None = None) -> dict:
        """The JSON API's answer to the same paste: what the Slack door must agree with."""
        resp = self.client.post("/api/v1/diagnose", json={"error": error, **({"hints": hints} if hints else {})})
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    # --- reading what comes back -------------------------------------------------------

    @staticmethod
    def buttons(msg: dict) -> dict[str, dict]:
        return {e["action_id"]: e for b in msg["blocks"] if b["type"] == "actions" for e in b["elements"]}

    @staticmethod
    def cause_ids(msg: dict) -> list[str]:
        return [b["block_id"].split(":", 2)[2] for b in msg["blocks"] if b.get("block_id", "").startswith("cause:")]

    @classmethod
    def leading_cause(cls, msg: dict):
        ids = cls.cause_ids(msg)
        return ids[0] if ids else None

    @staticmethod
    def posted(server, timeout: float = 10) -> dict:
        """The next message the app posted to the response_url server: a valid Slack message in JSON."""
        item = server.posts.get(timeout=timeout)
        assert item["content_type"].startswith("application/json")
        msg = json.loads(item["body"])
        check_message(msg)
        return {**item, "json": msg}


# --- fixtures ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def app(slack_secret):
    """One app for the module (loading the KB is the slow part); tests that patch it use monkeypatch."""
    return create_app(test_config={"SLACK_SIGNING_SECRET": slack_secret, "RATELIMIT_ENABLED": False,
                                   # response_url goes to the local recorder below, not to Slack
                                   "SLACK_RESPONSE_URL_PREFIXES": ("http://127.0.0.1:",)})


@pytest.fixture
def slack(client, slack_signature):
    return Slack(client, slack_signature)


@pytest.fixture
def diagnoses(app, monkeypatch):
    """Counts calls into the engine, to prove a refused request never reached it."""
    doctor = app.extensions["authdoctor"]
    calls = []
    real = doctor.diagnose

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(doctor, "diagnose", counting)
    return calls


class _Recorder(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.posts.put({"path": self.path, "content_type": self.headers.get("Content-Type"), "body": body})
        time.sleep(self.server.delay)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def response_server():
    """A real HTTP server on 127.0.0.1 standing in for Slack's response_url."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.posts, server.delay = queue.Queue(), 0.0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/actions/T0001/42/abc"
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


# --- pastes ------------------------------------------------------------------------

@pytest.fixture(scope="session")
def error_block(icti_provider):
    """The InvalidClientTokenId error block as Terraform prints it, status line and source lines included."""
    return (icti_provider + "\n"
            "\tstatus code: 403, request id: 7e6d5c4b-3a29-1807-f6e5-d4c3b2a19080\n\n"
            "  on main.tf line 1, in provider \"aws\":\n   1: provider \"aws\" {")


@pytest.fixture(scope="session")
def leaked():
    """An access key pair, as people paste it by mistake."""
    return SimpleNamespace(key_id="AKIAJ7Q2ZK4XW3N5PLMD", secret="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")


@pytest.fixture(scope="session")
def secret_paste(error_block, leaked):
    """The error block with the key pair pasted under it: labelled, as a variable, and bare."""
    return f"{error_block}\naws_access_key_id = {leaked.key_id}\nAWS_SECRET_ACCESS_KEY={leaked.secret}\n{leaked.secret}"


@pytest.fixture(scope="session")
def ci_log():
    """ci_log(size, error) -> a CI log of about `size` bytes with `error` in its middle."""
    def log(size: int, error: str) -> str:
        line = "2024-05-01T10:00:{:02d}.1234567Z   Downloading registry.terraform.io/hashicorp/aws 5.49.0 ... {}\n"
        half = [line.format(i % 60, "." * 40) for i in range(size // 2 // 120)]
        return "".join(half) + "##[error]" + error + "\n" + "".join(half) + "Error: Process completed with exit code 1.\n"
    return log
