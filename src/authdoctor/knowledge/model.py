"""The knowledge base's types: what a loaded, validated KB holds. Frozen, and nothing but data."""
from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

STAGES = ("provider", "backend", "state-refresh", "resource", "unknown")
HINT_TYPES = ("enum", "bool", "region", "version", "varlist", "skew", "signs")
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CODE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9]+$")


@dataclass
class Problem:
    """One thing wrong in the KB, where it is. With the types, so that a start that reads the
    cached KB never imports the YAML reader (nor PyYAML)."""
    code: str
    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.code} {self.message}"


class KBError(Exception):
    """The knowledge base cannot be loaded; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"knowledge base is broken: {first}{more}")


class Pattern:
    """A regex of the KB (a marker's pattern, a fallback cue), compiled on its first search:
    a start reads the KB from its cache without compiling the hundred-odd of them (a third of
    reading it), and an answer compiles only those the paste's screen lets run (extract)."""

    __slots__ = ("pattern", "flags", "_rx")

    def __init__(self, pattern: str, flags: int) -> None:
        self.pattern = pattern
        self.flags = flags  # the compiled pattern's own, so re.compile(pattern, flags) gives it again
        self._rx: re.Pattern[str] | None = None

    @classmethod
    def of(cls, rx: re.Pattern[str]) -> Pattern:
        out = cls(rx.pattern, rx.flags)
        out._rx = rx
        return out

    def compiled(self) -> re.Pattern[str]:
        rx = self._rx
        if rx is None:
            rx = self._rx = re.compile(self.pattern, self.flags)
        return rx

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled().search(string, pos, endpos)

    def findall(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:
        return self.compiled().findall(string, pos, endpos)

    def finditer(self, string: str) -> Iterator[re.Match[str]]:
        return self.compiled().finditer(string)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Pattern):
            return NotImplemented
        return self.pattern == other.pattern and self.flags == other.flags

    def __hash__(self) -> int:
        return hash((self.pattern, self.flags))

    def __reduce__(self) -> tuple[type[Pattern], tuple[str, int]]:
        return Pattern, (self.pattern, self.flags)

    def __repr__(self) -> str:
        return f"Pattern({self.pattern!r}, {self.flags})"


@dataclass(frozen=True)
class Fix:
    """One step of a cause's fix: its title, its text (Markdown and HTML) and its commands."""
    title: str
    detail: str
    detail_html: str
    commands: tuple[str, ...]
    # one per command: shell, powershell, hcl, ini, json or yaml (knowledge/commands.py)
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cause:
    """A cause an error can have: what it is, what each hint and marker says about it, its fixes."""
    id: str
    title: str
    summary: str
    summary_html: str
    # feature -> value -> likelihood ratio against the hint's base rate
    evidence: Mapping[str, Mapping[str, float]]
    markers: Mapping[str, float]  # marker -> likelihood ratio
    why: Mapping[str, str]  # hint or marker -> the sentence a why-line gives
    fixes: tuple[Fix, ...]
    docs: tuple[str, ...]
    sign: str = ""  # the telltale observation a person can check for this cause
    # feature -> value -> P(value | cause), derived at load
    likelihood: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Variant:
    """One shape of an error's message, with the priors and hint values that shape implies."""
    id: str
    error_id: str
    stage: str
    versions: str
    text: str
    examples: tuple[str, ...]
    generic: bool
    priors: Mapping[str, float]
    prior_sources: Mapping[str, str]
    implies: Mapping[str, Any]  # hint -> the value this shape of message implies
    # the answer its error's cues give (an unfamiliar message with the error's code in it):
    # never matched by its shape, which only names the answer
    by_cue: bool = False


@dataclass(frozen=True)
class ErrorCode:
    """A known error: its anchors, its message shapes and the priors of its causes."""
    id: str
    title: str
    http_status: int | None
    summary: str
    summary_html: str
    anchors: tuple[tuple[str, ...], ...]  # as written; each group's texts must all be present
    variants: tuple[Variant, ...]
    priors: Mapping[str, float]
    prior_sources: Mapping[str, str]
    not_examples: tuple[str, ...]
    # the written estimates the counted priors are smoothed toward (authoring/counts.py); empty
    # where no report thread names this error and the priors are the estimates themselves
    estimates: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    # the answer when no known message matches but a cue shows a credential failure;
    # never matched by its shape (its variant only names the answer)
    fallback: bool = False
    # When no known message matches: a cue found in the paste answers with this error's by_cue
    # variant (the fallback: its first), unless a veto is found too (a look-alike that carries
    # the same code, such as EC2's AuthFailure for an AMI one may not use)
    cues: tuple[Pattern, ...] = ()
    vetoes: tuple[Pattern, ...] = ()
    # markers every paste of this error shows: its priors already say what they would, so they
    # are reported but not weighed again (an S3 checksum refusal always names a checksum header)
    implied_markers: frozenset[str] = frozenset()

    @property
    def shapes(self) -> tuple[Variant, ...]:
        """The variants a paste is matched against by their text: none of the fallback's, and no
        variant that only names what a cue answers."""
        return () if self.fallback else tuple(v for v in self.variants if not v.by_cue)

    @property
    def cue_variant(self) -> Variant | None:
        """What this error's cues answer with (None: it has no cues)."""
        if not self.cues:
            return None
        if self.fallback:
            return self.variants[0] if self.variants else None
        return next((v for v in self.variants if v.by_cue), None)


@dataclass(frozen=True)
class Hint:
    """Something a person can tell (or the paste shows) that separates causes, and how it is asked."""
    key: str
    type: str
    values: tuple[str, ...]  # feature values (classes for region/version/varlist/skew)
    base: Mapping[str, float]
    groups: Mapping[str, tuple[str, ...]]
    question_text: str
    question_how: str
    options: tuple[Any, ...]  # what a client sends back, one per answer
    labels: Mapping[str, str]
    opt_in: frozenset[str] = frozenset()
    buckets: tuple[tuple[str, Any], ...] = ()  # (name, below) for version hints
    threshold: float = 300.0
    # the differential question (type signs): how many signs are offered, and how
    # reliably a person recognises their own cause's sign
    shown: int = 3
    offers: int = 1  # how many times one sign may be offered (a second look after a "no")
    hit: float = 0.85
    false_hit: float = 0.05
    miss: float = 0.1
    # feature value -> the sentence a why-line gives for that answer, when a cause has none of its
    # own: one per answer, so "No, the CLI fails too" never reads a reason written for "yes"
    why: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # how often a person answering this hint gets it wrong (a guessed version, a misread check):
    # no self-reported answer may weigh more than its own chance of being right
    misreport: float = 0.05
    # what a person reads on a form or in a summary line ("Where Terraform runs"), and one
    # sentence of help; both Markdown (code spans). up_front: offered before the rest
    label: str = ""
    help: str = ""
    up_front: bool = False


@dataclass(frozen=True)
class Marker:
    """A sign read off the paste by its patterns, and the hint values it sets."""
    name: str
    description: str
    patterns: tuple[Pattern, ...]
    sets: Mapping[str, Any]


@dataclass(frozen=True)
class Decline:
    """A look-alike that is not a credential failure even where a credential message wraps it:
    the request never reached AWS (a TLS certificate refused, a host not found), or AWS answered
    that what was asked for does not exist. Found in a paste, it is not claimed."""
    id: str
    title: str
    summary: str
    summary_html: str
    patterns: tuple[Pattern, ...]
    fixes: tuple[Fix, ...]
    examples: tuple[str, ...]  # pastes it must decline (kb check)


@dataclass(frozen=True)
class KB:
    """The whole knowledge base, validated and frozen."""
    path: str
    version: str
    errors: Mapping[str, ErrorCode]
    causes: Mapping[str, Cause]
    hints: Mapping[str, Hint]
    markers: Mapping[str, Marker]
    cause_ids: tuple[str, ...]
    variants: tuple[Variant, ...]
    declines: Mapping[str, Decline] = field(default_factory=lambda: MappingProxyType({}))
