"""No pasted secret ever comes back: not from the API, the page, Slack, the CLI or the logs.

Real error texts from the KB, with random secrets of every kind redact.py
knows put in at random places, in the forms people paste them: bare, as
`export NAME=...`, as HCL or JSON, in a URL, glued to the words around them.

The second half (issue 17) draws from `bench/secrets_leak.py`: its secrets (key
ids of every prefix, secret keys, STS tokens, TFC, GitHub, Slack, JWT, PEM and
Bedrock keys) in each of its forms (URL-encoded, ANSI-coloured, hard-wrapped,
glued to the key id, JSON-escaped, zero-width, look-alike letters, lower-cased,
after `=`/`_`/`-`/`.`/`/`/`//`, flag spellings...), and its check: neither the
secret nor any 16 characters of it in a row come back, however escaped.
"""
import base64
import hashlib
import hmac
import json
import logging
import os
import random
import re
import string
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, quote_plus, urlencode

import pytest
from bench import secrets_leak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authdoctor.redact import KEY_ID_PREFIXES, redact
from authdoctor.web import create_app

ROOT = Path(__file__).resolve().parent.parent


KB_DIR = ROOT / "kb"
SIGNING_SECRET = "property-test-signing-secret"
# the alphabets real secrets are drawn from, as the benchmark defines them
B64, B64URL, ALNUM, BASE32 = secrets_leak.B64, secrets_leak.B64URL, secrets_leak.ALNUM, secrets_leak.BASE32


# the same real error texts the benchmark puts its secrets into
EXAMPLES = secrets_leak.examples()


# --- secrets, random the way real ones are ---------------------------------------------
# Each maker takes a random.Random seeded by hypothesis: the values look like
# real secrets (uniformly random characters) whatever seed hypothesis picks or
# shrinks to, instead of the "AAAA..." a shrinker would otherwise produce.

def _s(rnd, alphabet, n):
    return "".join(rnd.choice(alphabet) for _ in range(n))


def key_id(rnd):
    prefix = rnd.choice(KEY_ID_PREFIXES)
    if prefix == "A3T":
        prefix += rnd.choice(string.ascii_uppercase + string.digits)
    return prefix + _s(rnd, BASE32, 16)


def secret_key(rnd):
    return _s(rnd, B64, 40)


def looks_random(s):
    """The bare-secret contract of redact.py: both cases and a digit, / or + (misses ~2.5e-4 of real keys)."""
    return bool(re.search("[a-z]", s) and re.search("[A-Z]", s) and re.search("[0-9/+]", s))


def sts_token(rnd):
    prefix = rnd.choice(("IQoJb3JpZ2lu", "FwoGZXIvYXdz", "FQoGZXIvYXdz", "AQoDYXdz", "AgoJb3JpZ2lu"))
    body = base64.b64encode(rnd.randbytes(rnd.randint(90, 450))).decode()
    return prefix + body


def opaque_token(rnd):
    return base64.b64encode(rnd.randbytes(rnd.randint(24, 120))).decode().rstrip("=")


def tfc_token(rnd):
    return _s(rnd, ALNUM, 14) + ".atlasv1." + _s(rnd, ALNUM + "-_=", rnd.randint(60, 70))


def github_token(rnd):
    if rnd.random() < 0.25:
        return "github_pat_" + _s(rnd, ALNUM, 22) + "_" + _s(rnd, ALNUM, 59)
    return rnd.choice(("ghp", "gho", "ghu", "ghs", "ghr")) + "_" + _s(rnd, ALNUM, 36)


def slack_token(rnd):
    n = lambda: _s(rnd, string.digits, rnd.randint(10, 13))  # noqa: E731
    return rnd.choice((
        f"xoxb-{n()}-{n()}-{_s(rnd, ALNUM, 24)}",
        f"xoxp-{n()}-{n()}-{n()}-{_s(rnd, string.hexdigits.lower()[:16], 32)}",
        f"xapp-1-A{_s(rnd, string.ascii_uppercase + string.digits, 10)}-{n()}-{_s(rnd, '0123456789abcdef', 64)}",
    ))


def slack_webhook(rnd):
    up = string.ascii_uppercase + string.digits
    return f"hooks.slack.com/services/T{_s(rnd, up, 8)}/B{_s(rnd, up, 10)}/{_s(rnd, ALNUM, 24)}"


def jwt(rnd):
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")  # noqa: E731
    return ".".join((enc({"alg": "RS256", "typ": "JWT", "kid": _s(rnd, ALNUM, 8)}),
                     enc({"sub": _s(rnd, ALNUM, 12), "aud": "sts.amazonaws.com", "exp": rnd.randint(1, 2**31)}),
                     _s(rnd, B64URL, 86)))


def pem(rnd):
    kind = rnd.choice(("RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", ""))
    body = base64.b64encode(rnd.randbytes(rnd.randint(120, 900))).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {kind}PRIVATE KEY-----\n" + "\n".join(lines) + f"\n-----END {kind}PRIVATE KEY-----"


