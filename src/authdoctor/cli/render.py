"""The answer as text for a terminal, or as Markdown to paste into a ticket or a pull request (the CLI door)."""
from __future__ import annotations

import re
import shlex
import textwrap

from ..ask import Question
from ..diagnosis import Diagnosis, FixStep, RankedCause
from ..hints import hint_text
from ..knowledge.commands import KIND_LABELS, fence_tag

WIDTH = 96
# what a terminal puts before a command a person types; the other kinds are text to put in a file
PROMPTS = {"shell": "$ ", "powershell": "PS> "}

_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")


def plain(markdown: str | None) -> str:
    """KB Markdown as a terminal shows it: code spans and bold without their marks, links as 'text (url)'."""
    text = _LINK.sub(r"\1 (\2)", markdown or "")
    return _CODE.sub(r"\1", _BOLD.sub(r"\1", text))


def _bar(p: float, width: int = 20) -> str:
    n = round(p * width)
    return "#" * n + "." * (width - n)


def wrap(text: str, indent: str, later: str | None = None) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=later if later is not None else indent,
                         break_on_hyphens=False, break_long_words=False) or [indent.rstrip()]


def kinds(fix: FixStep) -> list[str]:
    """Each command's kind; a step from an older engine without kinds reads as shell."""
    return [fix.command_kinds[i] if i < len(fix.command_kinds) else "shell" for i in range(len(fix.commands))]


def fix_lines(fix: FixStep, indent: str = "      ") -> list[str]:
    out = [f"{indent}Fix: {plain(fix.title)}"]
    for cmd, kind in zip(fix.commands, kinds(fix)):
        lines = cmd.splitlines() or [""]
        prompt = PROMPTS.get(kind)
        if prompt:
            out.append(f"{indent}  {prompt}{lines[0]}")
            out.extend(f"{indent}  {' ' * len(prompt)}{line}" for line in lines[1:])
        else:
            out.append(f"{indent}  {KIND_LABELS.get(kind, kind)}:")
            out.extend(f"{indent}    {line}".rstrip() for line in lines)
    return out


def cause_line(i: int, c: RankedCause) -> str:
    return f"{i}. {c.probability:6.1%} {_bar(c.probability)}  {plain(c.title)}  [{c.id}]"


def hint_arg(hint: str, option: object) -> str:
    """`--hint key=value` as a shell takes it, quoted only when the value needs it (`!` in a sign)."""
    return f"--hint {shlex.quote(f'{hint}={hint_text(option)}')}"


def question_lines(q: Question) -> list[str]:
    """The question, each answer numbered with its meaning and the `--hint` that gives it."""
    out = wrap(f"Next question: {plain(q.text)}", "", "  ")
    if q.how:
        out += wrap(f"find out: {plain(q.how)}", "  ", "    ")
    for i, option in enumerate(q.options, 1):
        label = q.labels[i - 1] if i - 1 < len(q.labels) else hint_text(option)
        out += wrap(f"{i}) {plain(label)}", "  ", "     ")
        out.append(f"     {hint_arg(q.hint, option)}")
    out.append("  Run again with the --hint of the answer that is true (repeat --hint for several).")
    return out


def render(answer: Diagnosis, *, all_fixes: bool = False, question: bool = True) -> str:
    out = []
    if answer.redacted and answer.rotate:
        out.append("!! " + answer.rotate)
        out.append("")
    if answer.declined is not None:
        d = answer.declined
        out.append("Not a credential failure: " + plain(d.title))
        out.extend(wrap(plain(d.summary), ""))
        for fix in d.fix:
            out.extend(fix_lines(fix))
        return "\n".join(out) + "\n"
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
        out.append(plain(answer.title))
    elif answer.known_by == "code":
        out.append(f"{answer.error_code}  (stage: {answer.stage}, unfamiliar message, known by its code)")
        out.append(plain(answer.title))
        out.append(f"The message itself is unfamiliar, but its error code {answer.error_code} is known: the causes are that")
        out.append("error's. Answer the questions to narrow them down, and report the message.")
    else:
        out.append(f"{answer.error_code}  (stage: {answer.stage}, unfamiliar message)")
        out.append("A credential failure, but the message itself is unfamiliar: the causes start from how often each")
        out.append("is confirmed in real reports. Answer the questions to narrow them down, and report the message.")
    out.append("")
    for i, c in enumerate(answer.causes, 1):
        out.append(cause_line(i, c))
        for w in c.why:
            out.extend(wrap(plain(w), "      - ", "        "))
        if i == 1 or all_fixes:
            for f in c.fix:
                out.extend(fix_lines(f))
        out.append("")
    if answer.question and question:
        out.extend(question_lines(answer.question))
    return "\n".join(out) + "\n"


