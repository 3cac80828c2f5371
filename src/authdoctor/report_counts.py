"""Runner weights counted from real reports instead of estimated.

kb/reports/<cause>.yaml lists real threads in which the cause was confirmed, each
with where the failing command ran. Counting them gives P(where | cause); the
same count over all causes gives the base rate it is measured against, so the
search's own slant (GitHub issues over-represent GitHub Actions, say) cancels.

A cause with a handful of reports should not swing the ranking on them alone:
the base rate counts as PSEUDO reports of its own (a Dirichlet prior), so
P(where | cause) = (reports there + PSEUDO * base) / (reports + PSEUDO).

`kb check` recomputes every counted weight (KB035) and the base rates (KB036),
so the numbers in the cause files cannot drift from the reports behind them;
`python -m authdoctor kb counts` prints the rows to paste.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from . import yamlsafe
from .kb import KB, _read
from .yamlsafe import Problem

HINT = "runner"
PSEUDO = 4.0
# a cell needs this many reports over all causes before any cause's weight for it is counted
MIN_POOLED = 20
UNKNOWN = "unknown"
# a counted row may differ from the recomputed one by its rounding only
TOLERANCE = 0.011


@dataclass(frozen=True)
class Report:
    url: str
    runner: str  # a runner value, or UNKNOWN when the thread does not say


@dataclass(frozen=True)
class Counted:
    cause: str
    file: str
    counts: Counter  # counted cell -> reports that ran there (unknown and uncounted cells left out)
    unknown: int  # reports that do not say where they ran
    ratios: dict  # cell -> likelihood ratio against the pooled base

    @property
    def known(self) -> int:
        return sum(self.counts.values())


def cell_of(kb: KB, value: str) -> str:
    """A runner value's cell: its group ("ci", "remote-platform") or itself ("local")."""
    hint = kb.hints[HINT]
    return next((g for g, members in hint.groups.items() if value in members), value)


def cells(kb: KB) -> list[str]:
    hint = kb.hints[HINT]
    grouped = {v for members in hint.groups.values() for v in members}
    return [v for v in hint.values if v not in grouped] + list(hint.groups)


def load_reports(kb: KB) -> tuple[dict[str, list[Report]], list[Problem]]:
    root = Path(kb.path)
    problems: list[Problem] = []
    out: dict[str, list[Report]] = {}
    allowed = set(kb.hints[HINT].values) | {UNKNOWN}
    for path in sorted((root / "reports").glob("*.yaml")):
        doc, r = _read(path, root, problems)
        if doc is None:
            continue
        d = doc.data
        r.only(d, (), {"cause", HINT})
        cid = r.text(d, ("cause",))
        if cid and cid != path.stem:
            r.bad("KB017", ("cause",), f"'{cid}' must equal the file name '{path.stem}'")
        if cid and cid not in kb.causes:
            r.bad("KB019", ("cause",), f"'{cid}' is not a cause in kb/causes")
            continue
        reports, seen = [], set()
        for i, item in enumerate(r.seq(d, (HINT,))):
            p = (HINT, i)
            if not isinstance(item, dict):
                r.bad("KB005", p, "must be a mapping")
                continue
            r.only(item, p, {"url", "tool", "runner", "where", "confirmed"})
            url = r.text(item, p + ("url",))
            for field in ("tool", "where", "confirmed"):
                r.text(item, p + (field,))
            runner = str(item.get("runner") or "")
            if url and not url.startswith("https://"):
                r.bad("KB018", p + ("url",), "must be an https:// link")
            if url in seen:
                r.bad("KB034", p + ("url",), "this thread is already counted for this cause")
            seen.add(url)
            if runner not in allowed:
                r.bad("KB034", p + ("runner",), f"{runner!r} is not one of {sorted(allowed)}")
                continue
            reports.append(Report(url, runner))
        out[cid] = reports
    return out, problems


