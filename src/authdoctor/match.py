"""Recognise which known error a paste is, and in which message shape.

Literal anchors (the error code, the fixed sentence) pick the candidate errors;
rapidfuzz's partial_ratio then scores each candidate variant against the best
aligned window of the paste, so noise around the message costs nothing.
Best match, never first match; never a guess when nothing is close.

What match() scores is cut down losslessly (issue 22), so that what a paste costs
grows with what in the KB resembles it rather than with the size of the KB:

- the anchors are found through an index from one four-character piece of each
  anchor to the anchors holding it: a paste is tested only for the anchors whose
  piece it holds (`_Anchors`);
- an error whose anchor is in the paste rules out every error without one, so
  only the anchored errors are scored; without any anchor a shape counts only at
  UNANCHORED_THRESHOLD (92), and at that bar a shape is scored only if enough of
  its three-character pieces are in the paste (`_Pieces`: each character inserted
  or deleted breaks at most one piece, and a score of 92 allows few), counted for
  every shape at once with bit masks;
- errors are scored likeliest first (the most anchor text found), and each only as
  far as it could still change the answer (be the winner, or the specific shape
  that beats a generic winner); inside an error, a shape is scored only if its
  bound could still make it the error's best or its chosen shape;
- the bounds: one LCS pass of a shape against the whole paste (`_whole_bounds`),
  then `reach()`, a few LCS passes over pieces of the paste; a long shape is
  scored by its best full window alone when its prefixes and suffixes are bounded
  below that (`_partial`: the same number as rapidfuzz's, for less).

`closest()`, the pointer shown only when nothing is recognised, is approximate (issue 22:
"closest() on a shortlist"). A paste nothing matches scores 40-65 against most shapes, so no
bound rules many out: knowing the n best exactly would cost a score or a bound for most shapes
of the KB. Instead the SHORTLIST (160) shapes likeliest to score best, by the pieces they share
with the paste (`_Shortlist`), are scored exactly, and an error's similarity is its best scored
shape; the cost is then bounded however large the KB. On the real pastes nothing is recognised
in, it names the full scan's first code on every one, and the same three codes and
similarities on all but one (tests/test_match_index.py).
`match(exhaustive=True)` and `closest(exhaustive=True)` are the plain scans, kept as
the reference the equivalence tests compare against.
"""
from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from heapq import heapify, heappop, merge
from itertools import accumulate, chain, repeat

from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

from .knowledge import KB, Decline, ErrorCode, Variant
from .normalize import lines_holding, normalize, normalize_lines

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
# the length of the piece an anchor is indexed by, and of the pieces the unanchored bar counts
_KEY = 4
_PIECE = 3
# scores are compared in floating point: a bound is widened by this much before it rules anything out
_EPS = 1e-6
# closest(): the shapes scored for a paste nothing matched (enough that on every real paste the
# first code named is the one the full scan names: see `_Shortlist`), of which one error's take at
# most a share (so that an error with many near-identical shapes leaves room for the others)
SHORTLIST = 160
_ONE_ERROR = 1 / 8
# A paste shorter than this is scored against every shape by closest(), while the KB has no more
# than _EXACT_SHAPES of them: its few character pieces pick shapes poorly, and every shape against
# so little text costs about what the shortlist did (docs/performance.md: 1.2 ms against 0.9 ms
# for a 25-character paste, 537 shapes); a KB past that size gets the bounded shortlist.
_EXACT_BELOW = 64
_EXACT_SHAPES = 2048
# how many (piece, shape) pairs closest() counts at most for a paste: its rarest pieces first
_BUDGET = 1 << 13
# how much a shorter shape is preferred (short shapes score higher by chance in a text they are not)
_LENGTH_WEIGHT = 0.15


@dataclass(frozen=True)
class Match:
    variant: Variant
    score: float  # the best score any shape of this error reached: what errors are compared on
    anchored: bool
    variant_score: float = 0.0  # the chosen (most specific near-best) shape's own score


@dataclass(frozen=True)
class Result:
    best: Match | None
    text: str  # the normalised text that was matched


def _grams(text: str, q: int) -> set[str]:
    return {text[i:i + q] for i in range(len(text) - q + 1)}


def _focus(lines: list[str], present: Callable[[str], Iterable[str]]) -> str:
    """The paste as one line; a long one cut down to the lines around an anchor (`present(text)`
    gives the anchors in a text) or an error word."""
    text = " ".join(lines)
    if len(text) <= _WINDOW_CHARS:
        return text
    # (no literal holds a "\n", so a line holds one exactly when the joined text does there)
    joined = "\n".join(lines)
    starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    anchored_lines = {i for lit in present(joined) for i in lines_holding(joined, lit, starts)}
    keep: set[int] = set()
    for i in anchored_lines.union(*(lines_holding(joined, word, starts) for word in _ERRORISH)):
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


