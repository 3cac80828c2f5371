"""Rank the causes of a recognised error: prior x evidence, each move explained.

P(cause | features) is proportional to prior(cause) x product of P(value | cause)
over the features known, with P(value | cause) taken from the KB's likelihood
ratios against the hint's base rate (kb.py). Markers seen in the text multiply
by their factor. The result is normalised over the error's causes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .knowledge import KB, ErrorCode, Variant

# Factors outside this band are worth a line in the "why".
_NOTEWORTHY = 1.4
# The KB's likelihood ratios are deliberately conservative estimates, so the raw
# posterior is under-confident: on tests/cases the first cause was right 71% of
# the time while stating ~40%. Sharpening the log-scores by this factor makes the
# stated probability honest there (ECE 0.29 -> 0.10; `python -m authdoctor eval`).
TEMPERATURE = 1.6


@dataclass
class Ranked:
    id: str
    probability: float
    why: list[str] = field(default_factory=list)
    log_score: float = 0.0


def priors_for(error: ErrorCode, variant: Variant | None) -> tuple[dict, dict]:
    priors = dict(error.priors)
    sources = dict(error.prior_sources)
    if variant is not None:
        priors.update(variant.priors)
        sources.update(variant.prior_sources)
    return priors, sources


def _label(kb: KB, key: str, feature: str) -> str:
    hint = kb.hints[key]
    return hint.labels.get(feature) or f"{key} = {feature}"


def sign_likelihood(hint, cid: str, answers) -> float:
    """P(these answers to the differential question | cid): each answer on its own."""
    p = 1.0
    for a in answers:
        if a.startswith("!"):
            p *= hint.miss if a[1:] == cid else 1.0 - hint.false_hit
        else:
            p *= hint.hit if a == cid else hint.false_hit
    return p


def log_posterior(kb: KB, priors: dict, features: dict, markers: list) -> dict[str, float]:
    scores = {}
    for cid, prior in priors.items():
        cause = kb.causes[cid]
        s = math.log(prior)
        for key, fv in features.items():
            hint = kb.hints[key]
            if hint.type == "signs":
                s += math.log(sign_likelihood(hint, cid, fv))
                continue
            s += math.log(cause.likelihood[key][fv])
        for m in markers:
            s += math.log(cause.markers.get(m, 1.0))
        scores[cid] = s
    return scores


def normalise(scores: dict[str, float], temperature: float = TEMPERATURE) -> dict[str, float]:
    if not scores:
        return {}
    top = max(scores.values())
    w = {c: math.exp(temperature * (s - top)) for c, s in scores.items()}
    total = sum(w.values())
    return {c: x / total for c, x in w.items()}


def rank(kb: KB, error: ErrorCode, variant: Variant | None, features: dict, markers: list,
         feature_sources: dict | None = None, scores: dict | None = None) -> list[Ranked]:
    priors, sources = priors_for(error, variant)
    probs = normalise(scores if scores is not None else log_posterior(kb, priors, features, markers))
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
            if hint.type == "signs":
                if cid in fv:
                    moves.append((3.0, f"You said its sign matches: \"{cause.sign}\""))
                elif "!" + cid in fv:
                    n = fv.count("!" + cid)
                    times = f" ({'twice' if n == 2 else f'{n} times'})" if n > 1 else ""
                    moves.append((2.0, f"You said its sign does not match{times}: \"{cause.sign}\""))
                continue
            factor = cause.likelihood[key][fv] / hint.base[fv]
            if factor >= _NOTEWORTHY or factor <= 1 / _NOTEWORTHY:
                reason = cause.why.get(key) or hint.why
                origin = " (read from the pasted text)" if (feature_sources or {}).get(key) in ("text", "variant") else ""
                direction = "more" if factor > 1 else "less"
                moves.append((abs(math.log(factor)),
                              f"{_label(kb, key, fv)}{origin}: {direction} likely ×{factor:.2g}. {reason}"))
        for m in markers:
            factor = cause.markers.get(m, 1.0)
            if factor >= _NOTEWORTHY or factor <= 1 / _NOTEWORTHY:
                reason = cause.why.get(m) or kb.markers[m].description
                direction = "more" if factor > 1 else "less"
                moves.append((abs(math.log(factor)), f"The text shows {kb.markers[m].description}: {direction} likely ×{factor:.2g}. {reason}"))
        why.extend(text for _, text in sorted(moves, key=lambda x: -x[0]))
        out.append(Ranked(cid, p, why))
    return out
