"""Pick the one question whose answer would best separate the leading causes.

Expected information gain over the cause distribution, with each answer's
probability taken from the causes' own likelihoods (each hint's kind offers
the answers and says how each cause would give them). Stop when one cause
leads at STOP_AT, or when no question left is worth a person's time.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .hints import Offer, kind
from .knowledge import KB
from .rank import softmax

STOP_AT = 0.8
# A question is worth asking when it separates the leading causes well on average
# (STRONG_GAIN_BITS), or when one of its answers would put another cause clearly in
# the lead (NEW_LEAD_AT), so that the person would try a different fix first.
# Weaker questions mostly reorder near-ties, and on real cases they were the answers
# that moved the expected cause down; docs/conversation.md has the walk that chose
# these values (`python -m authdoctor walk`).
STRONG_GAIN_BITS = 0.25
NEW_LEAD_AT = 0.4
# below this no answer moves anything worth a question, whatever it does to the lead
MIN_GAIN_BITS = 0.03


@dataclass(frozen=True)
class Question:
    hint: str = field(metadata={"enum": "hint_keys"})
    text: str
    how: str
    options: tuple[Any, ...]  # what a client sends back as the hint's value, one per answer
    labels: tuple[str, ...]
    gain: float = field(metadata={"json": "gain_bits"})


def _entropy(p: Iterable[float]) -> float:
    return -sum(x * math.log2(x) for x in p if x > 0)


@dataclass(frozen=True)
class Split:
    """What a question's answers would do: each answer's probability and the posterior after it."""
    prior: Mapping[str, float]
    answers: list[tuple[float, dict[str, float]]]  # (P(answer), {cause: P(cause | answer)})

    @cached_property  # read by worth_asking and again to pick the best
    def gain(self) -> float:
        return _entropy(self.prior.values()) - sum(pv * _entropy(post.values()) for pv, post in self.answers)

    @property
    def hands_lead(self) -> bool:
        """Some answer would put another cause in the lead with at least NEW_LEAD_AT."""
        lead = max(self.prior, key=lambda c: (self.prior[c], c))
        for _, post in self.answers:
            top = max(post, key=lambda c: (post[c], c))
            if top != lead and post[top] >= NEW_LEAD_AT:
                return True
        return False


def answer_split(probs: Mapping[str, float], likelihood: Callable[[str], list[float]]) -> Split:
    """likelihood(cause) -> P(answer | cause) for each answer, in the same order."""
    rows = {c: likelihood(c) for c in probs}
    n = len(next(iter(rows.values()), ()))
    answers = []
    for i in range(n):
        joint = {c: p * rows[c][i] for c, p in probs.items()}
        pv = sum(joint.values())
        if pv > 0:
            answers.append((pv, {c: x / pv for c, x in joint.items()}))
    return Split(probs, answers)


def worth_asking(split: Split) -> bool:
    gain = split.gain
    return gain >= STRONG_GAIN_BITS or (gain >= MIN_GAIN_BITS and split.hands_lead)


def next_question(kb: KB, scores: Mapping[str, float], known: Mapping[str, Any], skipped: Iterable[str]) -> Question | None:
    """The question worth most, given what is known (hint -> value) and what the person cannot answer."""
    # Questions are chosen on the KB's own, untempered posterior: more cautious than
    # the sharpened probabilities shown (rank.TEMPERATURE), so it keeps asking while
    # the KB's evidence alone leaves the leader below STOP_AT.
    probs = softmax(scores, 1.0)
    if not probs or max(probs.values()) >= STOP_AT:
        return None
    skipped = set(skipped)
    best: tuple[float, str, Offer] | None = None
    for key, hint in kb.hints.items():
        if key in skipped or not hint.question_text:
            continue
        offer = kind(hint).offer(kb, hint, probs, known.get(key))
        if offer is None:
            continue
        split = answer_split(probs, offer.likelihood)
        if not worth_asking(split):
            continue
        if best is None or split.gain > best[0]:
            best = (split.gain, key, offer)
    if best is None:
        return None
    gain, key, offer = best
    hint = kb.hints[key]
    options, labels = kind(hint).options(kb, hint, offer, known.get(key))
    return Question(key, hint.question_text, hint.question_how, options, labels, round(gain, 3))
