"""Recognise which known error a paste is, and in which message shape.

Literal anchors (the error code, the fixed sentence) pick the candidate errors;
rapidfuzz's partial_ratio then scores each candidate variant against the best
aligned window of the paste, so noise around the message costs nothing.
Best match, never first match; never a guess when nothing is close.

What is scored is cut down losslessly (issue 22): an error whose anchor is in the
paste rules out every error without one, so only the anchored errors' shapes are
scored; otherwise a shape counts only at UNANCHORED_THRESHOLD, and `reach()`, an
upper bound of partial_ratio from a few longest-common-subsequence passes (a
fraction of its cost), rules out the shapes that cannot get there. `closest()`
keeps the n best errors and scores a shape only when its bound could still enter
them. `match(exhaustive=True)` and `closest(exhaustive=True)` are the plain scans,
kept as the reference the equivalence tests compare against.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate

from rapidfuzz import fuzz
from rapidfuzz.distance import LCSseq

from .knowledge import KB, Variant
from .normalize import normalize, normalize_lines

# Below this the answer is "not recognised". Chosen on tests/cases (positives
# and the honeypot of real non-credential errors): see `python -m authdoctor eval`.
THRESHOLD = 60.0
# Without any anchor of the error in the paste, only a near-exact match counts.
UNANCHORED_THRESHOLD = 92.0
# A specific variant within this many points of a generic wrapper wins over it.
GENERIC_MARGIN = 12.0
# Within one error, a longer variant this close to the best score is the better shape.
SPECIFIC_MARGIN = 6.0
# Long pastes (CI logs) are cut down to the lines around anything error-like.
_WINDOW_CHARS = 6000
_CONTEXT_LINES = 3
# rapidfuzz's partial_ratio is fast for needles up to 64 characters and costly beyond
_SHORT = 64
_ERRORISH = ("error", "denied", "credential", "token", "signature", "unauthorized", "expired", "not authorized", "invalid")


@dataclass(frozen=True)
class Match:
    variant: Variant
    score: float  # the best score any shape of this error reached: what errors are compared on
    anchored: bool
    variant_score: float = 0.0  # the chosen (most specific near-best) shape's own score


@dataclass(frozen=True)
class Result:
    best: Match | None
    ranked: tuple[Match, ...]  # every scored variant, best first (one per error)
    text: str  # the normalised text that was matched


def _lines_with(joined: str, starts: list[int], literals: Iterable[str]) -> set[int]:
    """The indices of the lines (joined by "\n", starting at `starts`) holding any of `literals`:
    one str.find per line a literal is on, not a test of every literal on every line."""
    hit: set[int] = set()
    for lit in literals:
        if not lit:
            return set(range(len(starts)))
        pos = joined.find(lit)
        while pos >= 0:
            i = bisect_right(starts, pos) - 1
            hit.add(i)
            if i + 1 >= len(starts):
                break
            pos = joined.find(lit, starts[i + 1])
    return hit


def _focus(lines: list[str], anchors: tuple[str, ...]) -> str:
    text = " ".join(lines)
    if len(text) <= _WINDOW_CHARS:
        return text
    # (no literal holds a "\n", so a line holds one exactly when the joined text does there)
    joined = "\n".join(lines)
    starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    anchored_lines = _lines_with(joined, starts, anchors)
    keep: set[int] = set()
    for i in anchored_lines | _lines_with(joined, starts, _ERRORISH):
        keep.update(range(max(0, i - _CONTEXT_LINES), min(len(lines), i + _CONTEXT_LINES + 1)))
    # anchors first: they are what the score hangs on
    picked = [lines[i] for i in sorted(keep)]
    focused = " ".join(picked)
    if len(focused) > 4 * _WINDOW_CHARS:
        window: set[int] = set()
        for i in sorted(anchored_lines)[:20]:
            window.update(range(max(0, i - _CONTEXT_LINES), min(len(lines), i + _CONTEXT_LINES + 1)))
        focused = " ".join(lines[i] for i in sorted(window)) or focused[: 4 * _WINDOW_CHARS]
    return focused


class Matcher:
    """Built once per KB: the variant texts and anchors, normalised as a paste is, are precomputed."""

    def __init__(self, kb: KB):
        self.kb = kb
        # the fallback answer is never matched by its shape (unfamiliar() gives it)
        known = {eid: e for eid, e in kb.errors.items() if not e.fallback}
        self.fallback = next((e for e in kb.errors.values() if e.fallback and e.variants), None)
        self.norm = {v.id: normalize(v.text) for e in known.values() for v in e.variants}
        self.anchor_groups = {eid: tuple(tuple(normalize(a) for a in group) for group in e.anchors)
                              for eid, e in known.items()}
        # for cutting long logs down: the most telling text of each anchor group only
        # (a compound anchor's short parts, "state" or "kms", would keep every line)
        self.anchors = tuple(sorted({max(group, key=len) for groups in self.anchor_groups.values() for group in groups}))
        self.by_error = {eid: e.variants for eid, e in known.items()}

    def match(self, text: str, *, exhaustive: bool = False) -> Result:
        lines = normalize_lines(text)
        hay = _focus(lines, self.anchors)
        anchored_errors = {eid for eid, groups in self.anchor_groups.items() if any(all(a in hay for a in group) for group in groups)}
        scored: list[Match] = []
        for eid, variants in self.by_error.items():
            anchored = eid in anchored_errors
            if anchored_errors and not anchored:
                continue  # an anchored error beats any look-alike without its anchor (below): skip the work
            if not anchored and not exhaustive and not self._may_reach(variants, hay, UNANCHORED_THRESHOLD):
                continue  # no shape of it can reach the bar an unanchored error must clear
            best = self._best(variants, hay, anchored)
            if best and best.score >= (THRESHOLD if anchored else UNANCHORED_THRESHOLD):
                scored.append(best)
        # an error whose own code or sentence is in the paste beats a look-alike without one
        if any(m.anchored for m in scored):
            scored = [m for m in scored if m.anchored]
        scored.sort(key=lambda m: (-m.score, -len(self.norm[m.variant.id])))
        winner = None
        if scored:
            winner = scored[0]
            if winner.variant.generic:
                specific = [m for m in scored if not m.variant.generic and m.score >= winner.score - GENERIC_MARGIN]
                if specific:
                    winner = specific[0]
        return Result(best=winner, ranked=tuple(scored), text=hay)

    def _best(self, variants: tuple[Variant, ...], hay: str, anchored: bool) -> Match | None:
        """One error's score: its best shape's, and the most specific shape near it."""
        cutoff = THRESHOLD * 0.8 if anchored else UNANCHORED_THRESHOLD
        found = []
        for v in variants:
            norm = self.norm[v.id]
            if not norm:
                continue
            s = fuzz.partial_ratio(norm, hay, processor=None, score_cutoff=cutoff * 0.9)
            if not s:
                continue
            # the paste shows only part of a longer message: less sure it is this shape
            cover = min(1.0, len(hay) / len(norm))
            found.append(Match(v, s * (0.8 + 0.2 * cover), anchored))
        if not found:
            return None
        top = max(m.score for m in found)
        # near-ties go to the most specific shape (Drain3 #68): a short variant is
        # contained in every longer one and would otherwise always win
        near = [m for m in found if m.score >= top - SPECIFIC_MARGIN]
        chosen = max(near, key=lambda m: (len(self.norm[m.variant.id]), m.score))
        return Match(chosen.variant, top, anchored, chosen.score)

    def _may_reach(self, variants: tuple[Variant, ...], hay: str, bar: float) -> bool:
        """False only when no shape's score (partial_ratio, times a cover factor of at most 1) can reach `bar`."""
        return any(self.norm[v.id] and reach(self.norm[v.id], hay, bar) for v in variants)

    def unfamiliar(self, text: str) -> Variant | None:
        """When no known message matched: the fallback answer's shape, if one of its
        cues shows the paste is plainly a credential failure (else None)."""
        if self.fallback is None:
            return None
        lower = text.lower()
        return self.fallback.variants[0] if any(c.search(lower) for c in self.fallback.cues) else None

    def closest(self, text: str, n: int = 3, *, exhaustive: bool = False) -> list[tuple[str, float]]:
        """The errors the KB knows that come nearest, for a not-recognised answer."""
        # only a pointer for a paste nothing matched: its tail, where tools print their
        # error, is enough, and keeps this linear in the paste (a 64 KiB log of noise
        # would otherwise be scored in full against every variant)
        hay = _focus(normalize_lines(text), self.anchors)[-_WINDOW_CHARS:]
        if exhaustive:
            out = []
            for eid, variants in self.by_error.items():
                s = max((fuzz.partial_ratio(self.norm[v.id], hay, processor=None) for v in variants), default=0.0)
                out.append((eid, round(s, 1)))
            out.sort(key=lambda x: -x[1])
            return out[:n]
        # The same answer, scoring less: the n best so far, as (-rounded score, position), are
        # what a later error must beat (a tie goes to the earlier error, as the stable sort
        # above gives it), so a shape whose bound cannot beat them is never scored.
        top: list[tuple[float, int, str]] = []
        for i, (eid, variants) in enumerate(self.by_error.items()):
            # any score under `floor` rounds below the n-th best's (or equal to it, which loses the tie)
            floor = -top[-1][0] + 0.04 if len(top) == n else 0.0
            best = 0.0
            for v in variants:
                norm = self.norm[v.id]
                bar = max(best, floor)
                if bar > 0.0 and norm and hay and not reach(norm, hay, bar):
                    continue
                best = max(best, fuzz.partial_ratio(norm, hay, processor=None, score_cutoff=bar))
            key = (-round(best, 1), i, eid)
            if len(top) < n or key < top[-1]:
                top.append(key)
                top.sort()
                del top[n:]
        return [(eid, -neg) for neg, _, eid in top]


