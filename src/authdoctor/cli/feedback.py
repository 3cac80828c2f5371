"""`authdoctor feedback` (say whether a cause was the right one) and `authdoctor report` (the curator's report).

Feedback goes to the local store (the SQLite file in AUTHDOCTOR_DATA_DIR, or
AUTHDOCTOR_DATABASE_URL), or with --send to an AuthDoctor server's API. The
report reads the same store and prints; its proposed priors are a patch for a
person to review (`--patch FILE` writes it), never applied by itself.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from .. import knowledge
from ..feedback.vocab import OUTCOMES
from ..settings import SettingsError

if TYPE_CHECKING:
    from ..feedback import Store


def add_parsers(sub: Any) -> None:
    f = sub.add_parser("feedback", help="say whether a cause of an answer fixed it (stored locally, or --send to a server)")
    f.add_argument("answer_id", help="the answer's answer id (diagnose --json prints it as answer_id)")
    f.add_argument("outcome", choices=OUTCOMES, help="fixed: this cause's fix worked; not-this; something-else (name it with --true-cause)")
    f.add_argument("cause", help="the cause id this is about")
    f.add_argument("--true-cause", default=None, metavar="ID", help="what it actually was, with not-this or something-else")
    f.add_argument("--error", default=None, metavar="CODE", help="the answer's error code (needed when the cause belongs to several errors)")
    f.add_argument("--answer", default=None, metavar="FILE",
                   help="the answer as `diagnose --json` wrote it: error, variant, hints and the first cause come from it")
    f.add_argument("--send", default=None, metavar="URL", help="send it to the AuthDoctor server at URL instead of the local store")
    f.set_defaults(func=cmd_feedback)

    r = sub.add_parser("report", help="what the feedback says: per cause, calibration, unrecognised texts, proposed priors as a patch")
    r.add_argument("--strength", type=float, default=None, help="how many answers of feedback the KB's own prior counts as (default 20)")
    r.add_argument("--patch", default=None, metavar="FILE", help="write the proposed priors as a patch to FILE (git apply / patch -p1)")
    r.add_argument("--top", type=int, default=10, help="how many unrecognised texts to list")
    r.add_argument("--cases", nargs="?", const="", default=None, metavar="DIR",
                   help="also the calibration on labelled cases (default with no DIR: ./tests/cases)")
    r.set_defaults(func=cmd_report)


def _store() -> Store:
    from ..feedback import Store
    from ..settings import load
    env = load()  # SettingsError names a bad AUTHDOCTOR_DATABASE_URL
    return Store(database_url=env.database_url, data_dir=env.data_dir)


def _body(args: argparse.Namespace, kb: knowledge.KB) -> dict[str, Any]:
    from ..feedback import FeedbackError, causes_of  # the database layer only when feedback is given
    body: dict[str, Any] = {"answer_id": args.answer_id, "cause": args.cause, "outcome": args.outcome}
    if args.true_cause:
        body["true_cause"] = args.true_cause
    if args.answer:
        with open(args.answer, encoding="utf-8") as fh:
            answer = json.load(fh)
        if answer.get("answer_id") != args.answer_id:
            raise FeedbackError("answer_id", f"{args.answer} holds answer {answer.get('answer_id')!r}, not {args.answer_id!r}")
        body["error_code"] = answer.get("error_code")
        if answer.get("variant"):
            body["variant"] = answer["variant"]["id"]
        if answer.get("causes"):
            body["first_cause"], body["first_probability"] = answer["causes"][0]["id"], answer["causes"][0]["probability"]
        body["kb_version"] = answer.get("kb_version")
        body["hints"] = {k: v["value"] for k, v in (answer.get("hints_used") or {}).items()}
    if args.error:
        body["error_code"] = args.error
    if not body.get("error_code"):
        errors = [e for e in kb.errors if args.cause in causes_of(kb, e)]
        if len(errors) != 1:
            raise FeedbackError("error_code", f"'{args.cause}' is a cause of {len(errors)} errors"
                                              f"{': ' + ', '.join(errors) if errors else ''}; say which with --error CODE or --answer FILE")
        body["error_code"] = errors[0]
    return body


def cmd_feedback(args: argparse.Namespace) -> int:
    from ..feedback import FeedbackError, StoreError, check_feedback
    kb = knowledge.load(args.kb)
    try:
        body = _body(args, kb)
        if args.send:
            return _send(args.send, body)
        item = check_feedback(kb, body, door="cli")
        import getpass
        import socket
        new = _store().add_feedback(item, client=f"cli:{getpass.getuser()}@{socket.gethostname()}")
    except FeedbackError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{'stored' if new else 'already stored'}: {item.outcome} for {item.cause} ({item.error_code}, answer {item.answer_id})")
    return 0


def _send(url: str, body: dict[str, Any]) -> int:
    target = url.rstrip("/") + "/api/v1/feedback"
    import urllib.error  # only when sending: `authdoctor run` starts without the HTTP client
    import urllib.request
    req = urllib.request.Request(target, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            answer = json.loads(resp.read() or b"{}")
            print(f"{answer.get('status', 'sent')}: {body['outcome']} for {body['cause']} (sent to {url})")
            return 0
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read())["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = exc.reason
        print(f"error: the server answered {exc.code}: {message}", file=sys.stderr)
        return 2 if 400 <= exc.code < 500 else 1
    except urllib.error.URLError as exc:
        print(f"error: {target} cannot be reached: {exc.reason}", file=sys.stderr)
        return 1


def cmd_report(args: argparse.Namespace) -> int:
    from ..feedback import StoreError
    from ..feedback.report import STRENGTH, build, prior_patch, render
    kb = knowledge.load(args.kb)
    strength = STRENGTH if args.strength is None else args.strength
    if strength <= 0:
        print("error: --strength must be more than 0", file=sys.stderr)
        return 2
    cases = _cases_calibration(kb, args.cases) if args.cases is not None else None
    try:
        store = _store()
        report = build(kb, store.feedback_rows(), store.top_submissions(args.top), strength=strength, cases=cases)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render(report, top=args.top))
    patch = prior_patch(kb, report.changes, strength=strength)
    if args.patch:
        with open(args.patch, "w", encoding="utf-8") as fh:
            fh.write(patch)
        print(f"\nThe patch is in {args.patch}: review it, then `git apply {args.patch}` from the KB folder's parent and run kb check.")
    elif patch:
        print("\n" + patch, end="")
    return 0


def _cases_calibration(kb: knowledge.KB, where: str) -> tuple[str, Any]:
    """The first cause's probability against the label, on the project's own cases (authdoctor eval's corpus)."""
    from ..authoring.evaluate import DEFAULT_CASES, load_cases, run_case
    from ..diagnose import Doctor
    from ..feedback.report import reliability
    doctor = Doctor(kb)
    outcomes = [run_case(doctor, c) for c in load_cases(where or None) if c.get("expected")]
    pairs = [(o.probability, int(o.rank == 1)) for o in outcomes if o.recognized and o.top]
    return str(where or DEFAULT_CASES), reliability(pairs)
