"""`diagnose --interactive`: ask the next question in the terminal, re-rank, and print only what the answer changed."""
from __future__ import annotations

from typing import TextIO

from ..diagnose import Doctor
from ..diagnosis import Diagnosis
from ..hints import hint_text
from .render import fix_lines, hint_arg, plain, render, wrap

# a move smaller than this (in probability) is not worth a line
MOVED = 0.005
SHOWN = 5


def changes(before: Diagnosis, after: Diagnosis, answered: str) -> str:
    """What one answer did: the causes that moved, a new leader with its reasons and fixes, new reasons for the lead."""
    out = [f"After {answered}:"]
    was = {c.id: (i, c) for i, c in enumerate(before.causes, 1)}
    now = {c.id for c in after.causes}
    lead, old_lead = after.top, before.top
    moved = []
    for i, c in enumerate(after.causes[:SHOWN], 1):
        rank, prev = was.get(c.id, (None, None))
        p_before = prev.probability if prev else 0.0
        if rank == i and abs(c.probability - p_before) < MOVED:
            continue
        was_text = "new in the list" if rank is None else f"was {p_before:.1%}" + ("" if rank == i else f", rank {rank}")
        moved.append(f"  {i}. {c.probability:6.1%}  ({was_text})  {plain(c.title)}")
    gone = [plain(c.title) for c in before.causes[:SHOWN] if c.id not in now]
    if not moved and not gone and (lead and old_lead and lead.id == old_lead.id):
        out.append("  Nothing changed.")
    out += moved
    out += [f"  no longer listed: {t}" for t in gone]
    if lead and (not old_lead or lead.id != old_lead.id):
        out.append("")
        out.append(f"Now most likely: {plain(lead.title)} ({lead.probability:.0%})  [{lead.id}]")
        for w in lead.why:
            out += wrap(plain(w), "      - ", "        ")
        for f in lead.fix:
            out += fix_lines(f)
    elif lead and old_lead:
        new = [w for w in lead.why if w not in old_lead.why]
        if new:
            out.append(f"  new reason{'s' if len(new) > 1 else ''} for the lead, {plain(lead.title)}:")
        for w in new:
            out += wrap(plain(w), "      - ", "        ")
    return "\n".join(out) + "\n"


def _ask(answer: Diagnosis, stdout: TextIO) -> None:
    q = answer.question
    assert q is not None
    stdout.write("\n" + "\n".join(wrap(f"? {plain(q.text)}", "", "  ")) + "\n")
    if q.how:
        stdout.write("\n".join(wrap(f"(find out: {plain(q.how)})", "  ", "   ")) + "\n")
    for i, label in enumerate(q.labels, 1):
        stdout.write("\n".join(wrap(f"{i}) {plain(label)}", "  ", "     ")) + "\n")
    stdout.write("  0) I don't know\n> ")
    stdout.flush()


def interact(doctor: Doctor, text: str, hints: dict, stdin: TextIO, stdout: TextIO,
             max_questions: int = 8) -> Diagnosis:
    """The whole answer once, then per question only its changes; ends with one line naming the lead."""
    hints = dict(hints)
    unknown: list[str] = []
    answer = doctor.diagnose(text, hints=hints, unknown=unknown)
    stdout.write(render(answer, question=False))
    for _ in range(max_questions):
        q = answer.question
        if not q:
            break
        _ask(answer, stdout)
        line = stdin.readline()
        if not line:
            stdout.write("\n")
            break
        line = line.strip()
        if line.isdigit() and 1 <= int(line) <= len(q.options):
            hints[q.hint] = q.options[int(line) - 1]
            answered = f"{q.hint}={hint_text(q.options[int(line) - 1])}"
        else:
            unknown.append(q.hint)
            answered = f"\"I don't know\" to {q.hint}"
        before, answer = answer, doctor.diagnose(answer.paste, hints=hints, unknown=unknown)
        stdout.write("\n" + changes(before, answer, answered))
    lead = answer.top
    if answer.recognized and lead:
        given = " ".join(hint_arg(k, v) for k, v in hints.items())
        stdout.write(f"\nMost likely: {plain(lead.title)} ({lead.probability:.0%})  [{lead.id}]\n")
        if given:
            stdout.write(f"To see this answer again: authdoctor diagnose {given}\n")
    stdout.flush()
    return answer
