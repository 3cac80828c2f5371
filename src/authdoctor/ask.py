"""Pick the one question whose answer would best separate the leading causes.

Expected information gain over the cause distribution, with each answer's
probability taken from the causes' own likelihoods. Stop when one cause leads
at STOP_AT, or when no question left is worth a person's time (worth_asking).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .hints import option_for
from .knowledge import KB
from .rank import normalise

STOP_AT = 0.8
# A question is worth asking when it separates the leading causes well on average
# (STRONG_GAIN_BITS), or when one of its answers would put another cause clearly in
# the lead (NEW_LEAD_AT), so that the person would try a different fix first.
# Weaker questions mostly reorder near-ties: on the real cases (tests/cases, 83, and
# the shared dev set, 52) they were the only answers that ever moved the expected
# cause down (6 of the 36 times they were answered), and they had the conversation
# ask 11 questions a case where this asks 4-5. Measured (python -m authdoctor walk;
# README "The conversation"): gain floor 0.03 alone, 4 + 1 cases dip; 0.25 alone,
# none dip but 53 + 39 end first instead of 60 + 44; NEW_LEAD_AT 0.35 lets one dev
# case dip, 0.4-0.45 none; a strong floor of 0.2-0.3 changes the figures by one case.
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


def _entropy(p) -> float:
    return -sum(x * math.log2(x) for x in p if x > 0)


@dataclass(frozen=True)
class Split:
    """What a question's answers would do: each answer's probability and the posterior after it."""
    prior: dict
    answers: list  # (P(answer), {cause: P(cause | answer)})

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


def answer_split(probs: dict[str, float], likelihood) -> Split:
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


def hint_split(kb: KB, probs: dict[str, float], key: str) -> Split:
    hint = kb.hints[key]
    return answer_split(probs, lambda c: [kb.causes[c].likelihood[key][v] for v in hint.values])


def expected_gain(kb: KB, probs: dict[str, float], key: str) -> float:
    return hint_split(kb, probs, key).gain


def worth_asking(split: Split) -> bool:
    gain = split.gain
    return gain >= STRONG_GAIN_BITS or (gain >= MIN_GAIN_BITS and split.hands_lead)


def sign_answers(hint, probs: dict[str, float], given: tuple) -> list[tuple]:
    """The differential question's possible answers, as the full new hint value each.

    A sign said to match is not offered again. A sign said not to match may come
    back (up to hint.offers times in all) once the other leads have fallen below
    it: a check skipped or misread the first time otherwise sinks its cause for
    good, and a second look is what a colleague would ask for.
    """
    picked = {a for a in given if not a.startswith("!")}
    offered = rejections(given)
    shown = [c for c, _ in sorted(probs.items(), key=lambda kv: (-kv[1], kv[0]))
             if c not in picked and offered.get(c, 0) < hint.offers][: hint.shown]
    if len(shown) < 2:
        return []
    return [given + (c,) for c in shown] + [given + tuple("!" + c for c in shown)]


def rejections(given) -> Counter:
    """How many times each cause's sign was said not to match."""
    return Counter(a[1:] for a in given if a.startswith("!"))


def sign_split(kb: KB, probs: dict[str, float], hint, given: tuple) -> tuple[Split | None, list]:
    answers = sign_answers(hint, probs, given)
    if not answers:
        return None, []
    from .rank import sign_likelihood

    def likelihood(c):
        # P(answer | cause), the ranking's own likelihoods made a distribution over this offer
        row = [sign_likelihood(hint, c, a[len(given):]) for a in answers]
        total = sum(row)
        return [x / total for x in row]
    return answer_split(probs, likelihood), answers


def sign_gain(kb: KB, probs: dict[str, float], hint, given: tuple) -> tuple[float, list]:
    split, answers = sign_split(kb, probs, hint, given)
    return (split.gain if split else 0.0), answers


def next_question(kb: KB, scores: dict[str, float], known: set, skipped: set, given_signs: tuple = ()) -> Question | None:
    # Questions are chosen on the KB's own, untempered posterior: more cautious than
    # the sharpened probabilities shown (rank.TEMPERATURE), so it keeps asking while
    # the KB's evidence alone leaves the leader below STOP_AT.
    probs = normalise(scores, 1.0)
    if not probs or max(probs.values()) >= STOP_AT:
        return None
    best = None
    for key, hint in kb.hints.items():
        if key in skipped or not hint.question_text:
            continue
        if hint.type == "signs":
            split, answers = sign_split(kb, probs, hint, tuple(given_signs))
        elif key in known:
            continue
        else:
            split, answers = hint_split(kb, probs, key), None
        if split is None or not worth_asking(split):
            continue
        if best is None or split.gain > best[0]:
            best = (split.gain, key, answers)
    if best is None:
        return None
    gain, key, answers = best
    hint = kb.hints[key]
    if answers is not None:
        seen = rejections(given_signs)
        labels = [("(Checked once before; look again.) " if seen.get(a[-1]) else "") + kb.causes[a[-1]].sign
                  for a in answers[:-1]] + ["None of these"]
        return Question(key, hint.question_text, hint.question_how, tuple(answers), tuple(labels), round(gain, 3))
    options, labels = [], []
    for fv in hint.values:
        opt = option_for(hint, fv)
        if opt is None:
            continue
        options.append(opt)
        labels.append(hint.labels.get(str(opt).lower() if isinstance(opt, bool) else str(opt)) or hint.labels.get(fv) or str(opt))
    return Question(key, hint.question_text, hint.question_how, tuple(options), tuple(labels), round(gain, 3))