class _Anchors:
    """Which literal texts of a set occur in a text, without testing each: every text of
    `_KEY` characters or more is indexed by its rarest piece of that length, and only the
    texts whose piece the text holds are looked for (shorter ones always are)."""

    def __init__(self, literals: Iterable[str]):
        distinct = sorted(set(literals))
        df = Counter(g for a in distinct for g in _grams(a, _KEY))
        self.short = [a for a in distinct if len(a) < _KEY]
        self.by_key: dict[str, list[str]] = {}
        for a in distinct:
            if len(a) >= _KEY:
                key = min(sorted(_grams(a, _KEY)), key=df.__getitem__)
                self.by_key.setdefault(key, []).append(a)

    def present(self, text: str) -> list[str]:
        found = [a for a in self.short if a in text]
        # a long text holds few of many keys: look each key up; a short one, the other way round
        if len(self.by_key) * 48 < len(text):
            keys: Iterable[str] = [k for k in self.by_key if k in text]
        else:
            keys = self.by_key.keys() & _grams(text, _KEY)
        for key in keys:
            found += [a for a in self.by_key[key] if a in text]
        return found


class _Pieces:
    """The shapes that could score at least `bar` against a text, found without scoring them.

    Each shape is cut into pieces of _PIECE characters (at 0, 3, 6, ...). A score of `bar`
    leaves few of them broken:

    - a shape of length k scored inside a longer text: the window it is scored against is
      at most D = 2k(100 - bar)/100 characters inserted or deleted away from it, and each
      such edit breaks at most one piece, so at least k // _PIECE - D of its pieces are in
      the text;
    - a shape longer than the text (length h): the text is scored against windows of the
      shape at least m = h * bar / (200 - bar) long (shorter ones cannot reach `bar`), each
      holding (m - 2) // _PIECE of the shape's pieces whole, of which at most 2h(100 - bar)/100
      are broken: the rest are in the text. The text then also has at least m characters in
      order with the shape (one LCS pass each, in rapidfuzz's loop over them all).

    A piece found twice in a shape is counted once, so each shape's bar is lowered by its
    repeats. The counting is done for all shapes at once: each piece has a bit mask of the
    shapes holding it, and the masks of the pieces a text holds are added up bit-sliced
    (`count[j]`: the shapes whose count has bit j set), a few big-integer operations a piece.
    """

    def __init__(self, norms: list[str], bar: float):
        self.norms = norms
        self.bar = bar
        holders: dict[str, list[int]] = defaultdict(list)
        need: dict[int, list[int]] = defaultdict(list)  # case 1's bar -> its shapes
        repeats: dict[int, list[int]] = defaultdict(list)  # repeated pieces -> the shapes
        by_len: dict[int, list[int]] = defaultdict(list)
        widest = 0
        for i, s in enumerate(norms):
            pieces = [s[j:j + _PIECE] for j in range(0, len(s) - _PIECE + 1, _PIECE)]
            distinct = set(pieces)
            for piece in distinct:
                holders[piece].append(i)
            need[len(distinct) - self._edits(len(s))].append(i)
            repeats[len(pieces) - len(distinct)].append(i)
            by_len[len(s)].append(i)
            widest = max(widest, len(distinct))
        self.width = max(1, widest.bit_length())
        self.holders = {piece: _mask(shapes) for piece, shapes in holders.items()}
        self.need = {v: _mask(shapes) for v, shapes in need.items()}
        self.repeats = {r: _mask(shapes) for r, shapes in repeats.items()}
        # the shapes of each length and every shorter one
        self.lengths = sorted(by_len)
        self.upto: list[int] = list(accumulate((_mask(by_len[k]) for k in self.lengths), int.__or__))

    def _edits(self, k: int) -> int:
        """More than the characters a score of `bar` lets the shorter string (length k) differ by."""
        return int(2 * k * (100.0 - self.bar) / 100.0) + 1

    def _shorter(self, h: int) -> int:
        """The shapes shorter than h characters."""
        i = bisect_left(self.lengths, h)
        return self.upto[i - 1] if i else 0

    def candidates(self, text: str, longest: int | None = None) -> list[int]:
        """The shapes that could reach the bar against `text` (none longer than `longest`)."""
        h = len(text)
        grams = _grams(text, _PIECE)
        count = [0] * self.width
        for piece in self.holders.keys() & grams:
            carry = self.holders[piece]
            for j, bit in enumerate(count):
                count[j], carry = bit ^ carry, bit & carry
                if not carry:
                    break

        def at_least(v: int) -> int:
            if v <= 0:
                return -1  # every shape
            if v >> self.width:
                return 0
            more, equal = 0, -1
            for j in range(self.width - 1, -1, -1):
                if v >> j & 1:
                    equal &= count[j]
                else:
                    more |= equal & count[j]
                    equal &= ~count[j]
            return more | equal

        shorter, same = self._shorter(h), self._shorter(h + 1)
        found = same & ~shorter  # equal lengths are scored both ways round: always a candidate
        for v, shapes in self.need.items():
            if shapes & shorter:
                found |= shapes & shorter & at_least(v)
        longer = (self._shorter(longest + 1) if longest is not None else -1) & ~same & self.upto[-1] if self.upto else 0
        shortest = int(h * self.bar / (200.0 - self.bar)) - 1  # the shortest window of a longer shape that counts
        around = (shortest - 2) // _PIECE - self._edits(h)
        kept = 0
        for r, shapes in self.repeats.items():
            if shapes & longer:
                kept |= shapes & longer & at_least(around - r)
        out = _bits(found)
        if kept:
            ids = _bits(kept)
            near = process.extract(text, [self.norms[i] for i in ids], scorer=LCSseq.similarity, processor=None,
                                   score_cutoff=max(0, shortest), limit=None)
            out += [ids[at] for _, _, at in near]
        return out


