"""The answer the engine gives: frozen, typed, and the one source of the API's JSON.

Every door reads these attributes; none edits an answer after the engine
returns it. `to_json()` is the body of POST /api/v1/diagnose, and the OpenAPI
document is generated from these same classes (web/openapi.py), so the two
cannot drift. A field's metadata may rename it in JSON (`json`), keep it out
of JSON (`json: None`), or add JSON Schema words (`schema`, `enum`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import Field, dataclass, field, fields, is_dataclass
from typing import Any

from .ask import Question
from .hints import Reason
from .knowledge.commands import FIX_KINDS
from .redact import Redaction

STAGES = ("provider", "backend", "state-refresh", "resource", "unknown")
# how the error was known: by a known shape of its message, by its code in an unfamiliar message,
# by the fallback's cues (plainly a credential failure, no code known), or not at all
KNOWN_BY = ("message", "code", "cue", "none")
SOURCES = ("user", "machine", "text", "variant")


@dataclass(frozen=True)
class FixStep:
    title: str
    detail: str = field(metadata={"schema": {"description": "Markdown"}})
    detail_html: str
    commands: tuple[str, ...]
    # one per command, in the same order: only "shell" is typed at a prompt; the rest are
    # Terraform, config-file, JSON, YAML or PowerShell text to put where the detail says
    command_kinds: tuple[str, ...] = field(default=(), metadata={"schema": {
        "items": {"type": "string", "enum": list(FIX_KINDS)},
        "description": "the kind of each command, in order: shell, powershell, hcl, ini, json or yaml"}})


@dataclass(frozen=True)
class RankedCause:
    id: str = field(metadata={"enum": "cause_ids"})
    title: str
    probability: float = field(metadata={"schema": {"minimum": 0, "maximum": 1}})
    # the steps that put it where it stands, each as one sentence (`why`) and in parts (`reasons`)
    why: tuple[str, ...]
    reasons: tuple[Reason, ...]
    summary_html: str
    fix: tuple[FixStep, ...]
    docs: tuple[str, ...]


@dataclass(frozen=True)
class VariantMatch:
    id: str
    similarity: float
    versions: str


@dataclass(frozen=True)
class HintUse:
    value: Any
    source: str = field(metadata={"schema": {"enum": list(SOURCES)}})
    # one discrete value; the signs hint's is the list of signs answered
    feature: str | tuple[str, ...]


@dataclass(frozen=True)
class Closest:
    error_code: str
    similarity: float


@dataclass(frozen=True)
class Declined:
    """What the paste is instead, when it shows a look-alike that is not a credential failure
    (kb/declines): a request that never reached AWS, a bucket that does not exist."""
    id: str
    title: str
    summary: str = field(metadata={"schema": {"description": "Markdown"}})
    summary_html: str
    fix: tuple[FixStep, ...]


@dataclass(frozen=True)
class Diagnosis:
    recognized: bool
    # false when the paste plainly shows a credential failure in a message shape the
    # KB does not know: then error_code is the fallback's (CredentialFailure), with
    # broad priors, and the conversation has to do the narrowing
    familiar: bool
    error_code: str | None
    # "message" whenever familiar; "code": an unfamiliar message carrying the error's own code, so
    # the causes are that error's; "cue": the fallback's broad answer; "none": not recognised
    known_by: str = field(metadata={"schema": {"enum": list(KNOWN_BY)}})
    stage: str = field(metadata={"schema": {"enum": list(STAGES)}})
    variant: VariantMatch | None
    title: str | None
    summary_html: str | None
    causes: tuple[RankedCause, ...]
    question: Question | None
    hints_used: Mapping[str, HintUse]
    markers: tuple[str, ...]
    redacted: tuple[str, ...]
    rotate: str | None
    closest: tuple[Closest, ...]
    # not recognised because the paste shows a look-alike the KB declines, and what to do instead
    declined: Declined | None
    kb_version: str
    answer_id: str
    # the paste as the engine saw it, secrets masked: what a door may echo, and
    # what it hands back to diagnose again (a conversation's next step) so the
    # paste is masked once per request
    paste: Redaction = field(metadata={"json": None})

    @property
    def masked_text(self) -> str:
        return self.paste.text

    @property
    def top(self) -> RankedCause | None:
        return self.causes[0] if self.causes else None

    def to_json(self) -> dict[str, Any]:
        """The API's answer: plain dicts, lists and scalars."""
        out: dict[str, Any] = plain(self)
        return out


def json_name(f: Field[Any]) -> str | None:
    """The JSON key of a dataclass field (None: not in JSON)."""
    name: str | None = f.metadata.get("json", f.name)
    return name


def plain(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        out = {}
        for f in fields(obj):
            name = json_name(f)
            if name is not None:
                out[name] = plain(getattr(obj, f.name))
        return out
    if isinstance(obj, Mapping):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (tuple, list)):
        return [plain(x) for x in obj]
    return obj
