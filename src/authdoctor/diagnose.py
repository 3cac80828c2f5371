"""The pipeline: redact -> normalise + match -> extract -> rank -> ask.

Pure and deterministic: the web page, the API, Slack and the CLI are thin doors
onto `Doctor.diagnose()`, which returns a frozen `Diagnosis`.
"""
from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from . import knowledge, match, normalize
from .ask import next_question
from .diagnosis import Closest, Declined, Diagnosis, FixStep, HintUse, RankedCause, VariantMatch
from .extract import Extracted, extract
from .hints import UNKNOWN, HintError, check_hints, feature_value
from .knowledge import KB, Decline, Fix, Variant
from .match import _CONTEXT_LINES, _ERRORISH, _WINDOW_CHARS, Match, Matcher
from .normalize import Cut
from .rank import Ranked, log_posterior, priors_for, rank
from .redact import Redaction, redact

_MASKED_KEPT = 64  # raw pastes whose masked form is kept (by digest): a few dozen conversations
MAX_CAUSES = 8
MIN_PROBABILITY = 0.01
ROTATE_ADVICE = ("The pasted text contained {kinds}. It was masked before anything else saw it, "
                 "but treat it as leaked: rotate it now (aws iam create-access-key / update-access-key "
                 "--status Inactive, revoke the token).")


def _prebuilt(kb: KB) -> tuple[match.Index, Cut]:
    """What a Doctor derives from its KB at some cost: the matcher's index, and the cut of long pastes
    down to the lines around the matcher's anchors or an error word."""
    index = match.index(kb)
    return index, Cut((*Matcher(kb, index).anchors, *_ERRORISH), _CONTEXT_LINES, _WINDOW_CHARS)


