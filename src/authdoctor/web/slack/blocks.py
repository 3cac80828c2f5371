"""Slack Block Kit messages for an answer, built with slack_sdk's block models.

Every string the knowledge base supplies can be longer than Slack allows, and
Slack rejects the whole message (the user sees nothing) when one field is over
its limit, so every text is fitted to its field here, ellipsis and all.
`to_dict()` on slack_sdk's models then validates the same limits again.
"""
from __future__ import annotations

import json
import re
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ...ask import Question
from ...diagnosis import Diagnosis, FixStep, RankedCause
from ...hints import hint_text
from ...knowledge.commands import KIND_LABELS

if TYPE_CHECKING:
    from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ContextBlock, HeaderBlock, SectionBlock

# Block Kit limits (docs.slack.dev/reference/block-kit); slack_sdk enforces the same.
SECTION_TEXT = 3000
HEADER_TEXT = 150
CONTEXT_TEXT = 2000
MAX_BLOCKS = 50
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTION_ID = 255
ACTIONS_ELEMENTS = 25
CONTEXT_ELEMENTS = 10
FALLBACK_TEXT = 3000
ELLIPSIS = "…"

TOP_CAUSES = 3
WHY_LINES = 4

# action ids: what each button does (slack.py dispatches on the part before ':');
# MORE is the shared message's button: the whole answer, privately, for whoever clicks it
ANSWER, UNKNOWN, FIXES, SUMMARY, SHARE, MORE = "answer", "unknown", "fixes", "summary", "share", "more"
FEEDBACK = "feedback"  # "this fixed it" / "not this" under each cause (web/feedback.py stores the click)
# a shared message shows this many lines of its first fix's commands
SHARED_COMMAND_LINES = 8


def _kit() -> ModuleType:
    """slack_sdk's block models, imported with the first Slack message: the SDK is a fifth of a
    second to import, and a server whose Slack door sees no request never needs it."""
    from slack_sdk.models import blocks
    return blocks


# --- fitting text -------------------------------------------------------------

def escape(text: str) -> str:
    """Slack reads &, < and > as markup in every text field."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def clip_mrkdwn(text: str, limit: int) -> str:
    """Cut escaped mrkdwn without leaving half an entity, a half link or an open code fence."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 5]
    cut = re.sub(r"&[a-z]{0,4}$", "", cut)
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    cut = cut.rstrip() + ELLIPSIS
    if cut.count("```") % 2:
        cut += "\n```"
    return cut


def inline(markdown: str) -> str:
    """One line of KB Markdown as mrkdwn, escaped: code spans kept (Slack reads them), bold and links converted."""
    text = escape(markdown or "")
    text = re.sub(r"\*\*(.+?)\*\*", r"*\1*", text)
    return re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r"<\2|\1>", text)


def plain(markdown: str) -> str:
    """KB Markdown for a plain_text field (a button, a header): no marks a person would see literally."""
    text = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r"\1", markdown or "")
    return re.sub(r"`([^`\n]+)`", r"\1", re.sub(r"\*\*(.+?)\*\*", r"\1", text))


def _prose(text: str) -> str:
    out = []
    for line in text.split("\n"):
        line = re.sub(r"^\s*#{1,6}\s+(.*)$", r"*\1*", line)
        line = re.sub(r"^(\s*)[-*+]\s+", r"\1• ", line)
        out.append(line)
    text = "\n".join(out)
    # Markdown joins wrapped lines into one paragraph; Slack would show every break
    text = re.sub(r"(?<!\n)\n(?!\n|\s*• )", " ", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"*\1*", text)
    return re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r"<\2|\1>", text)


def mrkdwn(markdown: str) -> str:
    """The KB's Markdown as Slack mrkdwn (bold, links, bullets, code fences), escaped."""
    parts = escape(markdown).strip().split("```")
    for i in range(0, len(parts), 2):
        parts[i] = _prose(parts[i].strip("\n"))
        if i > 0:
            parts[i] = "\n" + parts[i]
        if i < len(parts) - 1:
            parts[i] += "\n"
    for i in range(1, len(parts), 2):
        # Slack shows a fence's language name as code: drop it
        parts[i] = "\n" + re.sub(r"^[A-Za-z0-9_+-]*\n", "", parts[i]).strip("\n") + "\n"
    return "```".join(parts).strip()


def code_block(commands, limit: int = SECTION_TEXT) -> str:
    """Commands in one ``` block, cut line by line so the fence always closes."""
    body = escape("\n".join(c.rstrip("\n") for c in commands)).replace("```", "'''")
    room = limit - len("```\n\n```")
    if len(body) > room:
        body = body[: room - 1]
        body = re.sub(r"&[a-z]{0,4}$", "", body) + ELLIPSIS
    return f"```\n{body}\n```"