def pem_material(value):
    """What of a PEM block is secret: its base64 lines (the BEGIN/END lines are not)."""
    return [line for line in value.splitlines()[1:-1] if len(line) >= 16]


# kind -> (maker, forms); a form is a template with {v}, "bare" or "glued"
KINDS = {
    "key-id": (key_id, ["bare", "glued", "export AWS_ACCESS_KEY_ID={v}", "aws_access_key_id = {v}",
                        '"AccessKeyId": "{v}"', "Credential={v}/20240101/us-east-1/sts/aws4_request",
                        'access_key = "{v}"']),
    "secret-key": (secret_key, ["bare", "export AWS_SECRET_ACCESS_KEY={v}", "aws_secret_access_key = {v}",
                                '"SecretAccessKey": "{v}"', 'secret_key = "{v}"',
                                "aws configure set aws_secret_access_key {v}", "AWS_SECRET_ACCESS_KEY: '{v}'"]),
    "sts-token": (sts_token, ["bare", "glued", "export AWS_SESSION_TOKEN={v}", "aws_session_token = {v}",
                              '"SessionToken": "{v}"', "X-Amz-Security-Token: {v}",
                              'provider "aws" {{\n  region = "eu-west-1"\n  token  = "{v}"\n}}']),
    "opaque-session-token": (opaque_token, ["export AWS_SESSION_TOKEN={v}", "aws_security_token = {v}",
                                            'provider "aws" {{\n  token = "{v}"\n}}']),
    "tfc-token": (tfc_token, ["bare", "glued", "export TFE_TOKEN={v}", "ATLAS_TOKEN={v}",
                              "TF_TOKEN_app_terraform_io={v}",
                              'credentials "app.terraform.io" {{\n  token = "{v}"\n}}',
                              '{{"credentials": {{"app.terraform.io": {{"token": "{v}"}}}}}}']),
    "opaque-tfc-token": (opaque_token, ["TFE_TOKEN={v}", "export ATLAS_TOKEN={v}",
                                        'credentials "app.terraform.io" {{\n  token = "{v}"\n}}']),
    "github-token": (github_token, ["bare", "glued", "GITHUB_TOKEN={v}",
                                    "https://x-access-token:{v}@github.com/acme/infra.git"]),
    "slack-token": (slack_token, ["bare", "glued", "SLACK_BOT_TOKEN={v}", "Authorization: Bearer {v}"]),
    "slack-webhook": (slack_webhook, ["bare", "https://{v}", "SLACK_WEBHOOK_URL=https://{v}"]),
    "jwt": (jwt, ["bare", "glued", "AWS_WEB_IDENTITY_TOKEN={v}"]),
    "private-key": (pem, ["bare", "glued", 'private_key = <<EOF\n{v}\nEOF']),
}


@st.composite
def pasted(draw):
    """(text with secrets in it, the secret strings that must never come back)."""
    text = draw(st.sampled_from(EXAMPLES))
    kinds = draw(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=4))
    rnd = random.Random(draw(st.integers(0, 2**64)))
    # insert at positions of the original text, last first, so no secret lands inside another
    spaces = [m.start() for m in re.finditer(r"\s", text)] + [len(text)]
    inserts, secrets = [], []
    for kind in kinds:
        maker, forms = KINDS[kind]
        value = maker(rnd)
        form = draw(st.sampled_from(forms))
        if form == "bare" and kind == "secret-key" and not looks_random(value):
            form = forms[1]
        if form == "glued":
            pos, snippet = draw(st.integers(0, len(text))), value
        else:
            snippet = value if form == "bare" else form.format(v=value)
            pos = draw(st.sampled_from(spaces))
            snippet = f"\n{snippet}\n" if "\n" in snippet else f" {snippet} "
        inserts.append((pos, snippet))
        secrets += pem_material(value) if kind == "private-key" else [value]
    for pos, snippet in sorted(inserts, key=lambda i: i[0], reverse=True):
        text = text[:pos] + snippet + text[pos:]
    return text, secrets


def leaks(output: str, secrets: list[str]) -> list[str]:
    """Secrets found in `output`, as they are or URL-encoded (the page's share link)."""
    return [s for s in secrets if s in output or quote_plus(s) in output or quote(s, safe="") in output]


# --- the doors ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def web():
    app = create_app(str(KB_DIR), test_config={"TESTING": True, "RATELIMIT_ENABLED": False,
                                                "SLACK_SIGNING_SECRET": SIGNING_SECRET})
    return app.test_client()


