"""Load the knowledge base once, check it strictly, and freeze it.

A broken file stops the start with the file, the entry and the field named:
the KB is never half-loaded. `check()` runs the same checks and returns every
problem (the `kb check` lint); `load()` raises on the first file with any.
"""
from __future__ import annotations

import hashlib
import importlib
import math
import os
import re
import time
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .. import config
from . import yamlread
from .commands import KIND_LABELS, fence_tag, looks_like, split_fence, unlabelled_fences
from .markdown import render_markdown
from .model import CODE_PATTERN, HINT_TYPES, ID_PATTERN, KB, STAGES, Cause, Decline, ErrorCode, Fix, Hint, KBError, Marker, Pattern, Problem, Variant
from .yamlread import YamlPath


class Reader:
    """Collects problems for one file, naming entry and field."""

    def __init__(self, rel: str, doc: yamlread.Located | None, problems: list[Problem]):
        self.rel = rel
        self.doc = doc
        self.problems = problems

    def bad(self, code: str, path: YamlPath, message: str) -> None:
        line = self.doc.line(*path) if self.doc else 1
        where = ".".join(str(p) for p in path)
        self.problems.append(Problem(code, self.rel, line, 1, f"{where}: {message}" if where else message))

    def text(self, obj: Any, path: YamlPath, required: bool = True) -> str:
        value = _get(obj, path[-1])
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.bad("KB004", path, "is required and must be non-empty text")
            return ""
        if not isinstance(value, str):
            self.bad("KB005", path, f"must be text, not {type(value).__name__}")
            return ""
        return value

    def mapping(self, obj: Any, path: YamlPath, required: bool = True) -> dict[Any, Any]:
        value = _get(obj, path[-1])
        if value is None:
            if required:
                self.bad("KB004", path, "is required (a mapping)")
            return {}
        if not isinstance(value, dict):
            self.bad("KB005", path, f"must be a mapping, not {type(value).__name__}")
            return {}
        return value

    def seq(self, obj: Any, path: YamlPath, required: bool = True) -> list[Any]:
        value = _get(obj, path[-1])
        if value is None:
            if required:
                self.bad("KB004", path, "is required (a list)")
            return []
        if not isinstance(value, list):
            self.bad("KB005", path, f"must be a list, not {type(value).__name__}")
            return []
        return value

    def number(self, value: Any, path: YamlPath, *, low: float = 0.0, high: float = math.inf, sourced: bool = True) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.bad("KB006", path, f"must be a number, not {value!r}")
            return 1.0
        if not (low <= value <= high) or math.isnan(value):
            self.bad("KB007", path, f"{value} is out of range [{low}, {high}]")
        if sourced and self.doc and not self.doc.comment(*path):
            self.bad("KB010", path, "a number needs a trailing '# comment' naming its source")
        return float(value)

    def only(self, obj: Any, path: YamlPath, allowed: set[str]) -> None:
        if isinstance(obj, dict):
            for key in obj:
                if key not in allowed:
                    self.bad("KB008", path + (key,), f"unknown field; allowed: {', '.join(sorted(allowed))}")


def _get(obj: Any, key: Any) -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def value_key(k: Any) -> str:
    return str(k).lower() if isinstance(k, bool) else str(k)


def read_file(path: Path, root: Path, problems: list[Problem]) -> tuple[yamlread.Located | None, Reader]:
    rel = str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem("KB001", rel, 1, 1, f"cannot be read as UTF-8 text: {exc}"))
        return None, Reader(rel, None, problems)
    doc, found = yamlread.load(raw, rel)
    problems.extend(found)
    reader = Reader(rel, doc, problems)
    if doc is not None and not isinstance(doc.data, dict):
        reader.bad("KB005", (), "the file must be a mapping at the top level")
        return None, reader
    return doc, reader


def _load_cause_ids(root: Path, problems: list[Problem]) -> tuple[str, ...]:
    doc, r = read_file(root / "cause-ids.yaml", root, problems)
    if doc is None:
        return ()
    ids = r.seq(doc.data, ("ids",))
    for i, cid in enumerate(ids):
        if not isinstance(cid, str) or not ID_PATTERN.match(cid):
            r.bad("KB009", ("ids", i), f"{cid!r} is not a cause id (lower-case words joined by '-')")
    return tuple(x for x in ids if isinstance(x, str))


