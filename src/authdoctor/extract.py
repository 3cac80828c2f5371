"""Read hints from the paste itself: what the user did not say, the text often does.

Runs on the redacted text (the secrets are gone; their prefix was kept by
redact). User-given hints always win over what is read here.
"""
from __future__ import annotations

import importlib
import re
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .hints import region_class
from .knowledge import KB, Marker, Pattern, Variant, derived
from .redact import Redaction


def _lazy(pattern: str, flags: int = 0) -> Pattern:
    """A pattern of this module, compiled on its first search: the pre-screen (whose needles are
    kept with the cached KB) keeps most of them off most pastes, so most starts never compile them."""
    return Pattern(pattern, flags | re.UNICODE)  # (the flags re.compile gives a text pattern)


_REGION = _lazy(r"(?<![a-z0-9-])((?:us-gov|cn|us|eu|ap|sa|ca|me|af|il|mx)-"
                r"(?:north|south|east|west|central|northeast|southeast|northwest|southwest|gov-west|gov-east)-\d)(?![a-z0-9-])")
_PARTITION = [
    (_lazy(r"arn:aws-us-gov:|amazonaws-us-gov|\.us-gov-"), "us-gov-west-1"),
    (_lazy(r"arn:aws-cn:|amazonaws\.com\.cn"), "cn-north-1"),
]
_TF_VERSION = _lazy(r"\bterraform (?:v|version:?\s*v?)(\d+\.\d+\.\d+)", re.I)
_PROVIDER_VERSION = _lazy(r"(?:hashicorp/aws|provider\.aws|provider registry\.terraform\.io/hashicorp/aws)\s+v?(\d+\.\d+\.\d+)", re.I)
_TOKEN = _lazy(r"x-amz-security-token", re.I)
_CASE_BLIND = int(re.I)  # (a plain int: pattern.flags & re.I would build an enum member every call)
_STAMP = r"(\d{8}T\d{6}Z)"
_EXPIRED = _lazy(r"signature expired:\s*" + _STAMP + r" is now earlier than " + _STAMP + r"(?:\s*\(" + _STAMP + r"\s*-\s*(\d+)\s*min)?", re.I)
_NOT_YET = _lazy(r"signature not yet current:\s*" + _STAMP + r" is still later than " + _STAMP + r"(?:\s*\(" + _STAMP + r"\s*\+\s*(\d+)\s*min)?", re.I)
_SKEWED_XML = _lazy(r"<RequestTime>([^<]+)</RequestTime>\s*<ServerTime>([^<]+)</ServerTime>", re.I)
# TF_LOG=DEBUG names where the credentials came from
_CRED_SOURCE = _lazy(r"(?:credentials_source=|retrieved credentials from |using credentials from |credential source:\s*)\"?([A-Za-z0-9_]+)", re.I)
_SOURCE_METHOD = [
    ("envconfig", "env-vars"), ("environment", "env-vars"), ("envprovider", "env-vars"),
    ("sharedconfig", "profile"), ("sharedcredentials", "profile"), ("profile", "profile"),
    ("sso", "sso"), ("webidentity", "web-identity"), ("assumerole", "assume-role"),
    ("ec2role", "instance-role"), ("ec2imds", "instance-role"), ("ecs", "instance-role"), ("instancemetadata", "instance-role"),
    ("static", "static-keys"),
]
_STAGES = [
    (_lazy(r"error refreshing state|error: refreshing state", re.I), "state-refresh"),
    (_lazy(r"initializing the backend|backend ['\"]?s3|s3 backend|error loading state|failed to (?:save|persist|upload) state"
           r"|error acquiring the state lock|error inspecting states", re.I), "backend"),
    (_lazy(r"configuring terraform aws provider|with provider\[|provider\.aws:|in provider \"aws\"", re.I), "provider"),
    (_lazy(r"error:? (?:creating|reading|updating|deleting|error creating|error reading)\b"
           r"|with (?:module\.\S+\.)?aws_[a-z0-9_]+\.|resource \"aws_", re.I), "resource"),
]


_parser: Any = importlib.import_module("re._parser")
_REPEATS = {_parser.MAX_REPEAT, _parser.MIN_REPEAT, getattr(_parser, "POSSESSIVE_REPEAT", _parser.MAX_REPEAT)}
# a pattern of this module, or of the KB's markers (compiled on its first search)
_Rx = re.Pattern[str] | Pattern
_NEEDLES: dict[_Rx, tuple[tuple[str, ...] | None, bool]] = {}


