"""Rank the causes of a recognised error: prior x evidence, each move explained.

P(cause | features) is proportional to prior(cause) x product of P(value | cause)
over the features known; each hint's kind says what P(value | cause) is (for
most, the KB's likelihood ratio against the hint's base rate, derived at load).
Markers seen in the text multiply by their factor. The result is normalised
over the error's causes.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .hints import NOTEWORTHY, Feature, kind
from .knowledge import KB, ErrorCode, Variant

# The KB's likelihood ratios are deliberately conservative estimates, so the raw
# posterior understates how often the first cause is right; the probabilities
# shown sharpen the log-scores by this factor. How honest they are is measured
# by `python -m authdoctor eval` (ECE, Brier) and kept in docs/accuracy.md.
TEMPERATURE = 1.6


@dataclass(frozen=True)
class Ranked:
    id: str
    probability: float
    why: tuple[str, ...] = ()


def priors_for(error: ErrorCode, variant: Variant | None) -> tuple[dict[str, float], dict[str, str]]:
    """The error's prior weights, with a variant's own where it has them, and their sources."""
    priors = dict(error.priors)
    sources = dict(error.prior_sources)
    if variant is not None:
        priors.update(variant.priors)
        sources.update(variant.prior_sources)
    return priors, sources


def log_posterior(kb: KB, priors: dict[str, float], features: Mapping[str, Feature],
                  markers: Iterable[str], feature_sources: Mapping[str, str] | None = None) -> dict[str, float]:
    """log(prior x evidence) per cause, before normalising. An answer a person gave
    (source "user") weighs as a possibly mistaken one: see `hints.Kind.answered`."""
    scores = {}
    sources = feature_sources or {}
    for cid, prior in priors.items():
        cause = kb.causes[cid]
        s = math.log(prior)
        for key, fv in features.items():
            hint = kb.hints[key]
            k = kind(hint)
            s += math.log(k.answered(hint, cause, fv) if sources.get(key) == "user" else k.likelihood(hint, cause, fv))
        for m in markers:
            s += math.log(cause.markers.get(m, 1.0))
        scores[cid] = s
    return scores


def softmax(scores: Mapping[str, float], temperature: float = TEMPERATURE) -> dict[str, float]:
    """Probabilities from log-scores, sharpened by `temperature`."""
    if not scores:
        return {}
    top = max(scores.values())
    w = {c: math.exp(temperature * (s - top)) for c, s in scores.items()}
    total = sum(w.values())
    return {c: x / total for c, x in w.items()}


def rank(kb: KB, error: ErrorCode, variant: Variant | None, features: Mapping[str, Feature], markers: Iterable[str],
         feature_sources: Mapping[str, str] | None = None, scores: Mapping[str, float] | None = None) -> list[Ranked]:
    """The error's causes, most likely first, each with the reasons it stands where it does."""
    markers = list(markers)
    priors, sources = priors_for(error, variant)
    probs = softmax(scores if scores is not None else log_posterior(kb, priors, features, markers, feature_sources))
    total_prior = sum(priors.values())
    out = []
    for cid, p in sorted(probs.items(), key=lambda kv: (-kv[1], kv[0])):
        cause = kb.causes[cid]
        why = []
        share = priors[cid] / total_prior
        src = f" ({sources[cid]})" if sources.get(cid) else ""
        why.append(f"Before any hint: {share:.0%} of {error.id} reports{src}.")
        moves = []
        for key, fv in features.items():
            hint = kb.hints[key]
            moves += kind(hint).reasons(hint, cause, fv, source=(feature_sources or {}).get(key, "user"))
        for m in markers:
            factor = cause.markers.get(m, 1.0)
            if factor >= NOTEWORTHY or factor <= 1 / NOTEWORTHY:
                reason = cause.why.get(m) or kb.markers[m].description
                direction = "more" if factor > 1 else "less"
                moves.append((abs(math.log(factor)), f"The text shows {kb.markers[m].description}: {direction} likely ×{factor:.2g}. {reason}"))
        why.extend(text for _, text in sorted(moves, key=lambda x: -x[0]))
        out.append(Ranked(cid, p, tuple(why)))
    return out
