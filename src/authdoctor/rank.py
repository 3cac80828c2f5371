"""Rank the causes of a recognised error: prior x evidence, each move explained.

P(cause | features) is proportional to prior(cause) x product of P(value | cause)
over the features known; each hint's kind says what P(value | cause) is (for
most, the KB's likelihood ratio against the hint's base rate, derived at load).
Markers seen in the text multiply by their factor. The result is normalised
over the error's causes.

Two posteriors come of it. The KB's own (`log_posterior`, tempered 1) chooses the
questions and when to stop asking. The one shown (`shown_scores`) sharpens the
paste's evidence and the priors by `TEMPERATURE`, but a person's answer only up to
what its own error rate allows: one answer never weighs more than the larger of
its own likelihood ratio and 1 / (how often such answers are wrong).
"""
from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .hints import NOTEWORTHY, RULES_OUT, Feature, Reason, kind
from .knowledge import KB, Cause, ErrorCode, Variant

# The KB's likelihood ratios are deliberately conservative estimates, so the raw
# posterior understates how often the first cause is right; the probabilities
# shown sharpen the log-scores by this factor. How honest they are is measured
# by `python -m authdoctor eval` (ECE, Brier) and kept in docs/accuracy.md.
TEMPERATURE = 1.6


@dataclass(frozen=True)
class Ranked:
    id: str
    probability: float
    why: tuple[Reason, ...] = ()


def priors_for(error: ErrorCode, variant: Variant | None) -> tuple[dict[str, float], dict[str, str]]:
    """The error's prior weights, with a variant's own where it has them, and their sources."""
    priors = dict(error.priors)
    sources = dict(error.prior_sources)
    if variant is not None:
        priors.update(variant.priors)
        sources.update(variant.prior_sources)
    return priors, sources


class _PerCause(dict[str, Any]):
    """cause id -> what `fill` gives for that cause, each worked out on first use and kept."""

    def __init__(self, causes: Mapping[str, Cause], fill: Callable[[Cause], Any]):
        super().__init__()
        self.causes, self.fill = causes, fill

    def __missing__(self, cid: str) -> Any:
        value = self[cid] = self.fill(self.causes[cid])
        return value


class _Evidence:
    """What one feature value or marker says about each cause, for one KB: its log factor
    and its why-steps. They depend only on the frozen KB, so every diagnosis after the
    first that meets them reads them instead of working them out again."""
    LIMIT = 50_000  # a differential answer list grows with a conversation: a bound on a long-lived server

    def __init__(self, kb: KB):
        self.hints, self.causes, self.markers = kb.hints, kb.causes, kb.markers
        self.logs: dict[tuple[str, Any, bool], _PerCause] = {}
        self.reasons: dict[tuple[str, Any, str], _PerCause] = {}
        self.marker_logs: dict[str, _PerCause] = {}
        self.marker_moves: dict[str, _PerCause] = {}
        self.before: dict[tuple[str, str | None], dict[str, Reason]] = {}

    def log(self, key: str, fv: Feature, user: bool) -> _PerCause:
        """cause -> log P(the hint's value | cause), weighed as a possibly mistaken answer when a person gave it."""
        hint = self.hints[key]
        k = kind(hint)
        if user:
            return self._column(self.logs, (key, fv, user), lambda c: math.log(k.answered(hint, c, fv)))
        return self._column(self.logs, (key, fv, user), lambda c: math.log(k.likelihood(hint, c, fv)))

    def why(self, key: str, fv: Feature, source: str) -> _PerCause:
        """cause -> the hint's steps for its "why", with their weights, as `source` gave the value."""
        hint = self.hints[key]
        k = kind(hint)
        return self._column(self.reasons, (key, fv, source), lambda c: k.reasons(hint, c, fv, source=source))

    def _column(self, table: dict[Any, _PerCause], key: tuple[str, Any, Any], fill: Callable[[Cause], Any]) -> _PerCause:
        try:
            col = table.get(key)
        except TypeError:  # a value that cannot be a key (a list of signs, not a tuple): worked out, not kept
            return _PerCause(self.causes, fill)
        if col is None:
            if len(table) >= self.LIMIT:
                table.clear()
            col = table[key] = _PerCause(self.causes, fill)
        return col

    def marker_log(self, m: str) -> _PerCause:
        col = self.marker_logs.get(m)
        if col is None:
            col = self.marker_logs[m] = _PerCause(self.causes, lambda c: math.log(c.markers.get(m, 1.0)))
        return col

    def marker_move(self, m: str) -> _PerCause:
        """cause -> the marker's step for its "why" with its weight, or None when it moves the cause too little."""
        col = self.marker_moves.get(m)
        if col is None:
            marker = self.markers[m]

            def move(cause: Cause) -> tuple[float, Reason] | None:
                factor = cause.markers.get(m, 1.0)
                if not (factor >= NOTEWORTHY or factor <= 1 / NOTEWORTHY):
                    return None
                reason = cause.why.get(m) or marker.description
                direction = "more" if factor > 1 else "less"
                line = f"The text shows {marker.description}: {direction} likely ×{factor:.2g}. {reason}"
                return (abs(math.log(factor)), Reason("marker", marker.description, "text", round(factor, 4), None, False, reason, line))
            col = self.marker_moves[m] = _PerCause(self.causes, move)
        return col

    def prior_lines(self, error: ErrorCode, variant: Variant | None) -> dict[str, Reason]:
        """cause -> the first step of its "why": its share of the error's reports before any hint."""
        key = (error.id, variant.id if variant is not None else None)
        lines = self.before.get(key)
        if lines is None:
            priors, sources = priors_for(error, variant)
            total_prior = sum(priors.values())
            lines = self.before[key] = {
                cid: Reason("prior", error.id, "kb", None, round(prior / total_prior, 4), False, sources.get(cid, ""),
                            f"Before any hint: {prior / total_prior:.0%} of {error.id} reports"
                            + (f" ({sources[cid]})" if sources.get(cid) else "") + ".")
                for cid, prior in priors.items()}
        return lines


