"""Pick the one question whose answer would best separate the leading causes.

Expected information gain over the cause distribution, with each answer's
probability taken from the causes' own likelihoods (each hint's kind offers
the answers and says how each cause would give them). Stop when one cause
leads at STOP_AT, or when no question left is worth a person's time.
"""
from __future__ import annotations

import math
import operator
import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .hints import Kind, Offer, kind
from .knowledge import KB, Hint
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
# is frozen). A hint whose kind keeps Kind.offer offers the same answers whenever its
# value is not known, so its columns are laid out once per error, when a question is
# first chosen for it (_table: a millisecond or two, and a one-shot CLI run meets one
# error). A kind with its own offer (the differential question) offers answers that
# depend on the posterior: those columns are cached as they are met.
_MARGIN = 1e-9  # far above the rounding of a few dozen products and sums, far below any gain that matters


@dataclass(frozen=True)
class _Fixed:
    """A hint whose offer does not depend on the posterior, laid out for one error's causes."""
    index: int  # its place in kb.hints: an equal gain goes to the hint that comes first
    key: str
    answers: tuple[Any, ...]
    columns: list[list[float]]  # columns[i][j] = P(answer i | cause j)
    cap: float  # what its answers can carry at most: log2(number of answers)
    # Per cause j, D(P(answers | j) || m) in bits, m the causes' mean answer distribution.
    # The gain (the mutual information of cause and answer) is the least over all m of
    # sum_j p_j D(P(answers | j) || m), so sum_j p_j spread[j] bounds it from above for
    # any posterior p: one dot product tells most hints they cannot win. None when a
    # cause's answer probabilities do not sum to 1, where the bound is not proven.
    spread: list[float] | None


@dataclass
class _Cache:
    asked: list[tuple[int, str, Hint]]  # the hints whose offer depends on the posterior, with their places
    tables: dict[tuple[str, ...], list[_Fixed]] = field(default_factory=dict)  # error's causes -> its fixed hints
    columns: dict[Hashable, list[list[float]]] = field(default_factory=dict)  # (hint, answers, causes) -> columns


_CACHES: dict[int, tuple[weakref.ref[KB], _Cache]] = {}
_ROWS_MAX = 50_000  # a differential question's answers grow with what was said; a bound on a long-lived server


def _fixed_offer(hint: Hint) -> bool:
    # Kind.offer gives hint.values and the causes' own likelihoods whenever the value is not
    # known, whatever the posterior; a kind that overrides it is asked every time.
    return type(kind(hint)).offer is Kind.offer


def _spread(rows: list[list[float]]) -> list[float] | None:
    if any(abs(sum(row) - 1.0) > _MARGIN for row in rows):
        return None
    mean = [sum(col) / len(rows) for col in zip(*rows)]
    return [sum(x * math.log2(x / m) for x, m in zip(row, mean) if x > 0) for row in rows]


def _table(kb: KB, cache: _Cache, causes: tuple[str, ...]) -> list[_Fixed]:
    table = cache.tables.get(causes)
    if table is None:
        table = []
        for index, (key, hint) in enumerate(kb.hints.items()):
            if not hint.question_text or not _fixed_offer(hint):
                continue
            offer = kind(hint).offer(kb, hint, {}, None)
            if offer is None:
                continue
            rows = [offer.likelihood(c) for c in causes]
            columns = [list(col) for col in zip(*rows)] if rows and rows[0] else []
            cap = math.log2(len(offer.answers)) + _MARGIN if offer.answers else math.inf
            # (the Offer itself is not kept: its likelihood holds the KB, which the cache must not)
            table.append(_Fixed(index, key, offer.answers, columns, cap, _spread(rows) if columns else None))
        cache.tables[causes] = table
    return table


def _cache_of(kb: KB) -> _Cache:
    entry = _CACHES.get(id(kb))
    if entry is None or entry[0]() is not kb:
        key = id(kb)
        asked = [(i, k, h) for i, (k, h) in enumerate(kb.hints.items()) if h.question_text and not _fixed_offer(h)]
        entry = (weakref.ref(kb, lambda _: _CACHES.pop(key, None)), _Cache(asked))
        _CACHES[key] = entry
    cache = entry[1]
    if len(cache.columns) > _ROWS_MAX:
        cache.columns.clear()
    if len(cache.tables) > _ROWS_MAX:  # cause sets a caller made up, not an error's
        cache.tables.clear()
    return cache


