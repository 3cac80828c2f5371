"""Pick the one question whose answer would best separate the leading causes.

Expected information gain over the cause distribution, with each answer's
probability taken from the causes' own likelihoods (each hint's kind offers
the answers and says how each cause would give them). Stop when one cause
leads at STOP_AT, or when no question left is worth a person's time.
"""
from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
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


# P(answer | cause) depends only on the hint, the answers offered and the cause (the KB
# is frozen), so the likelihoods of one error's causes are computed once per KB, as one
# column per answer, and reused by every later question.
_ROWS: dict[int, tuple[weakref.ref[KB], dict[Hashable, list[list[float]]]]] = {}
_ROWS_MAX = 50_000  # a differential question's answers grow with what was said; a bound on a long-lived server


def _rows_of(kb: KB) -> dict[Hashable, list[list[float]]]:
    entry = _ROWS.get(id(kb))
    if entry is None or entry[0]() is not kb:
        key = id(kb)
        entry = (weakref.ref(kb, lambda _: _ROWS.pop(key, None)), {})
        _ROWS[key] = entry
    if len(entry[1]) > _ROWS_MAX:
        entry[1].clear()
    return entry[1]


def _split_gain(ps: Sequence[float], columns: Sequence[Sequence[float]], h0: float) -> tuple[float, list[list[float]]]:
    """Split.gain in one pass over plain lists (columns[i][j] = P(answer i | cause j)), with the
    same arithmetic in the same order, so the same bits; also each answer's posterior, for hands_lead."""
    total = 0.0
    posts: list[list[float]] = []
    log2 = math.log2
    for column in columns:
        joint = [p * x for p, x in zip(ps, column)]
        pv = sum(joint)
        if pv > 0:
            post = [x / pv for x in joint]
            acc = 0.0
            for x in post:
                if x > 0:
                    acc += x * log2(x)
            total += pv * -acc
            posts.append(post)
    return h0 - total, posts


def _hands_lead(causes: Sequence[str], lead: str, posts: list[list[float]]) -> bool:
    """Split.hands_lead on the lists of _split_gain."""
    for post in posts:
        top = max(range(len(causes)), key=lambda i: (post[i], causes[i]))
        if causes[top] != lead and post[top] >= NEW_LEAD_AT:
            return True
    return False


def next_question(kb: KB, scores: Mapping[str, float], known: Mapping[str, Any], skipped: Iterable[str]) -> Question | None:
    """The question worth most, given what is known (hint -> value) and what the person cannot answer."""
    # Questions are chosen on the KB's own, untempered posterior: more cautious than
    # the sharpened probabilities shown (rank.TEMPERATURE), so it keeps asking while
    # the KB's evidence alone leaves the leader below STOP_AT.
    probs = softmax(scores, 1.0)
    if not probs or max(probs.values()) >= STOP_AT:
        return None
    skipped = set(skipped)
    causes = tuple(probs)
    ps = list(probs.values())
    h0 = _entropy(ps)
    lead = max(probs, key=lambda c: (probs[c], c))
    cache = _rows_of(kb)
    best: tuple[float, str, Offer] | None = None
    for key, hint in kb.hints.items():
        if key in skipped or not hint.question_text:
            continue
        offer = kind(hint).offer(kb, hint, probs, known.get(key))
        if offer is None:
            continue
        if best is not None and offer.answers and best[0] >= min(h0, math.log2(len(offer.answers)) + 1e-9):
            continue  # it cannot win: a question tells no more than the uncertainty there is, nor than its answers carry
        columns_key = (key, offer.answers, causes)
        columns = cache.get(columns_key)
        if columns is None:
            rows = [offer.likelihood(c) for c in causes]
            columns = cache[columns_key] = [list(col) for col in zip(*rows)] if rows and rows[0] else []
        gain, posts = _split_gain(ps, columns, h0)
        if not (gain >= STRONG_GAIN_BITS or (gain >= MIN_GAIN_BITS and _hands_lead(causes, lead, posts))):
            continue  # worth_asking(answer_split(probs, offer.likelihood)), without building the Split
        if best is None or gain > best[0]:
            best = (gain, key, offer)
    if best is None:
        return None
    gain, key, offer = best
    hint = kb.hints[key]
    options, labels = kind(hint).options(kb, hint, offer, known.get(key))
    return Question(key, hint.question_text, hint.question_how, options, labels, round(gain, 3))
