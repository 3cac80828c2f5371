"""The conversation measured: the simulation over the KB and the walk over real cases."""
import pytest

from authdoctor.conversation import simulate, walk, walk_all
from authdoctor.evaluate import load_cases


@pytest.fixture(scope="module")
def walked(doctor):
    return walk_all(doctor, load_cases())


@pytest.fixture(scope="module")
def figures(doctor):
    return simulate(doctor, trials=10, seed=11)


def test_the_simulation_covers_every_error(figures, kb):
    assert {f.error for f in figures} == set(kb.errors)


def test_the_simulation_asks_at_most_three_questions_on_average(figures):
    n = sum(f.causes for f in figures)
    assert sum(f.mean_questions * f.causes for f in figures) / n <= 3


def test_the_generating_cause_leads_nine_times_in_ten_when_weighted_by_prior(figures):
    assert sum(f.weighted_right_leader for f in figures) / len(figures) >= 0.9


def test_the_generating_cause_leads_nine_times_in_ten_with_every_cause_counted_once(figures):
    # however rare: 0.88 while a rejected sign was never offered again, 0.90 since
    n = sum(f.causes for f in figures)
    assert sum(f.right_leader * f.causes for f in figures) / n >= 0.9


def test_the_simulation_is_deterministic(doctor):
    a = simulate(doctor, trials=2, seed=3)
    b = simulate(doctor, trials=2, seed=3)
    assert [(f.mean_questions, f.right_leader) for f in a] == [(f.mean_questions, f.right_leader) for f in b]


def test_answering_from_real_cases_hints_leaves_nearly_all_no_worse(walked):
    assert len(walked.ended_worse) <= 0.1 * walked.cases, walked.ended_worse


def test_answering_from_real_cases_hints_improves_the_mean_rank(walked):
    start = sum(min(r[0] or 10, 10) for r in walked.walks.values()) / walked.cases
    end = sum(min(r[-1] or 10, 10) for r in walked.walks.values()) / walked.cases
    assert end < start


def test_answering_from_real_cases_hints_never_worsens_the_rank_of_nearly_all(walked):
    # Strictly never worse is not a property of honest evidence: a true answer may
    # favour a competitor more (runner=local lifts stale-env-vars over a dead key).
    assert len(walked.dipped) <= 0.1 * walked.cases, walked.dipped


def test_a_walk_goes_on_until_no_question_is_left(doctor):
    # a cap of ten answers once hid three of the dips the README reports
    case = next(c for c in load_cases() if c["id"] == "key-inactive-or-deleted-02")
    ranks = walk(doctor, case)
    assert len(ranks) - 1 > 10 and walk(doctor, case, max_steps=len(ranks) + 5) == ranks