def _load_hints(root: Path, problems: list[Problem], cause_ids: tuple[str, ...] = ()) -> dict[str, Hint]:
    doc, r = read_file(root / "hints.yaml", root, problems)
    if doc is None:
        return {}
    hints = {}
    for key, spec in doc.data.items():
        p = (key,)
        if not isinstance(spec, dict):
            r.bad("KB005", p, "must be a mapping")
            continue
        r.only(spec, p, {"type", "values", "base", "groups", "question", "opt_in", "buckets", "threshold", "why",
                         "shown", "offers", "hit", "false_hit", "miss", "misreport",
                         "label", "help", "up_front"})
        # the signs kind models its own misreads (hit, false_hit, miss); others say how often they are misreported
        misreport = r.number(spec["misreport"], p + ("misreport",), low=0.001, high=0.5) if "misreport" in spec else 0.05
        wording = _wording(r, spec, p)
        htype = spec.get("type")
        if htype not in HINT_TYPES:
            r.bad("KB011", p + ("type",), f"must be one of {', '.join(HINT_TYPES)}")
            continue
        if htype == "signs":
            q = r.mapping(spec, p + ("question",))
            hints[key] = Hint(
                key=key, type=htype, values=tuple(cause_ids), base=MappingProxyType({}), groups=MappingProxyType({}),
                question_text=r.text(q, p + ("question", "text")), question_how=str(q.get("how") or ""), options=(),
                labels=MappingProxyType({}), misreport=misreport, **wording,
                shown=int(r.number(spec.get("shown", 3), p + ("shown",), low=2, high=6)),
                offers=int(r.number(spec.get("offers", 1), p + ("offers",), low=1, high=3)),
                hit=r.number(spec.get("hit", 0.85), p + ("hit",), low=0.01, high=0.99),
                false_hit=r.number(spec.get("false_hit", 0.05), p + ("false_hit",), low=0.001, high=0.5),
                miss=r.number(spec.get("miss", 0.1), p + ("miss",), low=0.001, high=0.99))
            continue
        values = ("true", "false") if htype == "bool" else tuple(value_key(v) for v in (spec.get("values") or []))
        if not values:
            r.bad("KB004", p + ("values",), "is required")
        base_raw = r.mapping(spec, p + ("base",))
        base = {}
        for v, w in base_raw.items():
            vk = value_key(v)
            if vk not in values:
                r.bad("KB012", p + ("base", v), f"'{vk}' is not one of the values {list(values)}")
            base[vk] = r.number(w, p + ("base", v), low=0.0, high=1.0)
        missing = [v for v in values if v not in base]
        if missing:
            r.bad("KB012", p + ("base",), f"needs a base rate for {missing}")
        total = sum(base.values())
        if base and abs(total - 1.0) > 0.02:
            r.bad("KB013", p + ("base",), f"base rates add up to {total:.3f}, not 1")
        base = {v: w / total for v, w in base.items()} if total else base
        groups = {}
        for g, members in (spec.get("groups") or {}).items():
            members = [value_key(m) for m in members or []]
            for m in members:
                if m not in values:
                    r.bad("KB012", p + ("groups", g), f"'{m}' is not one of the values")
            groups[g] = tuple(members)
        q = r.mapping(spec, p + ("question",))
        qtext = r.text(q, p + ("question", "text"))
        options = q.get("options")
        if options is None:
            options = [True if v == "true" else False if v == "false" else v for v in values]
        labels = {value_key(k): str(v) for k, v in (q.get("labels") or {}).items()}
        buckets = tuple((b.get("name"), b.get("below")) for b in spec.get("buckets") or [])
        hints[key] = Hint(
            key=key, type=htype, values=values, base=MappingProxyType(base),
            groups=MappingProxyType(groups), question_text=qtext, question_how=str(q.get("how") or ""),
            options=tuple(options), labels=MappingProxyType(labels),
            opt_in=frozenset(spec.get("opt_in") or ()), buckets=buckets,
            threshold=float(spec.get("threshold") or 300), why=MappingProxyType(_answer_whys(r, spec, p, values)),
            misreport=misreport,
            **wording,
        )
    return hints


def _wording(r: Reader, spec: dict[str, Any], p: YamlPath) -> dict[str, Any]:
    """What a person reads for a hint where no question is asked (the page's form, a summary
    line): required of every hint, so no door falls back to the raw key name."""
    up_front = spec.get("up_front", False)
    if not isinstance(up_front, bool):
        r.bad("KB005", p + ("up_front",), f"must be true or false, not {up_front!r}")
    return {"label": r.text(spec, p + ("label",)), "help": r.text(spec, p + ("help",)), "up_front": up_front is True}


