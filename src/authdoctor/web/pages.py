"""The web page: paste, say what you know, read the answer first; answer questions one at a time.

Server-rendered and working without JavaScript: every step is a plain form submission
whose URL carries the hints (never the pasted text, which stays in the form body). The
answer takes focus as the page loads (autofocus: no script), with the folded paste and the
page's name still in view above it. copy.js only adds copy buttons.
"""
from __future__ import annotations

import json
from collections import Counter
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, current_app, g, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..hints import HintError, hint_text, kind
from ..knowledge.commands import KIND_LABELS
from ..redact import redact
from . import MAX_BODY, doctor, read_body
from .present import STAGE_WORDS, inline_md, plain_text, reasons, short, summary_line
from .security import note_answer

bp = Blueprint("pages", __name__)
bp.add_app_template_filter(inline_md, "md")

# Short pasted texts (already redacted) may ride in a shareable link; long ones never do.
LINK_TEXT_LIMIT = 1500
# The thread shows at most this many answered questions, the latest; answers
# before them still count, as hints given up front. Each shown step is one more
# run of the engine over the paste, so a long ?steps= must not multiply it.
MAX_STEPS = 12

# What the page tells a person it masked in their paste, by kind.
KIND_NAMES = {
    "aws-access-key-id": "an AWS access key id",
    "aws-secret-access-key": "an AWS secret access key",
    "aws-session-token": "an AWS session token",
    "terraform-cloud-token": "a Terraform Cloud token",
    "github-token": "a GitHub token",
    "slack-token": "a Slack token",
    "slack-webhook": "a Slack webhook URL",
    "jwt": "a JSON web token",
    "private-key": "a private key",
    "secret": "a secret",
}


def masked_note(kinds) -> str | None:
    """One line for under the text box: what was masked in the paste, and to rotate it."""
    if not kinds:
        return None
    names = [KIND_NAMES.get(k, "a " + k.replace("-", " ")) for k in kinds]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"We masked {listed} in your paste; rotate {'it' if len(names) == 1 else 'them'}."


class FormError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _form() -> dict:
    if request.method != "POST":  # GET and HEAD carry everything in the query
        return {}
    try:
        raw = read_body(MAX_BODY)  # a chunked body too: over 64 KiB is 413, never cut
    except RequestEntityTooLarge:
        raise FormError(413, "The pasted text is larger than 64 KiB. Paste only the error block, not the whole log.") from None
    if request.mimetype == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            raise FormError(400, "The submitted text is not valid UTF-8; paste it as plain text.") from None
        return dict(pairs)
    return request.form.to_dict()


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def _state(kb, form: dict):
    """Hints, answered steps and "don't know"s from the query, then the form.

    Names that are not hints are dropped from `unknown` and `steps` (a link from
    before the KB renamed a hint still works, and nothing quotes them back).
    """
    args = request.args.to_dict()
    hints = {}
    unknown = list(dict.fromkeys(u for u in _split(args.get("unknown")) if u in kb.hints))
    for source in (args, form):
        for key, value in source.items():
            if key in kb.hints and value not in ("", None):
                hints[key] = value
    for key, value in hints.items():  # list-valued hints travel comma-joined
        if kind(kb.hints[key]).many and isinstance(value, str):
            hints[key] = _split(value.replace(" ", ","))
    return hints, _steps(kb, _split(args.get("steps")), hints, unknown), unknown


def _steps(kb, names: list[str], hints: dict, unknown: list[str]) -> list[str]:
    """The answered questions to show: each hint given or skipped once, in order, the one
    question that is asked again (the differential one) at most once per answer in its
    list; of those, the last MAX_STEPS."""
    seen: Counter[str] = Counter()
    out = []
    for name in names:
        if name not in hints and name not in unknown:
            continue
        value = hints.get(name)
        times = len(value) if kind(kb.hints[name]).repeats and isinstance(value, list) else 1
        seen[name] += 1
        if seen[name] <= max(times, 1):
            out.append(name)
    return out[-MAX_STEPS:]