class _Shortlist:
    """The shapes likeliest to score best against a text, for closest(), found without scoring
    them: an index from each four-character piece to the shapes holding it.

    A shape's likeness is the share of the shorter string's pieces (the shape's, or the text's
    when the text is shorter) that both hold, less _LENGTH_WEIGHT * log(the shorter's length):
    partial_ratio aligns the shorter string with the best window of the longer, and a short
    string finds a fair window by chance. The text's pieces are counted rarest first, and only
    while the shapes holding them number _BUDGET in all: a text costs a bounded number of steps
    however large the KB (the real KB's pastes are mostly counted in full; the commonest pieces
    left out tell shapes apart least).
    It is a heuristic: on the real pastes (tests/cases, the holdout, the dev set, the KB's
    examples) the 128 likeliest shapes hold the best shape of the error the full scan names
    first in every one, and of all three it names in all but a few.
    """

    def __init__(self, norms: list[str]):
        holders: dict[str, list[int]] = defaultdict(list)
        self.inverse: list[float] = []  # 1 / the distinct pieces of each shape
        for i, s in enumerate(norms):
            pieces = _grams(s, _KEY)
            for piece in pieces:
                holders[piece].append(i)
            self.inverse.append(1.0 / max(1, len(pieces)))
        self.short = [_LENGTH_WEIGHT * math.log(max(8, len(s))) for s in norms]
        # each piece's shapes, end to end in one array; a piece -> how many, and where (count << 32 | start)
        ids, at = array("I"), array("Q")
        for shapes in holders.values():
            at.append(len(shapes) << 32 | len(ids))
            ids.extend(shapes)
        self.ids = ids.tobytes()
        # kept (in the derived cache) as the pieces end to end and the bytes of `at`: a dict of
        # thousands of pieces costs a start more to load than to make again on the first use
        self._pieces, self._at = "".join(holders), at.tobytes()
        self._holders: dict[str, int] | None = dict(zip(holders, at))
        # a shape sharing no piece with the text: the shorter the likelier
        self.by_length = sorted(range(len(norms)), key=lambda i: (len(norms[i]), i))

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "_holders": None}

    @property
    def holders(self) -> dict[str, int]:
        """A piece -> how many shapes hold it and where they are in `ids` (count << 32 | start)."""
        if self._holders is None:
            pieces = self._pieces  # (every piece is _KEY characters long)
            self._holders = dict(zip([pieces[i:i + _KEY] for i in range(0, len(pieces), _KEY)],
                                     memoryview(self._at).cast("Q").tolist()))
        return self._holders

    def ranked(self, text: str) -> Iterator[tuple[float, int]]:
        """(likeness, shape) for every shape, likeliest first; a shape whose pieces were not
        counted comes by its length alone, and a shape may come twice."""
        pieces = _grams(text, _KEY)
        ids = memoryview(self.ids).cast("I")
        held = []
        budget = _BUDGET
        # rarest first (the fewest shapes hold it)
        holders = self.holders
        for at in sorted(map(holders.__getitem__, holders.keys() & pieces)):
            count, start = at >> 32, at & 0xFFFFFFFF
            budget -= count
            if budget < 0:
                break
            held.append(ids[start:start + count])
        shared = Counter(chain.from_iterable(held))
        short, least = _LENGTH_WEIGHT * math.log(max(8, len(text))), 1.0 / max(1, len(pieces))
        pen, inverse = self.short, self.inverse
        likely = [((pen[i] if pen[i] < short else short) - c * (inverse[i] if inverse[i] > least else least), i)
                  for i, c in shared.items()]
        # a heap: only the first few hundred are taken, as a rule
        heapify(likely)
        alone = ((pen[i] if pen[i] < short else short, i) for i in self.by_length)
        return merge(map(heappop, repeat(likely, len(likely))), alone)


