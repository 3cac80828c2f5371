"""The pruned matcher gives exactly what the plain scan over every shape gives.

`Matcher.match()` scores only the shapes that could still win, and `closest()` only
those of its shortlist that could still enter its list (given a shortlist of every
shape, it is exact); `exhaustive=True` is the scan over every shape. The shortlist
itself is approximate: it is held to naming what the full scan names on the real
pastes nothing matches, and to a bounded number of shapes scored in a large KB. They are compared on every real paste (the corpus, its variants and, for
this check only, the holdout), in CI-log noise, and on generated knowledge bases
(words changed at random, and the benchmark's renamed copies with near-duplicate
shapes). The indexes and bounds the pruning stands on are checked on their own
against what they stand for: the anchors found against `in`, the shapes a paste's
pieces let through and the bounds against rapidfuzz's own scores.
"""
import dataclasses
import math
import random
from collections import Counter
from pathlib import Path
from types import MappingProxyType

import pytest
import yaml
from bench.perf import real_cases, synthetic_kb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from authdoctor import match as match_module
from authdoctor.match import (
    _BUDGET,
    _KEY,
    _LENGTH_WEIGHT,
    _ONE_ERROR,
    SHORTLIST,
    UNANCHORED_THRESHOLD,
    Matcher,
    _Anchors,
    _edges_reach,
    _grams,
    _partial,
    _Pieces,
    _Shortlist,
    _whole_bound,
    _whole_bounds,
    reach,
)
from authdoctor.redact import redact

CASES = Path(__file__).resolve().parent / "cases"
SHARED_DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev_cases.yaml"
EVERY = 10**9  # a shortlist of every shape: closest() is then exact
NOISE = "\n".join(f"2024-03-01T10:00:{i % 60:02d}.0Z module.x.aws_subnet.s[{i}]: Refreshing state... [id=subnet-{i:08d}]" for i in range(300))


def _pastes() -> list[str]:
    files = sorted(CASES.glob("*.yaml")) + sorted((CASES / "variants").glob("*.yaml")) + sorted((CASES / "holdout").glob("*.yaml"))
    files += [SHARED_DEV] if SHARED_DEV.is_file() else []
    return [c["error"] for f in files for c in (yaml.safe_load(f.read_text()) or {}).get("cases") or [] if isinstance(c.get("error"), str)]


PASTES = _pastes()


def _same(matcher: Matcher, text: str) -> None:
    text = redact(text).text
    assert matcher.match(text) == matcher.match(text, exhaustive=True)
    assert matcher.closest(text, shortlist=EVERY) == matcher.closest(text, exhaustive=True)


@pytest.fixture(scope="module")
def matcher(kb):
    return Matcher(kb)


def test_every_real_paste_matches_as_the_full_scan_does(matcher):
    for text in PASTES:
        _same(matcher, text)


def test_real_pastes_in_a_ci_log_match_as_the_full_scan_does(matcher):
    for text in PASTES[::25]:
        _same(matcher, NOISE + "\n" + text + "\n" + NOISE)


WORDS = ["error", "access", "denied", "token", "the", "security", "invalid", "request", "sts", "role", "assume", "credentials",
         "expired", "signature", "provider", "aws", "is", "not", "authorized", "to", "perform", ":", "403", "profile", "sso"]