@pytest.fixture(scope="module")
def logged():
    """Everything the authdoctor loggers (access log included) write, as text."""
    lines = []

    seen = {}  # id -> record, kept alive so that no later record can take its id

    class Keep(logging.Handler):
        def emit(self, record):
            # a record reaches this handler once per logger it passes on its way up
            if id(record) not in seen:
                seen[id(record)] = record
                lines.append(self.format(record))

    handler = Keep(level=logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    loggers = [logging.getLogger(n) for n in ("authdoctor", "authdoctor.access", "authdoctor.slack")]
    old = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield lines
    for lg, level in zip(loggers, old):
        lg.removeHandler(handler)
        lg.setLevel(level)


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_post(client, text: str):
    body = urlencode({"token": "legacy-verification", "team_id": "T0001", "team_domain": "acme",
                      "channel_id": "C1", "user_id": "U1", "command": "/authdoctor", "text": slack_escape(text),
                      "response_url": "https://hooks.slack.com/commands/T0001/1/x", "trigger_id": "1.2.3"})
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return client.post("/slack/commands", data=body, headers={
        "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig, "Content-Type": "application/x-www-form-urlencoded"})


PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(pasted())
def test_no_secret_comes_back_from_the_api(web, logged, case):
    text, secrets = case
    r = web.post("/api/v1/diagnose", json={"error": text})
    assert r.status_code == 200
    assert leaks(r.get_data(as_text=True), secrets) == []
    assert r.get_json()["redacted"], "a secret was pasted, so the answer must say what was masked"


@PROPERTY
@given(pasted())
def test_no_secret_comes_back_on_the_page(web, logged, case):
    text, secrets = case
    r = web.post("/", data={"error": text})
    assert r.status_code == 200
    assert leaks(r.get_data(as_text=True), secrets) == []


@PROPERTY
@given(pasted())
def test_no_secret_comes_back_in_the_slack_reply(web, logged, case):
    text, secrets = case
    r = slack_post(web, text)
    assert r.status_code == 200
    assert leaks(r.get_data(as_text=True), secrets) == []


@PROPERTY
@given(pasted())
def test_no_secret_is_ever_logged(web, logged, case):
    text, secrets = case
    logged.clear()
    web.post("/api/v1/diagnose", json={"error": text})
    web.post("/", data={"error": text})
    web.post("/", data={"error": text, "region": "not-a-region"})  # the refused-hint path too
    slack_post(web, text)
    assert len([line for line in logged if line.startswith("authdoctor.access")]) == 4
    assert leaks("\n".join(logged), secrets) == []


# --- the CLI: a couple of whole runs, not a property (a process each) ---------------------

@pytest.mark.parametrize("seed", [1, 2])
def test_no_secret_comes_back_from_the_cli_json(tmp_path, seed):
    rnd = random.Random(seed)
    text, secrets = EXAMPLES[seed], []
    for kind, (maker, forms) in sorted(KINDS.items()):
        value = maker(rnd)
        form = next(f for f in forms if f not in ("bare", "glued"))
        text += "\n" + form.format(v=value)
        secrets += pem_material(value) if kind == "private-key" else [value]
    paste = tmp_path / "paste.txt"
    paste.write_text(text)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    run = subprocess.run([sys.executable, "-m", "authdoctor", "diagnose", "--json", str(paste)],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert run.returncode in (0, 1), run.stderr
    assert json.loads(run.stdout)["redacted"]
    assert leaks(run.stdout + run.stderr, secrets) == []


# --- issue 17: every form, every kind, the attacker's check --------------------------------

@st.composite
def formed(draw):
    """(paste, secret material, kind, form): one secret in one of the bench's forms."""
    kind = draw(st.sampled_from(sorted(secrets_leak.KINDS)))
    form = draw(st.sampled_from(sorted(secrets_leak.FORMS)))
    rnd = random.Random(draw(st.integers(0, 2**64)))
    base = draw(st.sampled_from(EXAMPLES))
    for _ in range(20):  # a form that does not apply to the kind: the next kind that it does
        try:
            return secrets_leak.make_paste(rnd, base, kind, form)
        except ValueError:
            kind = sorted(secrets_leak.KINDS)[(sorted(secrets_leak.KINDS).index(kind) + 1) % len(secrets_leak.KINDS)]
    return secrets_leak.make_paste(rnd, base, "secret-key", form)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(formed())
def test_redact_masks_every_kind_in_every_form(case):
    text, secrets, kind, form = case
    r = redact(text)
    assert secrets_leak.leaks(r.text, secrets) == [], (kind, form)
    assert r.kinds
    assert redact(r.text).text == r.text  # masking the masked text changes nothing


@pytest.mark.parametrize("kind,form", [(k, f) for k in sorted(secrets_leak.KINDS) for f in sorted(secrets_leak.FORMS)])
def test_every_kind_in_every_form_once(kind, form):
    rnd = random.Random(f"{kind}/{form}")
    try:
        text, secrets, _, _ = secrets_leak.make_paste(rnd, EXAMPLES[0], kind, form)
    except ValueError:
        pytest.skip("the form does not apply to this kind")
    assert secrets_leak.leaks(redact(text).text, secrets) == []


@pytest.fixture(scope="module")
def doors(web, logged):
    return secrets_leak.Doors(client=web, lines=logged)  # the bench's doors on this module's app and log capture


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(formed())
def test_no_door_gives_back_any_form(doors, case):
    text, secrets, kind, form = case
    for door, shown in doors.run(text, ("api", "page", "slack", "cli")).items():
        assert secrets_leak.leaks(shown, secrets) == [], (door, kind, form)