def _query(hints: dict, steps: list, unknown: list) -> str:
    q = {k: hint_text(v) for k, v in hints.items()}
    if steps:
        q["steps"] = ",".join(steps)
    if unknown:
        q["unknown"] = ",".join(unknown)
    return urlencode(q)


@bp.route("/", methods=["GET", "POST"])
def index():
    """The page: a paste box and a few hints; after Diagnose, the answer first, then the question and the rest."""
    d = doctor()
    kb = d.kb
    try:
        form = _form()
    except FormError as exc:
        g.error_code = "too_large" if exc.status == 413 else "bad_encoding"
        return _page(kb, form_error=exc.message), exc.status
    text = form.get("error", request.args.get("error", ""))
    hints, steps, unknown = _state(kb, form)
    if not text.strip():
        posted = request.method == "POST"  # GET and HEAD: the empty page
        return _page(kb, hints=hints, form_error="Paste an error first." if posted else None), (400 if posted else 200)
    if len(text.encode("utf-8")) > MAX_BODY:
        g.error_code = "too_large"
        return _page(kb, hints=hints, form_error="The pasted text is larger than 64 KiB. Paste only the error block."), 413
    # the thread: the answer before any question was answered, then after each answer in turn
    base = {k: v for k, v in hints.items() if k not in steps}
    thread = []
    done = {}  # engine answers of this request, by state

    def run(paste, given, skipped):
        # one engine run per distinct state: the same hints and skips give the same answer
        key = json.dumps([sorted((k, hint_text(v)) for k, v in given.items()), sorted(skipped)])
        if key not in done:
            done[key] = d.diagnose(paste, hints=given, unknown=skipped)
        return done[key]

    try:
        answer = run(text, base, [u for u in unknown if u not in steps])
        given: dict = {}
        for i, key in enumerate(steps):
            asked = answer.question
            value = _step_value(kb, asked, key, hints.get(key))
            if value is not None:
                given[key] = value
            skipped = [u for u in unknown if u in steps[: i + 1]]
            label = _answer_label(asked, value)
            thread.append({"hint": key, "label": kb.hints[key].label or key, "answer": short(label)[0]})
            # the paste as masked the first time: one redaction a request, however long the thread
            answer = run(answer.paste, {**base, **given}, skipped + [u for u in unknown if u not in steps])
    except HintError as exc:
        g.error_code = "invalid_hint"
        # the masked text: the raw paste would put its secrets back on the page; the
        # message quotes the refused value masked and cut (hints.quote_value)
        red = redact(text)
        return _page(kb, text=red.text, masked=masked_note(red.kinds), form_error=f"{exc}"), 400
    note_answer(answer)
    shown_text = answer.masked_text
    q = answer.question
    question = None
    if q:
        options = []
        for opt, label in zip(q.options, q.labels):
            label_short, cut = short(label)
            options.append({"label": label_short, "full": label if cut else None,
                            "url": "/?" + _query({**hints, q.hint: opt}, steps + [q.hint], unknown)})
        text_short, text_cut = short(q.text)
        question = {"hint": q.hint, "text": text_short, "full": q.text if text_cut else None, "how": q.how, "options": options,
                    "dont_know": "/?" + _query(hints, steps + [q.hint], unknown + [q.hint])}
    link = "/?" + _query(hints, steps, unknown)
    if len(shown_text) <= LINK_TEXT_LIMIT:
        link += ("&" if link != "/?" else "") + urlencode({"error": shown_text})
    return _page(kb, text=shown_text, hints=hints, thread=thread, answer=answer, question=question,
                 link=link, masked=masked_note(answer.redacted))


