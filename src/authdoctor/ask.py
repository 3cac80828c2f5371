"""Pick the one question whose answer would best separate the leading causes.

Expected information gain over the cause distribution, with each answer's
probability taken from the causes' own likelihoods. Stop when one cause leads
at STOP_AT, or when no answer would move anything.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .hints import option_for
from .kb import KB
from .rank import normalise

STOP_AT = 0.8
MIN_GAIN_BITS = 0.03


@dataclass(frozen=True)
class Question:
    hint: str
    text: str
    how: str
    options: tuple
    labels: tuple
    gain: float


def _entropy(p) -> float:
    return -sum(x * math.log2(x) for x in p if x > 0)


def expected_gain(kb: KB, probs: dict[str, float], key: str) -> float:
    hint = kb.hints[key]
    h0 = _entropy(probs.values())
    after = 0.0
    for v in hint.values:
        joint = {c: p * kb.causes[c].likelihood[key][v] for c, p in probs.items()}
        pv = sum(joint.values())
        if pv <= 0:
            continue
        after += pv * _entropy(x / pv for x in joint.values())
    return h0 - after


def next_question(kb: KB, scores: dict[str, float], known: set, skipped: set) -> Question | None:
    probs = normalise(scores)
    if not probs or max(probs.values()) >= STOP_AT:
        return None
    best = None
    for key, hint in kb.hints.items():
        if key in known or key in skipped or not hint.question_text:
            continue
        gain = expected_gain(kb, probs, key)
        if gain >= MIN_GAIN_BITS and (best is None or gain > best[0]):
            best = (gain, key)
    if best is None:
        return None
    gain, key = best
    hint = kb.hints[key]
    options, labels = [], []
    for fv in hint.values:
        opt = option_for(hint, fv)
        if opt is None:
            continue
        options.append(opt)
        labels.append(hint.labels.get(str(opt).lower() if isinstance(opt, bool) else str(opt)) or hint.labels.get(fv) or str(opt))
    return Question(key, hint.question_text, hint.question_how, tuple(options), tuple(labels), round(gain, 3))