def _needed(seq: Any, fold: bool) -> tuple[str, ...] | None:
    """Texts of which every match of the parsed sequence holds at least one, or None."""
    options: list[tuple[str, ...]] = []
    run: list[str] = []
    for op, av in list(seq) + [(None, None)]:
        if op is _parser.LITERAL:
            run.append(chr(av))
            continue
        if run:
            options.append(("".join(run),))
            run = []
        found: tuple[str, ...] | None = None
        if op is _parser.SUBPATTERN:
            _, add, _, sub = av
            found = _needed(sub, fold or bool(add & re.I))
        elif op is _parser.ATOMIC_GROUP:
            found = _needed(av, fold)
        elif op in _REPEATS and av[0] >= 1:
            found = _needed(av[2], fold)
        elif op is _parser.BRANCH:
            branches = [_needed(b, fold) for b in av[1]]
            found = None if any(b is None for b in branches) else tuple(x for b in branches if b for x in b)
        if found:
            options.append(found)
    usable = [o for o in options if o and all(len(x) >= 3 for x in o)]
    if not usable:
        return None
    best = max(usable, key=lambda o: min(len(x) for x in o))
    return tuple(x.lower() for x in best) if fold else best


def _read_needles(pattern: _Rx) -> tuple[tuple[str, ...] | None, bool]:
    """(the texts of which every match of `pattern` holds one, or None; whether it is case-blind)."""
    fold = bool(pattern.flags & re.I)
    try:
        return _needed(_parser.parse(pattern.pattern, pattern.flags & ~re.I), fold), fold
    except Exception:  # a construct the parser of this Python reads differently: no shortcut
        return None, fold


def _may_match(pattern: _Rx, text: str, ascii_text: bool) -> bool:
    """False only when `pattern` cannot match `text`: a text every match must hold is absent
    (one str.find each, instead of the regex engine trying every position of a long log)."""
    entry = _NEEDLES.get(pattern)
    if entry is None:
        entry = _NEEDLES[pattern] = _read_needles(pattern)
    needles, fold = entry
    if needles is None or (fold and not ascii_text):
        return True  # (a case-blind pattern is only pre-screened on ASCII text, where lower() is its case rule)
    return any(n in text for n in needles)


def _search(pattern: _Rx, text: str, lower: str, ascii_text: bool) -> re.Match[str] | None:
    """pattern.search(text), run only when _may_match lets it (on `lower` when it is case-blind)."""
    return pattern.search(text) if _may_match(pattern, lower if pattern.flags & _CASE_BLIND else text, ascii_text) else None


@dataclass(frozen=True)
class _Screen:
    """The KB's marker patterns laid out for _may_match's rule, applied to all of them at once:
    each text every match must hold is looked for once per paste, however many patterns need it."""
    markers: tuple[tuple[str, Marker, frozenset[_Rx]], ...]  # in the KB's order, with their patterns
    always: frozenset[_Rx]  # no such text: the pattern always runs
    folded: frozenset[_Rx]  # case-blind: runs on any text that is not ASCII
    needles: tuple[tuple[str, frozenset[_Rx]], ...]  # text -> the patterns it lets run

    def live(self, lower: str, ascii_text: bool) -> set[_Rx]:
        """The patterns _may_match lets run on `lower`."""
        live = set(self.always)
        if not ascii_text:
            live |= self.folded
        for needle, patterns in self.needles:
            if needle in lower:
                live |= patterns
        return live


_SCREENS: dict[int, tuple[weakref.ref[KB], _Screen]] = {}
# the patterns of this module that _may_match screens
_OWN = (_TOKEN, _REGION, *(p for p, _ in _PARTITION), _TF_VERSION, _PROVIDER_VERSION, _EXPIRED, _NOT_YET, _SKEWED_XML,
        _CRED_SOURCE, *(p for p, _ in _STAGES))


def _patterns(kb: KB) -> list[_Rx]:
    return [*_OWN, *(p for marker in kb.markers.values() for p in marker.patterns)]


def screened_needles(kb: KB) -> dict[tuple[str, int], tuple[tuple[str, ...] | None, bool]]:
    """What _may_match reads off each pattern it screens (this module's and the KB's markers'),
    by the pattern's text and flags: parsing them is most of a first answer, so this is kept
    with the cached KB (knowledge.derived)."""
    return {(p.pattern, p.flags): _read_needles(p) for p in _patterns(kb)}


def _screen(kb: KB) -> _Screen:
    entry = _SCREENS.get(id(kb))
    if entry is None or entry[0]() is not kb:
        kept = derived(kb, screened_needles, (__file__,))
        for pattern in _patterns(kb):
            _NEEDLES.setdefault(pattern, kept[pattern.pattern, pattern.flags])
        always, folded = set(), set()
        by_needle: dict[str, set[_Rx]] = {}
        for marker in kb.markers.values():
            for pattern in marker.patterns:
                _may_match(pattern, "", True)  # reads its needles into _NEEDLES
                needles, fold = _NEEDLES[pattern]
                if needles is None:
                    always.add(pattern)
                    continue
                if fold:
                    folded.add(pattern)
                for n in needles:
                    by_needle.setdefault(n, set()).add(pattern)
        screen = _Screen(tuple((name, m, frozenset(m.patterns)) for name, m in kb.markers.items()), frozenset(always), frozenset(folded),
                         tuple((n, frozenset(ps)) for n, ps in by_needle.items()))
        key = id(kb)
        entry = _SCREENS[key] = (weakref.ref(kb, lambda _: _SCREENS.pop(key, None)), screen)
    return entry[1]


