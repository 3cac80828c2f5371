"""The command line door: `python -m authdoctor diagnose|doctor|run|kb check|eval|serve`."""
from __future__ import annotations

import argparse
import json
import os
import sys

from .. import knowledge


def _parse_hint(raw: str) -> tuple[str, object]:
    if "=" not in raw:
        from ..hints import quote_value  # masked and cut: what was typed may be a secret
        raise argparse.ArgumentTypeError(f"--hint takes key=value, got {quote_value(raw)}")
    key, value = raw.split("=", 1)
    key, value = key.strip(), value.strip()
    if key == "env_vars_set":
        return key, [v for v in value.replace(",", " ").split() if v]
    return key, value


def _read_text(path: str | None) -> str:
    """The paste, or a log's last 64 KiB: a CI log piped in whole (`terraform plan 2>&1 |
    authdoctor diagnose`) ends with its error, and reading only its tail bounds the time."""
    from .run import read_tail
    if path and path != "-":
        with open(path, "rb") as f:
            return read_tail(f)
    if sys.stdin.isatty():
        print("Paste the error, then Ctrl-D:", file=sys.stderr)
    return read_tail(sys.stdin.buffer)


def _load(args):
    from ..diagnose import Doctor
    try:
        return Doctor(knowledge.load(args.kb))
    except knowledge.KBError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        sys.exit(2)


def cmd_diagnose(args) -> int:
    from ..hints import HintError
    from .interactive import interact
    from .render import render, render_markdown
    if args.doctor:  # the piped log's tail, weighed with this machine's hints (cli/run.py)
        from .run import cmd_diagnose_doctor
        return cmd_diagnose_doctor(args, "json" if args.json else args.format)
    doctor = _load(args)
    text = _read_text(args.file)
    if not text.strip():
        print("error: nothing to diagnose (the input is empty)", file=sys.stderr)
        return 2
    hints = dict(args.hint or [])
    fmt = "json" if args.json else args.format
    # prompts need a person at a terminal; piped or scripted runs never block on one
    talk = args.interactive and sys.stdin.isatty()
    try:
        if talk:
            # the conversation prints as it goes; Markdown or JSON asked for is the only thing on stdout
            answer = interact(doctor, text, hints, sys.stdin, sys.stdout if fmt == "text" else sys.stderr)
        else:
            answer = doctor.diagnose(text, hints=hints)
    except HintError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if fmt == "json":
        json.dump(answer.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif fmt == "markdown":
        sys.stdout.write(render_markdown(answer, all_fixes=args.all_fixes))
    elif not talk:
        sys.stdout.write(render(answer, all_fixes=args.all_fixes))
    return 0 if answer.recognized else 1


def cmd_kb_check(args) -> int:
    problems = knowledge.check(args.kb)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    kb = knowledge.load(args.kb)
    from ..authoring.counts import lint_counts
    from ..authoring.lint import lint_examples, lint_shared_ids
    problems = lint_examples(kb) + lint_shared_ids(kb, args.causes_md) + lint_counts(kb)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"ok: {len(kb.errors)} errors, {len(kb.variants)} variants, {len(kb.causes)} causes, {len(kb.declines)} declines, "
          f"{len(kb.hints)} hints, {len(kb.markers)} markers (kb {kb.version})")
    return 0


def cmd_kb_codes(args: argparse.Namespace) -> int:
    from ..authoring.lint import CODES
    for code, meaning in CODES.items():
        print(f"{code}  {meaning}")
    return 0


def cmd_kb_counts(args) -> int:
    from ..authoring.counts import render_rows, write_priors, write_rows
    kb = knowledge.load(args.kb)
    if not args.write:
        sys.stdout.write(render_rows(kb))
        return 0
    try:
        changed = write_rows(kb) + write_priors(kb)
    except ValueError as exc:
        print(exc)
        return 1
    for f in changed:
        print(f"updated {f}")
    print(f"{len(changed)} file(s) updated; run 'kb check' to see the base rates agree")
    return 0


def cmd_eval(args) -> int:
    from ..authoring.evaluate import main as eval_main
    return eval_main(args)


def cmd_simulate(args) -> int:
    from ..authoring.simulate import report_simulation, simulate
    print(report_simulation(simulate(_load(args), trials=args.trials)))
    return 0


def cmd_walk(args) -> int:
    from ..authoring.evaluate import load_cases
    from ..authoring.simulate import report_answer_effects, report_walk, walk_all
    from ..hints import hint_text
    cases = load_cases(args.cases)
    expected = {str(c["id"]): c.get("expected") for c in cases}
    figs = walk_all(_load(args), cases)
    dipped = set(figs.dipped)
    for cid, ranks in figs.walks.items():
        # name the answers that moved it down, in --hint form to replay: what a KB author looks at first
        worse = ", ".join(f"{h}={hint_text(a)} ({b or '-'} -> {c or '-'})" for h, a, b, c in figs.falls(cid))
        print(f"{cid}: expected {expected[cid]} ranks {' -> '.join(str(r or '-') for r in ranks)}"
              f"{'  WORSE after ' + worse if cid in dipped else ''}")
    print(report_answer_effects(figs))
    print(report_walk(figs, args.cases or "tests/cases"))
    return 0


