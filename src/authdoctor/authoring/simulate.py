"""How well the questions work: a simulation over the KB, and a walk over real cases.

simulate: for every cause of every error, draw each answer from that cause's own
likelihoods, ask until a cause leads at STOP_AT (or no question separates), and
count the questions and whether the generating cause is the one that leads.

walk: for real cases that carry hints, start from the text alone and answer
each question from the case's own hints ("I don't know" where it has none);
record the expected cause's rank after every answer.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from ..ask import STOP_AT, next_question
from ..diagnose import Doctor
from ..hints import kind
from ..rank import log_posterior, probabilities
from ..redact import Redaction


@dataclass
class ErrorFigures:
    error: str
    causes: int
    trials: int
    mean_questions: float
    right_leader: float  # share of trials whose final leader is the generating cause
    weighted_right_leader: float  # the same, each cause weighted by its prior
    per_cause: dict = field(default_factory=dict)


def _draw(rng: random.Random, dist: dict) -> str:
    r, acc = rng.random(), 0.0
    for v, p in dist.items():
        acc += p
        if r <= acc:
            return v
    return next(reversed(dist))


def simulate(doctor: Doctor, trials: int = 40, seed: int = 7) -> list[ErrorFigures]:
    kb = doctor.kb
    out = []
    for error in kb.errors.values():
        priors = dict(error.priors)
        total_prior = sum(priors.values())
        per_cause = {}
        for cid in priors:
            rng = random.Random(f"{seed}:{error.id}:{cid}")
            asked_total, right = 0, 0
            for _ in range(trials):
                features: dict = {}
                asked = 0
                while True:
                    scores = log_posterior(kb, priors, features, [], dict.fromkeys(features, "user"))
                    q = next_question(kb, scores, features, set())
                    if q is None:
                        break
                    asked += 1
                    hint = kb.hints[q.hint]
                    outcomes = kind(hint).outcomes(hint, kb.causes[cid], q.options, features.get(q.hint))
                    features[q.hint] = _draw(rng, outcomes)
                probs = probabilities(kb, priors, features, [], dict.fromkeys(features, "user"))
                leader = max(probs, key=lambda c: probs[c])
                asked_total += asked
                right += leader == cid
            per_cause[cid] = (asked_total / trials, right / trials)
        n = len(per_cause)
        out.append(ErrorFigures(
            error=error.id, causes=n, trials=trials,
            mean_questions=sum(q for q, _ in per_cause.values()) / n,
            right_leader=sum(r for _, r in per_cause.values()) / n,
            weighted_right_leader=sum(priors[c] * r for c, (_, r) in per_cause.items()) / total_prior,
            per_cause=per_cause))
    return out


# More than any conversation asks (every hint once, each sign twice); only a
# guard against a loop, so a walk ends when the questions do.
MAX_STEPS = 100


def walk_steps(doctor: Doctor, case: dict, max_steps: int = MAX_STEPS) -> tuple[list, list]:
    """The expected cause's rank after 0, 1, 2 ... answers (None: not listed), and
    each question asked with the answer given (None: "I don't know")."""
    good = {case.get("expected"), case.get("also_ok")} - {None}
    have = {k: v for k, v in (case.get("hints") or {}).items()}
    hints: dict = {}
    unknown: list = []
    ranks, steps = [], []
    paste: str | Redaction = case["error"]
    for step in range(max_steps + 1):
        answer = doctor.diagnose(paste, hints=hints, unknown=unknown)
        paste = answer.paste
        ids = [c.id for c in answer.causes]
        ranks.append(next((i + 1 for i, x in enumerate(ids) if x in good), None))
        q = answer.question
        if not q or step == max_steps:  # a question asked at the last step has no rank after it
            break
        # a question that comes back (signs does) after the case's answer was given has nothing more to take
        if q.hint in have and hints.get(q.hint) != have[q.hint]:
            hints[q.hint] = have[q.hint]
            steps.append((q.hint, have[q.hint]))
        else:
            unknown.append(q.hint)
            steps.append((q.hint, None))
    return ranks, steps


def _low(rank: int | None) -> int:
    """A rank to compare: not listed at all is below every listed place."""
    return rank or 99


@dataclass
class WalkFigures:
    walks: dict  # case id -> ranks after 0, 1, 2 ... answers
    steps: dict = field(default_factory=dict)  # case id -> (hint, answer or None) per question

    def moves(self, cid: str) -> list[tuple[str, object, int | None, int | None]]:
        """The answered questions of one walk, each with the rank before and after it."""
        r = self.walks[cid]
        return [(h, a, r[i], r[i + 1]) for i, (h, a) in enumerate(self.steps.get(cid, ())) if a is not None]

    def falls(self, cid: str) -> list[tuple[str, object, int | None, int | None]]:
        """The answers after which the expected cause stood lower."""
        return [m for m in self.moves(cid) if _low(m[3]) > _low(m[2])]

    def answer_effects(self) -> dict[str, Counter]:
        """Per hint, how often a real answer moved the expected cause up, down or not at all:
        which questions real reports answer against the KB's likelihoods."""
        out: dict[str, Counter] = {}
        for cid in self.walks:
            for hint, _, before, after in self.moves(cid):
                b, a = _low(before), _low(after)
                out.setdefault(hint, Counter())["better" if a < b else "worse" if a > b else "same"] += 1
        return out

    @property
    def cases(self) -> int:
        return len(self.walks)

    def _ids(self, test) -> list[str]:
        return [cid for cid, r in self.walks.items() if test([_low(x) for x in r])]

    @property
    def dipped(self) -> list[str]:
        return self._ids(lambda r: any(b > a for a, b in zip(r, r[1:])))

    def dipped_from(self, top: int) -> list[str]:
        """The cases where one answer pushed the expected cause down from within the first `top`."""
        return self._ids(lambda r: any(b > a and a <= top for a, b in zip(r, r[1:])))

    @property
    def ended_worse(self) -> list[str]:
        return self._ids(lambda r: r[-1] > r[0])

    @property
    def ended_better(self) -> list[str]:
        return self._ids(lambda r: r[-1] < r[0])

    @property
    def questions_per_case(self) -> float:
        return sum(len(r) - 1 for r in self.walks.values()) / (self.cases or 1)


