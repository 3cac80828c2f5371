"""Slack's Socket Mode: the /authdoctor command and its buttons over a websocket the server opens to
Slack, for teams that cannot expose a public HTTPS URL (`authdoctor slack-socket`).

Each request Slack sends down the socket is run through the very views the
HTTP door uses (views.py: the same parsing, limits, diagnosis, replies, log
line and metrics), as a request marked in its WSGI environ as coming over
the socket: the connection was opened with the app-level token, so there is
no signing secret to check. A slash command's answer rides back in the
acknowledgement; a button's answer goes to its response_url, as over HTTP.
"""
from __future__ import annotations

import json
import logging
import threading
from typing import Any, Protocol

from flask import Flask
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from .views import SOCKET_MODE

log = logging.getLogger("authdoctor.slack")

PATHS = {"slash_commands": "/slack/commands", "interactive": "/slack/interactions"}


class Acknowledger(Protocol):
    def send_socket_mode_response(self, response: SocketModeResponse | dict[str, Any]) -> None: ...


class SocketDoor:
    """Answers SocketModeRequests with the Slack door's own views."""

    def __init__(self, app: Flask):
        self.app = app

    def answer(self, req: SocketModeRequest) -> SocketModeResponse:
        """The acknowledgement for `req`, with the command's answer in it when there is one."""
        path = PATHS.get(req.type)
        payload = req.payload if isinstance(req.payload, dict) else None
        if path is None or payload is None:
            return SocketModeResponse(envelope_id=req.envelope_id)  # events and the like: nothing is wired up
        if req.type == "slash_commands":
            form = {k: v for k, v in payload.items() if isinstance(v, str)}
        else:
            form = {"payload": json.dumps(payload)}
        with self.app.test_request_context(path, method="POST", data=form, environ_base={SOCKET_MODE: True}):
            resp = self.app.full_dispatch_request()
        if resp.status_code == 200 and resp.is_json and req.type == "slash_commands":
            return SocketModeResponse(envelope_id=req.envelope_id, payload=resp.get_json())
        if resp.status_code != 200:
            log.warning("a Socket Mode %s was refused with %s", req.type, resp.status_code)
        return SocketModeResponse(envelope_id=req.envelope_id)

    def __call__(self, client: Acknowledger, req: SocketModeRequest) -> None:
        """A listener for slack_sdk's SocketModeClient."""
        client.send_socket_mode_response(self.answer(req))


def run(app: Flask, app_token: str) -> None:  # pragma: no cover - opens a connection to Slack
    from slack_sdk.socket_mode import SocketModeClient
    from slack_sdk.web import WebClient

    client = SocketModeClient(app_token=app_token, web_client=WebClient(), logger=logging.getLogger("authdoctor.slack.socket"))
    client.socket_mode_request_listeners.append(SocketDoor(app))
    client.connect()
    log.info("connected to Slack in Socket Mode")
    threading.Event().wait()