def reach(a: str, b: str, bar: float) -> bool:
    """False only if fuzz.partial_ratio(a, b) < bar for certain: an upper bound from the
    longest common subsequence (LCS) of the shorter string and a few pieces of the longer.

    partial_ratio is the best 200*LCS(s, w) / (len(s) + len(w)) of the shorter string s
    (length k) against the windows w of the longer that it tries: windows of length k, and
    prefixes and suffixes shorter than k. A window of length k lies inside one of the
    chunks [i*step, i*step + k + step - 1), so its score is at most that chunk's LCS / k; a
    prefix of length m in (lo, hi] scores at most 2*LCS(s, prefix[:hi]) / (k + lo + 1).
    """
    if len(a) > len(b):
        a, b = b, a
    k, h = len(a), len(b)
    if k == h or k < 8:
        return True  # both directions tried, or too short to bother: score it
    lcs = LCSseq.similarity
    need = bar / 100.0 - 1e-9  # a score exactly at the bar counts
    # the whole of b first: one pass, and it rules out most shapes
    whole = lcs(a, b)
    if 2 * whole / (k + whole) < need:
        return False
    if k <= _SHORT:
        return True  # rapidfuzz scores a short string as fast as the finer bounds below would
    # prefixes and suffixes shorter than k, in bands of their length
    edges = [0, k // 5, 2 * k // 5, 3 * k // 5, 4 * k // 5, k - 1]
    for lo, hi in zip(edges, edges[1:]):
        if 2 * min(hi, lcs(a, b[:hi])) / (k + lo + 1) >= need or 2 * min(hi, lcs(a, b[h - hi:])) / (k + lo + 1) >= need:
            return True
    if whole < need * k:
        return False  # no window of length k holds that many characters of a in order
    # windows of length k: in chunks of 2k - 1 (each holds k windows), then in quarters of those
    step = max(1, k // 4)
    for big in range(0, h - k + 1, k):
        if lcs(a, b[big:big + 2 * k - 1]) < need * k:
            continue
        for start in range(big, min(big + k, h - k + 1), step):
            if lcs(a, b[start:start + k + step - 1]) >= need * k:
                return True
    return False