def cmd_serve(args) -> int:
    from ..settings import SettingsError, load
    try:  # checked here too, so a bad setting is one line, not gunicorn's traceback
        load()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.dev:
        from ..web import create_app
        create_app(kb_path=args.kb).run(host=args.host or "127.0.0.1", port=args.port or 5000)
        return 0
    # the production server: gunicorn with the package's settings file, read by its path
    # so gevent patches the standard library before the app is imported (web/gunicorn_conf.py)
    from importlib.resources import files
    conf = str(files("authdoctor") / "web" / "gunicorn_conf.py")
    argv = [sys.executable, "-m", "gunicorn", "-c", conf]
    if args.host or args.port:
        argv += ["--bind", f"{args.host or '127.0.0.1'}:{args.port or 8000}"]
    if args.workers:
        argv += ["--workers", str(args.workers)]
    if args.kb:
        os.environ["AUTHDOCTOR_KB"] = args.kb
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)
    return 0  # pragma: no cover - execv does not return


def cmd_slack_socket(args) -> int:
    from ..settings import SettingsError, load
    try:
        env = load()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not env.slack_app_token:
        print("error: set AUTHDOCTOR_SLACK_APP_TOKEN to the Slack app's app-level token (xapp-..., scope connections:write)",
              file=sys.stderr)
        return 2
    from ..web import create_app
    from ..web.slack.socket import run
    run(create_app(kb_path=args.kb, env=env), env.slack_app_token)
    return 0  # pragma: no cover - runs until stopped


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from .. import __version__
    try:
        return version("authdoctor")
    except PackageNotFoundError:  # run from a checkout without installing
        return __version__


def main(argv=None) -> int:
    from . import doctor as doctor_cmd
    from . import run as run_cmd
    ap = argparse.ArgumentParser(prog="authdoctor", description="Ranked causes and fixes for Terraform/AWS credential errors.")
    ap.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    ap.add_argument("--kb", default=None, help="knowledge base folder (default: the project's kb/ or $AUTHDOCTOR_KB)")
    sub = ap.add_subparsers(dest="cmd", required=True)

    d = sub.add_parser("diagnose", help="diagnose an error read from FILE or stdin")
    d.add_argument("file", nargs="?", help="a file with the pasted error; '-' or nothing reads stdin")
    d.add_argument("--hint", action="append", type=_parse_hint, metavar="KEY=VALUE",
                   help="what you know: key_prefix=ASIA, runner=github-actions, in_docker=true ... (repeatable)")
    d.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                   help="text for the terminal (default), markdown to paste into a ticket or pull request, json as the API answers")
    d.add_argument("--json", action="store_true", help="the same as --format json")
    d.add_argument("--all-fixes", action="store_true", help="show the fixes of every cause, not only the first")
    d.add_argument("--interactive", "-i", action="store_true", help="answer the questions in the terminal and re-rank")
    run_cmd.add_diagnose_options(d)
    d.set_defaults(func=cmd_diagnose)

    doctor_cmd.add_parser(sub)
    run_cmd.add_parser(sub, _parse_hint)

    k = sub.add_parser("kb", help="knowledge base tools")
    ksub = k.add_subparsers(dest="kbcmd", required=True)
    kc = ksub.add_parser("check", help="lint the knowledge base: schema, references, ids, weights, fixes, examples")
    kc.add_argument("--causes-md", default=None,
                    help="the team's CAUSES.md to check cause ids against (scripts/test passes ../shared/CAUSES.md when a checkout has it)")
    kc.set_defaults(func=cmd_kb_check)
    kd = ksub.add_parser("codes", help="every problem code kb check can print, and what it means")
    kd.set_defaults(func=cmd_kb_codes)
    kn = ksub.add_parser("counts", help="the runner weights counted from kb/reports/, as rows for the cause files")
    kn.add_argument("--write", action="store_true", help="rewrite the counted rows in kb/causes/ instead of printing them")
    kn.set_defaults(func=cmd_kb_counts)

    e = sub.add_parser("eval", help="score the KB on a case corpus (default: tests/cases/)")
    e.add_argument("cases", nargs="?", help="a case file or folder")
    e.add_argument("--no-hints", action="store_true", help="score the text alone")
    e.add_argument("--verbose", "-v", action="store_true")
    e.add_argument("--write-baseline", action="store_true", help="record today's ranks as the regression baseline")
    e.add_argument("--baseline", default=None, help="the baseline file to write (default: baseline.json beside the cases)")
    e.set_defaults(func=cmd_eval)

    sm = sub.add_parser("simulate", help="how many questions until the right cause leads (simulation over the KB)")
    sm.add_argument("--trials", type=int, default=40)
    sm.set_defaults(func=cmd_simulate)

    w = sub.add_parser("walk", help="answer the questions from real cases' own hints; print the expected cause's rank per step")
    w.add_argument("cases", nargs="?", help="a case file or folder (default: tests/cases/)")
    w.set_defaults(func=cmd_walk)

    s = sub.add_parser("serve", help="run the production server (gunicorn; --dev: Flask's development server)")
    s.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1, or the configured bind)")
    s.add_argument("--port", type=int, default=None, help="port (default 8000; 5000 with --dev)")
    s.add_argument("--workers", type=int, default=None, help="worker processes (default: cores + 1)")
    s.add_argument("--dev", action="store_true", help="Flask's development server: one process, reloads nothing, not for production")
    s.set_defaults(func=cmd_serve)

    so = sub.add_parser("slack-socket", help="answer Slack over Socket Mode (no public URL; needs AUTHDOCTOR_SLACK_APP_TOKEN)")
    so.set_defaults(func=cmd_slack_socket)

    from .feedback import add_parsers as feedback_parsers
    feedback_parsers(sub)

    args = ap.parse_args(argv)
    try:
        return int(args.func(args))
    except knowledge.KBError as exc:
        # every command that loads the KB names the broken file and field, never a traceback
        for p in exc.problems:
            print(p, file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`... | head`): stop quietly, as cat and grep do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141

