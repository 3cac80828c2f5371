"""Record (or check) what every door answers for every labelled case: the golden run.

A refactor that claims "no behaviour change" proves it here: the JSON API's
answer, the CLI's text, the Slack command's reply and the page's HTML for each
case under tests/cases/ (and the team's shared dev set, where a checkout has it)
are hashed with the answer id taken out (it is random-free but names the KB
revision, which the refactor may not change either; it is stripped because it
also hashes the hint order). `tests/test_golden.py` compares against the file.

    .venv/bin/python tests/golden/record.py            # rewrite tests/golden/answers.json
    .venv/bin/python tests/golden/record.py --check    # compare, list what differs

Re-record only after a deliberate change of answers, and say so in the commit.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import io
import json
import re
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path
from urllib.parse import quote, urlencode

import yaml

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "cases"
SHARED = ROOT.parent / "shared" / "eval" / "dev_cases.yaml"
GOLDEN = Path(__file__).resolve().parent / "answers.json"
SECRET = "golden-signing-secret"
_ANSWER_ID = re.compile(r"\b[0-9a-f]{16}\b")


def cases() -> list[tuple[str, dict]]:
    out = []
    for f in sorted(CASES.rglob("*.yaml")):
        for c in (yaml.safe_load(f.read_text()) or {}).get("cases") or []:
            out.append((f"{f.relative_to(CASES).as_posix()}:{c['id']}", c))
    if SHARED.is_file():
        for c in yaml.safe_load(SHARED.read_text())["cases"]:
            out.append((f"shared:{c['id']}", c))
    return out


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def _digest(s: str) -> str:
    return hashlib.sha256(_ANSWER_ID.sub("<id>", s).encode()).hexdigest()[:20]


def _api(client, case) -> tuple[str, dict]:
    r = client.post("/api/v1/diagnose", json={"error": case["error"], "hints": case.get("hints") or {}})
    body = r.get_json()
    body.pop("answer_id", None)
    summary = {"status": r.status_code, "error_code": body.get("error_code"),
               "variant": (body.get("variant") or {}).get("id"),
               "causes": [(c["id"], c["probability"]) for c in body.get("causes", [])][:4],
               "question": (body.get("question") or {}).get("hint")}
    return _digest(json.dumps(body, sort_keys=True)), summary


def _cli(case) -> str:
    from authdoctor.cli import main
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(case["error"])
    argv = ["diagnose", f.name]
    for k, v in (case.get("hints") or {}).items():
        argv += ["--hint", f"{k}={_text(v)}"]
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(argv)
    Path(f.name).unlink()
    return _digest(f"{code}\n{out.getvalue()}")


def _slack(client, case) -> str:
    hints = " ".join(f"{k}={_text(v)}" for k, v in (case.get("hints") or {}).items())
    text = (hints + "\n" if hints else "") + "```\n" + case["error"] + "\n```"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    body = urlencode({"command": "/authdoctor", "text": text, "team_id": "T1", "user_id": "U1",
                      "response_url": "https://hooks.slack.com/commands/T1/1/x"}, quote_via=quote)
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    r = client.post("/slack/commands", data=body, content_type="application/x-www-form-urlencoded",
                    headers={"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig})
    return _digest(f"{r.status_code}\n{r.get_data(as_text=True)}")


def _page(client, case) -> str:
    form = {"error": case["error"], **{k: _text(v) for k, v in (case.get("hints") or {}).items()}}
    r = client.post("/", data=form)
    return _digest(f"{r.status_code}\n{r.get_data(as_text=True)}")


def record() -> dict:
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    from authdoctor.web import create_app
    app = create_app(str(ROOT / "kb"), test_config={"TESTING": True, "RATELIMIT_ENABLED": False,
                                                     "SLACK_SIGNING_SECRET": SECRET})
    client = app.test_client()
    out = {}
    for key, case in cases():
        api, summary = _api(client, case)
        out[key] = {"api": api, "cli": _cli(case), "slack": _slack(client, case), "page": _page(client, case),
                    "summary": summary}
    return out


def differences(old: dict, new: dict) -> list[str]:
    lines = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a is None:
            continue  # a case added since the recording has no golden answer to keep
        if b is None:
            lines.append(f"{key}: case gone")
            continue
        for door in ("api", "cli", "slack", "page"):
            if a[door] != b[door]:
                lines.append(f"{key}: {door} differs; was {a['summary']}, now {b['summary']}")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with answers.json instead of rewriting it")
    args = ap.parse_args()
    new = record()
    if args.check:
        diff = differences(json.loads(GOLDEN.read_text()), new)
        print("\n".join(diff) or f"identical: {len(new)} cases on 4 doors")
        return 1 if diff else 0
    GOLDEN.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(new)} cases on 4 doors in {GOLDEN.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