def _split_gain(ps: Sequence[float], columns: Sequence[Sequence[float]], h0: float) -> tuple[float, list[list[float]]]:
    """Split.gain in one pass over plain lists (columns[i][j] = P(answer i | cause j)), with the
    same arithmetic in the same order, summed by sum() as Split.gain sums, so the same bits on any
    Python; also each answer's posterior, for hands_lead."""
    terms = []
    posts: list[list[float]] = []
    log2 = math.log2
    for column in columns:
        joint = list(map(operator.mul, ps, column))
        pv = sum(joint)
        if pv > 0:
            post = [x / pv for x in joint]
            terms.append(pv * -sum([x * log2(x) for x in post if x > 0]))
            posts.append(post)
    return h0 - sum(terms), posts


def _hands_lead(causes: Sequence[str], lead: str, posts: list[list[float]]) -> bool:
    """Split.hands_lead on the lists of _split_gain: an answer's top cause (the highest
    probability, the greatest id among equals) is not the lead and has at least NEW_LEAD_AT."""
    for post in posts:
        top = max(post)
        if top >= NEW_LEAD_AT and max(c for c, x in zip(causes, post) if x == top) != lead:
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
    cache = _cache_of(kb)
    # Every hint that might be worth asking, with an upper bound on its gain; then the
    # gains, best bound first, until no bound left can beat the best gain found. Which
    # hint wins is the same as computing every gain in kb.hints order: the highest gain
    # among the questions worth asking, the first such hint on a tie.
    candidates: list[tuple[float, int, str, Offer | None, list[list[float]]]] = []
    mul = operator.mul
    for f in _table(kb, cache, causes):
        key = f.key
        if key in skipped or known.get(key) is not None:
            continue  # (Kind.offer's "already known")
        bound = f.cap if f.spread is None else min(f.cap, sum(map(mul, ps, f.spread)) + _MARGIN)
        if bound > h0:
            bound = h0
        if bound >= MIN_GAIN_BITS:  # below it, no answer is worth a question
            candidates.append((bound, f.index, key, None, f.columns))
    for index, key, hint in cache.asked:
        if key in skipped:
            continue
        offer = kind(hint).offer(kb, hint, probs, known.get(key))
        if offer is None:
            continue
        columns_key = (key, offer.answers, causes)
        columns = cache.columns.get(columns_key)
        if columns is None:
            rows = [offer.likelihood(c) for c in causes]
            columns = cache.columns[columns_key] = [list(col) for col in zip(*rows)] if rows and rows[0] else []
        # a question tells no more than the uncertainty there is, nor than its answers carry
        bound = min(h0, math.log2(len(offer.answers)) + _MARGIN) if offer.answers else h0
        candidates.append((bound, index, key, offer, columns))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    lead: str | None = None
    best: tuple[float, int, str, Offer | None] | None = None
    for bound, index, key, offer, columns in candidates:
        if best is not None and bound < best[0]:
            break  # neither this hint nor any after it can reach the best (their bounds are no higher)
        gain, posts = _split_gain(ps, columns, h0)
        if best is not None and not (gain > best[0] or (gain == best[0] and index < best[1])):
            continue
        if gain < STRONG_GAIN_BITS:  # worth_asking(answer_split(probs, offer.likelihood)), without building the Split
            if gain < MIN_GAIN_BITS:
                continue
            if lead is None:
                lead = max(probs, key=lambda c: (probs[c], c))
            if not _hands_lead(causes, lead, posts):
                continue
        best = (gain, index, key, offer)
    if best is None:
        return None
    gain, _, key, offer = best
    hint = kb.hints[key]
    if offer is None:  # a hint of the tables: its offer, as its kind makes it
        offer = kind(hint).offer(kb, hint, probs, known.get(key))
        if offer is None:
            return None
    options, labels = kind(hint).options(kb, hint, offer, known.get(key))
    return Question(key, hint.question_text, hint.question_how, options, labels, round(gain, 3))