def _mask(ids: Iterable[int]) -> int:
    """The int with bit i set for each i in `ids`."""
    ids = list(ids)
    if not ids:
        return 0
    raw = bytearray(max(ids) // 8 + 1)
    for i in ids:
        raw[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(raw, "little")


def _bits(mask: int) -> list[int]:
    """The positions of the bits set in a non-negative int, lowest first."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def _whole_bounds(text: str, shapes: list[str]) -> list[float]:
    """`_whole_bound(shape, text)` for each shape, in one call into rapidfuzz (the text's bit
    vectors are built once for all)."""
    common = [0] * len(shapes)
    for _, n, i in process.extract(text, shapes, scorer=LCSseq.similarity, processor=None, limit=None):
        common[i] = n
    h = len(text)
    return [200.0 * n / (k + n) + _EPS if (k := len(shape) if len(shape) < h else h) else 100.0
            for shape, n in zip(shapes, common)]


def _whole_bound(a: str, b: str) -> float:
    """An upper bound of fuzz.partial_ratio(a, b) from one pass: every window the shorter
    string is scored against is part of the longer one, so it shares at most L = LCS(a, b)
    characters with it in order, and 2L / (k + L) is the most a window of any length gives."""
    k = min(len(a), len(b))
    if not k:
        return 100.0
    common = LCSseq.similarity(a, b)
    return 200.0 * common / (k + common) + _EPS


@dataclass(frozen=True)
class Index:
    """What a Matcher derives from its KB at some cost, as plain data (ids and texts), so that it
    can be kept between starts (knowledge.cache.derived): Matcher(kb, index(kb)) is Matcher(kb)."""
    norm: dict[str, str]  # variant id -> its text normalised
    anchor_groups: dict[str, tuple[tuple[str, ...], ...]]  # error id -> its anchor groups normalised
    every: _Anchors
    pieces: _Pieces
    shortlist: _Shortlist


def _known(kb: KB) -> dict[str, tuple[Variant, ...]]:
    """Each error's shapes matched by their text: the answers cues give never are (unfamiliar()
    gives them), so the fallback error has none and is left out."""
    return {eid: e.shapes for eid, e in kb.errors.items() if not e.fallback}


def _shape_places(by_error: dict[str, tuple[Variant, ...]], norm: dict[str, str]) -> list[tuple[str, int]]:
    """Every shape with a text, as (its error, its place among the error's shapes)."""
    return [(eid, i) for eid, variants in by_error.items() for i, v in enumerate(variants) if norm[v.id]]


def index(kb: KB) -> Index:
    """The normalised shapes and anchors and the indexes over them: most of a Matcher's build."""
    by_error = _known(kb)
    norm = {v.id: normalize(v.text) for shapes in by_error.values() for v in shapes}
    anchor_groups = {eid: tuple(tuple(normalize(a) for a in group) for group in kb.errors[eid].anchors) for eid in by_error}
    norms = [norm[by_error[eid][i].id] for eid, i in _shape_places(by_error, norm)]
    return Index(norm, anchor_groups, _Anchors(a for groups in anchor_groups.values() for group in groups for a in group),
                 _Pieces(norms, UNANCHORED_THRESHOLD), _Shortlist(norms))


class Matcher:
    """Built once per KB: the variant texts and anchors, normalised as a paste is, are precomputed
    (`prebuilt`: what index(kb) gives, kept from an earlier start)."""

    def __init__(self, kb: KB, prebuilt: Index | None = None):
        self.kb = kb
        built = prebuilt if prebuilt is not None else index(kb)
        self.fallback = next((e for e in kb.errors.values() if e.fallback and e.variants), None)
        # the errors whose own cues (their codes) answer, each with the variant they answer with;
        # the fallback's cues are tried only when none of these is found
        self._cued = [(e, v) for e in kb.errors.values() if not e.fallback and (v := e.cue_variant) is not None]
        self.declines = tuple(kb.declines.values())
        self.norm = built.norm
        self.anchor_groups = built.anchor_groups
        # for cutting long logs down: the most telling text of each anchor group only
        # (a compound anchor's short parts, "state" or "kms", would keep every line)
        self.anchors = tuple(sorted({max(group, key=len) for groups in self.anchor_groups.values() for group in groups}))
        self.by_error = _known(kb)
        self._position = {eid: i for i, eid in enumerate(self.by_error)}
        self._every = built.every
        telling = set(self.anchors)
        self._telling = lambda text: [a for a in self._every.present(text) if a in telling]
        # each anchor text -> the groups it is in; a group is met when all its distinct texts are
        self._groups_of: dict[str, list[int]] = {}
        self._group_size: list[int] = []
        self._group_weight: list[int] = []  # the length of its texts: how telling it is
        self._group_error: list[str] = []
        self._always: set[str] = set()  # errors with an empty group (met by any paste)
        for eid, groups in self.anchor_groups.items():
            for group in groups:
                members = set(group)
                if not members:
                    self._always.add(eid)
                    continue
                for a in members:
                    self._groups_of.setdefault(a, []).append(len(self._group_size))
                self._group_size.append(len(members))
                self._group_weight.append(sum(map(len, members)))
                self._group_error.append(eid)
        self._shapes = _shape_places(self.by_error, self.norm)
        # each error's shapes as _best reads them: their texts by place, the places with a text,
        # and those longest first (then the earlier)
        self._layout: dict[str, tuple[list[str], list[int], list[int]]] = {}
        for eid, variants in self.by_error.items():
            norms = [self.norm[v.id] for v in variants]
            places = [i for i, norm in enumerate(norms) if norm]
            self._layout[eid] = (norms, places, sorted(places, key=lambda i: (-len(norms[i]), i)))
        self._pieces = built.pieces
        self._shortlist = built.shortlist

    def _hay(self, text: str) -> str:
        return _focus(normalize_lines(text), self._telling)

    def _anchored(self, hay: str) -> dict[str, int]:
        """The errors with an anchor group all in `hay`, each with the length of its anchor texts there."""
        present = self._every.present(hay)
        hits = Counter(chain.from_iterable(self._groups_of[a] for a in set(present)))
        out = dict.fromkeys(self._always, 0)
        for group, n in hits.items():
            if n == self._group_size[group]:
                eid = self._group_error[group]
                out[eid] = out.get(eid, 0) + self._group_weight[group]
        return out

    def match(self, text: str, *, exhaustive: bool = False) -> Result:
        hay = self._hay(text)
        if exhaustive:
            return self._match_all(hay)
        anchored = self._anchored(hay)
        # the shapes that could reach the bar, by error (None: any of them)
        able: dict[str, set[int] | None]
        if anchored:
            bar = THRESHOLD
            # likeliest first (the most anchor text found), so that the winner's score is known early
            able = dict.fromkeys(sorted(anchored, key=lambda eid: (-anchored[eid], self._position[eid])))
        else:
            bar = UNANCHORED_THRESHOLD
            # a shape longer than the paste has its score scaled down by how much of it the paste
            # covers (0.8 + 0.2 * cover, in _best_all): past this length not even 100 reaches the bar
            longest = int(0.2 * len(hay) / (bar / 100.0 - 0.8)) + 1
            by_error: dict[str, set[int]] = {}
            for shape in self._pieces.candidates(hay, longest):
                eid, i = self._shapes[shape]
                by_error.setdefault(eid, set()).add(i)
            able = {eid: by_error[eid] for eid in self.by_error if eid in by_error}
        scored: list[tuple[Match, int]] = []
        top = float("-inf")
        for eid, shapes in able.items():
            # an error counts only if it could be the winner or a specific shape that beats a generic one
            best = self._best(eid, hay, bool(anchored), max(bar, top - GENERIC_MARGIN), shapes)
            if best is not None:
                scored.append((best, self._position[eid]))
                top = max(top, best.score)
        scored.sort(key=lambda m: (-m[0].score, -len(self.norm[m[0].variant.id]), m[1]))
        return Result(best=self._winner([m for m, _ in scored]), text=hay)

    @staticmethod
    def _winner(scored: list[Match]) -> Match | None:
        if not scored:
            return None
        winner = scored[0]
        if winner.variant.generic:
            specific = [m for m in scored if not m.variant.generic and m.score >= winner.score - GENERIC_MARGIN]
            if specific:
                winner = specific[0]
        return winner

    def _match_all(self, hay: str) -> Result:
        """The reference: every shape of every error that could count is scored."""
        anchored_errors = {eid for eid, groups in self.anchor_groups.items() if any(all(a in hay for a in group) for group in groups)}
        scored: list[Match] = []
        for eid, variants in self.by_error.items():
            anchored = eid in anchored_errors
            if anchored_errors and not anchored:
                continue  # an anchored error beats any look-alike without its anchor
            best = self._best_all(variants, hay, anchored)
            if best and best.score >= (THRESHOLD if anchored else UNANCHORED_THRESHOLD):
                scored.append(best)
        scored.sort(key=lambda m: (-m.score, -len(self.norm[m.variant.id])))
        return Result(best=self._winner(scored), text=hay)

    def _best_all(self, variants: tuple[Variant, ...], hay: str, anchored: bool) -> Match | None:
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

    def _best(self, eid: str, hay: str, anchored: bool, need: float, able: set[int] | None = None) -> Match | None:
        """What `_best_all` gives for error `eid` when its score reaches `need`, else None, scoring
        only the shapes whose bound could still be the error's best or its chosen shape.
        `able`: the places of the only shapes that could reach `need` (None: unknown)."""
        if not hay:
            return None
        variants = self.by_error[eid]
        norms, places, by_length = self._layout[eid]
        raw_floor = (THRESHOLD * 0.8 if anchored else UNANCHORED_THRESHOLD) * 0.9
        h = len(hay)
        # by place: a shape's bound (after the factor; -inf: not looked at, so never scored), its
        # cover factor, the floor it was scored down to (inf: not yet) and its score when it reached that floor
        bound = [-math.inf] * len(norms)
        factor = [1.0] * len(norms)
        floor = [math.inf] * len(norms)
        scores: list[float | None] = [None] * len(norms)

        def look(at: list[int]) -> None:
            for i, b in zip(at, _whole_bounds(hay, [norms[i] for i in at])):
                # the paste shows only part of a longer message: less sure it is this shape
                f = factor[i] = 0.8 + 0.2 * min(1.0, h / len(norms[i]))
                bound[i] = b * f

        # first the shapes that could reach `need`; the others only if the error does
        first = places if able is None else sorted(able)
        look(first)

        def score(i: int, fl: float) -> None:
            """Score shape i if its score could reach `fl` (after the factor)."""
            raw = max(raw_floor, fl / factor[i] - _EPS)
            floor[i] = fl
            if bound[i] < fl or not reach(norms[i], hay, raw):
                return
            s = _partial(norms[i], hay, raw)
            if s:
                scores[i] = s * factor[i]

        # the best score: highest bound first, until no bound is above it (each shape only
        # as far as it could raise the best: the near band below it is looked at after)
        top = -math.inf
        for i in sorted(first, key=bound.__getitem__, reverse=True):  # (stable: ties in place order)
            b = bound[i]
            if b < need or b <= top:
                break
            score(i, max(need, top))
            si = scores[i]
            if si is not None:
                top = max(top, si)
        if top < need:
            return None
        near = top - SPECIFIC_MARGIN
        if able is not None and near < need:
            # the others score under `need`: they count only if the near band reaches below it
            look([i for i in places if i not in able])
        # the chosen shape: the longest within SPECIFIC_MARGIN of the best (then the higher score,
        # then the earlier shape); the longest candidates first, until none could beat it
        chosen = -1
        key: tuple[int, float, int] | None = None
        for i in by_length:
            b = bound[i]
            if key is not None and len(norms[i]) < key[0]:
                break
            if scores[i] is None and floor[i] > near:  # not scored down to the near band yet
                if b < near or (key is not None and b < key[1]):
                    continue
                score(i, near)
            si = scores[i]
            if si is not None and si >= near:
                mine = (len(norms[i]), si, -i)
                if key is None or mine > key:
                    chosen, key = i, mine
        assert key is not None  # the best shape itself is near
        return Match(variants[chosen], top, anchored, key[1])

    def answering(self, matched: Result, text: str) -> tuple[Match | None, Variant | None]:
        """The shape that answers a paste: what match() found, else what its codes or the
        fallback's cues say (`unfamiliar`). A wrapper that any failure prints (a generic shape:
        Terragrunt's bucket prompt, "no valid credential sources") never hides an error that
        names itself by its AWS code inside it; then that code answers, as with no shape."""
        best = matched.best
        if best is None:
            return None, self.unfamiliar(text)
        if best.variant.generic:
            named = self.named_by_code(text)
            if named is not None and named.error_id != best.variant.error_id:
                return None, named
        return best, best.variant

    def unfamiliar(self, text: str) -> Variant | None:
        """When no known message matched: the answer a cue gives, else None.

        An error's cue (its code as AWS prints it) names that error even in a message the
        KB does not know; where several errors' cues are found, the one found last wins, as
        a tool prints the error that stopped it last. Only when no error's cue is found do
        the fallback's cues answer that the paste is plainly some credential failure. A veto
        found anywhere stops its error's cues."""
        named = self.named_by_code(text)
        if named is not None:
            return named
        lower = text.lower()
        fallback = self.fallback
        if fallback is not None and any(c.search(lower) for c in fallback.cues) \
                and not any(v.search(lower) for v in fallback.vetoes):
            return fallback.cue_variant
        return None

    def named_by_code(self, text: str) -> Variant | None:
        """The code-only shape of the error whose AWS code the paste prints last (its cue), or
        None: what a tool printed as the error that stopped it, whatever wording came with it."""
        lower = text.lower()
        best: tuple[int, Variant] | None = None
        for error, variant in self._cued:
            end = _last_cue(error, lower)
            if end is not None and (best is None or end > best[0]):
                best = (end, variant)
        return best[1] if best is not None else None

    def declined(self, text: str) -> Decline | None:
        """The look-alike the paste shows (kb/declines), which no credential error claims: a
        request that never reached AWS, or a thing AWS says does not exist. Not when the paste
        also carries the code of an error the KB knows by its code: then AWS did answer, and a
        TLS or network line elsewhere in it is not what failed."""
        if not self.declines:
            return None
        lower = text.lower()
        for decline in self.declines:
            if any(p.search(lower) for p in decline.patterns):
                if any(_last_cue(error, lower) is not None for error, _ in self._cued):
                    return None
                return decline
        return None

    def closest(self, text: str | Result, *, n: int = 3, exhaustive: bool = False,
                shortlist: int = SHORTLIST) -> list[tuple[str, float]]:
        """The n errors the KB knows that come nearest, for a not-recognised answer: each with its
        best shape's partial_ratio, best first. `text`: the paste, or what match() gave for it (its
        normalised text is then used, not made again). Only the `shortlist` likeliest shapes are
        scored (at most _ONE_ERROR of them one error's); `exhaustive`: every shape, the reference."""
        # only a pointer for a paste nothing matched: its tail, where tools print their
        # error, is enough, and keeps this linear in the paste (a 64 KiB log of noise
        # would otherwise be scored in full against every variant)
        hay = (text.text if isinstance(text, Result) else self._hay(text))[-_WINDOW_CHARS:]
        if exhaustive or n <= 0 or (len(hay) < _EXACT_BELOW and len(self.norm) <= _EXACT_SHAPES):
            out = []
            for eid, variants in self.by_error.items():
                s = max((fuzz.partial_ratio(self.norm[v.id], hay, processor=None) for v in variants), default=0.0)
                out.append((eid, round(s, 1)))
            out.sort(key=lambda x: -x[1])
            return out[:n]
        # the shortlist, by error, each error's shapes likeliest first
        picked: dict[str, list[str]] = {}
        each = max(1, int(shortlist * _ONE_ERROR))
        room = max(shortlist, n * each)
        for _, shape in self._shortlist.ranked(hay):
            eid, i = self._shapes[shape]
            norms = picked.setdefault(eid, [])
            norm = self.norm[self.by_error[eid][i].id]
            if len(norms) < each and norm not in norms:
                norms.append(norm)
                room -= 1
                if not room:
                    break
        # What the full scan of these shapes gives, scoring less. Each error's likeliest shape is
        # scored first, and the errors are then finished in the order those scores give, so the
        # n best so far rise early; a shape is scored only when its bound could still raise its
        # error's score into them.
        first = {eid: (fuzz.partial_ratio(norms[0], hay, processor=None), norms[1:]) for eid, norms in picked.items()}
        top: list[tuple[float, int, str]] = []  # (-rounded score, position, error) of finished errors, best first
        for eid in sorted(first, key=lambda e: (-first[e][0], self._position[e])):
            i = self._position[eid]
            best, rest = first[eid]
            for norm in rest:
                # the least score that could still matter: above the error's own best, and enough
                # to enter the n best (a tie goes to the earlier error, as the stable sort gives it)
                floor = 0.0
                if len(top) == n:
                    floor = -top[-1][0] + (0.04 if i > top[-1][1] else -0.06)
                bar = max(best, floor)
                if bar > 0.0 and hay and not reach(norm, hay, bar):
                    continue
                best = max(best, _partial(norm, hay, bar))
            key = (-round(best, 1), i, eid)
            if len(top) < n or key < top[-1]:
                top.append(key)
                top.sort()
                del top[n:]
        return [(eid, -neg) for neg, _, eid in top]


def _last_cue(error: ErrorCode, lower: str) -> int | None:
    """Where the last of `error`'s cues found in the lower-cased paste ends (None: none is, or a veto is)."""
    end = None
    for cue in error.cues:
        for m in cue.finditer(lower):
            end = m.end() if end is None else max(end, m.end())
    if end is None or any(v.search(lower) for v in error.vetoes):
        return None
    return end


def _partial(a: str, b: str, cutoff: float) -> float:
    """fuzz.partial_ratio(a, b, processor=None, score_cutoff=cutoff), for less when the shorter
    string is long.

    rapidfuzz scores the shorter string (length k) against every window of length k of the
    longer, searching their starts by halves, and then against every prefix and suffix
    shorter than k, one LCS each: that last part is most of the cost of a long string. With
    the longer string padded by k characters the shorter lacks, the prefixes and suffixes
    rapidfuzz tries are all padding (skipped at once) and the windows that reach into the
    padding score no more than the whole window they are part of: the padded call gives the
    best window of length k alone. The prefixes and suffixes are then only bounded
    (`_edges_reach`); when the bound cannot rule them out, the plain call is made.
    """
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    k = len(short)
    if k <= _SHORT or k == len(long) or "\0" in short:
        return fuzz.partial_ratio(a, b, processor=None, score_cutoff=cutoff)
    pad = "\0" * k
    window = fuzz.partial_ratio(short, pad + long + pad, processor=None, score_cutoff=cutoff)
    need = max(cutoff, window) / 100.0 - 1e-9
    if _edges_reach(short, long, need, suffix=False) or _edges_reach(short, long, need, suffix=True):
        return fuzz.partial_ratio(a, b, processor=None, score_cutoff=cutoff)
    return window


def reach(a: str, b: str, bar: float) -> bool:
    """False only if fuzz.partial_ratio(a, b) < bar for certain: an upper bound from the
    longest common subsequence (LCS) of the shorter string and a few pieces of the longer.

    partial_ratio is the best 200*LCS(s, w) / (len(s) + len(w)) of the shorter string s
    (length k) against the windows w of the longer that it tries: windows of length k, and
    prefixes and suffixes shorter than k. A window of length k lies inside one of the
    chunks [i*step, i*step + k + step - 1), so its score is at most that chunk's LCS / k;
    prefixes and suffixes are bounded by `_edges_reach`.
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
    if _edges_reach(a, b, need, suffix=False) or _edges_reach(a, b, need, suffix=True):
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


def _edges_reach(a: str, b: str, need: float, *, suffix: bool) -> bool:
    """False only if no prefix (suffix) of b shorter than a scores `need` (a fraction) against a.

    A prefix of length m scores 2 L(m) / (k + m) with L(m) = LCS(a, b[:m]), which never falls
    as m grows and rises by at most one a character. On (lo, hi] that puts L(m) under both
    L(hi) and L(lo) + m - lo, so no m there scores over 2 L(hi) / (k + m*) where the two meet
    at m*; an interval whose bound is under `need` is done, any other is halved. Prefixes too
    short to reach `need` even if all of them matched are never looked at.
    """
    k, h = len(a), len(b)
    # 2m / (k + m) < need for every m <= lo: not even a prefix matched in full would do
    lo = max(0, int(need * k / (2.0 - need)))
    while lo > 0 and 2 * lo / (k + lo) >= need:
        lo -= 1
    if lo >= k - 1:
        return False
    known: dict[int, int] = {}

    def common(m: int) -> int:
        if m not in known:
            known[m] = LCSseq.similarity(a, b[h - m:] if suffix else b[:m])
        return known[m]

    # (lo, L(lo) or None when only L(m) <= m is known there, hi)
    todo: list[tuple[int, int | None, int]] = [(lo, None, k - 1)]
    while todo:
        lo, at_lo, hi = todo.pop()
        at_hi = common(hi)
        meet = max(lo + 1, at_hi if at_lo is None else lo + at_hi - at_lo)
        if 2 * at_hi / (k + meet) < need:
            continue
        if hi - lo <= max(1, k // 32):
            return True  # a few lengths left: cheaper to score than to bound further
        mid = (lo + hi) // 2
        todo += [(lo, at_lo, mid), (mid, common(mid), hi)]
    return False