def command_text(commands, kinds=(), limit: int = SECTION_TEXT) -> str:
    """Commands as code blocks, one per run of the same kind, each kind but shell labelled, cut to fit `limit`."""
    groups: list[tuple[str, list[str]]] = []
    for i, cmd in enumerate(commands):
        kind = kinds[i] if i < len(kinds) else "shell"
        if groups and groups[-1][0] == kind:
            groups[-1][1].append(cmd)
        else:
            groups.append((kind, [cmd]))
    parts: list[str] = []
    room = limit
    for kind, cmds in groups:
        label = "" if kind == "shell" else f"_{escape(KIND_LABELS.get(kind, kind))}:_\n"
        if room < len(label) + len("```\n…\n```") + 2:
            break
        block = label + code_block(cmds, room - len(label) - 1)
        parts.append(block)
        room -= len(block) + 1
    return "\n".join(parts)


def section(text: str, block_id: str | None = None) -> SectionBlock:
    kit = _kit()
    return kit.SectionBlock(text=kit.MarkdownTextObject(text=clip_mrkdwn(text, SECTION_TEXT)), block_id=block_id)


def context(*texts: str) -> ContextBlock:
    kit = _kit()
    return kit.ContextBlock(elements=[kit.MarkdownTextObject(text=clip_mrkdwn(t, CONTEXT_TEXT))
                                      for t in texts[:CONTEXT_ELEMENTS] if t])


def header(text: str) -> HeaderBlock:
    kit = _kit()
    return kit.HeaderBlock(text=kit.PlainTextObject(text=clip(text, HEADER_TEXT), emoji=False))


def pack(state: dict, **extra) -> str | None:
    """A button value: the state as compact JSON, within 2000 characters.

    The redacted text ("t") goes along only when it fits; without it the click
    needs the server's short-lived copy (see web/slack.py). None if even the
    rest does not fit, and then the button is left out.
    """
    value = {**state, **extra}
    for drop in ((), ("t",)):
        for key in drop:
            value.pop(key, None)
        s = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
        if len(s) <= BUTTON_VALUE:
            return s
    return None


def button(label: str, action_id: str, value: str | None, style: str | None = None) -> ButtonElement | None:
    if value is None:
        return None
    kit = _kit()
    return kit.ButtonElement(text=kit.PlainTextObject(text=clip(label, BUTTON_TEXT), emoji=False),
                             action_id=action_id[:ACTION_ID], value=value, style=style)


def actions(block_id: str, elements) -> ActionsBlock | None:
    elements = [e for e in elements if e is not None][:ACTIONS_ELEMENTS]
    return _kit().ActionsBlock(block_id=block_id, elements=elements) if elements else None


def message(blocks, text: str, response_type: str = "ephemeral", **extra) -> dict:
    blocks = [b for b in blocks if b is not None]
    if len(blocks) > MAX_BLOCKS:
        # keep the tail: buttons and the footer are last and matter most once cut
        blocks = blocks[: MAX_BLOCKS - 3] + blocks[-2:]
        blocks.insert(MAX_BLOCKS - 3, context("_Cut to fit Slack's 50-block limit._"))
    out = {"response_type": response_type, "text": clip(text, FALLBACK_TEXT) or "AuthDoctor",
           "blocks": [b.to_dict() for b in blocks]}
    out.update(extra)
    return out


# --- answers ------------------------------------------------------------------

def _pct(p: float) -> str:
    return f"{p:.0%}" if p >= 0.01 else "<1%"


def _headline(answer: Diagnosis) -> str:
    return f"{answer.error_code} · {answer.stage} stage"


def _fallback(answer: Diagnosis) -> str:
    if not answer.recognized:
        return "AuthDoctor: not a Terraform/AWS credential error it knows."
    causes = "; ".join(f"{plain(c.title)} ({_pct(c.probability)})" for c in answer.causes[:TOP_CAUSES])
    return f"AuthDoctor: {answer.error_code} ({answer.stage}). Likely: {causes}"


def _cause_block(i: int, cause: RankedCause, with_why: bool = True) -> SectionBlock:
    lines = [f"*{i}. {inline(cause.title)}* — *{_pct(cause.probability)}*"]
    if with_why:
        why = cause.why[:WHY_LINES]
        lines += [f"• {inline(w)}" for w in why]
        if len(cause.why) > WHY_LINES:
            lines.append(f"_…and {len(cause.why) - WHY_LINES} more reasons_")
    return section("\n".join(lines), block_id=f"cause:{i}:{cause.id}"[:255])