def _page(kb, *, text: str = "", hints: dict | None = None, form_error: str | None = None, thread: list | None = None,
          answer=None, question=None, link: str | None = None, masked: str | None = None):
    """The page, in one of its states: empty, refused (form_error), or answered."""
    hints = hints or {}
    form_hints = [(k, h) for k, h in kb.hints.items() if h.type != "signs"]
    example = _example(kb)
    top = answer.top if answer is not None and answer.recognized else None
    first_fix = top.fix[0] if top and top.fix else None
    return render_template(
        "index.html", kb=kb, text=text, hints=hints, form_error=form_error, thread=thread or [], answer=answer,
        question=question, link=link, masked=masked, report_url=_report_url(),
        up_front=[(k, h) for k, h in form_hints if h.up_front], more=[(k, h) for k, h in form_hints if not h.up_front],
        more_open=any(k in hints for k, h in form_hints if not h.up_front),
        example_url="/?" + urlencode({"error": example}) if example else None,
        title=_title(answer), top=top, first_fix=first_fix, first_command=_first_command(first_fix),
        stage_words=STAGE_WORDS.get(answer.stage) if answer is not None else None,
        told=_told(kb, answer) if answer is not None else [], paste_line=summary_line(text),
        reasons=reasons, short=short, command_kinds=_command_kinds, kind_label=lambda k: KIND_LABELS.get(k, k))


def _title(answer) -> str:
    """The tab's title names the error, so a tab among many says which one it is."""
    if answer is None:
        return "AuthDoctor: why Terraform cannot log in to AWS"
    if answer.declined is not None:
        return "Not a credential failure · AuthDoctor"
    if not answer.recognized:
        return "Not recognised · AuthDoctor"
    top = f": {plain_text(answer.top.title)}" if answer.top else ""
    return f"{answer.error_code}{top} · AuthDoctor"


def _first_command(fix):
    """The command the headline offers: the fix's first one typed at a prompt, else its first."""
    if fix is None or not fix.commands:
        return None
    kinds = _command_kinds(fix)
    return next((c for c, k in zip(fix.commands, kinds) if k == "shell"), fix.commands[0])


def _command_kinds(fix) -> tuple[str, ...]:
    """One kind per command (shell, hcl ...); shell for all when the answer does not say."""
    kinds = tuple(getattr(fix, "command_kinds", ()) or ())
    return kinds + ("shell",) * (len(fix.commands) - len(kinds))


def _told(kb, answer) -> list[dict]:
    """What the answer used, in words: each hint's label and value, and where it came from."""
    out = []
    for key, use in answer.hints_used.items():
        hint = kb.hints.get(key)
        if hint is None or hint.type == "signs":
            continue
        value = kind(hint).label(hint, use.feature) if isinstance(use.feature, str) and use.feature in hint.labels else hint_text(use.value)
        out.append({"label": hint.label or key, "value": value, "source": use.source})
    return out


def _example(kb) -> str | None:
    """A real paste for "try an example": the KB's own example of the commonest error people paste
    (InvalidClientTokenId, the README's too), else of the first error it knows."""
    errors = sorted(kb.errors.values(), key=lambda e: e.id != "InvalidClientTokenId")
    for error in errors:
        if not error.fallback:
            for variant in error.shapes:
                if variant.examples:
                    return variant.examples[0]
    return None


def _report_url() -> str | None:
    """Where "report it" goes (AUTHDOCTOR_REPORT_URL, an issue tracker's new-issue page); no link when unset."""
    url = current_app.config.get("REPORT_URL")
    return url if url and url.startswith(("https://", "http://")) else None


def _step_value(kb, question, key, final):
    """The answer given at this step. A question that is asked again and again (the
    differential one) grows its list each time: the step's answer is the option
    offered then that the final list begins with."""
    if not kind(kb.hints[key]).repeats or not question or question.hint != key or not isinstance(final, list):
        return final
    for opt in question.options:
        if final[: len(opt)] == list(opt):
            return list(opt)
    return final


def _answer_label(question, value) -> str:
    """What the person answered, in the words of the option they pressed."""
    if value is None:
        return "I don't know"
    if question:
        for opt, label in zip(question.options, question.labels):
            if hint_text(opt) == hint_text(value):
                return label
    return hint_text(value)

