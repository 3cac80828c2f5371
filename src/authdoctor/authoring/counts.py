"""Evidence weights counted from real reports instead of estimated.

kb/reports/<cause>.yaml lists real threads in which the cause was confirmed, each
with what the thread says of the hints in RECORDED (where the failing command ran,
how it got its credentials, whether a session token was set). Counting them gives
P(value | cause); the same count over all causes gives the base rate it is
measured against, so the search's own slant (GitHub issues over-represent GitHub
Actions, say) cancels.

A cause with a handful of threads should not swing the ranking on them alone:
the base rate counts as PSEUDO threads of its own (a Dirichlet prior), so
P(value | cause) = (threads with it + PSEUDO * base) / (threads + PSEUDO).

`kb check` recomputes every counted weight (KB035) and the base rates (KB036),
so the numbers in the cause files cannot drift from the threads behind them;
`python -m authdoctor kb counts` prints the rows to paste.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..knowledge import KB, Problem, yamlread
from ..knowledge.loader import read_file, value_key

# What each thread records, and what of it is counted into weights. auth_method is not: the
# threads name the credentials the failing call used, while people answer the question with the
# way they meant to provide them (a leftover export is still "a profile" to them), so the counts
# would measure another thing than the answers they weigh. has_session_token is not either: too
# few threads say (docs/accuracy.md has what counting either did to the labelled sets).
RECORDED = ("runner", "auth_method", "has_session_token")
# Besides the hints, each thread names the error its message is (a kb/errors id, or UNKNOWN when the
# thread quotes none), so causes can be counted per error; `paste` keeps the message as the thread quotes it.
DESCRIBED = ("url", "error", "paste", "tool", "where", "confirmed", "how")
COUNTED = ("runner",)
PSEUDO = 4.0
# a value (or group) needs this many threads over all causes before any cause's weight for it is counted
MIN_POOLED = 20
UNKNOWN = "unknown"
# a counted row may differ from the recomputed one by its rounding only
TOLERANCE = 0.011


@dataclass(frozen=True)
class Report:
    url: str
    facts: dict  # hint -> value, or UNKNOWN when the thread does not say
    error: str = UNKNOWN  # the kb/errors id of the message the thread shows
    text: str = ""  # the error as the thread quotes it (paste, else how), for scoring the thread as a case


@dataclass(frozen=True)
class Counted:
    cause: str
    hint: str
    file: str
    counts: Counter  # counted cell -> threads with it (unknown and uncounted cells left out)
    unknown: int  # threads that do not say
    ratios: dict  # cell -> likelihood ratio against the pooled base

    @property
    def known(self) -> int:
        return sum(self.counts.values())


def cell_of(kb: KB, hint: str, value: str) -> str:
    """A value's cell: its group ("ci", "remote-platform") or the value itself."""
    groups = kb.hints[hint].groups
    return next((g for g, members in groups.items() if value in members), value)


def cells(kb: KB, hint: str) -> list[str]:
    h = kb.hints[hint]
    grouped = {v for members in h.groups.values() for v in members}
    return [v for v in h.values if v not in grouped] + list(h.groups)


def load_reports(kb: KB) -> tuple[dict[str, list[Report]], list[Problem]]:
    root = Path(kb.path)
    problems: list[Problem] = []
    out: dict[str, list[Report]] = {}
    for path in sorted((root / "reports").glob("*.yaml")):
        doc, r = read_file(path, root, problems)
        if doc is None:
            continue
        d = doc.data
        r.only(d, (), {"cause", "threads"})
        cid = r.text(d, ("cause",))
        if cid and cid != path.stem:
            r.bad("KB017", ("cause",), f"'{cid}' must equal the file name '{path.stem}'")
        if cid and cid not in kb.causes:
            r.bad("KB019", ("cause",), f"'{cid}' is not a cause in kb/causes")
            continue
        reports, seen = [], set()
        for i, item in enumerate(r.seq(d, ("threads",))):
            p = ("threads", i)
            if not isinstance(item, dict):
                r.bad("KB005", p, "must be a mapping")
                continue
            r.only(item, p, {*DESCRIBED, *RECORDED})
            url = r.text(item, p + ("url",))
            for field in ("tool", "where", "confirmed"):
                r.text(item, p + (field,))
            r.text(item, p + ("paste",), required=False)
            error = r.text(item, p + ("error",))
            if error and error != UNKNOWN and error not in kb.errors:
                r.bad("KB034", p + ("error",), f"'{error}' is not an error in kb/errors (or '{UNKNOWN}' when the thread quotes none)")
            if url and not url.startswith("https://"):
                r.bad("KB018", p + ("url",), "must be an https:// link")
            if url in seen:
                r.bad("KB034", p + ("url",), "this thread is already counted for this cause")
            seen.add(url)
            facts = {}
            for hint in RECORDED:
                value = value_key(item.get(hint, UNKNOWN))
                allowed = set(kb.hints[hint].values) | {UNKNOWN}
                if value not in allowed:
                    r.bad("KB034", p + (hint,), f"{value!r} is not one of {sorted(allowed)}")
                    value = UNKNOWN
                facts[hint] = value
            text = str(item.get("paste") or item.get("how") or "")
            reports.append(Report(url, facts, error if error in kb.errors else UNKNOWN, text))
        out[cid] = reports
    return out, problems