def _answer_whys(r: Reader, spec: dict[str, Any], p: YamlPath, values: tuple[str, ...]) -> dict[str, str]:
    """A hint's `why`: one sentence per answer value, since one sentence for all of them
    reads wrong for every answer it was not written for (KB041)."""
    raw = spec.get("why")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        r.bad("KB041", p + ("why",), "must give one sentence per answer value (a mapping of value to sentence), "
                                     "so that no answer gets a reason written for another")
        return {}
    out = {}
    for v, text in raw.items():
        vk = value_key(v)
        if vk not in values:
            r.bad("KB012", p + ("why", v), f"'{vk}' is not one of the values {list(values)}")
        elif not isinstance(text, str) or not text.strip():
            r.bad("KB041", p + ("why", v), "must be a sentence")
        else:
            out[vk] = text.strip()
    missing = [v for v in values if v not in out]
    if missing and out:
        r.bad("KB041", p + ("why",), f"needs a sentence for {missing} too")
    return out


# --- marker patterns that can backtrack catastrophically (KB039) -------------
#
# Markers run on every paste, up to 64 KiB of it, in the request's worker: one
# pattern that backtracks exponentially ((a+)+$ on "aaaa...!") stops a worker.
# Two checks. The static one reads Python's own parse of the pattern (re's
# internal parser, re._parser, what re.compile uses) and refuses, under a
# quantifier that can repeat (max > 1): another such quantifier (nested
# quantifiers, (a+)+, (\w+\s?)*), or an alternation whose branches can start
# with the same character or be empty ((a|ab)+, (\w|\d)*). It is stricter
# than needed (a separator between nested repeats makes them safe) and the KB
# has none today. The runtime probe (kb check only, not every start) runs each
# pattern on adversarial texts growing to 32 KB and refuses one that takes
# more than a few milliseconds: what the static rule misses, such as a
# quadratic \s*\s*x on long blank runs.

_parser: Any = importlib.import_module("re._parser")
_compiler: Any = importlib.import_module("re._compiler")
# the characters a first-character set is computed over: ASCII, Latin-1 and a few beyond
_UNIVERSE = [chr(c) for c in range(256)] + ["\u0416", "\u4e2d", "\u2028", "\U0001f600"]
_REPEATS = (_parser.MAX_REPEAT, _parser.MIN_REPEAT, getattr(_parser, "POSSESSIVE_REPEAT", None))
PROBE_SIZES = (8, 16, 24, 32, 64, 256, 1024, 4096, 16384, 32768)
PROBE_BUDGET = 0.010  # seconds for one search; linear patterns take well under 1 ms at 32 KB
_PROBE_UNITS = ("a", " ", "\n", "0", "x-", "a_", "a.", "a/", "a=", '"', "\t ", "aws_", "tf_token_", 'token = "x"\n', "\x1b[0m")


def _first_chars(items: list[Any], flags: int) -> tuple[set[str], bool]:
    """The characters a sequence of parsed items can start with, and whether it can match empty."""
    out: set[str] = set()
    for op, av in items:
        if op in (_parser.AT, _parser.ASSERT, _parser.ASSERT_NOT):
            continue  # zero-width
        if op == _parser.SUBPATTERN:
            chars, empty = _first_chars(av[-1], flags)
        elif op == _parser.BRANCH:
            chars, empty = set(), False
            for branch in av[1]:
                c, e = _first_chars(branch, flags)
                chars |= c
                empty = empty or e
        elif op in _REPEATS:
            chars, empty = _first_chars(av[2], flags)
            empty = empty or av[0] == 0
        elif op in (_parser.LITERAL, _parser.NOT_LITERAL, _parser.IN, _parser.ANY, _parser.CATEGORY):
            one = _compiler.compile(_parser.SubPattern(_parser.State(), [(op, av)]), flags)
            chars, empty = {ch for ch in _UNIVERSE if one.match(ch)}, False
        else:  # a back-reference or anything unforeseen: it may start with anything
            chars, empty = set(_UNIVERSE), False
        out |= chars
        if not empty:
            return out, False
    return out, True