# --- Markdown: for a ticket, a pull request or a chat that reads it ------------------------

def _fence(text: str, tag: str = "") -> str:
    """A fence longer than any run of backticks inside, so pasted text cannot close it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{tag}\n{text}\n{ticks}"


def _no_html(markdown: str) -> str:
    """KB Markdown with `<` outside code written as an entity, so `<profile>` is not read as an HTML tag."""
    parts = re.split(r"(```.*?```|`[^`\n]+`)", markdown or "", flags=re.S)
    return "".join(p if i % 2 else p.replace("<", "&lt;") for i, p in enumerate(parts))


def _md_line(text: str) -> str:
    """One line of Markdown from text that is already Markdown: no raw HTML, no stray line breaks."""
    return _no_html(" ".join((text or "").split()))


def _md_fix(fix: FixStep, level: str) -> list[str]:
    out = [f"{level} {_md_line(fix.title)}", ""]
    if fix.detail.strip():
        out += [_no_html(fix.detail.strip()), ""]
    blocks: list[tuple[str, list[str]]] = []
    for cmd, kind in zip(fix.commands, kinds(fix)):
        if blocks and kind in PROMPTS and blocks[-1][0] == kind:
            blocks[-1][1].append(cmd)  # commands typed one after another share one block
        else:
            blocks.append((kind, [cmd]))
    for kind, cmds in blocks:
        if kind not in PROMPTS:
            out.append(f"*{KIND_LABELS.get(kind, kind)}:*")
        out += [_fence("\n".join(cmds), fence_tag(kind) if kind in KIND_LABELS else ""), ""]
    return out


def render_markdown(answer: Diagnosis, *, all_fixes: bool = False) -> str:
    """The answer as GitHub-flavoured Markdown: headline first, fixes as fenced code, the masked paste folded away."""
    out: list[str] = []
    if answer.declined is not None:
        d = answer.declined
        out += [f"### AuthDoctor: not a credential failure. {_md_line(d.title)}", "", _md_line(d.summary), ""]
        for fix in d.fix:
            out += _md_fix(fix, "####")
    elif not answer.recognized or answer.variant is None:
        out += ["### AuthDoctor: not a credential error it knows", "",
                "This does not look like a Terraform/AWS credential error the knowledge base knows."]
        if answer.closest:
            out.append("Closest known errors: " + ", ".join(f"`{c.error_code}` ({c.similarity:.0f}%)" for c in answer.closest) + ".")
    else:
        top = answer.causes[0] if answer.causes else None
        title = _md_line(answer.title or "") if answer.familiar else \
            f"{_md_line(answer.title or '')} (known by its code; the message is unfamiliar)" if answer.known_by == "code" else \
            "an unfamiliar message showing a credential failure"
        out += [f"### AuthDoctor: `{answer.error_code}`, {title}", ""]
        if answer.redacted and answer.rotate:
            out += [f"> **Rotate:** {_md_line(answer.rotate)}", ""]
        if top:
            out += [f"**Most likely ({top.probability:.0%}): {_md_line(top.title)}**", ""]
        out += ["| # | Cause | Probability |", "|---|---|---|"]
        for i, c in enumerate(answer.causes, 1):
            out.append(f"| {i} | {_md_line(c.title).replace('|', '&#124;')} (`{c.id}`) | {c.probability:.1%} |")
        out.append("")
        for i, c in enumerate(answer.causes, 1):
            if i > 1 and not all_fixes:
                break
            out += [f"#### {i}. {_md_line(c.title)}", ""]
            out += [f"- {_md_line(w)}" for w in c.why] + [""]
            for f in c.fix:
                out += _md_fix(f, "#####")
            if c.docs:
                out += ["Docs: " + " · ".join(f"<{u}>" for u in c.docs if u.startswith("https://")), ""]
        from_where = {"user": "", "machine": " (read from this machine)"}
        used = ", ".join(f"`{k}={hint_text(h.value)}`" + from_where.get(h.source, " (read from the text)")
                         for k, h in answer.hints_used.items())
        if used:
            out += [f"What was known: {used}", ""]
        q = answer.question
        if q:
            out += [f"**Still open:** {_md_line(q.text)}", ""]
    out += ["<details><summary>The error as pasted (secrets masked)</summary>", "", _fence(answer.masked_text.strip("\n"), "text"),
            "", "</details>", "",
            f"<sub>AuthDoctor, KB {answer.kb_version}, answer {answer.answer_id}</sub>"]
    return "\n".join(out).rstrip("\n") + "\n"