def pooled(kb: KB, reports: dict[str, list[Report]], hint: str) -> dict[str, float]:
    """Each counted cell's share of the threads that name one of them: the base the ratios are against.

    A cell only a few threads name (remote platforms, which these threads seldom
    mention) is not counted at all: its weights stay as written, and the counted
    cells are compared among themselves.
    """
    total = Counter(cell_of(kb, hint, x.facts[hint]) for rs in reports.values() for x in rs
                    if x.facts[hint] != UNKNOWN)
    kept = {c: total[c] for c in cells(kb, hint) if total[c] >= MIN_POOLED}
    n = sum(kept.values())
    return {c: k / n for c, k in kept.items()} if len(kept) > 1 else {}


def count(kb: KB, reports: dict[str, list[Report]], hint: str) -> dict[str, Counted]:
    base = pooled(kb, reports, hint)
    out = {}
    for cid, rs in reports.items():
        counts = Counter(c for c in (cell_of(kb, hint, x.facts[hint]) for x in rs if x.facts[hint] != UNKNOWN)
                         if c in base)
        n = sum(counts.values())
        if not n:
            continue
        ratios = {c: round((counts[c] + PSEUDO * share) / (n + PSEUDO) / share, 2) for c, share in base.items()}
        unknown = sum(x.facts[hint] == UNKNOWN for x in rs)
        out[cid] = Counted(cid, hint, f"kb/reports/{cid}.yaml", counts, unknown, ratios)
    return out


def row_comment(c: Counted, cell: str) -> str:
    return f"reports: {c.counts[cell]} of {c.known} say {c.hint} {cell} ({c.file})"


def row_line(kb: KB, c: Counted, cell: str) -> str:
    """A counted row as it stands in a cause file (a yes/no hint's values quoted, as YAML needs)."""
    key = f'"{cell}"' if kb.hints[c.hint].type == "bool" else cell
    return f"    {key}: {c.ratios[cell]}  # {row_comment(c, cell)}"


def lint_counts(kb: KB) -> list[Problem]:
    reports, problems = load_reports(kb)
    if problems or not reports:
        return problems
    problems = lint_priors(kb, reports)
    root = Path(kb.path)
    docs: dict = {}
    for hint in COUNTED:
        for cid, c in count(kb, reports, hint).items():
            rel = f"kb/causes/{cid}.yaml"
            if cid not in docs:
                docs[cid] = yamlread.load((root / "causes" / f"{cid}.yaml").read_text(encoding="utf-8"), rel)[0]
            doc = docs[cid]
            row = kb.causes[cid].evidence.get(hint, {})
            for cell, want in c.ratios.items():
                got = row.get(cell)
                line = doc.line("evidence", hint, cell) if doc else 1
                if got is None or abs(got - want) > TOLERANCE:
                    problems.append(Problem("KB035", rel, line, 1,
                                            f"evidence.{hint}.{cell}: {c.file} counts {c.counts[cell]} of {c.known} "
                                            f"threads with it, which makes {want}, not {got}"))
                elif doc and doc.comment("evidence", hint, cell) != row_comment(c, cell):
                    problems.append(Problem("KB035", rel, line, 1,
                                            f"evidence.{hint}.{cell}: a counted weight names its count: "
                                            f"'# {row_comment(c, cell)}'"))
        h = kb.hints[hint]
        shares = pooled(kb, reports, hint)
        mass = {cell: sum(h.base[v] for v in h.groups.get(cell, (cell,))) for cell in shares}
        for cell, share in shares.items():
            have = mass[cell] / sum(mass.values())
            if abs(have - share) > TOLERANCE:
                problems.append(Problem("KB036", "kb/hints.yaml", 1, 1,
                                        f"{hint}.base: {cell} is {have:.3f} of {' + '.join(shares)}, but {share:.3f} "
                                        f"of the counted threads; the counted ratios are measured against that share"))
    return problems


