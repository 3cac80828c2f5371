"""Mask secrets before anything else sees the paste.

Runs first in the pipeline, so that nothing after it (logs, matcher, stored
answers, pages, Slack) can hold a secret. Only the *kind* of each secret and a
few harmless facts survive: the four-letter prefix of an access key id (AKIA /
ASIA tells long-term from temporary keys) and that a session token was present.

Patterns follow gitleaks' default rules (config/gitleaks.toml: aws-access-token,
hashicorp-tf-api-token, github-pat / github-fine-grained-pat / github-oauth /
github-app-token, slack-bot-token / slack-user-token / slack-app-token /
slack-webhook-url, private-key) and truffleHog's AWS detector for the secret
key's shape (40 characters of base64). Assignment-style lines
(`aws_secret_access_key = ...`, `"SecretAccessKey": "..."`) are masked by key
name whatever the value looks like.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# gitleaks aws-access-token: every documented unique-id prefix, not only AKIA/ASIA
KEY_ID_PREFIXES = ("A3T", "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "APKA", "AROA", "ASCA")
_KEY_ID = re.compile(r"(?<![A-Za-z0-9])((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16})(?![A-Za-z0-9])")

_ASSIGN_SEP = r"""["']?\s*(?:=|:|=>|:=)\s*["']?"""
_SECRET_NAMES = r"(?:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key|secretaccesskey|secret_?key|aws_?secret)"
_TOKEN_NAMES = r"(?:aws_?session_?token|aws_?security_?token|session_?token|sessiontoken|security_?token|x-amz-security-token)"
_KEYID_NAMES = r"(?:aws_?access_?key_?id|access_?key_?id|accesskeyid|aws_?access_?key|access_?key)"

_RULES: list[tuple[str, re.Pattern, int]] = [
    # (kind, pattern, group to mask) — order matters: the most specific first
    ("private-key", re.compile(r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,20000}?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----"), 0),
    ("aws-session-token", re.compile(r"(?i)" + _TOKEN_NAMES + _ASSIGN_SEP + r"([A-Za-z0-9/+=%]{16,})"), 1),
    ("aws-secret-access-key", re.compile(r"(?i)" + _SECRET_NAMES + _ASSIGN_SEP + r"([A-Za-z0-9/+=]{16,})"), 1),
    ("aws-secret-access-key", re.compile(r"(?i)" + _SECRET_NAMES + r"""["']?\s+["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"""), 1),
    ("terraform-cloud-token", re.compile(r"(?<![A-Za-z0-9])([A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9=_-]{60,70})(?![A-Za-z0-9=_-])"), 1),
    ("github-token", re.compile(r"(?<![A-Za-z0-9_])((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})"), 1),
    ("slack-token", re.compile(r"(?<![A-Za-z0-9])(xox[baprse]-[0-9A-Za-z-]{10,250}|xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)"), 1),
    ("slack-webhook", re.compile(r"(hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,})"), 1),
    # long STS session tokens start with these base64 prefixes (IQoJb3JpZ2lu = "!\t\toriginx", FwoGZXIvYXdz = "...er/aws")
    ("aws-session-token", re.compile(r"(?<![A-Za-z0-9/+])((?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz|AQoDYXdz|AgoJb3JpZ2lu)[A-Za-z0-9/+=]{40,})"), 1),
    ("aws-access-key-id", _KEY_ID, 1),
    ("aws-access-key-id", re.compile(r"(?i)" + _KEYID_NAMES + _ASSIGN_SEP + r"([A-Z0-9]{16,32})(?![A-Za-z0-9])"), 1),
]

# truffleHog's AWS secret shape, unlabelled: 40 base64 characters standing alone.
# Not hex (git SHAs), not part of a longer blob (S3 host ids are 76+ and end in '=').
_BARE_SECRET = re.compile(r"(?<![A-Za-z0-9/+=_.-])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=_-])")


def _looks_like_secret(s: str) -> bool:
    if re.fullmatch(r"[0-9a-fA-F]{40}", s):
        return False
    return bool(re.search(r"[a-z]", s) and re.search(r"[A-Z]", s) and re.search(r"[0-9]", s))


@dataclass
class Redaction:
    text: str
    kinds: list[str] = field(default_factory=list)
    key_prefix: str | None = None
    has_session_token: bool = False

    @property
    def found(self) -> bool:
        return bool(self.kinds)


def _placeholder(kind: str, value: str) -> str:
    if kind == "aws-access-key-id":
        prefix = next((p for p in KEY_ID_PREFIXES if value.startswith(p)), "")
        return f"{prefix}****REDACTED****" if prefix else "****REDACTED-KEY-ID****"
    return f"****REDACTED-{kind.upper()}****"


def redact(text: str) -> Redaction:
    kinds: list[str] = []
    prefix = None
    token = False

    def apply(kind: str, pattern: re.Pattern, group: int, text: str) -> str:
        nonlocal prefix, token

        def repl(m: re.Match) -> str:
            nonlocal prefix, token
            value = m.group(group)
            if "REDACTED" in value:
                return m.group(0)
            if kind == "aws-access-key-id":
                p = value[:4]
                if p in ("AKIA", "ASIA") and prefix is None:
                    prefix = p
            if kind == "aws-session-token":
                token = True
            if kind not in kinds:
                kinds.append(kind)
            start, end = m.span(group)
            s0 = m.start(0)
            whole = m.group(0)
            return whole[: start - s0] + _placeholder(kind, value) + whole[end - s0:]

        return pattern.sub(repl, text)

    for kind, pattern, group in _RULES:
        text = apply(kind, pattern, group, text)

    def bare(m: re.Match) -> str:
        value = m.group(1)
        if not _looks_like_secret(value):
            return value
        if "aws-secret-access-key" not in kinds:
            kinds.append("aws-secret-access-key")
        return _placeholder("aws-secret-access-key", value)

    text = _BARE_SECRET.sub(bare, text)
    return Redaction(text=text, kinds=kinds, key_prefix=prefix, has_session_token=token)