def _fix_blocks(cause_no: int, fix_no: int, fix: FixStep, lead: str = "") -> list:
    out = [section(f"*{lead}{inline(fix.title)}*\n{mrkdwn(fix.detail or '')}",
                   block_id=f"fix:{cause_no}:{fix_no}")]
    if fix.commands:
        out.append(section(command_text(fix.commands, fix.command_kinds), block_id=f"cmd:{cause_no}:{fix_no}"))
    return out


def _docs(cause: RankedCause) -> ContextBlock | None:
    links = [f"<{escape(u)}|{escape(clip(u.split('://', 1)[-1], 60))}>" for u in cause.docs[:3]
             if re.match(r"https://[^\s<>|]+$", u)]
    return context("Docs: " + " · ".join(links)) if links else None


def _value(value) -> str:
    """A hint's value as a person types it after /authdoctor: `true`, not `True`; lists comma-joined."""
    return hint_text(value)


def _footer(answer: Diagnosis, notes=()) -> ContextBlock:
    used = ", ".join(f"{k}={_value(v.value)}" + (" (from text)" if v.source in ("text", "variant") else "")
                     for k, v in answer.hints_used.items())
    parts = list(notes)
    if used:
        parts.append(f"Hints: {escape(used)}")
    parts.append(f"answer `{answer.answer_id}` · KB {escape(answer.kb_version)}")
    return context(*parts)


def _rotate(answer: Diagnosis):
    if not answer.rotate:
        return None
    return section(f":rotating_light: *Your paste contained a secret.* {escape(answer.rotate)}", block_id="rotate")


def _option_label(question: Question, i: int) -> str:
    labels = question.labels or ()
    return str(labels[i]) if i < len(labels) else str(question.options[i])


def share_message(answer: Diagnosis, shared_by: str, more: str | None) -> dict:
    """What a channel sees when someone shares an answer: the likeliest cause and what to try first, nothing more.

    The paste stays private, and the rest of the answer (every cause, every fix) waits
    behind `more`, a button that shows it only to whoever clicks it.
    """
    if not answer.recognized or not answer.causes:
        return {**not_recognized_message(answer), "response_type": "in_channel"}
    top = answer.causes[0]
    others = ", ".join(f"{inline(c.title)} ({_pct(c.probability)})" for c in answer.causes[1:TOP_CAUSES])
    lines = [f"*Most likely ({_pct(top.probability)}):* {inline(top.title)}"]
    if others:
        lines.append(f"_Also possible:_ {others}")
    blocks: list[Any] = [header(f"{answer.error_code}: what AuthDoctor found"), section("\n".join(lines), block_id="lead")]
    if top.fix:
        fix = top.fix[0]
        kinds = [fix.command_kinds[i] if i < len(fix.command_kinds) else "shell" for i in range(len(fix.commands))]
        shown: list[str] = []
        shown_kinds: list[str] = []
        used = 0
        for cmd, kind in zip(fix.commands, kinds):
            lines = cmd.splitlines() or [""]
            if used + len(lines) > SHARED_COMMAND_LINES:
                if not shown:  # one long block: its first lines
                    shown, shown_kinds, used = ["\n".join(lines[:SHARED_COMMAND_LINES])], [kind], SHARED_COMMAND_LINES
                break
            shown.append(cmd)
            shown_kinds.append(kind)
            used += len(lines)
        text = f"*Try first:* {inline(fix.title)}"
        if shown:
            text += "\n" + command_text(shown, shown_kinds, limit=SECTION_TEXT - len(text) - 80)
        left = sum(len(c.splitlines() or [""]) for c in fix.commands) - used
        if left > 0:
            text += f"\n_…and {left} more line{'s' if left > 1 else ''}: *All causes and fixes* below._"
        blocks.append(section(text, block_id="first-fix"))
    blocks.append(actions("more", [button("All causes and fixes (only you see them)", f"{MORE}:0", more)]))
    uid = re.sub(r"[^A-Z0-9]", "", shared_by or "")
    who = f"<@{uid}>" if uid else "a teammate"
    blocks.append(context(f"Shared by {who}; the pasted error stays private · answer `{answer.answer_id}` · KB {escape(answer.kb_version)}"))
    fallback = f"AuthDoctor: {answer.error_code}, most likely {plain(top.title)} ({_pct(top.probability)})"
    return message(blocks, fallback, response_type="in_channel")


