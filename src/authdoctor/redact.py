"""Mask secrets before anything else sees the paste.

Runs first in the pipeline, so that nothing after it (logs, matcher, stored
answers, pages, Slack) can hold a secret. Only the *kind* of each secret and a
few harmless facts survive: the four-letter prefix of an access key id (AKIA /
ASIA tells long-term from temporary keys) and that a session token was present.

How (issue 17, "secrets never come back"):

1. A canonical view of the paste is built, keeping for every canonical
   character the span of the original text it came from: URL (`%2F`), JSON
   (`\\/`, `\\n`, `\\u002B`) and HTML (`&#43;`) escapes decoded (twice, for
   double encoding), ANSI escapes, zero-width and other invisible characters
   dropped, compatibility forms (NFKC: full-width, mathematical letters) and
   look-alikes (Cyrillic and Greek letters, division slash) folded to ASCII,
   and hard-wrapped lines (a line of 40+ characters ending inside a base64 run
   that goes on at the start of the next one) joined.
2. The rules below run on that view; each match is a span of the canonical
   text, mapped back to the original, so what is masked is everything the
   secret was spelt with there (a span across a wrap or an escape masks all of
   it). Names match case-insensitively, and so do prefixes whose shape allows
   it (a lower-cased key id still has its prefix and 16 characters).
3. Last, the shape rule: any run of 40 base64 characters (`[A-Za-z0-9/+]`),
   whatever punctuation surrounds it, after path words glued to it
   (`s3://bucket/...`) are taken off, that looks random and is not plainly
   something else (hex, all letters, path words, an S3 host id or request id
   by its label, an ARN, part of a longer base64 blob).

Every pattern is linear: quantifiers are possessive, variable-length runs
start only at a run boundary or after a fixed literal, and what needs context
(the block a `token = "..."` sits in, a PEM block's END line) is looked up in
lists made once a call. 64 KiB of any content takes a few tens of ms at most
(`bench/secrets_leak.py --timing`).

Where the patterns come from:

- gitleaks' default rules (config/gitleaks.toml): aws-access-token (A3T?, AKIA,
  ASIA, ABIA, ACCA), hashicorp-tf-api-token (`<14>.atlasv1.<60-70>`),
  github-pat / github-fine-grained-pat / github-oauth / github-app-token /
  github-refresh-token, slack-bot-token / slack-user-token / slack-app-token /
  slack-legacy-* / slack-webhook-url, private-key, jwt; and the other IAM
  unique-id prefixes AWS documents (AGPA, AIDA, AIPA, ANPA, ANVA, APKA, AROA,
  ASCA) that gitleaks' earlier AWS rule also matched.
- truffleHog's AWS detector for the secret key's shape: 40 characters of
  base64 that look random.
- AWS STS session tokens by the base64 prefixes every one of them starts with
  (IQoJb3JpZ2lu, FwoGZXIvYXdz, FQoGZXIvYXdz, AQoDYXdz, AgoJb3JpZ2lu).
- Amazon Bedrock API keys: long-term `ABSK` + base64, short-term
  `bedrock-api-key-` + base64, and `AWS_BEARER_TOKEN_BEDROCK=`.
- Assignments, masked by the name whatever the value looks like:
  `aws_secret_access_key = ...`, `--secret-key=`, `fs.s3a.secret.key=`,
  `"SecretAccessKey": "..."`, `AWS_SESSION_TOKEN=...`, `X-Amz-Security-Token=`,
  `TFE_TOKEN=` / `ATLAS_TOKEN=` / `TF_TOKEN_<host>=`, `GITHUB_TOKEN=`, HCL/JSON
  `token = "..."` (an AWS session token inside a `provider "aws"` block, a
  Terraform Cloud token elsewhere), and gitleaks' generic-api-key idea: any name
  ending in token / secret / password / api key (`MY_TOKEN=`, `awsToken=`,
  `?secretToken=`).

Never masked: request ids (UUIDs), S3 host ids, git SHAs, ARNs, account ids.
Prefixed tokens are found even glued to other text (no word boundary needed):
a leaked secret costs far more than a masked word.
"""
from __future__ import annotations

import re
import string
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate

from .normalize import lines_holding

# gitleaks aws-access-token, then the IAM unique-id prefixes it used to match
KEY_ID_PREFIXES = ("A3T", "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "APKA", "AROA", "ASCA")
_KEY_ID_RE = r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}"

# --- the canonical view ------------------------------------------------------------------

_UNESCAPE = re.compile(
    r"(?:%[0-9A-Fa-f]{2})++"                                                  # URL, a run at a time (UTF-8)
    r"|(?:\\(?:u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|(?:0?33|e)(?=\[)|[/\"\\nrtbf']))++"   # JSON, shell
    r"|(?:&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|amp|lt|gt|quot|apos|sol|plus|equals|colon|percnt);)++")  # HTML
_ONE_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|x([0-9A-Fa-f]{2})|(0?33|e)|(.))"
                         r"|&(?:#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6})|(\w+));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "sol": "/", "plus": "+", "equals": "=",
          "colon": ":", "percnt": "%"}
