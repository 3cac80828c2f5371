"""`authdoctor run -- terraform plan ...` and `... | authdoctor diagnose --doctor`: diagnose where Terraform fails.

The command's output is passed on unchanged, byte for byte, stdout to stdout and
stderr to stderr, and its exit code is kept. Only a bounded tail of the output
is kept (TAIL_BYTES), and only the error-like lines of that tail are matched
(MATCH_BYTES), so a log of any size costs bounded memory and time. When the
command failed and that tail is a credential error the KB knows, the machine is
inspected (`authdoctor doctor`) and the diagnosis, weighed with its hints, is
printed on stderr after the command's own output (stdout stays the command's).
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from typing import IO, Any, BinaryIO

from .. import knowledge
from ..diagnose import Doctor
from ..diagnosis import Diagnosis
from ..hints import HintError
from .doctor import checked_hints, inspect_args, load_doctor, report_markdown, send
from .render import render, render_markdown

TAIL_BYTES = 64 * 1024
MATCH_BYTES = 8 * 1024
CHUNK = 64 * 1024
# what an error looks like in a log: the matcher's words, and Terraform's error box
_ERRORISH = re.compile(r"error|denied|invalid|expired|unauthori[sz]ed|forbidden|credential|token|signature|"
                       r"status ?code|exception|not authorized|no valid|[│╷╵]"
                       # and where Terraform was, for the stage: init, the backend
                       r"|initializing (?:the backend|provider)|configured the backend", re.I)
# a long apply shows in how long its last resource had been running ("Still creating... [1h2m0s elapsed]"): the last such line is kept
_STILL = re.compile(r"still (?:creating|modifying|destroying)\.\.\.", re.I)
_CONTEXT = 3


class Tail:
    """The last `limit` bytes of a stream, kept in bounded memory whatever the stream's size."""

    def __init__(self, limit: int = TAIL_BYTES):
        self.limit = limit
        self._buf = bytearray()
        self._lock = threading.Lock()

    def feed(self, chunk: bytes) -> None:
        with self._lock:
            self._buf += chunk
            if len(self._buf) > 2 * self.limit:  # trimmed in halves: each byte is moved at most twice
                del self._buf[: -self.limit]

    def text(self) -> str:
        with self._lock:
            data = bytes(self._buf[-self.limit:])
        return data.decode("utf-8", errors="replace")


def error_part(tail: str, limit: int = MATCH_BYTES) -> str:
    """The error-like lines of a log's tail, each with a few lines after it, at most `limit` characters (the last ones)."""
    lines = tail.splitlines()
    keep = [False] * len(lines)
    still = -1
    for i, line in enumerate(lines):
        if _STILL.search(line):
            still = i
        elif _ERRORISH.search(line):
            for j in range(i, min(len(lines), i + _CONTEXT + 1)):
                keep[j] = True
    if still >= 0:
        keep[still] = True
    text = "\n".join(line for line, k in zip(lines, keep) if k)
    if len(text) > limit:
        text = text[-limit:]
        text = text[text.find("\n") + 1:] if "\n" in text else text
    return text


def read_tail(stream: BinaryIO, limit: int = TAIL_BYTES) -> str:
    """A stream read to its end, keeping only its last `limit` bytes."""
    tail = Tail(limit)
    if stream.seekable():
        try:
            size = stream.seek(0, os.SEEK_END)
            stream.seek(max(0, size - limit))
        except OSError:
            pass
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        tail.feed(chunk)
    return tail.text()


def _pump(src: IO[bytes], dst: BinaryIO, tail: Tail) -> None:
    fd = src.fileno()
    while True:
        try:
            chunk = os.read(fd, CHUNK)
        except OSError:
            break
        if not chunk:
            break
        try:
            dst.write(chunk)
            dst.flush()
        except (BrokenPipeError, ValueError):
            pass  # our reader went away: the command still runs to its end, its code is still kept
        tail.feed(chunk)


