"""Do pasted secrets come back? An attacker's count, per form and door (issue 17).

Generates pastes (real KB error texts with a random secret of some kind put in,
in one of the forms below), runs each through the engine's `redact` and every
door in-process (JSON API, page, Slack command, CLI `--json`, and the log lines
those write), and counts a leak when the secret or any 16-character piece of it
comes back. The comparison is made on a "squashed" view of both: HTML, URL
(twice), JSON and ANSI escapes decoded, NFKC and look-alike letters folded,
lower-cased, everything but [a-z0-9] dropped; so a secret that comes back
URL-encoded, wrapped, coloured or lower-cased counts too.

    .venv/bin/python bench/secrets_leak.py                       # 10,000 pastes, every door
    .venv/bin/python bench/secrets_leak.py --redact /tmp/x/redact.py   # score another redact.py
    .venv/bin/python bench/secrets_leak.py --timing              # adversarial inputs, CPU time

The second part (`--timing`, also run after the leak count unless `--no-timing`)
redacts 64 KiB of adversarial shapes (runs that made the old rules quadratic,
and random pastes) and prints the slowest with their CPU time.

`tests/test_secrets_property.py` draws its pastes from this file's `FORMS` and
makers, and checks with the same `leaks`.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import html
import importlib.util
import io
import json
import logging
import os
import random
import re
import string
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from urllib.parse import quote, unquote, urlencode

ROOT = Path(__file__).resolve().parent.parent
KB_DIR = ROOT / "kb"
SIGNING_SECRET = "bench-signing-secret"
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
ALNUM = string.ascii_letters + string.digits
BASE32 = string.ascii_uppercase + "234567"
KEY_ID_PREFIXES = ("A3T", "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "APKA", "AROA", "ASCA")


def examples() -> list[str]:
    import yaml
    texts = []
    for name in ("InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "NoValidCredentialSources",
                 "InvalidAccessKeyId", "AccessDeniedAssumeRole"):
        doc = yaml.safe_load((KB_DIR / "errors" / f"{name}.yaml").read_text())
        texts += [v["examples"][0] for v in doc["variants"][:3] if v.get("examples")]
    return texts


# --- secrets -----------------------------------------------------------------------------

def _s(rnd: random.Random, alphabet: str, n: int) -> str:
    return "".join(rnd.choice(alphabet) for _ in range(n))


def key_id(rnd: random.Random) -> str:
    prefix = rnd.choice(KEY_ID_PREFIXES)
    if prefix == "A3T":
        prefix += rnd.choice(string.ascii_uppercase + string.digits)
    return prefix + _s(rnd, BASE32, 16)


def secret_key(rnd: random.Random) -> str:
    while True:  # the bare-secret contract: both cases and a digit, / or + (misses ~2.5e-4 of real keys)
        s = _s(rnd, B64, 40)
        if re.search("[a-z]", s) and re.search("[A-Z]", s) and re.search("[0-9/+]", s):
            return s


def sts_token(rnd: random.Random) -> str:
    prefix = rnd.choice(("IQoJb3JpZ2lu", "FwoGZXIvYXdz", "FQoGZXIvYXdz", "AQoDYXdz", "AgoJb3JpZ2lu"))
    return prefix + base64.b64encode(rnd.randbytes(rnd.randint(90, 450))).decode()


def tfc_token(rnd: random.Random) -> str:
    return _s(rnd, ALNUM, 14) + ".atlasv1." + _s(rnd, ALNUM + "-_=", rnd.randint(60, 70))


def github_token(rnd: random.Random) -> str:
    if rnd.random() < 0.25:
        return "github_pat_" + _s(rnd, ALNUM, 22) + "_" + _s(rnd, ALNUM, 59)
    return rnd.choice(("ghp", "gho", "ghu", "ghs", "ghr")) + "_" + _s(rnd, ALNUM, 36)


def slack_token(rnd: random.Random) -> str:
    def n() -> str:
        return _s(rnd, string.digits, rnd.randint(10, 13))
    return rnd.choice((
        f"xoxb-{n()}-{n()}-{_s(rnd, ALNUM, 24)}",
        f"xoxp-{n()}-{n()}-{n()}-{_s(rnd, '0123456789abcdef', 32)}",
        f"xapp-1-A{_s(rnd, string.ascii_uppercase + string.digits, 10)}-{n()}-{_s(rnd, '0123456789abcdef', 64)}",
    ))


def jwt(rnd: random.Random) -> str:
    def enc(d: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")
    return ".".join((enc({"alg": "RS256", "typ": "JWT", "kid": _s(rnd, ALNUM, 8)}),
                     enc({"sub": _s(rnd, ALNUM, 12), "aud": "sts.amazonaws.com", "exp": rnd.randint(1, 2**31)}),
                     _s(rnd, B64URL, 86)))


def pem(rnd: random.Random) -> str:
    kind = rnd.choice(("RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", ""))
    body = base64.b64encode(rnd.randbytes(rnd.randint(120, 900))).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {kind}PRIVATE KEY-----\n" + "\n".join(lines) + f"\n-----END {kind}PRIVATE KEY-----"


def bedrock_long(rnd: random.Random) -> str:
    raw = f"BedrockAPIKey-{_s(rnd, ALNUM, 4).lower()}-at-{_s(rnd, string.digits, 12)}:{_s(rnd, B64, 40)}"
    return "ABSK" + base64.b64encode(raw.encode()).decode()


def bedrock_short(rnd: random.Random) -> str:
    url = ("bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Algorithm=AWS4-HMAC-SHA256"
           f"&X-Amz-Credential=ASIA{_s(rnd, BASE32, 16)}%2F20250101%2Fus-east-1%2Fbedrock%2Faws4_request"
           f"&X-Amz-Date=20250101T000000Z&X-Amz-Expires=43200&X-Amz-Security-Token={sts_token(rnd)}"
           f"&X-Amz-Signature={_s(rnd, '0123456789abcdef', 64)}&Version=1")
    return "bedrock-api-key-" + base64.b64encode(url.encode()).decode()


# kind -> (maker, label templates: how people paste it with its name)
KINDS: dict[str, tuple[Callable[[random.Random], str], list[str]]] = {
    "key-id": (key_id, ["export AWS_ACCESS_KEY_ID={v}", "aws_access_key_id = {v}", '"AccessKeyId": "{v}"',
                        "Credential={v}/20240101/us-east-1/sts/aws4_request", 'access_key = "{v}"']),
    "secret-key": (secret_key, ["export AWS_SECRET_ACCESS_KEY={v}", "aws_secret_access_key = {v}",
                                '"SecretAccessKey": "{v}"', 'secret_key = "{v}"',
                                "aws configure set aws_secret_access_key {v}", "AWS_SECRET_ACCESS_KEY: '{v}'"]),
    "sts-token": (sts_token, ["export AWS_SESSION_TOKEN={v}", "aws_session_token = {v}", '"SessionToken": "{v}"',
                              "X-Amz-Security-Token: {v}",
                              'provider "aws" {{\n  region = "eu-west-1"\n  token  = "{v}"\n}}']),
    "tfc-token": (tfc_token, ["export TFE_TOKEN={v}", "ATLAS_TOKEN={v}", "TF_TOKEN_app_terraform_io={v}",
                              'credentials "app.terraform.io" {{\n  token = "{v}"\n}}',
                              '{{"credentials": {{"app.terraform.io": {{"token": "{v}"}}}}}}']),
    "github-token": (github_token, ["GITHUB_TOKEN={v}", "https://x-access-token:{v}@github.com/acme/infra.git"]),
    "slack-token": (slack_token, ["SLACK_BOT_TOKEN={v}", "Authorization: Bearer {v}"]),
    "jwt": (jwt, ["AWS_WEB_IDENTITY_TOKEN={v}", "Authorization: Bearer {v}"]),
    "private-key": (pem, ['private_key = <<EOF\n{v}\nEOF', "{v}"]),
    "bedrock-long": (bedrock_long, ["export AWS_BEARER_TOKEN_BEDROCK={v}", "Authorization: Bearer {v}", "{v}"]),
    "bedrock-short": (bedrock_short, ["export AWS_BEARER_TOKEN_BEDROCK={v}", "Authorization: Bearer {v}", "{v}"]),
}


def material(kind: str, value: str) -> list[str]:
    """What of a secret must never come back: a PEM block's base64 lines, else all of it."""
    if kind == "private-key":
        return [line for line in value.splitlines()[1:-1] if len(line) >= 16]
    return [value]