def _backtrack_hazard(items: list[Any], flags: int, repeated: bool = False) -> str | None:
    """Why the parsed pattern can backtrack catastrophically, or None."""
    for op, av in items:
        if op in _REPEATS:
            grows = av[1] == _parser.MAXREPEAT or av[1] > 1
            if grows and repeated:
                return "a quantifier inside a quantified group (nested quantifiers, like (a+)+)"
            found = _backtrack_hazard(av[2], flags, repeated or grows)
        elif op == _parser.SUBPATTERN:
            found = _backtrack_hazard(av[-1], flags, repeated)
        elif op == _parser.BRANCH:
            if repeated:
                seen: set[str] = set()
                for branch in av[1]:
                    chars, empty = _first_chars(branch, flags)
                    if empty or chars & seen:
                        return "an alternation under a quantifier whose branches can match the same text (like (a|ab)+)"
                    seen |= chars
            found = next((h for b in av[1] if (h := _backtrack_hazard(b, flags, repeated))), None)
        elif op in (_parser.ASSERT, _parser.ASSERT_NOT):
            found = _backtrack_hazard(av[1], flags, repeated)
        else:
            found = None
        if found:
            return found
    return None


def backtrack_hazard(pattern: str) -> str | None:
    """The static check: why `pattern` can backtrack catastrophically, or None."""
    parsed = _parser.parse(pattern)
    return _backtrack_hazard(list(parsed), int(parsed.state.flags))


def probe_texts(pattern: str) -> list[str]:
    """Repeating units to grow adversarial texts from: common shapes plus the pattern's own characters."""
    own = sorted({ch for ch in re.sub(r"\\.", "", pattern) if ch.isprintable() and ch not in "()[]{}?*+|^$\\"})
    return list(_PROBE_UNITS) + own[:12]