class Doctor:
    """One KB, loaded and indexed once; `diagnose` is safe to call from any thread."""

    def __init__(self, kb: KB | None = None):
        self.kb = kb or knowledge.load()
        # kept with the cached KB, under the source of the code that builds them
        index, self._cut = knowledge.derived(self.kb, _prebuilt, (match.__file__, normalize.__file__, __file__))
        self.matcher = Matcher(self.kb, index)
        # What the text alone tells depends only on the masked paste, so a conversation's
        # next step (the same paste, one more hint) only re-ranks. Keyed by the Redaction
        # itself (frozen, compared by value); a few dozen pastes of at most 64 KiB.
        self._read = functools.lru_cache(maxsize=64)(self._read_text)
        # A conversation re-posts the same raw paste with one more hint: it is masked once,
        # kept by the digest of the raw text, so that no unmasked paste is kept.
        self._masked: OrderedDict[bytes, Redaction] = OrderedDict()
        self._masked_lock = threading.Lock()
        # per cause id: its fix steps and docs as an answer holds them (_cause); two threads making
        # one at once make equal tuples, and either may stay
        self._parts: dict[str, tuple[tuple[FixStep, ...], tuple[str, ...]]] = {}
        self._declines: dict[str, Declined] = {}

    def _read_text(self, red: Redaction) -> tuple[Match | None, Variant | None, Extracted, tuple[Closest, ...], Decline | None]:
        # A long paste is read where its error is: the matcher gets its lines around an anchor or
        # an error word (and enough others that it keeps exactly those, as it would of the whole
        # paste), the fallback's cues and the markers those lines themselves; found in one pass,
        # so that normalising and the markers cost what the error costs, not what the log does.
        cut = self._cut(red.text)
        focus, region = cut or (red.text, red.text)
        decline = self.matcher.declined(region)
        if decline is not None:
            return None, None, extract(self.kb, replace(red, text=region) if cut else red, None), (), decline
        matched = self.matcher.match(focus)
        best, variant = self.matcher.answering(matched, region)
        # (closest reads the text match() normalised, not the paste again)
        closest = tuple(Closest(code, s) for code, s in self.matcher.closest(matched)) if variant is None else ()
        return best, variant, extract(self.kb, replace(red, text=region) if cut else red, variant), closest, None

    def _redact(self, text: str) -> Redaction:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
        with self._masked_lock:
            red = self._masked.get(digest)
            if red is not None:
                self._masked.move_to_end(digest)
                return red
        red = redact(text)
        with self._masked_lock:
            self._masked[digest] = red
            while len(self._masked) > _MASKED_KEPT:
                self._masked.popitem(last=False)
        return red

    def diagnose(self, text: str | Redaction, *, hints: Mapping[str, Any] | None = None,
                 unknown: Iterable[str] = (), machine: Mapping[str, Any] | None = None) -> Diagnosis:
        """Diagnose a paste. `text` is the raw paste, or a paste already masked by
        `redact` (a door that had to mask it first, or a conversation's next step
        handing back `Diagnosis.paste`): either way it is masked exactly once.
        `hints` are a person's answers; `machine` are hints `authdoctor doctor` read
        off the machine, which are not a person's (possibly mistaken) answers and
        are said to come from the machine; a person's answer to the same hint wins."""
        kb = self.kb
        user = check_hints(kb, hints)
        read = check_hints(kb, machine) if machine else {}
        skipped = set(unknown or ())
        for key, value in (hints or {}).items():
            if value is None or value == UNKNOWN:
                skipped.add(key)
        for key in skipped:
            if key not in kb.hints:
                raise HintError(key, f"unknown hint '{key}'; known hints: {', '.join(kb.hints)}")
        red = text if isinstance(text, Redaction) else self._redact(text)
        best, variant, found, closest, decline = self._read(red)

        values, sources = {}, {}
        for key, value in found.hints.items():
            if key not in skipped:
                values[key], sources[key] = value, found.sources[key]
        for key, value in read.items():
            if key not in skipped:
                values[key], sources[key] = value, "machine"
        for key, value in user.items():
            values[key], sources[key] = value, "user"
        features = {k: feature_value(kb.hints[k], v) for k, v in values.items()}
        hints_used = MappingProxyType({k: HintUse(_frozen(v), sources[k], features[k]) for k, v in values.items()})
        unrecognized = Diagnosis(
            recognized=False, familiar=False, error_code=None, known_by="none", stage="unknown", variant=None, title=None, summary_html=None,
            causes=(), question=None, hints_used=hints_used, markers=tuple(found.markers), redacted=red.kinds,
            rotate=ROTATE_ADVICE.format(kinds=", ".join(red.kinds)) if red.kinds else None, closest=(), declined=None,
            kb_version=kb.version, answer_id=self._answer_id(red.text, values, skipped), paste=red)
        if decline is not None:
            return replace(unrecognized, declined=self._declined(decline))
        if variant is None:
            return replace(unrecognized, closest=closest)
        error = kb.errors[variant.error_id]
        priors, _ = priors_for(error, variant)
        # a marker every paste of this error shows is reported, not weighed again (ErrorCode.implied_markers)
        weighed = [m for m in found.markers if m not in error.implied_markers]
        scores = log_posterior(kb, priors, features, weighed, sources)  # the KB's own posterior: the question is chosen on it
        ranked = rank(kb, error, variant, features, weighed, sources)
        causes = tuple(self._cause(r) for r in ranked[:MAX_CAUSES]
                       if r.probability >= MIN_PROBABILITY or r is ranked[0])
        question = next_question(kb, scores, values, skipped)
        similarity = round(best.variant_score or best.score, 1) if best else 0.0
        return replace(
            unrecognized, recognized=True, familiar=best is not None, error_code=error.id,
            known_by="message" if best is not None else "cue" if error.fallback else "code", stage=found.stage or variant.stage,
            variant=VariantMatch(variant.id, similarity, variant.versions),
            title=error.title, summary_html=error.summary_html, causes=causes, question=question)

    def _cause(self, r: Ranked) -> RankedCause:
        c = self.kb.causes[r.id]
        parts = self._parts.get(r.id)
        if parts is None:
            # a cause's fix steps and docs come from the KB alone: made once, and (frozen) shared by
            # every answer naming it, so the API can also keep their JSON by identity (web/api.py)
            parts = self._parts[r.id] = (_steps(c.fixes), tuple(c.docs))
        return RankedCause(
            id=c.id, title=c.title, probability=round(r.probability, 4), why=tuple(w.line for w in r.why), reasons=r.why,
            summary_html=c.summary_html, fix=parts[0], docs=parts[1])

    def _declined(self, d: Decline) -> Declined:
        # from the KB alone, like a cause's parts: made once per decline and shared
        made = self._declines.get(d.id)
        if made is None:
            made = self._declines[d.id] = Declined(d.id, d.title, d.summary, d.summary_html, _steps(d.fixes))
        return made

    def _answer_id(self, text: str, values: Mapping[str, Any], skipped: set[str]) -> str:
        blob = json.dumps([self.kb.version, text, sorted((k, str(v)) for k, v in values.items()), sorted(skipped)])
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _steps(fixes: Iterable[Fix]) -> tuple[FixStep, ...]:
    """A KB entry's fixes as an answer holds them."""
    return tuple(FixStep(f.title, f.detail, f.detail_html, tuple(f.commands), tuple(f.kinds)) for f in fixes)


def _frozen(value: Any) -> Any:
    """A hint value as the answer keeps it: lists become tuples."""
    return tuple(value) if isinstance(value, list) else value
