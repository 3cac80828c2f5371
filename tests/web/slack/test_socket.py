"""Socket Mode: Slack's requests over the websocket run through the HTTP door's own views, no signing secret."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from authdoctor.web import create_app
from authdoctor.web.slack.socket import SocketDoor


class Acks:
    """What a SocketModeClient would send back to Slack: the listener's acknowledgements."""

    def __init__(self):
        self.sent: list[SocketModeResponse] = []

    def send_socket_mode_response(self, response):
        self.sent.append(response)


@pytest.fixture(scope="module")
def socket_app():
    # no signing secret: the socket was opened with the app-level token, nothing is signed
    return create_app(test_config={"SLACK_SIGNING_SECRET": None, "RATELIMIT_ENABLED": False,
                                   "SLACK_RESPONSE_URL_PREFIXES": ("http://127.0.0.1:",)})


def _command(text, user="U0001", envelope="e1"):
    return SocketModeRequest(type="slash_commands", envelope_id=envelope, payload={
        "team_id": "T0001", "user_id": user, "command": "/authdoctor", "text": text, "channel_id": "C1",
        "response_url": "https://hooks.slack.com/commands/T0001/1/x", "trigger_id": "1.2.3"})


def test_a_slash_command_is_answered_in_its_acknowledgement(socket_app, error_block):
    acks = Acks()
    SocketDoor(socket_app)(acks, _command(error_block))
    (ack,) = acks.sent
    assert ack.envelope_id == "e1"
    assert ack.payload["response_type"] == "ephemeral" and "InvalidClientTokenId" in json.dumps(ack.payload)


def test_the_socket_answer_is_the_http_doors_answer(socket_app, slack, error_block):
    ack = SocketDoor(socket_app).answer(_command(error_block))
    assert _blocks(ack.payload) == _blocks(slack.command(error_block).get_json())


def _blocks(msg):
    return [b for b in msg["blocks"] if b["type"] != "actions"]


def test_a_button_click_is_acknowledged_and_answered_at_its_response_url(socket_app, slack, error_block, response_server):
    answer = SocketDoor(socket_app).answer(_command(error_block)).payload
    button = next(iter(slack.buttons(answer).values()))
    click = SocketModeRequest(type="interactive", envelope_id="e2", payload={
        "type": "block_actions", "team": {"id": "T0001"}, "user": {"id": "U0001"}, "response_url": response_server.url,
        "actions": [{"type": "button", "action_id": button["action_id"], "value": button["value"], "block_id": "x"}]})
    acks = Acks()
    SocketDoor(socket_app)(acks, click)
    assert acks.sent[0].envelope_id == "e2" and acks.sent[0].payload is None
    assert "InvalidClientTokenId" in json.dumps(slack.posted(response_server)["json"])


def test_other_envelopes_are_acknowledged_with_nothing(socket_app):
    ack = SocketDoor(socket_app).answer(SocketModeRequest(type="events_api", envelope_id="e3", payload={"event": {}}))
    assert (ack.envelope_id, ack.payload) == ("e3", None)


def test_the_users_limit_holds_over_the_socket_too(slack_secret, error_block):
    app = create_app(test_config={"RATELIMIT_ENABLED": True, "RATELIMIT_SLACK_USER": "1 per minute"})
    door = SocketDoor(app)
    first, second = door.answer(_command(error_block)), door.answer(_command(error_block, envelope="e9"))
    assert "InvalidClientTokenId" in json.dumps(first.payload) and second.payload["text"].startswith("Slow down")


def test_a_socket_request_header_cannot_pass_for_one_over_http(slack, error_block):
    # the marker lives in the WSGI environ, where no header can put it
    resp = slack.post("/slack/commands", slack.command_body(error_block), headers={"Authdoctor-Slack-Socket-Mode": "true"})
    assert resp.status_code == 401


def test_the_socket_command_without_an_app_token_says_which_variable_to_set(tmp_path):
    root = Path(__file__).resolve().parents[3]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHDOCTOR_")} | {"PYTHONPATH": str(root / "src")}
    r = subprocess.run([sys.executable, "-m", "authdoctor", "slack-socket"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert r.returncode == 2 and "AUTHDOCTOR_SLACK_APP_TOKEN" in r.stderr


SLACK = Path(__file__).resolve().parents[3] / "slack"


def _manifest(name):
    import yaml
    return yaml.safe_load((SLACK / name).read_text())


def test_the_socket_mode_manifest_turns_socket_mode_on_and_gives_no_url():
    m = _manifest("manifest-socket.yaml")
    assert m["settings"]["socket_mode_enabled"] is True and m["settings"]["interactivity"]["is_enabled"] is True
    assert "request_url" not in m["settings"]["interactivity"]
    assert all("url" not in c for c in m["features"]["slash_commands"])


def test_the_socket_mode_manifest_declares_the_same_command_and_shortcut_as_the_http_one():
    def strip(m):
        commands = [{k: v for k, v in c.items() if k != "url"} for c in m["features"]["slash_commands"]]
        return commands, m["features"]["shortcuts"], m["oauth_config"]
    assert strip(_manifest("manifest-socket.yaml")) == strip(_manifest("manifest.yaml"))


def test_every_request_the_socket_mode_manifest_brings_has_a_route_in_the_door():
    from authdoctor.web.slack.socket import PATHS
    m = _manifest("manifest-socket.yaml")
    brings = {"slash_commands"} if m["features"]["slash_commands"] else set()
    if m["settings"]["interactivity"]["is_enabled"]:
        brings.add("interactive")
    assert brings <= set(PATHS)