_JSON = {"/": "/", '"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "'": "'"}
# ANSI CSI/OSC sequences (and a bare "[31m" whose ESC was lost), C0 controls, invisible
# format characters (zero-width, bidi, soft hyphen) and combining marks
_INVISIBLE = re.compile(
    r"\x1b\[[0-?]*+[ -/]*+[@-~]?|\x1b\][^\x07\x1b]*+(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?|\[[0-9;]{0,12}m"
    r"|[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e"
    r"\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\u0300-\u036f]++")
# a hard wrap: a base64 character at the end of a line, and at the start of the next
# (Terraform's boxed output repeats its "│ " on the continuation line)
# (40 characters or more on the line: a short line ending in a word is not a wrap)
_WRAP = re.compile(r"(?<=[^\n]{39}[A-Za-z0-9/+=_.-])\r?\n(?:\u2502 ?)?(?=[A-Za-z0-9/+=_.-])")

# look-alikes NFKC leaves alone: Cyrillic, Greek, Armenian letters, slashes and dashes
_CONFUSABLES = dict(zip(
    "АВЕКМНОРСТХУЅІЈԚԜаеорсухѕіјԁԛԝһӏԌԍꓚꓢΑΒΕΖΗΙΚΜΝΟΡΤΥΧοναικρυχτօսոհ∕⁄⧸╱ǀ‐‑‒–—―−﹣",
    "ABEKMHOPCTXYSIJQWaeopcyxsijdqwhlGgCSABEZHIKMNOPTYXovaikpuxtounh////l--------", strict=True))
_FOLD: dict[int, str] | None = None
_FOLD_RANGES = ((0x80, 0x3000), (0xA640, 0xA6A0), (0xFB00, 0x10000), (0x1D400, 0x1D800), (0x1F100, 0x1F200))


def _fold_table() -> dict[int, str]:
    """Characters NFKC or the look-alike list turn into one ASCII character (built on first use)."""
    global _FOLD
    if _FOLD is None:
        table: dict[int, str] = {}
        for lo, hi in _FOLD_RANGES:
            for cp in range(lo, hi):
                n = unicodedata.normalize("NFKC", chr(cp))
                if len(n) == 1 and n.isascii() and n.isprintable():
                    table[cp] = n
        table.update((ord(k), v) for k, v in _CONFUSABLES.items())
        _FOLD = table
    return _FOLD


@dataclass
class _Pass:
    """One rewrite: for each replaced stretch, where it is in the output and was in the input."""
    out_starts: list[int]
    out_ends: list[int]
    in_starts: list[int]
    in_ends: list[int]

    def start(self, x: int) -> int:
        """Where output character x starts in the input."""
        i = bisect_right(self.out_starts, x) - 1
        if i < 0:
            return x
        if x < self.out_ends[i]:
            return self.in_starts[i]
        return self.in_ends[i] + x - self.out_ends[i]

    def end(self, x: int) -> int:
        """Where output character x ends in the input (exclusive)."""
        i = bisect_right(self.out_starts, x) - 1
        if i < 0:
            return x + 1
        if x < self.out_ends[i]:
            return self.in_ends[i]
        return self.in_ends[i] + x - self.out_ends[i] + 1


@dataclass
class _View:
    """A canonical text, and the rewrites that lead back from it to the original."""
    text: str
    passes: list[_Pass]
    joins: tuple[int, ...] = ()  # where a hard wrap was joined: the continuation's first character

    def span(self, a: int, b: int) -> tuple[int, int]:
        """The original span canonical characters [a, b) came from."""
        end = b
        for p in reversed(self.passes):
            a, end = p.start(a), p.end(end - 1)
        return a, end


def _rewrite(view: _View, pattern: re.Pattern[str], fn: Callable[[re.Match[str]], str | None]) -> _View:
    """Replace each match by fn(match) (None: keep it); a replacement stands for the whole match."""
    s = view.text
    out: list[str] = []
    p = _Pass([], [], [], [])
    last = size = 0
    for m in pattern.finditer(s):
        rep = fn(m)
        if rep is None:
            continue
        a, b = m.span()
        out.append(s[last:a])
        out.append(rep)
        size += a - last
        p.out_starts.append(size)
        size += len(rep)
        p.out_ends.append(size)
        p.in_starts.append(a)
        p.in_ends.append(b)
        last = b
    if not out:
        return view
    out.append(s[last:])
    return _View("".join(out), [*view.passes, p], view.joins)


def _one_escape(m: re.Match[str]) -> str:
    u, x, esc, js, dec, hx, named = m.groups()
    code = int(u or x or hx, 16) if (u or x or hx) else int(dec) if dec else None
    if code is not None:
        return chr(code) if code < 0x110000 else "\ufffd"
    if esc:
        return "\x1b"
    return _JSON[js] if js else _NAMED[named]


def _unescape(m: re.Match[str]) -> str:
    """A run of escapes of one kind, decoded (each run is one stretch of the index map)."""
    whole = m.group(0)
    if whole[0] == "%":
        return bytes.fromhex(whole.replace("%", "")).decode("utf-8", "replace")
    return _ONE_ESCAPE.sub(_one_escape, whole)


def _canonical(text: str) -> _View:
    view = _View(text, [])
    for _ in range(2):  # double encoding: %252F, \\/
        if not any(c in view.text for c in "%\\&"):
            break
        view = _rewrite(view, _UNESCAPE, _unescape)
    view = _rewrite(view, _INVISIBLE, lambda m: "")
    if not view.text.isascii():
        view = _View(view.text.translate(_fold_table()), view.passes)

    joins: list[int] = []
    removed = 0

    def wrap(m: re.Match[str]) -> str:
        nonlocal removed
        joins.append(m.start() - removed)
        removed += m.end() - m.start()
        return ""

    if "\n" in view.text:
        view = _rewrite(view, _WRAP, wrap)
        view.joins = tuple(joins)
    return view


# --- the rules -------------------------------------------------------------------------

# The name rules run on the ASCII-lower-cased canonical text (same length), so that they
# match whatever the case with plain, case-sensitive patterns: those start with literals,
# which lets the regex engine skip to where a name can begin instead of trying each position.
_ASSIGN_SEP = r"""["']?\s*+(?:=>|:=|=|:)\s*+["']?"""
# `=`-style only (env, shell, HCL): "Token: ExpiredToken" in an error is prose, not a secret
_EQ_SEP = r"""["']?[ \t]*+(?:=>|:=|=)[ \t]*+["']?"""
_S = r"[_.-]?"
_SECRET_NAMES = rf"(?:secret{_S}(?:access{_S})?key|aws{_S}secret)"   # aws_secret_access_key, --secret-key, fs.s3a.secret.key
_TOKEN_NAMES = rf"(?:(?:session|security){_S}token)"                 # AWS_SESSION_TOKEN, X-Amz-Security-Token
_KEYID_NAMES = rf"(?:access{_S}key(?:{_S}id)?)"
# (the look-behind after the first letter: a TF_TOKEN_ inside a longer run is not tried,
# so "TF_TOKEN_TF_TOKEN_..." is read once, not once per TF_TOKEN_)
_TFC_NAMES = (r"(?:t(?<![a-z0-9_-]t)(?:fe_token|fc_token|f_api_token|f_cloud_token|f_token_[a-z0-9_-]++)"
              r"|a(?<![a-z0-9_-]a)tlas_token)")
_GH_NAMES = r"(?:github_token|gh_token|github_pat|gh_enterprise_token)"
# the end of any name: MY_APP_TOKEN, awsToken, client_secret (no prefix: a prefix pattern
# like (?:[A-Za-z0-9]+[_.-])* is what made the old rule quadratic)
_GENERIC_NAMES = r"(?:token|secret|password|passwd|pwd|api[_-]?key|apikey|auth[_-]?key|client[_-]?secret)"
# a value, not a reference to one ($VAR, ${{ secrets.X }}, <your-token>); one already
# elided by the person pasting ("FQo...vgU=") is refused after the match (_plain)
_VALUE = r"""(?![$<{*])([^\s"'`,;]{8,}+)"""

# The label may hold single hyphens but never a run of them: with "-" free in it, an
# END line glued to the next block's BEGIN line ("...KEY----------BEGIN ...") would read
# as one long END label, leaving the second block's body in the clear.
_PEM_LABEL = r"(?:[ A-Z0-9_]|-(?!-)){0,100}"
_PEM_BEGIN = re.compile(r"(?i)-----BEGIN" + _PEM_LABEL + r"PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"(?i)-----END" + _PEM_LABEL + r"PRIVATE KEY(?: BLOCK)?-----")
# cut off before its END line (a truncated paste, or an END line wrapped apart inside
# Terraform's box): the header and every key-ish piece after it, box rules and the
# broken END line's pieces included. Every repeat is possessive and bounded: linear.
_PEM_BODY = re.compile(r"""(?:[\s\u2502\u2503|]*+(?:(?:Proc-Type|DEK-Info):[^\n]*+|-----END[ A-Z]{0,40}+|[A-Z ]{0,40}+-----"""
                       r"""|[A-Za-z0-9+/=]{2,}+(?![^\s"',\\\u2502\u2503|])))*+""")
_PEM_MAX = 20000

# the JWT's three parts, found from the start of a run (so that a run is read once);
# the "ey" of the header is looked for inside the first part (a JWT glued to a word)
_JWT = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{19,}+\.ey[A-Za-z0-9_/-]{17,}+\.[A-Za-z0-9_/-]{10,}+={0,2}")


def _plain(value: str, before: str = "") -> bool:
    """A value that is a secret, not an elided one nor one already masked."""
    return "..." not in value and "\u2026" not in value and "REDACTED" not in value


def _lower_key_id(value: str, before: str = "") -> bool:
    # a lower-cased key id: standing alone, or its 16 base32 characters hold a digit (but for 4%)
    # (an upper-case one is the case-sensitive rule's, already masked)
    return not value.isupper() and (not before.isalnum() or any(c.isdigit() for c in value[4:]))


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    needles: tuple[str, ...]      # one of these is in the lower-cased text, or the rule cannot match
    lower: bool = True            # runs on the lower-cased text
    check: Callable[[str, str], bool] = _plain   # (value, the character before the match)
    after: str = ""               # characters that may not come right before the match


_KEY_NEEDLES = tuple(p.lower() for p in KEY_ID_PREFIXES)
_RULES: tuple[_Rule, ...] = (
    # order matters: the most specific first, so a token pasted as GITHUB_TOKEN=ghp_... is
    # named for what it is (private keys and JWTs come before all of these, in redact())
    _Rule("terraform-cloud-token", re.compile(r"[a-z0-9]{14}\.atlasv1\.[a-z0-9=_-]{60,}+"), ("atlasv1",)),
    _Rule("github-token", re.compile(r"(?:ghp|gho|ghu|ghs|ghr)_[a-z0-9]{36,255}+|github_pat_[a-z0-9_]{22,255}+"),
          ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
    _Rule("slack-token", re.compile(r"xox[abeoprs]-[0-9a-z-]{10,250}+|xapp-\d-[a-z0-9-]{10,250}+"), ("xox", "xapp-")),
    _Rule("slack-webhook", re.compile(r"hooks\.slack(?:-gov)?\.com/(?:services|workflows|triggers)/[a-z0-9+/_-]{20,}+"),
          ("hooks.slack",)),
    _Rule("bedrock-api-key", re.compile(r"bedrock-api-key-[a-z0-9+/]{20,}+=*+|absk[a-z0-9+/]{40,}+=*+"),
          ("bedrock-api-key-", "absk")),
    # STS session tokens: base64 of a serialised blob that always starts the same way
    _Rule("aws-session-token", re.compile(r"(?:iqojb3jpz2lu|fwogzxivyxdz|fqogzxivyxdz|aqodyxdz|agojb3jpz2lu)[a-z0-9/+=]{40,}+"),
          ("iqojb3jpz2lu", "fwogzxivyxdz", "fqogzxivyxdz", "aqodyxdz", "agojb3jpz2lu")),
    _Rule("aws-access-key-id", re.compile(_KEY_ID_RE), _KEY_NEEDLES, lower=False),
    _Rule("aws-access-key-id", re.compile(_KEY_ID_RE.lower()), _KEY_NEEDLES, check=_lower_key_id),
    _Rule("bedrock-api-key", re.compile(r"aws_bearer_token_bedrock" + _ASSIGN_SEP + _VALUE), ("aws_bearer_token_bedrock",)),
    _Rule("aws-session-token", re.compile(_TOKEN_NAMES + _ASSIGN_SEP + r"([a-z0-9/+=%]{16,}+)"), ("token",)),
    _Rule("aws-secret-access-key", re.compile(_SECRET_NAMES + _ASSIGN_SEP + r"([a-z0-9/+=]{16,}+)"), ("secret",)),
    # `aws configure set aws_secret_access_key <value>`, `--secret-key <value>`
    _Rule("aws-secret-access-key", re.compile(_SECRET_NAMES + r"""["']?\s++["']?([a-z0-9/+]{40})(?![a-z0-9/+])"""),
          ("secret",)),
    _Rule("aws-access-key-id", re.compile(_KEYID_NAMES + _ASSIGN_SEP + r"([a-z0-9]{16,32}+)(?![a-z0-9])"), ("access",)),
    _Rule("terraform-cloud-token", re.compile(_TFC_NAMES + _ASSIGN_SEP + _VALUE),
          ("tfe_token", "atlas_token", "tfc_token", "tf_api_token", "tf_cloud_token", "tf_token_"), after="_-"),
    _Rule("github-token", re.compile(_GH_NAMES + _ASSIGN_SEP + _VALUE),
          ("github_token", "gh_token", "github_pat", "gh_enterprise_token"), after="_-"),
    # HCL `token = "..."` and JSON `"token": "..."` (credentials.tfrc.json): a quoted value
    _Rule("token", re.compile(r"""token["']?[ \t]*+(?:=|:)[ \t]*+["'](?![$<{*])([^\s"'`]{8,}+)["']"""), ("token",),
          after="_.-"),
    _Rule("secret", re.compile(_GENERIC_NAMES + _EQ_SEP + _VALUE), ("token", "secret", "passw", "pwd", "api", "auth")),
    _Rule("secret", re.compile(_GENERIC_NAMES + r"""["'][ \t]*+:[ \t]*+["']""" + _VALUE),
          ("token", "secret", "passw", "pwd", "api", "auth")),
)
_WORD_CHARS = frozenset(string.ascii_letters + string.digits)
_KEY_ID_WHOLE = re.compile(_KEY_ID_RE)
# kinds whose value has a fixed shape: one that is complete before a join does not go on after it
_WHOLE_ON_ONE_LINE: dict[str, Callable[[str], bool]] = {
    "aws-access-key-id": lambda v: _KEY_ID_WHOLE.fullmatch(v.upper()) is not None,
    "aws-secret-access-key": lambda v: len(v) == 40 and _looks_like_secret(v),
}
_ASCII_LOWER = {c: c + 32 for c in range(65, 91)}

# The nearest block a bare `token = "..."` sits in decides what it is.
_BLOCK = re.compile(r'provider\s++"[^"\n]*+"|credentials\s++"[^"\n]*+"|\bcloud\s*+\{|backend\s++"remote"')
_AWS_BLOCK = re.compile(r'provider\s+"aws"')

# --- the shape rule --------------------------------------------------------------------

_RUN = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40,}+")
_RUN_MAX = 400            # longer: a blob (a certificate, an encoded message), not a key
_CORE_MIN, _CORE_MAX = 40, 44
# a path word: a lower-case name (bucket, prefix), a CamelCase name, a number; at most 15
# characters, so a piece of a key mistaken for one is too short to matter
_WORDISH = re.compile(r"[a-z][a-z0-9]{0,14}|(?:[A-Z]?[a-z]{2,}+){1,4}[0-9]{0,4}|[0-9]{1,15}")
_WORD_SEG = re.compile(r"(?:[A-Z]?[a-z]++|[A-Z]++(?![a-z]))++[0-9]{0,4}|[0-9]++")
_HEX = re.compile(r"[0-9a-fA-F]++")
# things that look like keys but are plainly something else, by what they follow or are part of
_LABEL_TAIL = re.compile(r"""(?i)(?:request|host)[ _-]?id["']?\s*+[:=]\s*+["']?\Z|x-amz-id-2["']?\s*+[:=]\s*+["']?\Z""")
_ARN = re.compile(r"(?i)(?<![A-Za-z0-9])arn:aws[a-z-]*+:[^\s\"'<>,;]*+")
_BLOB_CHARS = frozenset(string.ascii_letters + string.digits + "/+_=-")
_B64_CHARS = frozenset(string.ascii_letters + string.digits + "/+")
_BLOB_MIN = 100


def _looks_like_secret(s: str) -> bool:
    # Random base64 has both cases and a digit or / or + in 40 characters all but ~2.5e-4
    # of the time; CamelCase words, lower-case paths and hex have not. A lower- (or upper-)
    # cased key still has ~9 of [0-9/+] in 40; a single-case path of words has not.
    if _HEX.fullmatch(s) or s.isalpha() or not any(c.isalpha() for c in s):
        return False
    odd = sum(c.isdigit() or c in "/+" for c in s)
    if s.islower() or s.isupper():
        if odd < 3:
            return False
    elif not odd:
        return False
    return not all(_WORD_SEG.fullmatch(seg) for seg in s.split("/") if seg)


def _core(run: str) -> tuple[int, int]:
    """The run without the path words glued to it (s3://bucket/<key>, //<key>, <key>/file),
    never cut below 40 characters: from the left first, or if that leaves too much, the right."""
    a, b = _strip(run, 0, len(run), left_first=True)
    if b - a > _CORE_MAX:
        a, b = _strip(run, 0, len(run), left_first=False)
    return a, b


def _strip(run: str, a: int, b: int, left_first: bool) -> tuple[int, int]:
    if not left_first:
        b = _strip_right(run, a, b)
    while b - a > 40:
        if run[a] == "/":
            a += 1
            continue
        k = run.find("/", a, b)
        if k < 0 or k - a > 15 or b - k - 1 < 40 or not _WORDISH.fullmatch(run, a, k):
            break
        a = k + 1
    return a, _strip_right(run, a, b) if left_first else b


def _strip_right(run: str, a: int, b: int) -> int:
    while b - a > 40:
        if run[b - 1] == "/":
            b -= 1
            continue
        k = run.rfind("/", a, b)
        if k < 0 or b - k - 1 > 15 or k - a < 40 or not _WORDISH.fullmatch(run, k + 1, b):
            break
        b = k
    return b


@dataclass(frozen=True)
class Redaction:
    """A paste with its secrets masked, and what the secrets told before they went."""
    text: str
    kinds: tuple[str, ...] = ()
    key_prefix: str | None = None  # AKIA or ASIA: long-term or temporary keys
    has_session_token: bool = False


def _placeholder(kind: str, value: str) -> str:
    if kind == "aws-access-key-id":
        value = value.upper()
        prefix = next((p for p in KEY_ID_PREFIXES if value.startswith(p)), "")
        return f"{prefix}****REDACTED****" if prefix else "****REDACTED-KEY-ID****"
    return f"****REDACTED-{kind.upper()}****"


class _Spans:
    """The canonical spans claimed so far (sorted, disjoint) and what each was."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.spans: list[tuple[int, int, str, str]] = []

    def free(self, a: int, b: int) -> list[tuple[int, int]]:
        """The parts of [a, b) no earlier match claimed."""
        out = []
        i = bisect_right(self.starts, a) - 1
        pos = a
        if i >= 0 and self.spans[i][1] > pos:
            pos = self.spans[i][1]
        i += 1
        while pos < b:
            nxt = self.spans[i][0] if i < len(self.spans) else b
            if nxt > pos:
                out.append((pos, min(nxt, b)))
            if i >= len(self.spans):
                break
            pos = max(pos, self.spans[i][1])
            i += 1
        return out

    def claim(self, a: int, b: int, kind: str, value: str) -> None:
        i = bisect_right(self.starts, a)
        self.starts.insert(i, a)
        self.spans.insert(i, (a, b, kind, value))


_Claim = tuple[int, int, str, str]  # a span of the text read, its kind, the value it held


def _read(text: str, windowed: bool = False) -> tuple[list[_Claim], list[str], str | None] | None:
    """The spans of `text` to mask (in order, as the canonical spans claimed map back to it),
    the kinds found and the key id prefix. None when `windowed` and a private key begins:
    its body may run on past the window, so the paste is read whole."""
    view = _canonical(text)
    canon = view.text
    spans = _Spans()
    kinds: list[str] = []
    prefix: str | None = None

    def claim(a: int, b: int, kind: str, value: str, least: int = 1) -> bool:
        nonlocal prefix
        parts = [p for p in spans.free(a, b) if p[1] - p[0] >= least]
        if not parts:
            return False
        for pa, pb in parts:
            spans.claim(pa, pb, kind, value)
        if kind == "aws-access-key-id" and prefix is None and value[:4].upper() in ("AKIA", "ASIA"):
            prefix = value[:4].upper()
        if kind not in kinds:
            kinds.append(kind)
        return True

    # private keys: each BEGIN with the next END (within 20,000 characters), or cut off
    begins = list(_PEM_BEGIN.finditer(canon))
    if begins and windowed:
        return None
    if begins:
        ends = [m.start() for m in _PEM_END.finditer(canon)]
        end_at = {m.start(): m.end() for m in _PEM_END.finditer(canon)}
        for i, m in enumerate(begins):
            nxt_begin = begins[i + 1].start() if i + 1 < len(begins) else len(canon)
            j = bisect_right(ends, m.end() - 1)
            if j < len(ends) and ends[j] < nxt_begin and ends[j] - m.start() <= _PEM_MAX:
                claim(m.start(), end_at[ends[j]], "private-key", "")
            else:
                body = _PEM_BODY.match(canon, m.end(), min(nxt_begin, m.end() + _PEM_MAX))
                claim(m.start(), body.end() if body else m.end(), "private-key", "")

    pos = 0
    while (jwt := _JWT.search(canon, pos)) is not None:
        dot = jwt.group(0).index(".")
        head = jwt.group(0).find("ey", 0, dot)
        if 0 <= head and dot - head >= 19:
            claim(jwt.start() + head, jwt.end(), "jwt", "")
            pos = jwt.end()
        else:  # the run before the first dot was not the header: start again after it
            pos = jwt.start() + dot + 1

    low = canon.lower() if canon.isascii() else canon.translate(_ASCII_LOWER)
    blocks: list[tuple[int, bool]] | None = None
    for rule in _RULES:
        if not any(n in low for n in rule.needles):
            continue
        for m in rule.pattern.finditer(low if rule.lower else canon):
            group = 1 if m.re.groups else 0
            a, b = m.span(group)
            value = canon[a:b]
            if not rule.check(value, low[m.start() - 1] if m.start() else ""):
                continue
            if rule.after and m.start() > 0 and (low[m.start() - 1] in _WORD_CHARS or low[m.start() - 1] in rule.after):
                continue  # the name is the end of a longer one (MY_TFE_TOKEN is generic)
            kind = rule.kind
            if view.joins and kind in _WHOLE_ON_ONE_LINE:
                # a wrapped-line join glued the next line to a value complete on its own line (a
                # key id, then the secret under it): the next line is left to the rules after this
                j = bisect_right(view.joins, a)
                if j < len(view.joins) and view.joins[j] < b and _WHOLE_ON_ONE_LINE[kind](canon[a:view.joins[j]]):
                    b = view.joins[j]
                    value = canon[a:b]
            if kind == "token":
                if blocks is None:
                    blocks = [(bl.start(), bool(_AWS_BLOCK.fullmatch(bl.group(0)))) for bl in _BLOCK.finditer(canon)]
                k = bisect_right(blocks, (m.start(), True)) - 1
                kind = "aws-session-token" if k >= 0 and blocks[k][1] else "terraform-cloud-token"
            claim(a, b, kind, value, least=4)

    # the shape rule, on the text with every claimed span blanked out
    if len(canon) >= 40:
        shaped = canon
        if spans.spans:
            pieces, last = [], 0
            for a, b, _, _ in spans.spans:
                if a >= last:
                    pieces += [canon[last:a], "\x00" * (b - a)]
                    last = b
            shaped = "".join(pieces) + canon[last:]
        joins = view.joins
        # an ARN ends at its line: a wrapped-line join would otherwise carry it on into a key
        # pasted on the next line, and a key inside an ARN is not looked at
        arns = []
        for m in _ARN.finditer(shaped):
            a, b = m.span()
            j = bisect_right(joins, a)
            arns.append((a, joins[j] if j < len(joins) and joins[j] < b else b))
        arn_starts = [a for a, _ in arns]

        def blob(a: int, b: int, shaped: str = shaped) -> bool:
            """Part of a longer base64/base64url blob (an encoded message, a host id): not a key."""
            if b - a >= _BLOB_MIN:
                return True
            lo = hi = 0
            j = bisect_right(joins, a) - 1
            stop = joins[j] if j >= 0 else 0
            while a - lo > stop and lo < _BLOB_MIN and shaped[a - lo - 1] in _BLOB_CHARS:
                lo += 1
            j = bisect_right(joins, b - 1)
            stop = joins[j] if j < len(joins) else len(shaped)
            while b + hi < stop and hi < _BLOB_MIN and shaped[b + hi] in _BLOB_CHARS:
                hi += 1
            return lo + (b - a) + hi >= _BLOB_MIN

        def shape(a: int, b: int, shaped: str = shaped) -> tuple[int, int] | None:
            run = shaped[a:b]
            if len(run) < 40 or len(run) > _RUN_MAX:
                return None
            if len(run) == 40 and _looks_like_secret(run):
                ca, cb = 0, 40
            else:
                ca, cb = _core(run)
                if not _CORE_MIN <= cb - ca <= _CORE_MAX or not _looks_like_secret(run[ca:cb]):
                    return None
            k = bisect_right(arn_starts, a) - 1
            if k >= 0 and arns[k][1] >= b:
                return None
            # an S3 host id or a request id by its label; a blob. A label does not excuse
            # a run of exactly a secret key's shape: no request or host id looks like one
            labelled = _LABEL_TAIL.search(shaped, max(0, a - 24), a) and not (len(run) == 40 and _looks_like_secret(run))
            if labelled or blob(a, b, shaped):
                return None
            return a + ca, a + cb

        def scan(shaped: str, runs: list[tuple[int, int]]) -> None:
            for a, b in runs:
                found = shape(a, b, shaped)
                if found is None and joins:
                    # a join may have glued a line's tail to a key standing on the next line
                    j = bisect_right(joins, a)
                    cuts = [a]
                    while j < len(joins) and joins[j] < b:
                        cuts.append(joins[j])
                        j += 1
                    cuts.append(b)
                    for pa, pb in zip(cuts, cuts[1:]):
                        piece = shape(pa, pb, shaped)
                        if piece:
                            claim(*piece, "aws-secret-access-key", shaped[piece[0]:piece[1]])
                if found:
                    claim(*found, "aws-secret-access-key", shaped[found[0]:found[1]])

        scan(shaped, [m.span() for m in _RUN.finditer(shaped)])
        # A key id's shape inside a secret key ("...84AGPAF2NFZZT49J6SPF..." read as AGPA + 16) was
        # claimed and blanked, which cuts the secret into runs too short for its shape: the runs
        # holding such a key id are looked at again with it put back (what is claimed already stays).
        glued = [(a, b) for a, b, kind, _ in spans.spans if kind == "aws-access-key-id"
                 and ((a and canon[a - 1] in _B64_CHARS) or (b < len(canon) and canon[b] in _B64_CHARS))]
        if glued:
            restored = list(shaped)
            for a, b in glued:
                restored[a:b] = canon[a:b]
            back = "".join(restored)
            scan(back, [m.span() for m in _RUN.finditer(back) if any(m.start() <= a < m.end() for a, _ in glued)])

    return [(*view.span(a, b), kind, value) for a, b, kind, value in spans.spans], kinds, prefix


def _masked(text: str, claims: list[_Claim], kinds: list[str], prefix: str | None) -> Redaction:
    token = "aws-session-token" in kinds
    if not claims:
        return Redaction(text=text, kinds=tuple(kinds), key_prefix=prefix, has_session_token=token)
    # back to the original: each claimed span masks everything its characters came from
    out: list[str] = []
    pos = 0
    for oa, ob, kind, value in claims:
        if ob <= pos:
            continue
        out.append(text[pos:oa] if oa > pos else "")
        if oa >= pos:
            out.append(_placeholder(kind, value))
        pos = max(pos, ob)
    out.append(text[pos:])
    return Redaction(text="".join(out), kinds=tuple(kinds), key_prefix=prefix, has_session_token=token)


def redact(text: str, *, whole: bool = False) -> Redaction:
    """`text` with its secrets masked. A long paste is read in the windows `_windows` finds
    (whole: every line, the reference those windows are held to); what is masked is the same."""
    if not whole:
        windows = _windows(text)
        if windows is not None:
            found = _read_windows(text, windows)
            if found is not None:
                return _masked(text, *found)
    read = _read(text)
    assert read is not None
    return _masked(text, *read)


# --- long pastes: only the lines that can hold a secret are read ----------------------------
#
# A CI log is mostly lines no rule can match. The canonical view and the rules run on the
# windows of lines that may, put end to end; the rest is left as it is. What makes a line
# one that may ("a trigger"), on the paste's bytes:
#
# - a byte the canonical view may rewrite: an escape's % & \, a control (ESC among them),
#   anything not ASCII, a colour code without its ESC ("[0m"). Elsewhere the canonical
#   view is the text itself, hard wraps joined;
# - a text every match of a rule holds (the rules' names, lower-cased: token, secret, ...;
#   a private key's "-----begin", a JWT's ".ey"), or a run of 20 base64 characters (key
#   ids, secret keys, STS and Bedrock keys, GitHub tokens: every one has such a run);
# - a block header, which decides what a `token = "..."` after it is.
#
# A line joined to the next by a hard wrap is read with it (the joined lines are a "chain",
# and what straddles the join is looked for across it too), and so is a line next to one
# with a byte the canonical view may rewrite (a decoded line break may change the join).
# Matches cross from one chain to another only through whitespace: a name, its `=` on the
# next non-blank chain, its value on the one after; a request id's label two chains before
# its value. So a window is a trigger's chain with two non-blank chains either side; two
# windows with only blank lines between are one. Put end to end with `_SEP` between them,
# which neither `\s` nor any value takes, every rule matches in them what it matches in the
# whole text, and a `token = "..."` finds the same block before it. A private key, whose
# body may run past the window, and an OSC escape, which may take line breaks, send the
# paste to be read whole. `tests/test_redact.py` holds the windows to the whole reading.

_SEP = ";\n"
_WINDOW_FROM = 4096  # a shorter paste is read whole
_B64_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
# each byte -> b: a base64 character; !: one the canonical view may rewrite; else a space
_CLASSES = bytes(98 if c in _B64_BYTES else 33 if (c < 32 and c not in (9, 10, 13)) or c in (37, 38, 92) or c >= 127
                 else 32 for c in range(256))
_LEFTOVER_B = re.compile(rb"\[[0-9;]{0,12}m")
# the hard wraps _WRAP joins, found from the line break (a look-behind first is tried at every position)
_JOIN_B = re.compile(rb"\n(?:(?<=[^\n]{39}[A-Za-z0-9/+=_.-]\n)|(?<=[^\n]{39}[A-Za-z0-9/+=_.-]\r\n))(?=[A-Za-z0-9/+=_.-])")
_NEEDLES_B = (b"token", b"secret", b"access", b"passw", b"pwd", b"api", b"auth", b"atlasv1", b"github_pat", b"xox",
              b"xapp", b"hooks.slack", b"-----begin")
_BLOCK_NEEDLES_B = (b"provider", b"credentials", b"cloud", b"backend")
_RUN_B = b"b" * 20
# bytes -> themselves, digits -> "0": a log's lines differ mostly in their numbers
_DIGITS_B = bytes(48 if 48 <= c <= 57 else c for c in range(256))


def _windows(text: str) -> list[tuple[int, int]] | None:
    """The stretches of `text` (whole lines, in order) to read; None: read it whole."""
    if len(text) < _WINDOW_FROM or "\x1b]" in text:
        return None
    raw = text.encode("utf-8", "surrogatepass")
    low = raw.lower()
    lines = raw.split(b"\n")
    n = len(lines)
    starts = list(accumulate(map((1).__add__, map(len, lines[:-1])), initial=0))
    triggers: set[int] = set()
    odd: set[int] = set()

    classes = raw.translate(_CLASSES)
    odd.update(lines_holding(classes, b"!", starts))
    for m in _LEFTOVER_B.finditer(raw):
        odd.add(bisect_right(starts, m.start()) - 1)
    triggers |= odd
    needles = _NEEDLES_B + _BLOCK_NEEDLES_B
    # A needle is looked for line by line only if the paste's distinct lines, digits made one,
    # hold it (its digits made one): a find in a few KB instead of in the paste, for each needle
    # a CI log does not hold. (A paste whose lines are mostly unlike, as its first 4 KB tell,
    # is searched directly.)
    gate = None
    if 2 * sum(map(len, set(low[:_WINDOW_FROM].translate(_DIGITS_B).split(b"\n")))) < _WINDOW_FROM:
        distinct = set(low.translate(_DIGITS_B).split(b"\n"))
        if 2 * sum(map(len, distinct)) < len(low):
            gate = b"\n".join(distinct)
    # (most lines may hold a secret: reading it whole costs less than finding windows; either
    # way what is masked is the same)
    for needle in needles:
        if gate is not None and needle.translate(_DIGITS_B) not in gate:
            continue
        triggers.update(lines_holding(low, needle, starts))
        if len(triggers) > 0.6 * n:
            return None
    # (a run of base64 characters is one in the lower-cased text, digits made one, and so is
    # ".ey", lower-cased)
    if gate is None or _RUN_B in gate.translate(_CLASSES):
        triggers.update(lines_holding(classes, _RUN_B, starts))
    if gate is None or b".ey" in gate:
        triggers.update(lines_holding(raw, b".ey", starts))
    if len(triggers) > 0.6 * n:
        return None
    joins = [m.start() for m in _JOIN_B.finditer(raw)]
    if joins:
        # what straddles a join: each join's 40 bytes either side, end to end
        seams = [low[p - 41:p - 1] + low[p + 1:p + 41] if low[p - 1] == 13 else low[p - 40:p] + low[p + 1:p + 41]
                 for p in joins]
        seam_starts = list(accumulate(map((1).__add__, map(len, seams[:-1])), initial=0))
        hay = b"\x00".join(seams)
        hit: set[int] = set()
        for needle in (*needles, b".ey"):
            hit.update(lines_holding(hay, needle, seam_starts))
        hit.update(lines_holding(hay.translate(_CLASSES), _RUN_B, seam_starts))
        triggers.update(bisect_right(starts, joins[j]) - 1 for j in hit)
    if not triggers:
        return []
    joined = set(joins)

    def sticky(k: int) -> bool:
        """Whether the line break after line k may be gone from the canonical view."""
        return k in odd or k + 1 in odd or starts[k + 1] - 1 in joined

    def chain(k: int) -> tuple[int, int]:
        a = b = k
        while a > 0 and sticky(a - 1):
            a -= 1
        while b + 1 < n and sticky(b):
            b += 1
        return a, b

    spans: list[tuple[int, int]] = []
    covered = 0
    for t in sorted(triggers):
        # (a trigger inside the last window still needs its own lines either side)
        if covered > 0.6 * n:
            return None
        a, b = chain(t)
        for _ in range(2):
            while a > 0:
                a2, _b2 = chain(a - 1)
                a = a2
                if any(lines[i].strip() for i in range(a2, _b2 + 1)):
                    break
        for _ in range(2):
            while b + 1 < n:
                _a2, b2 = chain(b + 1)
                b = b2
                if any(lines[i].strip() for i in range(_a2, b2 + 1)):
                    break
        if spans and (a <= spans[-1][1] + 1 or not any(lines[i].strip() for i in range(spans[-1][1] + 1, a))):
            covered += max(b, spans[-1][1]) - spans[-1][1]
            spans[-1] = (spans[-1][0], max(b, spans[-1][1]))
        else:
            covered += b - a + 1
            spans.append((a, b))
    if text.isascii():
        char_starts = starts
    else:
        char_starts = list(accumulate(map((1).__add__, map(len, text.split("\n")[:-1])), initial=0))
    out = [(char_starts[a], char_starts[b + 1] if b + 1 < n else len(text)) for a, b in spans]
    if sum(e - s for s, e in out) > 0.6 * len(text):
        return None
    return out


def _read_windows(text: str, windows: list[tuple[int, int]]) -> tuple[list[_Claim], list[str], str | None] | None:
    """`_read` of the windows put end to end, mapped back to `text`; None: read it whole."""
    if not windows:
        return [], [], None
    pieces: list[str] = []
    at: list[int] = []  # where each window starts in the text read
    size = 0
    for s, e in windows:
        if pieces:
            pieces.append(_SEP)
            size += len(_SEP)
        at.append(size)
        pieces.append(text[s:e])
        size += e - s
    read = _read("".join(pieces), windowed=True)
    if read is None:
        return None
    claims, kinds, prefix = read
    out: list[_Claim] = []
    for a, b, kind, value in claims:
        i = bisect_right(at, a) - 1
        start, end = windows[i]
        if i < 0 or b > at[i] + end - start:
            return None  # a claim across two windows: the separator was not enough
        out.append((start + a - at[i], start + b - at[i], kind, value))
    return out, kinds, prefix