def run_command(argv: list[str], tail: Tail, *, stdout: BinaryIO | None = None, stderr: BinaryIO | None = None) -> int:
    """Run argv, passing its output through unchanged and feeding both streams into `tail`; its exit code (128+N for signal N)."""
    out = stdout or sys.stdout.buffer
    err = stderr or sys.stderr.buffer
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=None)
    except FileNotFoundError:
        print(f"authdoctor run: {argv[0]}: command not found", file=sys.stderr)
        return 127
    except PermissionError:
        print(f"authdoctor run: {argv[0]}: permission denied", file=sys.stderr)
        return 126
    assert proc.stdout is not None and proc.stderr is not None
    threads = [threading.Thread(target=_pump, args=(proc.stdout, out, tail), daemon=True),
               threading.Thread(target=_pump, args=(proc.stderr, err, tail), daemon=True)]
    for t in threads:
        t.start()
    previous = None
    if threading.current_thread() is threading.main_thread():
        # a CI cancel (SIGTERM) reaches the command too; Ctrl-C reaches it through the terminal's process group
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: proc.send_signal(signum))
    try:
        while True:
            try:
                code = proc.wait()
                break
            except KeyboardInterrupt:
                continue  # the command got the same Ctrl-C; its exit code is what we report
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    for t in threads:
        t.join()
    return 128 - code if code < 0 else code


def _chdir(argv: list[str]) -> str | None:
    """The directory a `terraform -chdir=DIR ...` command works in."""
    for a in argv[1:]:
        if a.startswith("-chdir="):
            return a.split("=", 1)[1]
    return None


class Prefetch(threading.Thread):
    """The KB and the machine's inspection, read beside the running command.

    A Terraform command takes seconds; what a diagnosis needs besides the log (the KB,
    and `terraform version`, the .tf files and ~/.aws, which the command does not
    change) is ready when it fails, so the answer follows its last line at once. A
    success does not wait for it.
    """

    def __init__(self, args: Any, directory: str):
        super().__init__(name="authdoctor-prefetch", daemon=True)
        self.args, self.directory = args, directory
        self.doctor: Doctor | None = None
        self.kb_error: knowledge.KBError | None = None
        self.inspection: Any = None
        self.failure: BaseException | None = None

    def run(self) -> None:
        # anything else raised here is raised again in the main thread, as if it had done the work itself
        try:
            self.doctor = Doctor(knowledge.load(self.args.kb))
            self.inspection = inspect_args(self.args, self.directory)
        except knowledge.KBError as exc:
            self.kb_error = exc
        except BaseException as exc:
            self.failure = exc


def diagnose_tail(doctor: Doctor, tail: str, args: Any, directory: str, user_hints: Mapping[str, Any],
                  *, inspection: Any = None) -> tuple[Diagnosis, Any, dict[str, Any]] | None:
    """The diagnosis of a log's tail, weighed with the machine's hints; None when it is no credential error the KB knows."""
    text = error_part(tail)
    if not text.strip():
        return None
    first = doctor.diagnose(text, hints=user_hints)
    if not first.recognized:
        return None
    if inspection is None:
        inspection = inspect_args(args, directory)
    machine, _ = checked_hints(doctor.kb, inspection)
    answer = doctor.diagnose(first.paste, hints=user_hints, machine=machine)
    return answer, inspection, {**machine, **user_hints}


def emit(found: tuple[Diagnosis, Any, dict[str, Any]], fmt: str, out: IO[str], *, all_fixes: bool = False) -> None:
    from .doctor import report as doctor_report
    answer, inspection, hints = found
    if fmt == "json":
        data = answer.to_json()
        data["doctor"] = {"hints": hints, "findings": [{"text": f.text, "signs": list(f.signs)} for f in inspection.findings]}
        json.dump(data, out, indent=2)
        out.write("\n")
    elif fmt == "markdown":
        out.write(render_markdown(answer, all_fixes=all_fixes) + "\n" + report_markdown(inspection, hints))
    else:
        out.write(render(answer, all_fixes=all_fixes, question=False))
        lines = [ln for ln in doctor_report(inspection, hints, []).splitlines() if ln.startswith("  ! ")]
        out.write("What this machine tells (authdoctor doctor):\n" + ("\n".join(lines) if lines else "  no finding") + "\n")


def _summary(path: str | None, found: tuple[Diagnosis, Any, dict[str, Any]], all_fixes: bool) -> None:
    if not path:
        return
    answer, inspection, hints = found
    with open(path, "a", encoding="utf-8") as f:
        f.write(render_markdown(answer, all_fixes=all_fixes) + "\n" + report_markdown(inspection, hints) + "\n")