def hinted(cases: list[dict]) -> list[dict]:
    """The cases a walk can answer from: labelled, and carrying hints."""
    return [c for c in cases if c.get("expected") and c.get("hints")]


def walk_all(doctor: Doctor, cases: list[dict]) -> WalkFigures:
    walked = {str(c["id"]): walk_steps(doctor, c) for c in hinted(cases)}
    return WalkFigures({k: r for k, (r, _) in walked.items()}, {k: s for k, (_, s) in walked.items()})


def report_walk(figs: WalkFigures, label: str) -> str:
    return (f"walk {label}: cases={figs.cases} questions/case={figs.questions_per_case:.1f} "
            f"ended better={len(figs.ended_better)} ended worse={len(figs.ended_worse)} "
            f"worse at some step={len(figs.dipped)}")


def report_answer_effects(figs: WalkFigures) -> str:
    lines = [f"{'answered question':28} {'better':>6} {'worse':>6} {'same':>6}"]
    for hint, c in sorted(figs.answer_effects().items(), key=lambda kv: (-kv[1]["worse"], kv[0])):
        lines.append(f"{hint:28} {c['better']:6d} {c['worse']:6d} {c['same']:6d}")
    return "\n".join(lines)


def report_simulation(figs: list[ErrorFigures]) -> str:
    lines = [f"{'error':32} {'causes':>6} {'mean q':>7} {'right leads':>11} {'prior-weighted':>14}"]
    for f in sorted(figs, key=lambda f: f.error):
        lines.append(f"{f.error:32} {f.causes:6d} {f.mean_questions:7.2f} {f.right_leader:11.0%} {f.weighted_right_leader:14.0%}")
    n = sum(f.causes for f in figs) or 1
    mq = sum(f.mean_questions * f.causes for f in figs) / n
    rl = sum(f.right_leader * f.causes for f in figs) / n
    wl = sum(f.weighted_right_leader for f in figs) / (len(figs) or 1)
    lines.append(f"{'ALL':32} {n:6d} {mq:7.2f} {rl:11.0%} {wl:14.0%}")
    lines.append(f"(stop at a leader >= {STOP_AT}; answers drawn from the generating cause's own likelihoods)")
    return "\n".join(lines)