def render_rows(kb: KB) -> str:
    """The counted rows, as they belong in each cause file."""
    reports, problems = load_reports(kb)
    if problems:
        return "\n".join(str(p) for p in problems) + "\n"
    lines = []
    for hint in COUNTED:
        shares = pooled(kb, reports, hint)
        lines.append(f"# {hint}.base, share among the counted values: "
                     + ", ".join(f"{c} {s:.3f}" for c, s in shares.items()))
        for cid, c in sorted(count(kb, reports, hint).items()):
            lines.append(f"{cid}: {c.known} threads say {hint}, {c.unknown} do not")
            lines.append(f"  {hint}:")
            lines.extend(row_line(kb, c, cell) for cell in c.ratios)
    return "\n".join(lines) + "\n"


def write_rows(kb: KB) -> list[str]:
    """Rewrite every counted row in the cause files to what the threads give; returns the files changed.

    Only the counted values' lines are touched: the hint's other rows (a remote
    platform's written weight), comments and the rest of the file stay as they are.
    """
    reports, problems = load_reports(kb)
    if problems:
        raise ValueError("\n".join(str(p) for p in problems))
    root = Path(kb.path)
    changed = []
    for hint in COUNTED:
        for cid, c in sorted(count(kb, reports, hint).items()):
            path = root / "causes" / f"{cid}.yaml"
            lines = path.read_text(encoding="utf-8").splitlines()
            rows = [row_line(kb, c, cell) for cell in c.ratios]
            head = f"  {hint}:"
            if head in lines:
                start = end = lines.index(head) + 1
                while end < len(lines) and lines[end].startswith("    "):
                    end += 1
                kept = [x for x in lines[start:end] if x.split(":")[0].strip().strip('"') not in c.ratios]
                new = lines[:start] + rows + kept + lines[end:]
            else:
                end = lines.index("evidence:") + 1
                while end < len(lines) and (lines[end].startswith("  ") or not lines[end].strip()):
                    end += 1
                new = lines[:end] + [head] + rows + lines[end:]
            if new != lines:
                path.write_text("\n".join(new) + "\n", encoding="utf-8")
                changed.append(f"kb/causes/{cid}.yaml")
    return sorted(set(changed))


# --- priors: P(cause | error), counted ------------------------------------------------------
#
# Each thread names the error its message is, so the threads that show one error count how
# often each cause was behind it. Counts are smoothed toward the error's written `estimates:`
# as PRIOR_PSEUDO threads of their own (a Dirichlet prior), so a cause no thread has confirmed
# for this error yet keeps a floor and a handful of threads cannot swing it alone. The threads
# were searched for per cause, not drawn at random per error: the estimates temper that slant.
# 60: 5-fold cross-validation over the 109 threads that quote a recognised error (`python -m
# authdoctor eval`) hardly tells 10, 30, 60 and 100 apart (held-out top-1 0.53, 0.52, 0.51, 0.50
# with the threads' hints); 60 keeps the shared dev set at its floor (top-3 0.95 with hints, 0.93
# at 30). The threads were searched for per cause, so their counts are slanted and need a firm
# estimate beside them.
PRIOR_PSEUDO = 60.0
# a counted prior may differ from the recomputed one by its rounding only
PRIOR_TOLERANCE = 0.0011


@dataclass(frozen=True)
class CountedPriors:
    error: str
    counts: Counter  # cause -> threads of this error that confirmed it
    total: int
    estimates: dict  # cause -> the written estimate, as a share of the estimates' sum
    priors: dict  # cause -> the smoothed, rounded prior

    def comment(self, cid: str) -> str:
        return (f"reports: {self.counts[cid]} of {self.total} {self.error} threads; "
                f"estimate {self.estimates.get(cid, 0.0):.3f} as {PRIOR_PSEUDO:g} threads")