def answer_message(answer: Diagnosis, state: dict | None, *, view: str = SUMMARY, notes=()) -> dict:
    """The private reply for one answer (share_message is what a channel sees). state=None: no buttons."""
    if not answer.recognized:
        return not_recognized_message(answer, notes)
    # None where a part is absent; message() leaves those out
    title = (answer.title or answer.error_code or "") if answer.familiar else \
        f"{answer.title} (the message is unfamiliar, but its error code is known)" if answer.known_by == "code" else \
        "A credential failure, but the message itself is unfamiliar: the causes start from how often each is confirmed"
    blocks: list[Any] = [header(_headline(answer)), section(f"*{inline(title)}*", block_id="title"), _rotate(answer),
                         _kit().DividerBlock()]
    causes = answer.causes
    tools = []
    if view == FIXES:
        # every fix of the leading causes; the block limit decides how far it goes
        for i, cause in enumerate(causes[:TOP_CAUSES], 1):
            blocks.append(_cause_block(i, cause, with_why=False))
            for j, fix in enumerate(cause.fix):
                blocks += _fix_blocks(i, j, fix)
            blocks.append(_docs(cause))
        if state is not None:
            tools.append(button("Top causes", f"{SUMMARY}:0", pack(state, v=SUMMARY)))
    else:
        for i, cause in enumerate(causes[:TOP_CAUSES], 1):
            blocks.append(_cause_block(i, cause))
        if causes:
            blocks.append(_kit().DividerBlock())
            first = causes[0]
            if first.fix:
                blocks += _fix_blocks(1, 0, first.fix[0], lead="Try first: ")
            blocks.append(_docs(first))
        q = answer.question
        if q and state is not None:
            how = f"\n_How to check:_ `{escape(plain(q.how))}`" if q.how else ""
            shown = q.options[:ACTIONS_ELEMENTS - 1]
            labels = [_option_label(q, i) for i in range(len(shown))]
            listed = ""
            if any(len(label) > BUTTON_TEXT for label in labels):
                # long answers (the causes' telltale signs) would be cut on a button:
                # list them in full, and number the buttons
                listed = "".join(f"\n*{i + 1}.* {inline(label)}" for i, label in enumerate(labels) if len(label) > BUTTON_TEXT)
                labels = [str(i + 1) if len(label) > BUTTON_TEXT else label for i, label in enumerate(labels)]
            blocks.append(section(f"*To narrow it down:* {inline(q.text)}{how}{listed}", block_id="question"))
            opts = [button(plain(labels[i]), f"{ANSWER}:{i}", pack(state, k=q.hint, o=opt))
                    for i, opt in enumerate(shown)]
            opts.append(button("I don't know", f"{UNKNOWN}:0", pack(state, k=q.hint)))
            blocks.append(actions("answers", opts))
        if state is not None:
            tools.append(button("All fixes", f"{FIXES}:0", pack(state, v=FIXES)))
    if state is not None:
        tools.append(button("Share in channel", f"{SHARE}:0", pack(state, v=view), style="primary"))
        blocks.append(actions("tools", tools))
        blocks.append(feedback_buttons(answer) if view == SUMMARY else None)
    blocks.append(_footer(answer, notes))
    return message(blocks, _fallback(answer))


def feedback_buttons(answer: Diagnosis) -> ActionsBlock | None:
    """"Cause N fixed it" / "Not cause N" for each cause shown (views.py hands a click to web/feedback.py):
    the answer's ids and hints, never the paste; the hints are left out if they would not fit."""
    first = answer.causes[0]
    value = {"a": answer.answer_id, "e": answer.error_code, "f": first.id, "fp": first.probability, "kv": answer.kb_version,
             "v": answer.variant.id if answer.variant else None,
             "h": {k: list(u.value) if isinstance(u.value, tuple) else u.value for k, u in answer.hints_used.items()}}

    def packed(cause: str, outcome: str) -> str:
        s = json.dumps({**value, "c": cause, "o": outcome}, separators=(",", ":"), ensure_ascii=False, default=str)
        return s if len(s) <= BUTTON_VALUE else json.dumps({**value, "h": None, "c": cause, "o": outcome}, separators=(",", ":"))
    return actions("feedback", [b for i, c in enumerate(answer.causes[:TOP_CAUSES], 1)
                                for b in (button(f"Cause {i} fixed it", f"{FEEDBACK}:fixed:{i}", packed(c.id, "fixed")),
                                          button(f"Not cause {i}", f"{FEEDBACK}:not-this:{i}", packed(c.id, "not-this")))])


