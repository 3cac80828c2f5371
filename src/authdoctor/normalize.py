"""Fold what varies between two pastes of the same error, keep what tells errors apart.

Request ids, host ids, UUIDs, ARNs, account ids, timestamps and CI log prefixes
go; error codes, service names, regions and `sts:` actions stay (Sentry #68355:
mask what varies, never what discriminates). The KB's variant texts pass
through the same function, so both sides meet in one form.
"""
from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
# colour codes whose ESC was lost in a copy from a CI page: "[0m", "[1;31m"
_ANSI_LEFTOVER = re.compile(r"\[\d{1,3}(?:;\d{1,3})*m")
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CI_PREFIX = re.compile(
    r"^\s*(?:"
    r"\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]?"  # ISO stamps (Actions, Jenkins)
    r"|\d{2}:\d{2}:\d{2}(?:\.\d+)?"                                                      # bare clock
    r"|##\[(?:error|warning|group|endgroup|debug)\]"                                     # GitHub Actions commands
    r"|(?:ERRO|WARN|INFO|DEBU)\[\d+\]"                                                   # logrus (Terragrunt)
    r")\s*", re.I)
_BOX = re.compile(r"[│╷╵┃┆╎|]")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "`": "'"})
_MASKS = [
    (re.compile(r"\b(?:status ?code:?\s*\d{3},?\s*)?request ?id:?\s*[\w#*<>-]*,?", re.I), " "),
    (re.compile(r"\bhost ?id:?\s*[A-Za-z0-9+/=]+", re.I), " "),
    (re.compile(r"<(?:RequestId|HostId)>[^<]*</(?:RequestId|HostId)>", re.I), " "),
    (re.compile(r"\bstatus ?code:?\s*\d{3}\b,?", re.I), " "),
    # AWS-managed policy names tell causes apart (AWSCompromisedKeyQuarantineV3); other ARNs only vary
    (re.compile(r"\barn:aws[\w-]*:iam::aws:policy/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)"), r"aws-managed-policy \1"),
    (re.compile(r"\barn:aws[\w-]*:[^\s\"',)\]]+"), "<arn>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<id>"),
    (re.compile(r"\b\d{8}T\d{6}Z\b"), "<time>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"\b\d{12}\b"), "<account>"),
    (re.compile(r"\b[0-9a-f]{16,}\b", re.I), "<hex>"),
    (re.compile(r"(?<![\w/+])[A-Za-z0-9+/]{48,}={0,2}(?![\w/+=])"), "<blob>"),
    (re.compile(r"(?:/Users|/home|C:\\Users)[/\\][^/\\\s]+"), "~"),
]
_SPACE = re.compile(r"[ \t\r\f\v]+")


def normalize_lines(text: str) -> list[str]:
    """The normalised, non-empty lines of `text`, in order."""
    text = _ANSI.sub("", text)
    text = _ANSI_LEFTOVER.sub("", text)
    text = text.translate(_QUOTES)
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue  # nothing in a blank line survives the folding; skip the work
        line = _CTRL.sub(" ", line)
        line = _CI_PREFIX.sub("", line)
        line = _BOX.sub(" ", line)
        for pattern, repl in _MASKS:
            line = pattern.sub(repl, line)
        line = _SPACE.sub(" ", line).strip().lower()
        if line:
            out.append(line)
    return out


def normalize(text: str) -> str:
    """One folded line: what the matcher compares."""
    return " ".join(normalize_lines(text))