# --- forms -------------------------------------------------------------------------------
# A form takes (rnd, kind, value) and returns the snippet to insert, or None if it does
# not apply to that kind (another form is drawn).

CYRILLIC = dict(zip("AaBEeKMHOoPpCcTXxyiIjJSs", "АаВЕеКМНОоРрСсТХхуіІјЈЅѕ", strict=True))
ANSI = ("\x1b[31m", "\x1b[1;32m", "\x1b[0m", "\x1b[38;5;208m")
ZW = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")


def _label(rnd: random.Random, kind: str, v: str) -> str:
    return rnd.choice(KINDS[kind][1]).format(v=v)


def _insert_every(rnd: random.Random, v: str, pieces: tuple[str, ...], every: int) -> str:
    out = []
    for i, c in enumerate(v):
        out.append(c)
        if i % every == every - 1 and i < len(v) - 1:
            out.append(rnd.choice(pieces))
    return "".join(out)


def _wrap(text: str, width: int, eol: str = "\n") -> str:
    return eol.join(text[i:i + width] for i in range(0, len(text), width))


SECRETISH = ("secret-key", "key-id", "sts-token")


def f_label(rnd, kind, v):
    return _label(rnd, kind, v)


def f_bare(rnd, kind, v):
    return v


def f_glued(rnd, kind, v):
    return None if kind == "secret-key" else rnd.choice(("invalid", "status:", "(")) + v + rnd.choice(("status", ")"))


