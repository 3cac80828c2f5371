"""How the page words an answer: plain lines up front, the workings (factors, sources, ids) kept for one section.

The engine's why-lines are complete sentences ("GitHub Actions: more likely ×1.6.
CI systems ..."), and each comes in parts too (`hints.Reason`); a person mid-incident
needs the reason, and the numbers and sources only on demand. Everything here reads an answer; nothing changes it.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup

from ..hints import Reason as Step
from ..knowledge.markdown import render_inline

# Where Terraform stood when it failed, in words (diagnosis.STAGES).
STAGE_WORDS = {
    "provider": "while Terraform set up the AWS provider",
    "backend": "while Terraform reached the state backend",
    "state-refresh": "while Terraform read the current state",
    "resource": "while Terraform changed a resource",
}


def inline_md(text: str | None) -> Markup:
    """One line of KB Markdown as HTML: code spans and emphasis only, sanitised (KB text is Markdown;
    in a title, a button or a label only its inline marks belong)."""
    return Markup(render_inline(text))


def plain_text(text: str | None) -> str:
    """KB Markdown as plain text, for the page's <title> (code spans lose their backticks)."""
    return re.sub(r"`([^`]*)`", r"\1", text or "")


def _capital(s: str) -> str:
    return s[:1].upper() + s[1:]


@dataclass(frozen=True)
class Reason:
    text: str  # what the step shows: the reason alone, in a sentence
    origin: str  # "", "your answer: <label>", "this machine: <label>" or "your paste"
    detail: str  # the engine's full line: factor and source, for "How this was worked out"
    up: bool | None = None  # moved the cause up (True), down (False), or is its starting share (None)


_ORIGINS = {"user": "your answer", "machine": "this machine"}


def reason(step: Step) -> Reason:
    """The plain reading of one step of the engine's "why"."""
    if step.kind == "prior":
        share = f"{step.share:.0%}" if step.share is not None else "some"
        return Reason(f"About {share} of {step.label} errors have this cause, before anything else is known.", "", step.line)
    if step.kind == "stays":
        return Reason(_capital(step.text.strip()) + ".", "your answers", step.line, False)
    origin = f"{_ORIGINS[step.source]}: {step.label}" if step.source in _ORIGINS else "your paste"
    if step.rules_out:
        text = "This answer rules it out; it stays listed only in case the answer is mistaken."
        text += f" {_capital(step.text.strip())}" if step.text.strip() else ""
    elif step.text.strip():
        text = _capital(step.text.strip())
    else:
        text = f"{step.label} makes this {'more' if step.up else 'less'} likely."
    if text[-1] not in ".!?":
        text += "."
    return Reason(text, origin, step.line, step.up)


def reasons(steps: Iterable[Step]) -> list[Reason]:
    """Each reason once: two steps that read the same after the workings are dropped show once."""
    out, seen = [], set()
    for step in steps:
        r = reason(step)
        key = r.text.lower()
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


# an aside in parentheses after a word: "(AWS_SESSION_TOKEN, ...)", "(forks, Dependabot)"
_ASIDE = re.compile(r"\s+\(([^()]*)\)")


def short(text: str) -> tuple[str, bool]:
    """A label without its asides in parentheses, and whether anything was left out.

    A leading note such as "(Checked once before; look again.)" stays: it is the point.
    """
    lead = re.match(r"^\([^()]*\)\s*", text)
    head, rest = (lead.group(0), text[lead.end():]) if lead else ("", text)
    cut = _ASIDE.sub("", rest)
    cut = re.sub(r"\s+([?.!,;:])", r"\1", cut).strip()
    return head + cut, cut != rest.strip()


def summary_line(text: str, limit: int = 90) -> str:
    """The first non-empty line of a paste, cut to `limit` characters."""
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"