def cmd_run(args: Any) -> int:
    argv = list(args.command)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print("error: give the command to run after --: authdoctor run -- terraform plan", file=sys.stderr)
        return 2
    tail = Tail()
    directory = args.dir or _chdir(argv) or "."
    ready = Prefetch(args, directory)
    ready.start()
    code = run_command(argv, tail)
    if code == 0:
        return 0  # a success exits at once, whatever the prefetch was still reading
    ready.join()
    if ready.failure is not None:
        raise ready.failure
    if ready.kb_error is not None or ready.doctor is None:
        problems = len(ready.kb_error.problems) if ready.kb_error else 0
        print(f"authdoctor: the knowledge base does not load ({problems} problem(s)); no diagnosis", file=sys.stderr)
        return code
    try:
        found = diagnose_tail(ready.doctor, tail.text(), args, directory, dict(args.hint or []), inspection=ready.inspection)
    except HintError as exc:
        print(f"authdoctor: {exc}", file=sys.stderr)
        return code
    sys.stdout.flush()
    if found is None:
        print(f"authdoctor: the command failed (exit {code}); the end of its output shows no credential error the knowledge base knows",
              file=sys.stderr)
        return code
    if args.format == "text":
        sys.stderr.write("\n")  # apart from the command's own last lines
    emit(found, args.format, sys.stderr, all_fixes=args.all_fixes)
    _summary(args.summary, found, args.all_fixes)
    if args.send:
        print("authdoctor: " + send(args.send, found[0].masked_text, found[2]), file=sys.stderr)
    sys.stderr.flush()
    return code


def cmd_diagnose_doctor(args: Any, fmt: str) -> int:
    """`diagnose --doctor`: the piped log's tail, weighed with this machine's hints."""
    doctor = load_doctor(args)
    if args.file and args.file != "-":
        try:
            with open(args.file, "rb") as f:
                tail = read_tail(f)
        except OSError as exc:
            print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
            return 2
    else:
        tail = read_tail(sys.stdin.buffer)
    if not tail.strip():
        print("error: nothing to diagnose (the input is empty)", file=sys.stderr)
        return 2
    try:
        found = diagnose_tail(doctor, tail, args, args.dir or ".", dict(args.hint or []))
    except HintError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if found is None:
        # what plain `diagnose` says about it: not recognised, and the closest errors
        sys.stdout.write(render(doctor.diagnose(error_part(tail) or tail[-MATCH_BYTES:]), all_fixes=args.all_fixes))
        return 1
    emit(found, fmt, sys.stdout, all_fixes=args.all_fixes)
    if args.send:
        print("authdoctor: " + send(args.send, found[0].masked_text, found[2]), file=sys.stderr)
    return 0


def add_parser(sub: Any, parse_hint: Any) -> None:
    r = sub.add_parser("run", help="run a command (terraform plan ...), pass its output through, diagnose it when it fails on credentials")
    r.add_argument("command", nargs="+", help="the command and its arguments, after --")
    r.add_argument("--hint", action="append", type=parse_hint, metavar="KEY=VALUE", help="what you know, over what the machine tells")
    r.add_argument("--format", choices=("text", "markdown", "json"), default="text", help="how the diagnosis is printed (on stderr)")
    r.add_argument("--summary", metavar="FILE", default=None,
                   help="also append the diagnosis as Markdown to FILE (the GitHub Action passes $GITHUB_STEP_SUMMARY)")
    r.add_argument("--dir", default=None, help="the Terraform directory to inspect (default: the command's -chdir, else here)")
    r.add_argument("--all-fixes", action="store_true", help="show the fixes of every cause, not only the first")
    r.add_argument("--probe-imds", action="store_true", help="ask the EC2 instance metadata service (a network call) whether this is EC2")
    r.add_argument("--send", metavar="URL", default=None,
                   help="POST the masked error and the hints (nothing else) to an AuthDoctor API; nothing leaves the machine without it")
    r.set_defaults(func=cmd_run)


def add_diagnose_options(d: Any) -> None:
    d.add_argument("--doctor", action="store_true",
                   help="read only the input's tail (any size), and weigh it with what this machine tells (authdoctor doctor)")
    d.add_argument("--dir", default=None, help="with --doctor: the Terraform directory to inspect (default: here)")
    d.add_argument("--probe-imds", action="store_true", help="with --doctor: ask the EC2 instance metadata service (a network call)")
    d.add_argument("--send", metavar="URL", default=None,
                   help="with --doctor: POST the masked error and the hints (nothing else) to an AuthDoctor API")
