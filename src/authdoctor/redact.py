"""Mask secrets before anything else sees the paste.

Runs first in the pipeline, so that nothing after it (logs, matcher, stored
answers, pages, Slack) can hold a secret. Only the *kind* of each secret and a
few harmless facts survive: the four-letter prefix of an access key id (AKIA /
ASIA tells long-term from temporary keys) and that a session token was present.

Where the patterns come from:

- gitleaks' default rules (config/gitleaks.toml): aws-access-token (A3T?, AKIA,
  ASIA, ABIA, ACCA), hashicorp-tf-api-token (`<14>.atlasv1.<60-70>`),
  github-pat / github-fine-grained-pat / github-oauth / github-app-token /
  github-refresh-token, slack-bot-token / slack-user-token / slack-app-token /
  slack-legacy-* / slack-webhook-url, private-key, jwt; and the other IAM
  unique-id prefixes AWS documents (AGPA, AIDA, AIPA, ANPA, ANVA, APKA, AROA,
  ASCA) that gitleaks' earlier AWS rule also matched.
- truffleHog's AWS detector for the secret key's shape: 40 characters of
  base64, here only where it stands alone and looks random (not hex like a git
  SHA, not part of a longer blob like an S3 host id).
- AWS STS session tokens by the base64 prefixes every one of them starts with
  (IQoJb3JpZ2lu, FwoGZXIvYXdz, FQoGZXIvYXdz, AQoDYXdz, AgoJb3JpZ2lu).
- Assignments, masked by the name whatever the value looks like:
  `aws_secret_access_key = ...`, `"SecretAccessKey": "..."`,
  `AWS_SESSION_TOKEN=...`, `TFE_TOKEN=` / `ATLAS_TOKEN=` / `TF_TOKEN_<host>=`,
  `GITHUB_TOKEN=`, HCL/JSON `token = "..."` (an AWS session token inside a
  `provider "aws"` block, a Terraform Cloud token elsewhere), and gitleaks'
  generic-api-key idea: `*_TOKEN=` / `*_SECRET=` / `*_PASSWORD=` / `*_API_KEY=`.

Never masked: request ids (UUIDs), S3 host ids, git SHAs, ARNs, account ids.
Prefixed tokens are found even glued to other text (no word boundary needed):
a leaked secret costs far more than a masked word.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# gitleaks aws-access-token, then the IAM unique-id prefixes it used to match
KEY_ID_PREFIXES = ("A3T", "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "APKA", "AROA", "ASCA")
_KEY_ID = re.compile(r"((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16})")

_ASSIGN_SEP = r"""["']?\s*(?:=|:|=>|:=)\s*["']?"""
# `=`-style only (env, shell, HCL): "Token: ExpiredToken" in an error is prose, not a secret
_EQ_SEP = r"""["']?[ \t]*(?:=|:=|=>)[ \t]*["']?"""
_SECRET_NAMES = r"(?:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key|secretaccesskey|secret_?key|aws_?secret)"
_TOKEN_NAMES = r"(?:aws_?session_?token|aws_?security_?token|session_?token|sessiontoken|security_?token|x-amz-security-token)"
_KEYID_NAMES = r"(?:aws_?access_?key_?id|access_?key_?id|accesskeyid|aws_?access_?key|access_?key)"
_TFC_NAMES = r"(?:TFE_TOKEN|ATLAS_TOKEN|TFC_TOKEN|TF_API_TOKEN|TF_CLOUD_TOKEN|TF_TOKEN_[A-Za-z0-9_-]+)"
_GH_NAMES = r"(?:GITHUB_TOKEN|GH_TOKEN|GITHUB_PAT|GH_ENTERPRISE_TOKEN)"
_GENERIC_NAMES = r"(?:[A-Za-z0-9]+[_.-])*(?:token|secret|password|passwd|pwd|api[_-]?key|apikey|auth[_-]?key|client[_-]?secret)"
# a value, not a reference to one ($VAR, ${{ secrets.X }}, <your-token>) nor one
# already elided by the person pasting ("FQo...vgU=")
_VALUE = r"""(?![$<{*])(?![^\s"'`,;]*(?:\.\.\.|\u2026))([^\s"'`,;]{8,})"""

# The label may hold single hyphens but never a run of them: with "-" free in it, an
# END line glued to the next block's BEGIN line ("...KEY----------BEGIN ...") would read
# as one long END label, leaving the second block's body in the clear.
_PEM_LABEL = r"(?:[ A-Z0-9_]|-(?!-)){0,100}"
_PEM_BEGIN = r"-----BEGIN" + _PEM_LABEL + r"PRIVATE KEY(?: BLOCK)?-----"
_PEM_END = r"-----END" + _PEM_LABEL + r"PRIVATE KEY(?: BLOCK)?-----"

_RULES: list[tuple[str, re.Pattern[str], int]] = [
    # (kind, pattern, group to mask) -- order matters: the most specific first,
    # so a token pasted as GITHUB_TOKEN=ghp_... is named for what it is
    ("private-key", re.compile(_PEM_BEGIN + r"[\s\S]{0,20000}?" + _PEM_END), 0),
    # cut off before its END line (a truncated paste): the header and every key-ish line after it
    ("private-key", re.compile(_PEM_BEGIN + r"(?:\s+(?:(?:Proc-Type|DEK-Info):[^\n]*|[A-Za-z0-9+/=]{8,}(?!\S)))*"), 0),
    ("terraform-cloud-token", re.compile(r"([A-Za-z0-9]{14}\.(?i:atlasv1)\.[A-Za-z0-9=_-]{60,})"), 1),
    ("github-token", re.compile(r"((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})"), 1),
    ("slack-token", re.compile(r"(xox[abeoprs]-[0-9A-Za-z-]{10,250}|(?i:xapp)-\d-[A-Za-z0-9-]{10,250})"), 1),
    ("slack-webhook", re.compile(r"(hooks\.slack(?:-gov)?\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,})"), 1),
    ("jwt", re.compile(r"(ey[A-Za-z0-9_-]{17,}\.ey[A-Za-z0-9_/-]{17,}\.[A-Za-z0-9_/-]{10,}={0,2})"), 1),
    # STS session tokens: base64 of a serialised blob that always starts the same way
    ("aws-session-token", re.compile(r"((?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz|AQoDYXdz|AgoJb3JpZ2lu)[A-Za-z0-9/+=]{40,})"), 1),
    ("aws-access-key-id", _KEY_ID, 1),
    ("aws-session-token", re.compile(r"(?i)" + _TOKEN_NAMES + _ASSIGN_SEP + r"([A-Za-z0-9/+=%]{16,})"), 1),
    ("aws-secret-access-key", re.compile(r"(?i)" + _SECRET_NAMES + _ASSIGN_SEP + r"([A-Za-z0-9/+=]{16,})"), 1),
    # `aws configure set aws_secret_access_key <value>`
    ("aws-secret-access-key", re.compile(r"(?i)" + _SECRET_NAMES + r"""["']?\s+["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"""), 1),
    ("aws-access-key-id", re.compile(r"(?i)" + _KEYID_NAMES + _ASSIGN_SEP + r"([A-Z0-9]{16,32})(?![A-Za-z0-9])"), 1),
    ("terraform-cloud-token", re.compile(r"(?i)(?<![A-Za-z0-9_])" + _TFC_NAMES + _ASSIGN_SEP + _VALUE), 1),
    ("github-token", re.compile(r"(?i)(?<![A-Za-z0-9_])" + _GH_NAMES + _ASSIGN_SEP + _VALUE), 1),
    # HCL `token = "..."` and JSON `"token": "..."` (credentials.tfrc.json): a quoted value
    ("token", re.compile(r"""(?i)(?<![A-Za-z0-9_.-])["']?token["']?[ \t]*(?:=|:)[ \t]*["'](?![$<{*])([^\s"'`]{8,})["']"""), 1),
    ("secret", re.compile(r"(?i)(?<![A-Za-z0-9])" + _GENERIC_NAMES + _EQ_SEP + _VALUE), 1),
    ("secret", re.compile(r"""(?i)["']""" + _GENERIC_NAMES + r"""["'][ \t]*:[ \t]*["']""" + _VALUE), 1),
]

# truffleHog's AWS secret shape, unlabelled: 40 base64 characters standing alone.
# Not hex (git SHAs), not part of a longer blob (S3 host ids are 76+ and end in '=').
_BARE_SECRET = re.compile(r"(?<![A-Za-z0-9/+=_.-])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=_-])")

# The nearest block a bare `token = "..."` sits in decides what it is.
_BLOCK = re.compile(r'provider\s+"[^"\n]*"|credentials\s+"[^"\n]*"|\bcloud\s*\{|backend\s+"remote"')


def _looks_like_secret(s: str) -> bool:
    # Random base64 has both cases and a digit or / or + in 40 characters all
    # but ~2.5e-4 of the time; CamelCase words and lower-case paths have not.
    if re.fullmatch(r"[0-9a-fA-F]{40}", s):
        return False
    return bool(re.search(r"[a-z]", s) and re.search(r"[A-Z]", s) and re.search(r"[0-9/+]", s))


@dataclass(frozen=True)
class Redaction:
    """A paste with its secrets masked, and what the secrets told before they went."""
    text: str
    kinds: tuple[str, ...] = ()
    key_prefix: str | None = None  # AKIA or ASIA: long-term or temporary keys
    has_session_token: bool = False


def _placeholder(kind: str, value: str) -> str:
    if kind == "aws-access-key-id":
        prefix = next((p for p in KEY_ID_PREFIXES if value.startswith(p)), "")
        return f"{prefix}****REDACTED****" if prefix else "****REDACTED-KEY-ID****"
    return f"****REDACTED-{kind.upper()}****"


def _token_kind(text: str, pos: int) -> str:
    blocks = list(_BLOCK.finditer(text, 0, pos))
    if blocks and re.fullmatch(r'provider\s+"aws"', blocks[-1].group(0)):
        return "aws-session-token"  # the AWS provider's `token` argument
    return "terraform-cloud-token"


def redact(text: str) -> Redaction:
    kinds: list[str] = []
    prefix = None
    token = False

    def note(kind: str) -> None:
        nonlocal token
        if kind == "aws-session-token":
            token = True
        if kind not in kinds:
            kinds.append(kind)

    def apply(kind: str, pattern: re.Pattern[str], group: int, text: str) -> str:
        def repl(m: re.Match[str]) -> str:
            nonlocal prefix
            value: str = m.group(group)
            whole: str = m.group(0)
            if "REDACTED" in value:
                return whole
            found = _token_kind(text, m.start()) if kind == "token" else kind
            if found == "aws-access-key-id":
                p = value[:4]
                if p in ("AKIA", "ASIA") and prefix is None:
                    prefix = p
            note(found)
            start, end = m.span(group)
            s0 = m.start(0)
            return whole[: start - s0] + _placeholder(found, value) + whole[end - s0:]

        return pattern.sub(repl, text)

    for kind, pattern, group in _RULES:
        text = apply(kind, pattern, group, text)

    def bare(m: re.Match[str]) -> str:
        value: str = m.group(1)
        if not _looks_like_secret(value):
            return value
        note("aws-secret-access-key")
        return _placeholder("aws-secret-access-key", value)

    text = _BARE_SECRET.sub(bare, text)
    return Redaction(text=text, kinds=tuple(kinds), key_prefix=prefix, has_session_token=token)