def f_url_encoded(rnd, kind, v):
    name = {"secret-key": "aws_secret_access_key", "key-id": "AWSAccessKeyId", "sts-token": "X-Amz-Security-Token"}
    return f"https://example.com/cb?{name.get(kind, 'token')}={quote(v, safe='')}&next=%2Fhome"


def f_url_encoded_label(rnd, kind, v):
    return quote(_label(rnd, kind, v), safe="")


def f_double_url(rnd, kind, v):
    return "redirect=" + quote(quote(_label(rnd, kind, v), safe=""), safe="")


def f_query_token_tail(rnd, kind, v):
    if kind != "sts-token":
        return None
    return (f"GET https://sts.amazonaws.com/?Action=GetCallerIdentity&X-Amz-Credential=ASIAXXXXXXXX%2F20240101"
            f"&X-Amz-Security-Token={quote(v, safe='')}&X-Amz-Signature=abc123")


def f_ansi(rnd, kind, v):
    return rnd.choice(ANSI[:2]) + _label(rnd, kind, v) + "\x1b[0m"


def f_ansi_inside(rnd, kind, v):
    return _insert_every(rnd, v, ANSI, rnd.randint(5, 12))


def f_wrap76(rnd, kind, v):
    line = _label(rnd, kind, v).replace("\n", " ")
    return _wrap(line, 76)


def f_wrap_crlf(rnd, kind, v):
    return _wrap(_label(rnd, kind, v).replace("\n", " "), rnd.choice((60, 64, 76, 80)), "\r\n")


def f_terraform_box(rnd, kind, v):
    line = "Error: " + _label(rnd, kind, v).replace("\n", " ")
    return "\n".join("\u2502 " + part for part in _wrap(line, 76).split("\n"))


def f_secret_then_key_id(rnd, kind, v):
    return v + key_id(rnd) if kind == "secret-key" else None


def f_key_id_slash_secret(rnd, kind, v):
    return key_id(rnd) + "/" + v if kind == "secret-key" else None


def f_json_slashes(rnd, kind, v):
    return json.dumps({"Credentials": {"Secret": v}}).replace("/", "\\/")


def f_json_unicode(rnd, kind, v):
    return '{"secret": "' + v.replace("/", "\\u002F").replace("+", "\\u002B") + '"}'


def f_zero_width(rnd, kind, v):
    return _label(rnd, kind, _insert_every(rnd, v, ZW, rnd.randint(4, 10)))


def f_cyrillic(rnd, kind, v):
    return _label(rnd, kind, "".join(CYRILLIC.get(c, c) if rnd.random() < 0.5 else c for c in v))


