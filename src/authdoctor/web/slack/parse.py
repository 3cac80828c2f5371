"""Turn what a Slack user typed after /authdoctor into hints and an error text.

Slack sends the message as markup, not as typed: `&`, `<` and `>` arrive as
entities, URLs it auto-linked arrive as `<url|label>`, and people wrap pastes
in code fences. All of that is undone here, so the engine sees what the
terminal printed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ...redact import Redaction, redact

# The API's own bound; the Slack door reads more (256 KiB form bodies) but
# hands the engine no more than the API would accept.
MAX_ERROR_BYTES = 64 * 1024

# Slack markup: <https://x|label>, <https://x>, <@U123>, <#C123|name>, <!here>.
# Real angle brackets typed by the user arrive as &lt; &gt;, so any literal < >
# left in the text is Slack's own.
_LINK = re.compile(r"<([^<>|\n]*)(?:\|([^<>\n]*))?>")
# A fence's first line may name a language, which is not part of the paste.
_FENCE_LANG = re.compile(r"^(?:text|txt|plaintext|console|shell|sh|bash|zsh|log|hcl|terraform|tf|json|yaml|yml|xml|powershell|ps1)[ \t]*\n", re.I)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
# Hint tokens: key=value, key in lower case (AWS_PROFILE=... is part of a
# paste, not a hint) and the value unquoted (logrus' `time="..."` starts a paste).
_HINT = re.compile(r"\s*`?([a-z][a-z0-9_-]{0,39})=([^\s\"'`]+)`?(?=\s|$|```)")
# Lines worth keeping when a paste is too long: what the matcher looks for,
# plus Terraform's error box.
_ERRORISH = re.compile(r"error|denied|invalid|expired|unauthori[sz]ed|forbidden|credential|token|signature|"
                       r"status ?code|\b40[0-9]\b|exception|not authorized|[│╷╵]", re.I)
_CONTEXT_LINES = 5


@dataclass(frozen=True)
class Parsed:
    hints: dict                      # as typed (strings); the engine checks them
    # the error part: masked, unescaped, unfenced, at most 64 KiB, with what its
    # secrets told before masking; the engine takes it as it is and masks nothing twice
    paste: Redaction
    truncated_from: int | None = None  # bytes before truncation, when it was cut

    @property
    def error(self) -> str:
        return self.paste.text


def unescape_slack(text: str) -> str:
    def link(m: re.Match) -> str:
        target, label = m.group(1), m.group(2)
        if label is not None:
            return label
        if target[:1] in "@#!":
            return target  # a mention without a label: keep its id readable
        return target.removeprefix("mailto:")

    text = _LINK.sub(link, text)
    # &amp; last, so that a typed "&lt;" (sent as "&amp;lt;") stays "&lt;"
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def undo_fences(text: str) -> str:
    """The text with ``` fences and `inline code` marks removed, fenced content verbatim."""
    parts = text.split("```")
    if len(parts) % 2 == 0:
        # an unclosed fence: treat the rest as fenced, the usual slip when pasting
        parts.append("")
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            part = _FENCE_LANG.sub("", part, count=1)
            out.append("\n" + part.strip("\n") + "\n")
        else:
            out.append(_INLINE_CODE.sub(r"\1", part))
    return "".join(out).strip()


def split_hints(text: str) -> tuple[dict, str]:
    """Leading key=value tokens, and the rest. A code fence ends the hints."""
    hints = {}
    pos = 0
    while True:
        m = _HINT.match(text, pos)
        if not m:
            break
        key = m.group(1).lower().replace("-", "_")
        hints[key] = m.group(2)
        pos = m.end()
    return hints, text[pos:]


def keep_error_tail(text: str, limit: int = MAX_ERROR_BYTES) -> str:
    """At most `limit` UTF-8 bytes: the last error-like lines with their context.

    Terraform prints its error last, and a CI log piles noise before it, so
    the error-like lines near the end are what is worth keeping.
    """
    if len(text.encode("utf-8")) <= limit:
        return text
    lines = text.splitlines()
    keep: set[int] = set()
    for i, line in enumerate(lines):
        if _ERRORISH.search(line):
            keep.update(range(max(0, i - _CONTEXT_LINES), min(len(lines), i + _CONTEXT_LINES + 1)))
    picked = [lines[i] for i in sorted(keep)] if keep else lines
    out: list[str] = []
    size = 0
    for line in reversed(picked):
        n = len(line.encode("utf-8")) + 1
        if size + n > limit:
            if not out:  # one giant line: keep its end
                out.append(line.encode("utf-8")[-(limit - 1):].decode("utf-8", "ignore"))
            break
        out.append(line)
        size += n
    return "\n".join(reversed(out))


def parse(text: str) -> Parsed:
    """Redaction happens right after unescaping, before anything could keep or echo the text."""
    red = redact(unescape_slack(text or ""))
    hints, rest = split_hints(red.text)
    return _error_part(red, hints, rest)


def _error_part(red: Redaction, hints: dict, rest: str) -> Parsed:
    error = undo_fences(rest)
    size = len(error.encode("utf-8"))
    kept = keep_error_tail(error)
    return Parsed(hints=hints, paste=replace(red, text=kept), truncated_from=size if kept != error else None)


def _texts(node, out: list[str], depth: int = 0) -> None:
    """Every mrkdwn/plain text field of Block Kit blocks or legacy attachments, in order."""
    if depth > 12:  # Slack nests a few levels; a payload nested deeper is not a message
        return
    if isinstance(node, list):
        for item in node:
            _texts(item, out, depth + 1)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind in ("rich_text", "rich_text_section", "rich_text_preformatted", "rich_text_quote", "rich_text_list"):
        return  # a person's own message: its `text` already says the same
    if kind in ("actions", "button", "image", "overflow", "static_select", "datepicker"):
        return  # controls: labels and values, no error text
    # `value` is text only in a legacy attachment's field (no type); elsewhere it is a control's data
    for key in ("pretext", "title", "text", "footer") + (("value",) if kind is None else ()):
        value = node.get(key)
        if isinstance(value, str) and value.strip():
            out.append(value)
        elif isinstance(value, dict):
            _texts(value, out, depth + 1)
    for key in ("blocks", "fields", "elements", "attachments"):
        if key in node:
            _texts(node[key], out, depth + 1)


def message_text(message: dict) -> str:
    """The text of a Slack message as its payload carries it: its text, then its blocks' and attachments' texts.

    A bot's post (a CI failure) often says little in `text` and puts the log in
    sections or attachments; a person's message repeats its `text` as rich text.
    Each distinct text once, in order, still in Slack's markup.
    """
    pieces: list[str] = []
    if isinstance(message.get("text"), str):
        pieces.append(message["text"])
    _texts(message.get("blocks"), pieces)
    _texts(message.get("attachments"), pieces)
    seen: set[str] = set()
    out = []
    for piece in pieces:
        key = piece.strip()
        if key and key not in seen:
            seen.add(key)
            out.append(piece)
    return "\n".join(out)


def parse_message(message: dict) -> Parsed:
    """Someone's message as a paste (the message shortcut): no hints read from it, masked before anything else."""
    red = redact(unescape_slack(message_text(message)))
    return _error_part(red, {}, red.text)
