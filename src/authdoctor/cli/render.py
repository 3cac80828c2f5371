"""The answer as text for a terminal (the CLI door)."""
from __future__ import annotations

import textwrap

from ..diagnosis import Diagnosis


def _bar(p: float, width: int = 20) -> str:
    n = round(p * width)
    return "#" * n + "." * (width - n)


def render(answer: Diagnosis, *, all_fixes: bool = False) -> str:
    out = []
    if answer.redacted and answer.rotate:
        out.append("!! " + answer.rotate)
        out.append("")
    if not answer.recognized or answer.variant is None:
        out.append("Not recognised: this does not look like a Terraform/AWS credential error the knowledge base knows.")
        near = ", ".join(f"{c.error_code} ({c.similarity:.0f}%)" for c in answer.closest)
        if near:
            out.append(f"Closest known errors: {near}.")
        out.append("If it is one, paste the whole error block, or report it with the text so the KB can learn it.")
        return "\n".join(out) + "\n"
    v = answer.variant
    if answer.familiar:
        out.append(f"{answer.error_code}  (stage: {answer.stage}, shape: {v.id}, {v.similarity:.0f}% match)")
        out.append(answer.title or "")
    else:
        out.append(f"{answer.error_code}  (stage: {answer.stage}, unfamiliar message)")
        out.append("A credential failure, but the message itself is unfamiliar: the causes start from how often each")
        out.append("is confirmed in real reports. Answer the questions to narrow them down, and report the message.")
    out.append("")
    for i, c in enumerate(answer.causes, 1):
        out.append(f"{i}. {c.probability:6.1%} {_bar(c.probability)}  {c.title}  [{c.id}]")
        for w in c.why:
            out.extend(textwrap.wrap(w, 96, initial_indent="      - ", subsequent_indent="        "))
        if i == 1 or all_fixes:
            for f in c.fix:
                out.append(f"      Fix: {f.title}")
                for cmd in f.commands:
                    first, *rest = cmd.splitlines() or [""]
                    out.append(f"        $ {first}")
                    out.extend(f"          {line}" for line in rest)
        out.append("")
    q = answer.question
    if q:
        out.append(f"Next question: {q.text}")
        if q.how:
            out.append(f"  find out: {q.how}")
        opts = ", ".join(f"{list(o) if isinstance(o, tuple) else o}" for o in q.options)
        out.append(f"  answer with: --hint {q.hint}=<{opts}>")
    return "\n".join(out) + "\n"