def declined_message(answer: Diagnosis, notes=()) -> dict:
    """A look-alike that is not a credential failure: what it is and what to do instead."""
    d = answer.declined
    assert d is not None
    blocks: list[Any] = [header("Not a credential failure"), section(f"*{inline(d.title)}*\n{inline(d.summary)}", block_id="declined"),
                         _rotate(answer)]
    for i, fix in enumerate(d.fix[:TOP_CAUSES]):
        kinds = [fix.command_kinds[j] if j < len(fix.command_kinds) else "shell" for j in range(len(fix.commands))]
        text = f"*{inline(fix.title)}*"
        blocks.append(section(text + "\n" + command_text(list(fix.commands), kinds, limit=SECTION_TEXT - len(text) - 80),
                              block_id=f"declined-fix-{i}"))
    blocks.append(_footer(answer, notes))
    return message(blocks, f"AuthDoctor: {plain(d.title)}")


def not_recognized_message(answer: Diagnosis, notes=()) -> dict:
    if answer.declined is not None:
        return declined_message(answer, notes)
    closest = ", ".join(f"`{escape(c.error_code)}` ({c.similarity:.0f}/100)" for c in answer.closest)
    text = ("I could not match this to a Terraform/AWS credential error I know, so I won't guess.\n"
            "Paste the whole error block, including the line with the AWS error code.")
    if closest:
        text += f"\n*Closest known codes:* {closest}"
    blocks = [header("Not an error I recognise"), section(text, block_id="not-recognized"), _rotate(answer),
              _footer(answer, notes)]
    return message(blocks, _fallback(answer))


# what a hint of each type takes after /authdoctor, for the ones whose values are not a short list
_TYPED = {"region": "an AWS region, e.g. `eu-west-1`", "version": "a version, e.g. `1.5.7`",
          "varlist": "the AWS_* names set, comma-separated, e.g. `AWS_PROFILE,AWS_REGION`",
          "skew": "the clock's offset in seconds, e.g. `600`",
          "signs": "the ids of causes whose telltale sign you see (easier: the answer's buttons)"}


def hint_line(hint) -> str:
    """One hint as help lists it: the key=value a person types, every value it takes, what it means."""
    key = escape(hint.key)
    if hint.type == "bool":
        values = f"`{key}=true` or `{key}=false`"
    elif hint.type == "enum":
        values = f"`{key}=…` one of " + " ".join(f"`{escape(v)}`" for v in hint.values)
    elif hint.type == "version" and "provider" in hint.key:
        values = f"`{key}=…` a version, e.g. `5.31.0`"
    else:
        values = f"`{key}=…` {_TYPED.get(hint.type, escape(hint.type))}"
    meaning = getattr(hint, "label", "") or hint.question_text
    return f"• {values} — {inline(meaning)}"


def usage_message(command: str, hints, note: str | None = None) -> dict:
    """Help: how to call the command, and every hint with the values it takes (hints: the KB's, by key)."""
    command = escape(command or "/authdoctor")
    text = (f"*Usage:* `{command} [hint=value …] &lt;pasted error&gt;`\n"
            "Paste the Terraform/AWS error after the command, ideally as a code block (three backticks). "
            "Hints you already know go first, e.g.\n"
            f"`{command} runner=github-actions key_prefix=ASIA Error: error configuring Terraform AWS Provider: …`\n"
            "Or, on any message that holds an error (a CI bot's failure post), open its ⋮ menu and pick "
            "*Diagnose with AuthDoctor*: only you see the answer.\n"
            "Secrets in the paste are masked before anything else sees them; still, rotate any you paste.")
    blocks: list[Any] = [section(f":warning: {escape(note)}") if note else None, section(text, block_id="usage")]
    chunk: list[str] = []
    n = 0
    for hint in hints.values():
        line = hint_line(hint)
        if chunk and sum(len(x) + 1 for x in chunk) + len(line) > SECTION_TEXT - 40:
            blocks.append(section(("*Hints:*\n" if n == 0 else "") + "\n".join(chunk), block_id=f"hints:{n}"))
            chunk, n = [], n + 1
        chunk.append(line)
    if chunk:
        blocks.append(section(("*Hints:*\n" if n == 0 else "") + "\n".join(chunk), block_id=f"hints:{n}"))
    return message(blocks, f"Usage: {command} [hint=value …] <pasted error>")


def hint_error_message(field: str, problem: str, command: str) -> dict:
    text = (f":warning: *Hint `{escape(field)}`:* {escape(problem)}\n"
            f"Hints go before the error as `key=value`; `{escape(command or '/authdoctor')} help` lists them. "
            "If `key=value` was part of the error itself, paste the error as a code block (three backticks) "
            "so it is not read as a hint.")
    return message([section(text, block_id="hint-error")], f"AuthDoctor: problem with hint '{field}': {problem}")


def notice_message(text: str, **extra) -> dict:
    return message([section(escape(text), block_id="notice")], text, **extra)