def _generated_kb(kb, seed: int, keep: int, copies: int):
    """A few of the real errors, and copies of them whose shapes and anchors have words changed."""
    rng = random.Random(seed)
    real = [e for e in kb.errors.values() if not e.fallback]
    picked = rng.sample(real, min(keep, len(real)))
    errors = {e.id: e for e in kb.errors.values() if e.fallback}

    def mutate(text: str) -> str:
        words = text.split()
        for _ in range(rng.randint(0, max(1, len(words) // 3))):
            i = rng.randrange(len(words))
            op = rng.random()
            if op < 0.4:
                words[i] = rng.choice(WORDS)
            elif op < 0.7:
                words.insert(i, rng.choice(WORDS))
            elif len(words) > 2:
                del words[i]
        return " ".join(words)

    for e in picked:
        errors[e.id] = e
        for k in range(copies):
            nid = f"{e.id}Gen{k}"
            variants = tuple(dataclasses.replace(v, id=f"{v.id}-gen{k}", error_id=nid, text=mutate(v.text)) for v in e.variants)
            anchors = tuple(tuple(mutate(a) if rng.random() < 0.7 else a for a in group) for group in e.anchors)
            errors[nid] = dataclasses.replace(e, id=nid, variants=variants, anchors=anchors)
    return dataclasses.replace(kb, errors=MappingProxyType(errors), variants=tuple(v for e in errors.values() for v in e.variants)), mutate, rng


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), keep=st.integers(1, 8), copies=st.integers(0, 3))
def test_generated_knowledge_bases_match_as_the_full_scan_does(kb, seed, keep, copies):
    big, mutate, rng = _generated_kb(kb, seed, keep, copies)
    matcher = Matcher(big)
    shapes = [v for v in big.variants if v.text]
    for _ in range(6):
        v = rng.choice(shapes)
        paste = rng.choice([v.text, mutate(v.text), rng.choice(v.examples), mutate(rng.choice(v.examples))])
        _same(matcher, paste)
    _same(matcher, " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 60))))


def test_the_benchmarks_synthetic_knowledge_base_matches_as_the_full_scan_does(kb):
    """Renamed copies of every error (anchors kept or renamed as the benchmark does) and one
    error with near-duplicate shapes: many anchored look-alikes and near-ties inside one error."""
    matcher = Matcher(synthetic_kb(kb, 3, near_duplicates=40))
    for case in real_cases()[::6]:
        _same(matcher, case["error"])


TEXT = st.text(alphabet="abcde :-.", min_size=0, max_size=320)


@settings(max_examples=400, deadline=None)
@given(a=TEXT, b=TEXT, bar=st.floats(0, 100))
def test_the_bound_never_rules_out_a_score_that_reaches_the_bar(a, b, bar):
    if not reach(a, b, bar):
        assert fuzz.partial_ratio(a, b, processor=None) < bar


@settings(max_examples=200, deadline=None)
@given(a=st.text(alphabet="abcdefghij ", min_size=65, max_size=200), cut=st.integers(0, 300), noise=TEXT, bar=st.floats(30, 100))
def test_the_bound_holds_for_long_strings_inside_noise(a, cut, noise, bar):
    b = noise[:cut] + a[: len(a) - cut % 7] + noise[cut:]
    for x, y in ((a, b), (b, a)):
        if not reach(x, y, bar):
            assert fuzz.partial_ratio(x, y, processor=None) < bar


@settings(max_examples=300, deadline=None)
@given(literals=st.lists(st.text(alphabet="abc -", max_size=7), max_size=12), text=st.text(alphabet="abc -\n", max_size=400))
def test_the_anchor_index_finds_exactly_the_anchors_in_a_text(literals, text):
    assert sorted(_Anchors(literals).present(text)) == sorted({a for a in literals if a in text})


@settings(max_examples=300, deadline=None)
@given(shapes=st.lists(st.text(alphabet="abcd :", min_size=1, max_size=140), min_size=1, max_size=8),
       text=st.text(alphabet="abcd :", max_size=260), bar=st.sampled_from([UNANCHORED_THRESHOLD, 85.0, 75.0]))
def test_the_piece_index_lets_through_every_shape_that_reaches_its_bar(shapes, text, bar):
    let_through = _Pieces(shapes, bar).candidates(text)
    for i, shape in enumerate(shapes):
        if fuzz.partial_ratio(shape, text, processor=None) >= bar:
            assert i in let_through


@settings(max_examples=200, deadline=None)
@given(a=st.text(alphabet="abcd :", min_size=1, max_size=200), noise=TEXT, cut=st.integers(0, 320))
def test_the_piece_index_lets_a_shape_through_inside_noise(a, noise, cut):
    text = noise[:cut] + a + noise[cut:]
    assert 0 in _Pieces([a], UNANCHORED_THRESHOLD).candidates(text)


@settings(max_examples=400, deadline=None)
@given(a=TEXT, b=TEXT)
def test_the_one_pass_bound_is_never_below_the_score(a, b):
    assert _whole_bound(a, b) >= fuzz.partial_ratio(a, b, processor=None)
    assert _whole_bounds(b, [a, b, a + b]) == [_whole_bound(a, b), _whole_bound(b, b), _whole_bound(a + b, b)]


@settings(max_examples=400, deadline=None)
@given(a=st.text(alphabet="abcde :", min_size=60, max_size=220), noise=TEXT, cut=st.integers(0, 320), keep=st.integers(0, 220),
       cutoff=st.floats(0, 100))
def test_the_padded_score_is_rapidfuzz_s_own(a, noise, cut, keep, cutoff):
    b = noise[:cut] + a[:keep] + noise[cut:]
    for x, y in ((a, b), (b, a)):
        assert _partial(x, y, cutoff) == fuzz.partial_ratio(x, y, processor=None, score_cutoff=cutoff)


def test_the_padded_score_is_rapidfuzz_s_own_for_every_shape_and_real_paste(matcher):
    shapes = [norm for norm in matcher.norm.values() if len(norm) > 64]
    for text in PASTES[::9]:
        hay = matcher.match(redact(text).text).text
        for shape in shapes:
            for cutoff in (0.0, 60.0, 90.0):
                assert _partial(shape, hay, cutoff) == fuzz.partial_ratio(shape, hay, processor=None, score_cutoff=cutoff)


@settings(max_examples=300, deadline=None)
@given(a=st.text(alphabet="abcd ", min_size=2, max_size=150), b=st.text(alphabet="abcd ", max_size=300), bar=st.floats(20, 100))
def test_the_edge_bound_never_rules_out_a_prefix_or_suffix_that_reaches_the_bar(a, b, bar):
    if len(b) <= len(a):
        b += "e" * (len(a) + 1 - len(b))
    k, need = len(a), bar / 100.0
    if not _edges_reach(a, b, need, suffix=False):
        assert all(fuzz.ratio(a, b[:m], processor=None) / 100.0 < need for m in range(1, k))
    if not _edges_reach(a, b, need, suffix=True):
        assert all(fuzz.ratio(a, b[len(b) - m:], processor=None) / 100.0 < need for m in range(1, k))


def test_a_matcher_from_a_kept_index_answers_as_one_built_fresh(kb, matcher):
    import pickle

    from authdoctor.match import index
    # as knowledge.cache.derived keeps it between starts
    kept = Matcher(kb, pickle.loads(pickle.dumps(index(kb), protocol=pickle.HIGHEST_PROTOCOL)))
    for text in PASTES[::3]:
        text = redact(text).text
        assert kept.match(text) == matcher.match(text)
        assert kept.closest(text) == matcher.closest(text)
    assert kept.anchors == matcher.anchors


# --- closest(): the shortlist --------------------------------------------------------------

def test_a_short_unrecognised_paste_gets_the_full_scans_closest_codes(doctor):
    """Its few pieces pick shapes poorly (Docker's bare "no basic auth credentials" once lost the
    chain error's best shape by 3.5 points), so a paste that short is scored against every shape."""
    m = doctor.matcher
    text = "no basic auth credentials"
    assert len(text) < match_module._EXACT_BELOW and not doctor.diagnose(text).recognized
    assert m.closest(text) == m.closest(text, exhaustive=True)


def test_the_shortlist_names_what_the_full_scan_names_on_the_real_unrecognised_pastes(doctor):
    """Where the answer shows the closest codes (nothing recognised): the first is the full
    scan's, within two points of its similarity, on every real paste; all three, on all but a few."""
    m = doctor.matcher
    texts = [redact(t).text for t in PASTES if not doctor.diagnose(t).recognized]
    assert len(texts) > 100
    same = 0
    for text in texts:
        got, full = m.closest(text), m.closest(text, exhaustive=True)
        assert got[0][0] == full[0][0] and abs(got[0][1] - full[0][1]) <= 2.0, (text, got, full)
        # a code named by both has its best shape shortlisted, or one within two points of it
        assert all(abs(s - dict(full)[code]) <= 2.0 for code, s in got if code in dict(full))
        same += got == full
    assert same >= 0.95 * len(texts)


def test_closest_scores_a_bounded_number_of_shapes_however_large_the_kb(kb, monkeypatch):
    big = Matcher(synthetic_kb(kb, 10, near_duplicates=200))
    norms = {big.norm[v.id]: v.error_id for v in big.kb.variants if v.id in big.norm}
    assert len(norms) > 20 * SHORTLIST
    texts = [redact(c["error"]).text for c in real_cases()[::4]]
    texts = [t for t in texts if big.match(t).best is None] + ["hello world", "", "error " * 2000]
    scored: set[str] = set()
    partial_ratio = match_module.fuzz.partial_ratio

    def counted(a, b, **kwargs):
        scored.update(x for x in (a, b) if x in norms)
        return partial_ratio(a, b, **kwargs)

    monkeypatch.setattr(match_module.fuzz, "partial_ratio", counted)
    for text in texts:
        scored.clear()
        assert len(big.closest(text)) == 3
        assert 0 < len(scored) <= SHORTLIST
        assert max(Counter(norms[s] for s in scored).values()) <= SHORTLIST * _ONE_ERROR


def test_closest_takes_what_match_gave_and_its_options_by_name(matcher):
    for text in PASTES[::20]:
        text = redact(text).text
        assert matcher.closest(matcher.match(text)) == matcher.closest(text)
    assert matcher.closest("access denied", n=5) == matcher.closest("access denied", n=5, shortlist=EVERY)
    with pytest.raises(TypeError):
        matcher.closest("access denied", 3)  # type: ignore[misc]


@settings(max_examples=200, deadline=None)
@given(shapes=st.lists(st.text(alphabet="abcd :", min_size=1, max_size=80), min_size=1, max_size=10),
       text=st.text(alphabet="abcd :", max_size=200))
def test_the_shortlist_ranks_every_shape_by_the_pieces_it_shares_with_the_text(shapes, text):
    ranked = list(_Shortlist(shapes).ranked(text))
    assert [key for key, _ in ranked] == sorted(key for key, _ in ranked)
    first: dict[int, float] = {}
    for key, i in ranked:
        first.setdefault(i, key)
    assert set(first) == set(range(len(shapes)))
    pieces = _grams(text, _KEY)
    assert len(shapes) * len(pieces) <= _BUDGET  # every piece is counted
    for i, shape in enumerate(shapes):
        mine = _grams(shape, _KEY)
        share = len(mine & pieces) / max(1, min(len(mine), len(pieces)))
        assert first[i] == pytest.approx(_LENGTH_WEIGHT * math.log(max(8, min(len(shape), len(text)))) - share)