def f_fullwidth(rnd, kind, v):
    return "".join(chr(ord(c) + 0xFEE0) if c.isalnum() and rnd.random() < 0.5 else c for c in v)


def f_lower(rnd, kind, v):
    return rnd.choice((v.lower(), _label(rnd, kind, v).lower()))


def f_upper(rnd, kind, v):
    return _label(rnd, kind, v).upper() if kind in SECRETISH else None


def f_pem_json(rnd, kind, v):
    if kind != "private-key":
        return None
    cut = v.rsplit("\n-----END", 1)[0]  # no END line
    return '{"private_key": "' + cut.replace("\n", "\\n") + '"}'


def f_html_entities(rnd, kind, v):
    return _label(rnd, kind, v.replace("/", "&#47;").replace("+", "&#x2B;"))


def f_after_eq(rnd, kind, v):
    return rnd.choice(("MY_SK=", "creds=", "k=")) + v


def f_after_punct(rnd, kind, v):
    return rnd.choice(("prefix_", "key-", "cfg.", "x/")) + v


def f_s3_path(rnd, kind, v):
    return f"s3://my-bucket/{v}" if rnd.random() < 0.5 else f"s3://bucket/prefix/{v}/terraform.tfstate"


def f_before_eqeq(rnd, kind, v):
    return v + "=="


def f_after_slashslash(rnd, kind, v):
    return "//" + v


def f_flag(rnd, kind, v):
    if kind != "secret-key":
        return None
    name = rnd.choice(("--secret-key", "--aws-secret-access-key", "--s3-secret-access-key", "secret-access-key",
                       "fs.s3a.secret.key", "-Dfs.s3a.secret.key"))
    return f"{name}={v}" if rnd.random() < 0.8 else f"{name} {v}"


def f_camel(rnd, kind, v):
    return rnd.choice((f"awsToken={v}", f"https://api.example.com/v1?secretToken={v}&page=2", f"{{apiKey={v}}}"))


def f_yaml(rnd, kind, v):
    return rnd.choice((f"  aws_secret_access_key: \"{v}\"", f"  secret: {v}", f"  - token={v}"))


def f_quoted_shell(rnd, kind, v):
    return rnd.choice((f"export MY_CREDS='{v}'", f"set -x; + {v}", f"echo \"{v}\""))


FORMS: dict[str, Callable] = {name[2:].replace("_", "-"): fn for name, fn in globals().items()
                              if name.startswith("f_") and callable(fn)}


def make_paste(rnd: random.Random, base: str, kind: str | None = None, form: str | None = None
               ) -> tuple[str, list[str], str, str]:
    """(paste, secret material, kind, form): one secret put into a real error text."""
    while True:
        k = kind or rnd.choice(sorted(KINDS))
        f = form or rnd.choice(sorted(FORMS))
        value = KINDS[k][0](rnd)
        snippet = FORMS[f](rnd, k, value)
        if snippet is not None:
            break
        if kind and form:
            raise ValueError(f"form {f} does not apply to {k}")
    spaces = [m.start() for m in re.finditer(r"\n", base)] + [len(base)]
    pos = rnd.choice(spaces)
    return base[:pos] + "\n" + snippet + "\n" + base[pos:], material(k, value), k, f


# --- the leak check ----------------------------------------------------------------------