_EVIDENCE: dict[int, tuple[weakref.ref[KB], _Evidence]] = {}


def _evidence(kb: KB) -> _Evidence:
    entry = _EVIDENCE.get(id(kb))
    if entry is None or entry[0]() is not kb:
        key = id(kb)
        entry = _EVIDENCE[key] = (weakref.ref(kb, lambda _: _EVIDENCE.pop(key, None)), _Evidence(kb))
    return entry[1]


def log_posterior(kb: KB, priors: dict[str, float], features: Mapping[str, Feature],
                  markers: Iterable[str], feature_sources: Mapping[str, str] | None = None) -> dict[str, float]:
    """log(prior x evidence) per cause, before normalising. An answer a person gave
    (source "user") weighs as a possibly mistaken one: see `hints.Kind.answered`."""
    ev = _evidence(kb)
    sources = feature_sources or {}
    columns = [ev.log(key, fv, sources.get(key) == "user") for key, fv in features.items()]
    columns += [ev.marker_log(m) for m in markers]
    scores = {}
    for cid, prior in priors.items():
        s = math.log(prior)
        for col in columns:  # in the order the features and then the markers come, so the same sums
            s += col[cid]
        scores[cid] = s
    return scores


def answer_weight(d: float, error_rate: float, temperature: float = TEMPERATURE) -> float:
    """The log factor an answer is shown with against the cause it favours most, from its
    own `d` (<= 0): sharpened by `temperature`, but no further than the larger of its own
    weight and 1 / error_rate. A sign read wrongly one time in a hundred may say 100 to 1,
    never the 1,300 to 1 that sharpening its 90 would."""
    return max(temperature * d, min(d, math.log(error_rate)))


