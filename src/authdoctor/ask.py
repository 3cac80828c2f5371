"""Pick the one question whose answer would best separate the leading causes.

Expected information gain over the cause distribution, with each answer's
probability taken from the causes' own likelihoods. Stop when one cause leads
at STOP_AT, or when no answer would move anything.
"""
from __future__ import annotations

import math
from collections import Counter
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


def sign_gain(kb: KB, probs: dict[str, float], hint, given: tuple) -> tuple[float, list]:
    answers = sign_answers(hint, probs, given)
    if not answers:
        return 0.0, []
    from .rank import sign_likelihood
    # P(answer | cause), the ranking's own likelihoods made a distribution over this offer
    lik = {}
    for c in probs:
        row = [sign_likelihood(hint, c, a[len(given):]) for a in answers]
        total = sum(row)
        lik[c] = [x / total for x in row]
    after = 0.0
    for i in range(len(answers)):
        joint = {c: p * lik[c][i] for c, p in probs.items()}
        pv = sum(joint.values())
        if pv > 0:
            after += pv * _entropy(x / pv for x in joint.values())
    return _entropy(probs.values()) - after, answers


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
            gain, answers = sign_gain(kb, probs, hint, tuple(given_signs))
            if gain >= MIN_GAIN_BITS and (best is None or gain > best[0]):
                best = (gain, key, answers)
            continue
        if key in known:
            continue
        gain = expected_gain(kb, probs, key)
        if gain >= MIN_GAIN_BITS and (best is None or gain > best[0]):
            best = (gain, key, None)
    if best is None:
        return None
    gain, key, answers = best
    hint = kb.hints[key]
    if answers is not None:
        seen = rejections(given_signs)
        labels = [("(Checked once before; look again.) " if seen.get(a[-1]) else "") + kb.causes[a[-1]].sign
                  for a in answers[:-1]] + ["None of these"]
        return Question(key, hint.question_text, hint.question_how, tuple(list(a) for a in answers), tuple(labels), round(gain, 3))
    options, labels = [], []
    for fv in hint.values:
        opt = option_for(hint, fv)
        if opt is None:
            continue
        options.append(opt)
        labels.append(hint.labels.get(str(opt).lower() if isinstance(opt, bool) else str(opt)) or hint.labels.get(fv) or str(opt))
    return Question(key, hint.question_text, hint.question_how, tuple(options), tuple(labels), round(gain, 3))
