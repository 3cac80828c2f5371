"""`diagnose --interactive`: ask the next question in the terminal, re-rank, repeat."""
from __future__ import annotations

from typing import TextIO

from ..diagnose import Doctor
from ..diagnosis import Diagnosis
from .render import render


def interact(doctor: Doctor, text: str, hints: dict, stdin: TextIO, stdout: TextIO,
             max_questions: int = 8) -> Diagnosis:
    hints = dict(hints)
    unknown: list[str] = []
    answer = doctor.diagnose(text, hints=hints, unknown=unknown)
    for _ in range(max_questions):
        q = answer.question
        if not q:
            break
        stdout.write(render(answer))
        stdout.write(f"\n? {q.text}\n")
        if q.how:
            stdout.write(f"  (find out: {q.how})\n")
        for i, label in enumerate(q.labels, 1):
            stdout.write(f"  {i}) {label}\n")
        stdout.write("  0) I don't know\n> ")
        stdout.flush()
        line = stdin.readline()
        if not line:
            break
        line = line.strip()
        if line.isdigit() and 1 <= int(line) <= len(q.options):
            hints[q.hint] = q.options[int(line) - 1]
        else:
            unknown.append(q.hint)
        answer = doctor.diagnose(answer.paste, hints=hints, unknown=unknown)
        stdout.write("\n")
    return answer
