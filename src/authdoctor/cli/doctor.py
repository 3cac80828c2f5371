"""`authdoctor doctor [DIR]`: what this machine and the Terraform directory tell, as a short report and as hints.

The hints use exactly the KB's vocabulary (kb/hints.yaml) and are checked with
`check_hints`, so they can be pasted into the page, sent to the API or given to
`diagnose --hint`. Every line printed passes through `redact` on its way out:
the inspection never reads a secret out, and the mask is the second lock.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import knowledge
from ..diagnose import Doctor
from ..hints import HintError, check_hints, hint_text
from ..inspect import Inspection, inspect_machine
from ..knowledge import KB
from ..redact import redact


def checked_hints(kb: KB, inspection: Inspection) -> tuple[dict[str, Any], list[str]]:
    """The inspection's hints that the KB takes, and a note for each it refused (a version it cannot read, a runner it lacks)."""
    out: dict[str, Any] = {}
    dropped = []
    for key, value in inspection.hints.items():
        try:
            check_hints(kb, {key: value})
        except HintError as exc:
            dropped.append(f"{key}: not used ({exc})")
            continue
        out[key] = value
    return out, dropped


def _safe(text: str) -> str:
    return redact(text).text


def hint_args(hints: Mapping[str, Any]) -> str:
    return " ".join(f"--hint {k}={hint_text(v)}" for k, v in hints.items() if hint_text(v) != "")


def report(inspection: Inspection, hints: Mapping[str, Any], dropped: list[str]) -> str:
    out = [f"AuthDoctor doctor: {inspection.directory.resolve()} (read locally; no secret value is shown)", ""]
    for heading, lines in inspection.sections:
        out.append(heading)
        out += [f"  {line}" for line in lines]
        out.append("")
    out.append("Findings")
    out += [f"  ! {f.text}" + (f"  [{', '.join(f.signs)}]" if f.signs else "") for f in inspection.findings] or ["  none"]
    out.append("")
    out.append("Hints (--json prints them as JSON for the page or the API):")
    out.append(f"  {hint_args(hints)}")
    out += [f"  {d}" for d in dropped]
    return _safe("\n".join(out) + "\n")


def findings_lines(inspection: Inspection) -> list[str]:
    return [f.text for f in inspection.findings]


def report_markdown(inspection: Inspection, hints: Mapping[str, Any]) -> str:
    """The findings and hints as Markdown, after a diagnosis (the job summary, a ticket)."""
    out = ["#### What this machine tells (authdoctor doctor)", ""]
    out += [f"- {f.text}" for f in inspection.findings] or ["- no finding"]
    out += ["", "<details><summary>What was read</summary>", "", "```text"]
    for heading, lines in inspection.sections:
        out.append(heading)
        out += [f"  {line}" for line in lines]
    out += ["```", "", "</details>", "", f"Hints: `{hint_args(hints)}`" if hints else "", ""]
    return _safe("\n".join(out))


def as_json(inspection: Inspection, hints: Mapping[str, Any], dropped: list[str]) -> dict[str, Any]:
    data = {"hints": dict(hints), "findings": [{"text": f.text, "signs": list(f.signs)} for f in inspection.findings],
            "not_used": dropped, "directory": str(inspection.directory.resolve())}
    out: dict[str, Any] = json.loads(_safe(json.dumps(data)))
    return out


def send(url: str, masked_error: str, hints: Mapping[str, Any], *, timeout: float = 10.0) -> str:
    """POST the masked error and the hints, and nothing else, to an AuthDoctor API; a line saying how it went."""
    if not url.startswith(("http://", "https://")):
        return f"not sent: --send takes an http:// or https:// URL, not {redact(url).text[:60]!r}"
    body = json.dumps({"error": redact(masked_error).text, "hints": dict(hints)}).encode("utf-8")
    import urllib.error  # only with --send: a run that sends nothing starts without the HTTP client
    import urllib.request
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - the URL the user gave
            return f"sent the masked error and the hints to {url} (HTTP {resp.status})"
    except urllib.error.HTTPError as exc:
        return f"sent to {url}, which answered HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return f"could not send to {url}: {getattr(exc, 'reason', exc)}"


def inspect_args(args: Any, directory: str | Path) -> Inspection:
    return inspect_machine(directory, probe_imds=getattr(args, "probe_imds", False))


def load_doctor(args: Any) -> Doctor:
    try:
        return Doctor(knowledge.load(args.kb))
    except knowledge.KBError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        sys.exit(2)


def cmd_doctor(args: Any) -> int:
    kb = load_doctor(args).kb
    folder = Path(args.dir)
    if not folder.is_dir():
        print(f"error: {args.dir} is not a directory", file=sys.stderr)
        return 2
    inspection = inspect_args(args, folder)
    hints, dropped = checked_hints(kb, inspection)
    if args.json:
        json.dump(as_json(inspection, hints, dropped), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(report(inspection, hints, dropped))
    return 0


def add_parser(sub: Any) -> None:
    d = sub.add_parser("doctor", help="read the hints from this machine and a Terraform directory (locally; no secret is shown)")
    d.add_argument("dir", nargs="?", default=".", help="the Terraform directory (default: here)")
    d.add_argument("--json", action="store_true", help="print the hints and findings as JSON (the hints as the API takes them)")
    d.add_argument("--probe-imds", action="store_true", help="ask the EC2 instance metadata service (a network call) whether this is EC2")
    d.set_defaults(func=cmd_doctor)
