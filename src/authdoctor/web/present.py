"""How the page words an answer: plain lines up front, the workings (factors, sources, ids) kept for one section.

The engine's sentences are written to be complete ("GitHub Actions: more likely ×1.6.
CI systems ..."); a person mid-incident needs the reason, and the numbers and sources
only on demand. Everything here reads an answer; nothing changes it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup

from ..knowledge.markdown import render_inline

# Where Terraform stood when it failed, in words (diagnosis.STAGES).
STAGE_WORDS = {
    "provider": "while Terraform set up the AWS provider",
    "backend": "while Terraform reached the state backend",
    "state-refresh": "while Terraform read the current state",
    "resource": "while Terraform changed a resource",
}

# what rank.py and hints.py write: "Before any hint: 18% of X reports (source)."
_PRIOR = re.compile(r"^Before any hint: (?P<share>\d+%) of (?P<code>\S+) reports(?: \((?P<source>.*)\))?\.$", re.S)
# "<answer label>[ (read from the pasted text)]: more likely ×1.6. <reason>"
_MOVE = re.compile(r"^(?P<what>.+?)(?P<from_text> \(read from the pasted text\))?: (?P<dir>more|less) likely ×(?P<factor>[0-9.e+-]+)\. (?P<reason>.*)$", re.S)
_TEXT_SHOWS = "The text shows "


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
    text: str  # what the answer shows: the reason alone, in a sentence
    origin: str  # "", "your answer: <label>" or "your paste"
    detail: str  # the engine's full line: factor and source, for "How this was worked out"
    up: bool | None = None  # moved the cause up (True), down (False), or is its starting share (None)


def reason(line: str) -> Reason:
    """The plain reading of one of the engine's why-lines; an unknown shape is shown as it is."""
    m = _PRIOR.match(line)
    if m:
        return Reason(f"About {m['share']} of {m['code']} errors have this cause, before anything else is known.", "", line)
    m = _MOVE.match(line)
    if m:
        what, why = m["what"], m["reason"].strip()
        up = m["dir"] == "more"
        if what.startswith(_TEXT_SHOWS) or m["from_text"]:
            origin = "your paste"
        else:
            origin = f"your answer: {what}"
        text = _capital(why) if why else f"{what} makes this {'more' if up else 'less'} likely."
        if text and text[-1] not in ".!?":
            text += "."
        return Reason(text, origin, line, up)
    return Reason(line, "", line)


def reasons(lines) -> list[Reason]:
    """Each reason once: two lines that read the same after the workings are dropped show once."""
    out, seen = [], set()
    for line in lines:
        r = reason(line)
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