def slow_probe(compiled: re.Pattern[str], budget: float = PROBE_BUDGET) -> str | None:
    """The runtime probe: the first adversarial text `compiled.search` takes over `budget` seconds on, or None.

    Texts grow from 8 characters to 32 KB and the probe stops at the first slow
    one, so an exponential pattern is caught at a few dozen characters instead
    of hanging the check.
    """
    for unit in probe_texts(compiled.pattern):
        for size in PROBE_SIZES:
            text = (unit * (size // len(unit) + 1))[:size] + "!"
            best = math.inf
            for _ in range(3):  # the best of three: a busy machine must not fail a sound pattern
                t0 = time.perf_counter()
                compiled.search(text)
                best = min(best, time.perf_counter() - t0)
                if best <= budget:
                    break
            if best > budget:
                return f"{best * 1000:.0f} ms on {size:,} characters of {unit!r} repeated"
    return None


def _patterns(r: Reader, raw: list[Any], p: YamlPath, probe: bool, *, whole: bool = False) -> list[Pattern]:
    """Regexes matched against the lower-cased paste (markers, cues, declines), each checked.
    `whole`: they run over a whole paste or its error lines, so they must start with a literal."""
    compiled = []
    for i, pat in enumerate(raw):
        # re finds a leading literal fast, and tries a leading \b at every position (14 times slower on a long log)
        if whole and isinstance(pat, str) and pat.startswith("\\b"):
            r.bad("KB045", p + (i,), "starts with \\b: start it with its literal text (a code's first letter), "
                                     "which re looks for fast; put a boundary after it if one is needed")
        # matched against the lower-cased paste without re.I, five times faster
        # on long CI logs; so the pattern's own letters must be lower case
        letters = re.sub(r"\\.", "", str(pat))
        if letters != letters.lower():
            r.bad("KB033", p + (i,), "must be written in lower case (escapes like \\S aside): it is matched against the lower-cased paste")
            continue
        try:
            rx = re.compile(str(pat))
        except re.error as exc:
            r.bad("KB014", p + (i,), f"is not a valid regex: {exc}")
            continue
        hazard = backtrack_hazard(str(pat))
        slow = None if hazard or not probe else slow_probe(rx)
        if hazard or slow:
            r.bad("KB039", p + (i,), f"can backtrack catastrophically: {hazard or 'too slow, ' + str(slow)}; "
                                     "rewrite it without nested or overlapping repeats")
            continue
        compiled.append(Pattern.of(rx))
    return compiled


def _load_markers(root: Path, problems: list[Problem], probe: bool = False) -> dict[str, Marker]:
    doc, r = read_file(root / "markers.yaml", root, problems)
    if doc is None:
        return {}
    out = {}
    for name, spec in doc.data.items():
        p = (name,)
        if not isinstance(spec, dict):
            r.bad("KB005", p, "must be a mapping")
            continue
        r.only(spec, p, {"description", "patterns", "sets"})
        r.text(spec, p + ("description",))
        compiled = _patterns(r, r.seq(spec, p + ("patterns",)), p + ("patterns",), probe)
        sets = {k: v for k, v in (spec.get("sets") or {}).items()}
        out[name] = Marker(name, str(spec.get("description") or ""), tuple(compiled), MappingProxyType(sets))
    return out


def _load_declines(root: Path, problems: list[Problem], probe: bool = False) -> dict[str, Decline]:
    """kb/declines/<id>.yaml, one look-alike a file; a KB without the folder declines nothing."""
    out = {}
    for path in sorted((root / "declines").glob("*.yaml")):
        doc, r = read_file(path, root, problems)
        if doc is None:
            continue
        d = doc.data
        r.only(d, (), {"id", "title", "summary", "patterns", "fixes", "examples"})
        did = r.text(d, ("id",))
        if did and did != path.stem:
            r.bad("KB017", ("id",), f"'{did}' must equal the file name '{path.stem}'")
        elif did and not ID_PATTERN.match(did):
            r.bad("KB009", ("id",), "a decline id is lower-case words joined by '-'")
        title = r.text(d, ("title",))
        summary = r.text(d, ("summary",))
        raw_patterns = r.seq(d, ("patterns",))
        if isinstance(d.get("patterns"), list) and not raw_patterns:
            r.bad("KB004", ("patterns",), "needs at least one pattern, or the decline never applies")
        patterns = _patterns(r, raw_patterns, ("patterns",), probe, whole=True)
        fixes = _load_fixes(r, d, ("fixes",))
        if not fixes and "fixes" not in d:
            r.bad("KB015", ("fixes",), "needs at least one fix")
        examples = r.seq(d, ("examples",))
        if not examples:
            r.bad("KB022", ("examples",), "needs at least one real paste it declines")
        for i, x in enumerate(examples):
            if not isinstance(x, str) or not x.strip():
                r.bad("KB005", ("examples", i), "must be non-empty text")
        if did:
            out[did] = Decline(did, title, summary, render_markdown(summary), tuple(patterns), fixes,
                               tuple(x for x in examples if isinstance(x, str)))
    return out


def _load_fixes(r: Reader, data: Any, p: YamlPath) -> tuple[Fix, ...]:
    fixes = []
    raw = r.seq(data, p)
    if isinstance(data, dict) and "fixes" in data and not raw:
        r.bad("KB015", p, "needs at least one fix")
    for i, f in enumerate(raw):
        fp = p + (i,)
        if not isinstance(f, dict):
            r.bad("KB005", fp, "must be a mapping with title, detail, commands")
            continue
        r.only(f, fp, {"title", "detail", "commands"})
        title = r.text(f, fp + ("title",))
        detail = r.text(f, fp + ("detail",))
        cmds = r.seq(f, fp + ("commands",))
        if not cmds:
            r.bad("KB015", fp + ("commands",), "needs at least one command a person can paste")
        if unlabelled_fences(detail):
            r.bad("KB043", fp + ("detail",), "every ``` code block needs a language (```sh, ```hcl, ```ini ...)")
        texts, kinds = [], []
        for j, c in enumerate(cmds):
            if not isinstance(c, str) or not c.strip():
                r.bad("KB015", fp + ("commands", j), "must be non-empty text")
            kind, text, problem = split_fence(str(c))
            if problem:
                r.bad("KB043", fp + ("commands", j), problem)
            elif kind == "shell" and not str(c).lstrip().startswith("```") and (seen := looks_like(text)):
                r.bad("KB044", fp + ("commands", j),
                      f"reads as {KIND_LABELS[seen]}, not shell: fence it as ```{fence_tag(seen)} ... ``` so no door shows it as a shell command")
            texts.append(text)
            kinds.append(kind)
        fixes.append(Fix(title, detail, render_markdown(detail), tuple(texts), tuple(kinds)))
    return tuple(fixes)


def _ratio_table(r: Reader, raw: Any, p: YamlPath, hints: dict[str, Hint]) -> dict[str, Mapping[str, float]]:
    out: dict[str, Mapping[str, float]] = {}
    for feat, table in (raw or {}).items():
        fp = p + (feat,)
        hint = hints.get(feat)
        if hint is None:
            r.bad("KB016", fp, f"'{feat}' is not a hint in hints.yaml")
            continue
        if not isinstance(table, dict):
            r.bad("KB005", fp, "must map feature values to likelihood ratios")
            continue
        row = {}
        for v, w in table.items():
            vk = value_key(v)
            if vk not in hint.values and vk not in hint.groups:
                allowed = list(hint.values) + list(hint.groups)
                r.bad("KB012", fp + (v,), f"'{vk}' is not a value of {feat}: {allowed}")
                continue
            row[vk] = r.number(w, fp + (v,), low=0.001, high=100.0)
        out[feat] = MappingProxyType(row)
    return out


def _likelihoods(evidence: Mapping[str, Mapping[str, float]], hints: dict[str, Hint]) -> dict[str, Mapping[str, float]]:
    """P(value | cause) from the ratios: base rate x ratio, renormalised."""
    out: dict[str, Mapping[str, float]] = {}
    for key, hint in hints.items():
        if hint.type == "signs":
            continue  # its likelihood depends on which signs were offered: its kind computes it
        row = evidence.get(key, {})
        weights = {}
        for v in hint.values:
            ratio = row.get(v)
            if ratio is None:
                ratio = next((row[g] for g, members in hint.groups.items() if g in row and v in members), 1.0)
            weights[v] = hint.base[v] * ratio
        total = sum(weights.values()) or 1.0
        out[key] = MappingProxyType({v: w / total for v, w in weights.items()})
    return out


def _load_cause(path: Path, root: Path, hints: dict[str, Hint], markers: dict[str, Marker],
                problems: list[Problem]) -> Cause | None:
    doc, r = read_file(path, root, problems)
    if doc is None:
        return None
    d = doc.data
    r.only(d, (), {"id", "title", "sign", "summary", "evidence", "markers", "why", "fixes", "docs"})
    cid = r.text(d, ("id",))
    if cid and cid != path.stem:
        r.bad("KB017", ("id",), f"'{cid}' must equal the file name '{path.stem}'")
    title = r.text(d, ("title",))
    sign = r.text(d, ("sign",))
    summary = r.text(d, ("summary",))
    evidence = _ratio_table(r, r.mapping(d, ("evidence",), required=False), ("evidence",), hints)
    mk = {}
    for name, w in r.mapping(d, ("markers",), required=False).items():
        if name not in markers:
            r.bad("KB016", ("markers", name), f"'{name}' is not a marker in markers.yaml")
            continue
        mk[name] = r.number(w, ("markers", name), low=0.001, high=100.0)
    why = {}
    for k, v in r.mapping(d, ("why",), required=False).items():
        k = str(k)
        if k not in hints and k not in markers:
            r.bad("KB016", ("why", k), f"'{k}' is neither a hint nor a marker")
        elif isinstance(v, dict) and k in hints:
            # one sentence per answer, kept as "hint=value"
            for value, text in v.items():
                vk = value_key(value)
                if vk not in hints[k].values:
                    r.bad("KB012", ("why", k, value), f"'{vk}' is not one of the values of hint '{k}'")
                why[f"{k}={vk}"] = str(text)
        else:
            why[k] = str(v)
    fixes = _load_fixes(r, d, ("fixes",))
    if not fixes and "fixes" not in d:
        r.bad("KB015", ("fixes",), "needs at least one fix")
    docs = []
    for i, url in enumerate(r.seq(d, ("docs",), required=False)):
        if not isinstance(url, str) or not url.startswith("https://"):
            r.bad("KB018", ("docs", i), "must be an https:// link")
        else:
            docs.append(url)
    return Cause(
        id=cid, title=title, summary=summary, summary_html=render_markdown(summary),
        evidence=MappingProxyType(evidence), markers=MappingProxyType(mk), why=MappingProxyType(why),
        fixes=fixes, docs=tuple(docs), sign=sign,
        likelihood=MappingProxyType(_likelihoods(evidence, hints)),
    )


def _priors(r: Reader, raw: Any, p: YamlPath, cause_ids: tuple[str, ...]) -> tuple[dict[str, float], dict[str, str]]:
    priors, sources = {}, {}
    for cid, w in (raw or {}).items():
        if cid not in cause_ids:
            r.bad("KB019", p + (cid,), f"'{cid}' is not a cause id in cause-ids.yaml")
            continue
        priors[cid] = r.number(w, p + (cid,), low=0.0001, high=1.0)
        sources[cid] = r.doc.comment(*p, cid) if r.doc else ""
    return priors, sources


def _load_error(path: Path, root: Path, hints: dict[str, Hint], markers: Mapping[str, Marker], cause_ids: tuple[str, ...],
                problems: list[Problem], probe: bool = False) -> ErrorCode | None:
    doc, r = read_file(path, root, problems)
    if doc is None:
        return None
    d = doc.data
    r.only(d, (), {"id", "title", "http_status", "summary", "anchors", "variants", "priors", "estimates", "not_examples",
                   "fallback", "cues", "vetoes", "implied_markers"})
    fallback = d.get("fallback", False) is True
    cues = _patterns(r, r.seq(d, ("cues",), required=fallback), ("cues",), probe, whole=True) if "cues" in d or fallback else []
    vetoes = _patterns(r, r.seq(d, ("vetoes",)), ("vetoes",), probe, whole=True) if "vetoes" in d else []
    if "vetoes" in d and "cues" not in d:
        r.bad("KB040", ("vetoes",), "vetoes only stop cues, and this error has none")
    eid = r.text(d, ("id",))
    if eid and eid != path.stem:
        r.bad("KB017", ("id",), f"'{eid}' must equal the file name '{path.stem}'")
    if eid and not CODE_PATTERN.match(eid):
        r.bad("KB009", ("id",), "an error id is the code as AWS prints it (letters and digits)")
    anchors = []
    for i, a in enumerate(r.seq(d, ("anchors",), required=not fallback)):
        # an anchor is one distinctive text, or a list of texts that must all be present
        # (a generic wrapper such as "Error acquiring the state lock" only with "AccessDenied")
        parts = a if isinstance(a, list) else [a]
        group = tuple(str(x) for x in parts if isinstance(x, str))
        if len(group) != len(parts) or not group:
            r.bad("KB020", ("anchors", i), "an anchor is text, or a list of texts that must all be present")
        elif max(len(x.strip()) for x in group) < 6:
            r.bad("KB020", ("anchors", i), "an anchor must hold distinctive text of 6 characters or more")
        else:
            anchors.append(group)
    priors, sources = _priors(r, r.mapping(d, ("priors",)), ("priors",), cause_ids)
    estimates, _ = _priors(r, r.mapping(d, ("estimates",), required=False), ("estimates",), cause_ids)
    if not priors:
        r.bad("KB021", ("priors",), "an error needs at least one cause")
    variants = []
    for i, v in enumerate(r.seq(d, ("variants",))):
        vp = ("variants", i)
        if not isinstance(v, dict):
            r.bad("KB005", vp, "must be a mapping")
            continue
        r.only(v, vp, {"id", "stage", "versions", "text", "examples", "generic", "priors", "implies", "by_cue"})
        vid = r.text(v, vp + ("id",))
        if vid and not ID_PATTERN.match(vid):
            r.bad("KB009", vp + ("id",), "a variant id is lower-case words joined by '-'")
        stage = v.get("stage")
        if stage not in STAGES:
            r.bad("KB011", vp + ("stage",), f"must be one of {', '.join(STAGES)}")
        text = r.text(v, vp + ("text",))
        examples = [e for e in r.seq(v, vp + ("examples",)) if isinstance(e, str)]
        if not examples:
            r.bad("KB022", vp + ("examples",), "needs at least one real example text")
        vpri, vsrc = _priors(r, v.get("priors"), vp + ("priors",), cause_ids)
        implies = {}
        for hk, hv in (v.get("implies") or {}).items():
            if hk not in hints:
                r.bad("KB016", vp + ("implies", hk), f"'{hk}' is not a hint")
            else:
                implies[hk] = hv
        variants.append(Variant(
            id=vid, error_id=eid, stage=stage if stage in STAGES else "unknown",
            versions=str(v.get("versions") or ""), text=text,
            examples=tuple(examples), generic=bool(v.get("generic", False)),
            priors=MappingProxyType(vpri), prior_sources=MappingProxyType(vsrc),
            implies=MappingProxyType(implies), by_cue=v.get("by_cue") is True))
    if not variants:
        r.bad("KB022", ("variants",), "an error needs at least one variant")
    by_cue = [i for i, v in enumerate(variants) if v.by_cue]
    if not fallback and cues and len(by_cue) != 1:
        r.bad("KB040", ("cues",), "an error answered from cues needs exactly one variant marked by_cue: true "
                                  f"(the answer they give), not {len(by_cue)}")
    if by_cue and (fallback or not cues):
        r.bad("KB040", ("variants", by_cue[0], "by_cue"),
              "only an error with cues, other than the fallback, has a variant answered from them")
    if not fallback and cues and len(by_cue) == len(variants):
        r.bad("KB022", ("variants",), "an error needs a variant matched by its text, besides the one its cues answer")
    implied = []
    for i, name in enumerate(r.seq(d, ("implied_markers",)) if "implied_markers" in d else []):
        if not isinstance(name, str) or name not in markers:
            r.bad("KB016", ("implied_markers", i), f"'{name}' is not a marker in markers.yaml")
        else:
            implied.append(name)
    summary = r.text(d, ("summary",))
    status = d.get("http_status")
    return ErrorCode(
        id=eid, title=r.text(d, ("title",)), http_status=status if isinstance(status, int) else None,
        summary=summary, summary_html=render_markdown(summary), anchors=tuple(anchors),
        variants=tuple(variants), priors=MappingProxyType(priors), prior_sources=MappingProxyType(sources),
        estimates=MappingProxyType(estimates),
        not_examples=tuple(x for x in d.get("not_examples") or [] if isinstance(x, str)),
        fallback=fallback, cues=tuple(cues), vetoes=tuple(vetoes), implied_markers=frozenset(implied))


def _build(path: str | os.PathLike[str], probe: bool = False) -> tuple[KB | None, list[Problem]]:
    root = Path(path).resolve()
    problems: list[Problem] = []
    if not (root / "hints.yaml").is_file():
        return None, [Problem("KB000", str(root), 1, 1, "no knowledge base here (hints.yaml missing)")]
    cause_ids = _load_cause_ids(root, problems)
    hints = _load_hints(root, problems, cause_ids)
    if not hints:
        # every cause and error names hints: without them the rest would only echo this problem
        return None, problems
    markers = _load_markers(root, problems, probe)
    declines = _load_declines(root, problems, probe)
    for mname, m in markers.items():
        for hk in m.sets:
            if hk not in hints:
                problems.append(Problem("KB016", "kb/markers.yaml", 1, 1, f"{mname}.sets: '{hk}' is not a hint"))
    causes = {}
    for f in sorted((root / "causes").glob("*.yaml")):
        c = _load_cause(f, root, hints, markers, problems)
        if c and c.id:
            causes[c.id] = c
    errors = {}
    seen_variants: dict[str, str] = {}
    for f in sorted((root / "errors").glob("*.yaml")):
        e = _load_error(f, root, hints, markers, cause_ids, problems, probe)
        if not e:
            continue
        for v in e.variants:
            if v.id in seen_variants:
                problems.append(Problem("KB023", f"kb/errors/{f.name}", 1, 1,
                                        f"variant id '{v.id}' is used again (also in {seen_variants[v.id]})"))
            seen_variants[v.id] = f.name
        errors[e.id] = e
    for cid in cause_ids:
        if cid not in causes:
            problems.append(Problem("KB024", "kb/causes", 1, 1, f"cause id '{cid}' has no file causes/{cid}.yaml"))
    for cid in causes:
        if cid not in cause_ids:
            problems.append(Problem("KB019", f"kb/causes/{cid}.yaml", 1, 1, f"'{cid}' is not in cause-ids.yaml"))
    used = {cid for e in errors.values() for cid in list(e.priors) + [c for v in e.variants for c in v.priors]}
    for cid in causes:
        if cid not in used:
            problems.append(Problem("KB026", f"kb/causes/{cid}.yaml", 1, 1,
                                    f"no error names '{cid}' in its priors, so it can never be ranked; add it where it occurs"))
    for e in errors.values():
        for cid in list(e.priors) + [c for v in e.variants for c in v.priors]:
            if cid in cause_ids and cid not in causes:
                problems.append(Problem("KB024", f"kb/errors/{e.id}.yaml", 1, 1, f"prior for '{cid}', which has no cause file"))
    if problems:
        return None, problems
    digest = hashlib.sha256()
    for f in sorted(root.rglob("*.yaml")):
        digest.update(f.relative_to(root).as_posix().encode())
        digest.update(f.read_bytes())
    kb = KB(
        path=str(root), version=digest.hexdigest()[:12],
        errors=MappingProxyType(errors), causes=MappingProxyType(causes), hints=MappingProxyType(hints),
        markers=MappingProxyType(markers), cause_ids=cause_ids,
        variants=tuple(v for e in errors.values() for v in e.variants), declines=MappingProxyType(declines))
    return kb, []


def check(path: str | os.PathLike[str] | None = None) -> list[Problem]:
    """Every problem in the KB (empty list: it is sound), with the marker patterns timed too."""
    _, problems = _build(path or config.kb_path(), probe=True)
    return problems


def load(path: str | os.PathLike[str] | None = None) -> KB:
    kb, problems = _build(path or config.kb_path())
    if kb is None or problems:
        raise KBError(problems)
    return kb