def count_priors(kb: KB, reports: dict[str, list[Report]], *, leave_out: frozenset = frozenset()) -> dict[str, CountedPriors]:
    """Every error some thread names, with its causes' counted priors; `leave_out` drops threads by url
    (a fold held out for cross-validation)."""
    per_error: dict[str, Counter] = {}
    for cid, rs in reports.items():
        for x in rs:
            if x.error != UNKNOWN and x.url not in leave_out:
                per_error.setdefault(x.error, Counter())[cid] += 1
    out = {}
    for eid, counts in sorted(per_error.items()):
        error = kb.errors[eid]
        written = dict(error.estimates or error.priors)
        total_w = sum(written.values()) or 1.0
        est = {c: w / total_w for c, w in written.items()}
        n = sum(counts.values())
        causes = list(dict.fromkeys(list(est) + sorted(counts)))
        priors = {c: max(round((counts[c] + PRIOR_PSEUDO * est.get(c, 0.0)) / (n + PRIOR_PSEUDO), 4), 0.0001)
                  for c in causes}
        out[eid] = CountedPriors(eid, counts, n, est, priors)
    return out


def lint_priors(kb: KB, reports: dict[str, list[Report]]) -> list[Problem]:
    """KB042: an error that threads name keeps its written numbers as `estimates:` and its
    `priors:` as counted, each naming its count."""
    problems = []
    root = Path(kb.path)
    for eid, c in count_priors(kb, reports).items():
        rel = f"kb/errors/{eid}.yaml"
        error = kb.errors[eid]
        if not error.estimates:
            problems.append(Problem("KB042", rel, 1, 1, f"priors: {c.total} report thread(s) name {eid}; keep the written numbers "
                                    "as estimates: and count the priors (python -m authdoctor kb counts --write)"))
            continue
        doc = yamlread.load((root / "errors" / f"{eid}.yaml").read_text(encoding="utf-8"), rel)[0]
        for cid, want in c.priors.items():
            got = error.priors.get(cid)
            line = doc.line("priors", cid) if doc and got is not None else 1
            if got is None or abs(got - want) > PRIOR_TOLERANCE:
                problems.append(Problem("KB042", rel, line, 1, f"priors.{cid}: {c.comment(cid)} make {want}, not {got}"))
            elif doc and doc.comment("priors", cid) != c.comment(cid):
                problems.append(Problem("KB042", rel, line, 1, f"priors.{cid}: a counted prior names its count: '# {c.comment(cid)}'"))
        for cid in set(error.priors) - set(c.priors):
            problems.append(Problem("KB042", rel, doc.line("priors", cid) if doc else 1, 1,
                                    f"priors.{cid}: neither estimated nor counted; add it to estimates: first"))
    return problems


def prior_lines(c: CountedPriors) -> list[str]:
    width = max(len(cid) for cid in c.priors) + 2
    return ["priors:"] + [f"  {(cid + ':').ljust(width)} {p}  # {c.comment(cid)}"
                          for cid, p in sorted(c.priors.items(), key=lambda kv: (-kv[1], kv[0]))]


def write_priors(kb: KB) -> list[str]:
    """Rewrite each counted error's `priors:` block from the threads; the first time, the written
    block becomes `estimates:` (its numbers and source comments kept) above the counted one."""
    reports, problems = load_reports(kb)
    if problems:
        raise ValueError("\n".join(str(p) for p in problems))
    root = Path(kb.path)
    changed = []
    for eid, c in count_priors(kb, reports).items():
        path = root / "errors" / f"{eid}.yaml"
        lines = path.read_text(encoding="utf-8").splitlines()
        start = lines.index("priors:")
        end = start + 1
        while end < len(lines) and (lines[end].startswith("  ") or lines[end].startswith("#")):
            end += 1
        block = lines[start:end]
        if "estimates:" not in lines:
            block = ["# written estimates, each with its source: the counted priors below are smoothed toward them",
                     "estimates:"] + block[1:]
        else:
            block = []
        new = lines[:start] + block + prior_lines(c) + lines[end:]
        if new != lines:
            path.write_text("\n".join(new) + "\n", encoding="utf-8")
            changed.append(f"kb/errors/{eid}.yaml")
    return changed