def shown_scores(kb: KB, priors: Mapping[str, float], features: Mapping[str, Feature], markers: Iterable[str],
                 feature_sources: Mapping[str, str] | None = None, temperature: float = TEMPERATURE) -> dict[str, float]:
    """Log-scores whose softmax at temperature 1 is the probability shown: the priors, the
    paste's and the machine's evidence sharpened by `temperature`, each answer a person
    gave sharpened only within its bound (`answer_weight`)."""
    ev = _evidence(kb)
    sources = feature_sources or {}
    sharpened = [ev.log(key, fv, False) for key, fv in features.items() if sources.get(key) != "user"]
    sharpened += [ev.marker_log(m) for m in markers]
    answers = [(ev.log(key, fv, True), kind(kb.hints[key]).error_rate(kb.hints[key]))
               for key, fv in features.items() if sources.get(key) == "user"]
    scores = {}
    for cid, prior in priors.items():
        s = math.log(prior)
        for col in sharpened:
            s += col[cid]
        scores[cid] = temperature * s
    for col, error_rate in answers:
        top = max(col[cid] for cid in priors)
        for cid in priors:
            scores[cid] += answer_weight(col[cid] - top, error_rate, temperature)
    return scores


def probabilities(kb: KB, priors: Mapping[str, float], features: Mapping[str, Feature], markers: Iterable[str],
                  feature_sources: Mapping[str, str] | None = None, temperature: float = TEMPERATURE) -> dict[str, float]:
    """The probabilities shown for the causes in `priors`."""
    return softmax(shown_scores(kb, priors, features, markers, feature_sources, temperature), 1.0)


def softmax(scores: Mapping[str, float], temperature: float = TEMPERATURE) -> dict[str, float]:
    """Probabilities from log-scores, sharpened by `temperature`."""
    if not scores:
        return {}
    top = max(scores.values())
    w = {c: math.exp(temperature * (s - top)) for c, s in scores.items()}
    total = sum(w.values())
    return {c: x / total for c, x in w.items()}


def rank(kb: KB, error: ErrorCode, variant: Variant | None, features: Mapping[str, Feature], markers: Iterable[str],
         feature_sources: Mapping[str, str] | None = None, *, temperature: float = TEMPERATURE) -> list[Ranked]:
    """The error's causes, most likely first, each with the reasons it stands where it does."""
    markers = list(markers)
    ev = _evidence(kb)
    probs = probabilities(kb, priors_for(error, variant)[0], features, markers, feature_sources, temperature)
    before = ev.prior_lines(error, variant)
    why_columns = [ev.why(key, fv, (feature_sources or {}).get(key, "user")) for key, fv in features.items()]
    marker_columns = [ev.marker_move(m) for m in markers]
    out = []
    for cid, p in sorted(probs.items(), key=lambda kv: (-kv[1], kv[0])):
        moves: list[tuple[float, Reason]] = []
        for col in why_columns:
            moves += col[cid]
        for col in marker_columns:
            move = col[cid]
            if move is not None:
                moves.append(move)
        moves.sort(key=lambda x: -x[0])
        steps = [step for _, step in moves]
        stays = why_it_stays(error, before[cid], steps)
        out.append(Ranked(cid, p, (before[cid], *steps, *((stays,) if stays else ()))))
    return out


# Answers that together make a cause this much less likely, none of them ruling it out alone
# (RULES_OUT), get a line on why it is still listed: half the bar one answer has to clear.
STAYS_BELOW = 2 * RULES_OUT


def why_it_stays(error: ErrorCode, prior: Reason, steps: list[Reason]) -> Reason | None:
    """The step that says why a cause is still listed when a person's answers, none alone but
    together, count heavily against it (AKIA and no session token, against an expired session):
    it started high, or the paste raises it, and any one of those answers may be mistaken."""
    answers = [s for s in steps if s.source == "user" and s.kind == "hint" and s.factor is not None]
    if len(answers) < 2 or any(s.rules_out for s in answers):
        return None
    together = math.prod(s.factor or 1.0 for s in answers)
    if together > STAYS_BELOW:
        return None
    supports = [f"it started at {prior.share:.0%} of {error.id} reports"] if prior.share else []
    supports += [f"{s.label} raises it ×{s.factor:.2g}" for s in steps if s.factor is not None and s.factor > 1][:2]
    text = (f"together these answers make it {1 / together:.0f} times less likely; it stays listed "
            + (f"because {' and '.join(supports)}, and " if supports else "") + "in case one of them is mistaken")
    line = f"Your answers together: less likely ×{together:.2g}. {text}"
    return Reason("stays", "Your answers together", "user", round(together, 4), None, False, text, line)