def pooled(kb: KB, reports: dict[str, list[Report]]) -> dict[str, float]:
    """Each counted cell's share of the reports that ran in one of them: the base the ratios are against.

    A cell only a few reports ran in (remote platforms, which these threads seldom
    name) is not counted at all: its weights stay as written, and the counted
    cells are compared among themselves.
    """
    total = Counter(cell_of(kb, x.runner) for rs in reports.values() for x in rs if x.runner != UNKNOWN)
    kept = {c: total[c] for c in cells(kb) if total[c] >= MIN_POOLED}
    n = sum(kept.values())
    return {c: k / n for c, k in kept.items()} if n else {}


def count(kb: KB, reports: dict[str, list[Report]]) -> dict[str, Counted]:
    base = pooled(kb, reports)
    out = {}
    for cid, rs in reports.items():
        counts = Counter(c for c in (cell_of(kb, x.runner) for x in rs if x.runner != UNKNOWN) if c in base)
        n = sum(counts.values())
        if not n:
            continue
        ratios = {c: round((counts[c] + PSEUDO * share) / (n + PSEUDO) / share, 2) for c, share in base.items()}
        out[cid] = Counted(cid, f"kb/reports/{cid}.yaml", counts, sum(x.runner == UNKNOWN for x in rs), ratios)
    return out


def row_comment(c: Counted, cell: str) -> str:
    return f"reports: {c.counts[cell]} of {c.known} ran {cell} ({c.file})"


def lint_counts(kb: KB) -> list[Problem]:
    reports, problems = load_reports(kb)
    if problems or not reports:
        return problems
    counted = count(kb, reports)
    root = Path(kb.path)
    for cid, c in counted.items():
        cause = kb.causes[cid]
        rel = f"kb/causes/{cid}.yaml"
        doc, _ = yamlsafe.load((root / "causes" / f"{cid}.yaml").read_text(encoding="utf-8"), rel)
        row = cause.evidence.get(HINT, {})
        for cell, want in c.ratios.items():
            got = row.get(cell)
            line = doc.line("evidence", HINT, cell) if doc else 1
            if got is None or abs(got - want) > TOLERANCE:
                problems.append(Problem("KB035", rel, line, 1,
                                        f"evidence.{HINT}.{cell}: {c.file} counts {c.counts[cell]} of {c.known} "
                                        f"reports there, which makes {want}, not {got}"))
            elif doc and doc.comment("evidence", HINT, cell) != row_comment(c, cell):
                problems.append(Problem("KB035", rel, line, 1,
                                        f"evidence.{HINT}.{cell}: a counted weight names its count: '# {row_comment(c, cell)}'"))
    hint = kb.hints[HINT]
    shares = pooled(kb, reports)
    mass = {cell: sum(hint.base[v] for v in hint.groups.get(cell, (cell,))) for cell in shares}
    for cell, share in shares.items():
        have = mass[cell] / sum(mass.values())
        if abs(have - share) > TOLERANCE:
            problems.append(Problem("KB036", "kb/hints.yaml", 1, 1,
                                    f"{HINT}.base: {cell} is {have:.2f} of {' + '.join(shares)}, but {share:.2f} of the "
                                    f"counted reports ran there; the counted ratios are measured against that share"))
    return problems


def render_rows(kb: KB) -> str:
    """The counted rows, as they belong in each cause file."""
    reports, problems = load_reports(kb)
    if problems:
        return "\n".join(str(p) for p in problems) + "\n"
    lines = [f"# {HINT}.base, share among the counted cells: " + ", ".join(f"{c} {s:.3f}" for c, s in pooled(kb, reports).items())]
    for cid, c in sorted(count(kb, reports).items()):
        lines.append(f"{cid}: {c.known} reports with a runner, {c.unknown} without")
        lines.append(f"  {HINT}:")
        for cell, ratio in c.ratios.items():
            lines.append(f"    {cell}: {ratio}  # {row_comment(c, cell)}")
    return "\n".join(lines) + "\n"