_ESC = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\[[0-9;]*m")
_JSON_U = re.compile(r"\\u([0-9a-fA-F]{4})")
_FOLD = {ord(v): k for k, v in CYRILLIC.items()}


def squash(text: str) -> str:
    """The text as its letters and digits only, lower-cased, every escape undone."""
    for _ in range(2):
        text = html.unescape(unquote(text))
        text = _JSON_U.sub(lambda m: chr(int(m.group(1), 16)), text)
        text = re.sub(r"\\[nrt]", "", text).replace("\\/", "/")
    text = _ESC.sub("", text)
    text = unicodedata.normalize("NFKC", text).translate(_FOLD).lower()
    return re.sub(r"[^a-z0-9]+", "", text)


def leaks(output: str, secrets: list[str], squashed: str | None = None) -> list[str]:
    """The secrets of which `output` holds 16 or more characters in a row (after squashing both)."""
    out = squash(output) if squashed is None else squashed
    found = []
    for secret in secrets:
        s = squash(secret)
        hit = False
        for q in range(0, max(len(s) - 7, 1), 8):  # any 16 in a row hold one of these 8s
            gram = s[q:q + 8]
            i = out.find(gram)
            while i >= 0 and not hit:
                left = 0
                while q - left > 0 and i - left > 0 and s[q - left - 1] == out[i - left - 1]:
                    left += 1
                right = 0
                while q + 8 + right < len(s) and i + 8 + right < len(out) and s[q + 8 + right] == out[i + 8 + right]:
                    right += 1
                hit = left + 8 + right >= min(16, len(s))
                i = out.find(gram, i + 1)
            if hit:
                found.append(secret)
                break
    return found


# --- the doors ---------------------------------------------------------------------------

def slack_body(text: str) -> tuple[str, dict]:
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    body = urlencode({"token": "legacy", "team_id": "T0001", "team_domain": "acme", "channel_id": "C1",
                      "user_id": "U1", "command": "/authdoctor", "text": esc,
                      "response_url": "https://hooks.slack.com/commands/T0001/1/x", "trigger_id": "1.2.3"})
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return body, {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig,
                  "Content-Type": "application/x-www-form-urlencoded"}


class Doors:
    """Every door, in-process; `run(text)` gives {door: everything it showed}."""

    def __init__(self, client: object | None = None, lines: list[str] | None = None) -> None:
        """The app's test client and a list the authdoctor loggers write to: made here, or given."""
        from authdoctor.web import create_app
        self.client = client or create_app(str(KB_DIR), test_config={
            "TESTING": True, "RATELIMIT_ENABLED": False, "SLACK_SIGNING_SECRET": SIGNING_SECRET}).test_client()
        self.n = 0
        self.tmp = Path(tempfile.mkdtemp()) / "paste.txt"
        if lines is not None:
            self.lines = lines
        else:
            self.lines = []
            keep = self.lines

            class Keep(logging.Handler):
                def emit(self, record: logging.LogRecord) -> None:
                    keep.append(self.format(record))

            handler = Keep(level=logging.DEBUG)
            handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
            for name in ("authdoctor", "authdoctor.access", "authdoctor.slack"):
                lg = logging.getLogger(name)
                lg.handlers[:] = [handler]  # keep what is logged, and keep it off the terminal
                lg.setLevel(logging.DEBUG)
                lg.propagate = False
        # the CLI door as it runs, but its KB loaded once, not once a paste
        import authdoctor.cli  # noqa: F401  (loads authdoctor.cli.main)
        cli = sys.modules["authdoctor.cli.main"]
        if not getattr(cli._load, "cached", False):
            load, cache = cli._load, {}

            def cached(args: argparse.Namespace) -> object:
                if args.kb not in cache:
                    cache[args.kb] = load(args)
                return cache[args.kb]

            cached.cached = True  # type: ignore[attr-defined]
            cli._load = cached

    def run(self, text: str, doors: tuple[str, ...]) -> dict[str, str]:
        from authdoctor import redact as red
        out = {}
        self.lines.clear()
        if "engine" in doors:
            out["engine"] = red.redact(text).text
        if "api" in doors:
            out["api"] = self.client.post("/api/v1/diagnose", json={"error": text}).get_data(as_text=True)
        if "page" in doors:
            form = {"error": text, "region": "not-a-region"} if self.n % 4 == 3 else {"error": text}  # refused hint
            out["page"] = self.client.post("/", data=form).get_data(as_text=True)
        if "slack" in doors:
            body, headers = slack_body(text)
            out["slack"] = self.client.post("/slack/commands", data=body, headers=headers).get_data(as_text=True)
        if "cli" in doors:
            from authdoctor.cli import main
            self.tmp.write_text(text)
            buf, err = io.StringIO(), io.StringIO()
            with redirect_stdout(buf), redirect_stderr(err):
                main(["diagnose", "--json", str(self.tmp)] if self.n % 2 else ["diagnose", str(self.tmp)])
            out["cli"] = buf.getvalue() + err.getvalue()
        out["logs"] = "\n".join(self.lines)
        self.n += 1
        return out


def use_redact(path: str) -> None:
    """Score another redact.py (say, the one before a change) through the same doors."""
    import authdoctor.redact as current
    spec = importlib.util.spec_from_file_location("other_redact", path)
    assert spec and spec.loader
    other = importlib.util.module_from_spec(spec)
    sys.modules["other_redact"] = other
    spec.loader.exec_module(other)

    def redact(text: str) -> current.Redaction:
        r = other.redact(text)
        return current.Redaction(r.text, r.kinds, r.key_prefix, r.has_session_token)

    import authdoctor.diagnose
    import authdoctor.hints
    import authdoctor.web.pages
    import authdoctor.web.slack.parse
    for mod in (current, authdoctor.diagnose, authdoctor.hints, authdoctor.web.pages, authdoctor.web.slack.parse):
        mod.redact = redact  # type: ignore[attr-defined]


def _worker(args: tuple[int, int, int, tuple[str, ...], str | None]) -> list[tuple[str, str, dict[str, bool]]]:
    seed, start, count, doors, other = args
    sys.path[:0] = [str(ROOT / "src")]
    if other:
        use_redact(other)
    d = Doors()
    base = examples()
    rows = []
    for i in range(start, start + count):
        rnd = random.Random(f"{seed}-{i}")
        text, secrets, kind, form = make_paste(rnd, rnd.choice(base))
        rows.append((form, kind, {door: bool(leaks(shown, secrets)) for door, shown in d.run(text, doors).items()}))
    return rows


def leak_report(n: int, doors: tuple[str, ...], other: str | None, jobs: int, seed: int) -> int:
    from multiprocessing import Pool
    chunk = (n + jobs - 1) // jobs
    parts = [(seed, j * chunk, min(chunk, n - j * chunk), doors, other) for j in range(jobs) if j * chunk < n]
    t0 = time.perf_counter()
    with Pool(len(parts)) as pool:
        rows = [r for part in pool.map(_worker, parts) for r in part]
    took = time.perf_counter() - t0
    all_doors = [*doors, "logs"]
    pastes = Counter(form for form, _, _ in rows)
    leaked = Counter((form, door) for form, _, bad in rows for door, b in bad.items() if b)
    total_bad = sum(any(bad.values()) for _, _, bad in rows)
    print(f"{n} pastes, {len(FORMS)} forms, {len(KINDS)} kinds, doors: {', '.join(all_doors)} "
          f"({took:.0f} s, redact = {other or 'src/authdoctor/redact.py'})")
    print(f"pastes with a secret (or 16+ characters of one) back through any door: {total_bad} "
          f"({100 * total_bad / max(n, 1):.1f}%)")
    print(f"{'form':24} {'pastes':>6} {'leaked':>6} | " + " ".join(f"{d:>6}" for d in all_doors))
    for form in sorted(FORMS):
        bad_pastes = sum(any(b.values()) for f, _, b in rows if f == form)
        print(f"{form:24} {pastes[form]:6} {bad_pastes:6} | " + " ".join(f"{leaked[(form, d)]:6}" for d in all_doors))
    kinds = Counter(kind for _, kind, bad in rows if any(bad.values()))
    if kinds:
        print("pastes leaking, by kind: " + ", ".join(f"{k} {c}" for k, c in sorted(kinds.items())))
    return total_bad


# --- adversarial timing ------------------------------------------------------------------

def adversarial(size: int = 64 * 1024) -> dict[str, str]:
    rnd = random.Random(17)

    def rep(unit: str) -> str:
        return (unit * (size // len(unit) + 1))[:size]

    shapes = {
        "a_a_a_": rep("a_"), "x-x-x-": rep("x-"), "a.a.a.": rep("a."), "a/a/a/": rep("a/"),
        "TF_TOKEN_ run": "TF_TOKEN_" + rep("a")[: size - 9], "TF_TOKEN_- runs": rep("TF_TOKEN_-"),
        "token = \"...\" lines": rep('token = "' + "x" * 30 + '"\n'), "token= unclosed": rep('token = "xxxxxxxxxx '),
        "token=token=": rep("token="), "secret=...": rep("secret=abcdefgh... "),
        "eyeyey": rep("ey"), "eyJ. runs": rep("eyJhbGciOiJSUzI1NiJ9" + "."),
        "BEGIN no END": rep("-----BEGIN RSA PRIVATE KEY-----\n"), "BEGIN then base64": "-----BEGIN PRIVATE KEY-----\n"
        + rep("QUFBQUFB"), "BEGIN END glued": rep("-----BEGIN PRIVATE KEY-----A-----END PRIVATE KEY-----"),
        "xoxb- runs": rep("xoxb-"), "AKIA runs": rep("AKIA"), "AKIA keys": rep("AKIAIOSFODNN7EXAMPLE "),
        "IQoJ runs": rep("IQoJb3JpZ2lu"), "base64 one run": rep("Ab3/"), "base64 40s": rep(secret_key(rnd) + " "),
        "base64 41s /": rep(secret_key(rnd) + "/"), "%2F%2F": rep("%2F"), "%2": rep("%2"), "\\\\u00": rep("\\u00"),
        "\\/\\/": rep("\\/"), "&#47;": rep("&#47;"), "ANSI": rep("\x1b[31m"), "ESC[": rep("\x1b["),
        "ESC]": rep("\x1b]"), "zero width": rep("\u200b"), "cyrillic": rep("аВс"), "fullwidth": rep("Ａ１／"),
        "CJK": rep("認証"), "wrapped base64": rep(_s(rnd, B64, 76) + "\n"), "short lines": rep("a\n"),
        "access_key = ": rep("access_key = "), "aws_secret_access_key=": rep("aws_secret_access_key="),
        "atlasv1": rep("abcdefghijklmn.atlasv1."), "hooks.slack": rep("hooks.slack.com/services/"),
        "arn:aws:": rep("arn:aws:"), "spaces": rep(" "), "newlines": rep("\n"), "random ascii": "".join(
            rnd.choice(string.printable) for _ in range(size)), "random base64": _s(rnd, B64, size),
        "random b64+punct": "".join(rnd.choice(B64 + "=_-./ \n") for _ in range(size)),
        "provider blocks": rep('provider "aws" {\n token = "abcdefgh12345678"\n}\n'),
    }
    base = " ".join(examples())
    shapes["real errors x many"] = rep(base + "\n")
    shapes["real errors + secrets"] = rep(base + "\n" + "\n".join(
        FORMS[f](rnd, "secret-key", secret_key(rnd)) or "" for f in sorted(FORMS)) + "\n")
    return {name: s.encode()[:size].decode("utf-8", "ignore") for name, s in shapes.items()}


def timing(other: str | None, top: int) -> float:
    sys.path[:0] = [str(ROOT / "src")]
    if other:
        spec = importlib.util.spec_from_file_location("other_redact", other)
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        sys.modules["other_redact"] = mod
        spec.loader.exec_module(mod)
        redact = mod.redact
    else:
        from authdoctor.redact import redact
    redact("warm up: \u0430 " + "x" * 50)
    rows = []
    for name, text in adversarial().items():
        best = float("inf")
        for _ in range(3):
            t0 = time.process_time()
            redact(text)
            best = min(best, time.process_time() - t0)
            if best > 5:
                break
        rows.append((best, name, len(text.encode())))
    rows.sort(reverse=True)
    print(f"\nadversarial timing: {len(rows)} inputs of 64 KiB, CPU time (best of 3), slowest first")
    for t, name, n in rows[:top]:
        print(f"  {t * 1000:9.1f} ms  {name:24} {n} bytes")
    print(f"slowest: {rows[0][0] * 1000:.1f} ms ({rows[0][1]})")
    return rows[0][0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=10_000, help="pastes (default 10,000)")
    ap.add_argument("--doors", default="engine,api,page,slack,cli", help="comma-separated doors (logs always)")
    ap.add_argument("--redact", help="path of another redact.py to score instead of the package's")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--timing", action="store_true", help="only the adversarial timing")
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--top", type=int, default=12, help="slowest inputs to print")
    args = ap.parse_args(argv)
    if not args.timing:
        leak_report(args.n, tuple(args.doors.split(",")), args.redact, args.jobs, args.seed)
    if not args.no_timing:
        timing(args.redact, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