@dataclass
class Extracted:
    """What the text told, filled in as it is read."""
    hints: dict[str, Any] = field(default_factory=dict)  # key -> canonical value
    sources: dict[str, str] = field(default_factory=dict)  # key -> "text" | "variant"
    markers: list[str] = field(default_factory=list)
    stage: str | None = None


def _stamp(s: str) -> datetime | None:
    try:
        return datetime.strptime(s, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        try:
            return datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            return None


def clock_skew(text: str) -> float | None:
    """Seconds the client clock is ahead (+) or behind (-), when AWS printed both times."""
    m = _EXPIRED.search(text)
    if m:
        request, server = _stamp(m.group(1)), _stamp(m.group(3) or "") or None
        if server is None:
            edge = _stamp(m.group(2))
            server = edge + timedelta(minutes=int(m.group(4) or 5)) if edge else None
        if request and server:
            return (request - server).total_seconds()
    m = _NOT_YET.search(text)
    if m:
        request, server = _stamp(m.group(1)), _stamp(m.group(3) or "")
        if server is None:
            edge = _stamp(m.group(2))
            server = edge - timedelta(minutes=int(m.group(4) or 5)) if edge else None
        if request and server:
            return (request - server).total_seconds()
    m = _SKEWED_XML.search(text)
    if m:
        request, server = _stamp(m.group(1).strip()), _stamp(m.group(2).strip())
        if request and server:
            return (request - server).total_seconds()
    return None


def _region(kb: KB, text: str, lower: str, ascii_text: bool) -> str | None:
    found = _REGION.findall(lower) if _may_match(_REGION, lower, ascii_text) else []
    for pattern, region in _PARTITION:
        if _may_match(pattern, text, ascii_text) and pattern.search(text):
            found.append(region)
    if not found:
        return None
    hint = kb.hints.get("region")
    if hint is None:
        return str(found[0])
    # the most telling region wins: a partition or an opt-in region over a standard one
    order = {"govcloud": 0, "china": 0, "opt-in": 1, "standard": 2}
    return str(min(found, key=lambda r: order[region_class(hint, r)]))


def extract(kb: KB, red: Redaction, variant: Variant | None) -> Extracted:
    text = red.text
    out = Extracted()

    def put(key: str, value: Any, source: str = "text") -> None:
        if key in kb.hints and key not in out.hints and value is not None:
            out.hints[key] = value
            out.sources[key] = source

    if red.key_prefix in ("AKIA", "ASIA"):
        put("key_prefix", red.key_prefix)
    screen = _screen(kb)  # (first: it reads every screened pattern's needles)
    # Every pattern runs only when _may_match lets it: its needles are looked for in the
    # lower-cased text for a case-blind pattern, in the text itself otherwise.
    lower = text.lower()
    ascii_text = text.isascii()
    if red.has_session_token or _search(_TOKEN, text, lower, ascii_text):
        put("has_session_token", True)
    put("region", _region(kb, text, lower, ascii_text))
    m = _search(_TF_VERSION, text, lower, ascii_text)
    put("terraform_version", m.group(1) if m else None)
    m = _search(_PROVIDER_VERSION, text, lower, ascii_text)
    put("provider_version", m.group(1) if m else None)
    if any(_may_match(p, lower, ascii_text) for p in (_EXPIRED, _NOT_YET, _SKEWED_XML)):  # else clock_skew finds nothing
        skew = clock_skew(text)
        if skew is not None:
            put("clock_skew_seconds", skew)
    m = _search(_CRED_SOURCE, text, lower, ascii_text)
    if m:
        src = m.group(1).lower()
        method = next((meth for needle, meth in _SOURCE_METHOD if needle in src), None)
        put("auth_method", method)
    # markers read the redacted text, not the normalised one: normalising masks
    # ARNs, whose role names ("assumed-role/github-runner") still tell things
    live = screen.live(lower, ascii_text)
    for name, marker, patterns in screen.markers:
        if not live.isdisjoint(patterns) and any(p in live and p.search(lower) for p in marker.patterns):
            out.markers.append(name)
            for key, value in marker.sets.items():
                put(key, value)
    if variant is not None:
        for key, value in variant.implies.items():
            put(key, value, "variant")
    if variant is None or variant.stage == "unknown":
        out.stage = next((stage for pattern, stage in _STAGES if _may_match(pattern, lower, ascii_text) and pattern.search(text)), None)
    return out
