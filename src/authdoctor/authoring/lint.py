"""The KB's lint: the list of every problem code, and the rules that need the whole engine.

The loader (knowledge/) checks schema and references as it reads; the rules
here run the matcher over each entry's own examples (semgrep-rules' inline
tests) and hold the cause ids to the team's shared list. `kb check` runs both.
"""
from __future__ import annotations

from ..knowledge import KB, Problem
from ..match import Matcher
from ..redact import redact

# Every code `kb check` can print, and what it means (tldr-lint's numbered rules).
CODES = {
    "KB000": "no knowledge base at the path given (hints.yaml missing)",
    "KB001": "a file is not UTF-8 text, not valid YAML, or empty",
    "KB002": "a key is written twice in one mapping (YAML would keep only the last)",
    "KB003": "a bare yes/no/on/off, which YAML 1.1 reads as a boolean",
    "KB004": "a required field is missing or empty",
    "KB005": "a field has the wrong type (text, mapping or list expected)",
    "KB006": "a weight or setting is not a number",
    "KB007": "a number is outside its allowed range",
    "KB008": "a field the schema does not know",
    "KB009": "an id is not in its form (cause and variant ids: lower-case words joined by '-'; error ids: the code as AWS prints it)",
    "KB010": "a number without a trailing '# comment' naming its source",
    "KB011": "a hint type or a stage outside its list",
    "KB012": "a hint value, base rate or group that is not one of the hint's values",
    "KB013": "a hint's base rates do not add up to 1",
    "KB014": "a marker pattern is not a valid regex",
    "KB015": "a cause without fixes, or a fix without a command a person can paste",
    "KB016": "a reference to a hint or marker that does not exist",
    "KB017": "an entry's id differs from its file name",
    "KB018": "a docs link that is not https://",
    "KB019": "a cause id that is not in cause-ids.yaml",
    "KB020": "an anchor that is not distinctive text (6 characters or more)",
    "KB021": "an error without causes in its priors",
    "KB022": "an error without variants, or a variant without a real example",
    "KB023": "a variant id used twice",
    "KB024": "a cause id without its cause file",
    "KB026": "a cause no error names, so it can never be ranked",
    "KB027": "an id of the team's CAUSES.md missing from cause-ids.yaml, or an extra id not named on a '# kb-only:' line",
    "KB030": "a variant's example is not recognised at all",
    "KB031": "a variant's example is recognised as another error",
    "KB032": "an error claims one of its own not_examples",
    "KB033": "a marker pattern with upper-case letters (markers read the lower-cased paste)",
    "KB034": "a report thread listed twice, or a recorded value outside its hint",
    "KB035": "a counted weight that differs from the count of its report threads",
    "KB036": "a hint's base rate that differs from the threads' share",
    "KB037": "a YAML anchor or alias (&name, *name): refused, as a few nested aliases can expand into billions of values",
    "KB038": "a YAML tag other than the standard ones (!!str, !!int, !!float, !!bool, !!null, !!seq, !!map), such as !!python/object",
    "KB039": "a marker pattern that can backtrack catastrophically (nested quantifiers, overlapping alternatives under a "
             "quantifier), or that takes over 10 ms on an adversarial text of up to 32 KB",
    "KB040": "cues without the one variant they answer with (by_cue: true), such a variant without cues, or vetoes without cues",
    "KB043": "a code fence in a fix without a language, with one no door knows, or left open",
    "KB044": "a fix command that reads as Terraform, a config file, JSON, YAML or PowerShell but is not fenced as such",
    "KB041": "a hint's why is not one sentence per answer value (a reason written for one answer would read wrong for another)",
    "KB045": "a cue or veto that starts with \\b, which re tries at every position of a long paste: start it with its literal",
    "KB046": "a decline's example is not declined (kb/declines: a look-alike it names must not be claimed)",
    "KB042": "a prior of an error that report threads name, not counted from them (kb counts --write), or not naming its count",
}


def lint_shared_ids(kb: KB, causes_md: str | None) -> list[Problem]:
    """cause-ids.yaml against the team's CAUSES.md, when a checkout has it beside it.

    The project keeps its own copy so that a fresh clone checks without ../shared;
    where the shared table is present, the copy must not fall behind it. The copy
    may hold more: ids that real threads needed before the shared table took them
    in, each named on a `# kb-only: <id>: <why>` line of cause-ids.yaml, so that
    an extra id is a decision written down, not a typo or a drift.
    """
    import os
    import re
    if not causes_md or not os.path.isfile(causes_md):
        return []
    with open(causes_md, encoding="utf-8") as f:
        shared = re.findall(r"^\| `([a-z0-9-]+)` \|", f.read(), re.M)
    ids_file = os.path.join(kb.path, "cause-ids.yaml")
    with open(ids_file, encoding="utf-8") as f:
        kb_only = set(re.findall(r"^#[ \t]*kb-only:[ \t]*([a-z0-9-]+)[ \t]*:[ \t]*\S", f.read(), re.M))
    problems = []
    for cid in shared:
        if cid not in kb.cause_ids:
            problems.append(Problem("KB027", "kb/cause-ids.yaml", 1, 1,
                                    f"'{cid}' is in {causes_md} but not here: add it, with its cause file"))
    for cid in kb.cause_ids:
        if cid not in shared and cid not in kb_only:
            problems.append(Problem("KB027", "kb/cause-ids.yaml", 1, 1,
                                    f"'{cid}' is not in {causes_md}: propose it there, or name it on a '# kb-only: {cid}: <the threads that "
                                    "needed it>' line"))
    return problems


def recognised(matcher: Matcher, text: str) -> tuple[str, str, float] | None:
    """(error id, variant id, score) the engine answers `text` with, the fallback included."""
    paste = redact(text).text
    if matcher.declined(paste) is not None:
        return None
    best = matcher.match(paste).best
    if best is not None:
        return best.variant.error_id, best.variant.id, best.score
    unfamiliar = matcher.unfamiliar(paste)
    return (unfamiliar.error_id, unfamiliar.id, 0.0) if unfamiliar else None


def lint_examples(kb: KB) -> list[Problem]:
    matcher = Matcher(kb)
    fallback = matcher.fallback.id if matcher.fallback else None
    by_cue = {e.cue_variant.id for e in kb.errors.values() if e.cue_variant is not None}
    problems = []
    for error in kb.errors.values():
        rel = f"kb/errors/{error.id}.yaml"
        for v in error.variants:
            for i, example in enumerate(v.examples):
                got = recognised(matcher, example)
                if got is None:
                    problems.append(Problem("KB030", rel, 1, 1, f"variant {v.id} example {i + 1} is not recognised at all"))
                elif got[0] != error.id:
                    problems.append(Problem("KB031", rel, 1, 1,
                                            f"variant {v.id} example {i + 1} is recognised as {got[0]} ({got[1]}, {got[2]:.0f})"))
        for i, text in enumerate(error.not_examples):
            got = recognised(matcher, text)
            # a look-alike of any error must not be taken for a credential failure either, by a shape of
            # this error or by any error's cue
            if got is not None and (got[0] in (error.id, fallback) or got[1] in by_cue):
                problems.append(Problem("KB032", rel, 1, 1, f"not_examples {i + 1} is claimed as {got[0]} ({got[1]}, {got[2]:.0f})"))
    for decline in kb.declines.values():
        for i, text in enumerate(decline.examples):
            if matcher.declined(redact(text).text) is None:
                problems.append(Problem("KB046", f"kb/declines/{decline.id}.yaml", 1, 1,
                                        f"example {i + 1} is not declined: no pattern finds it, or it carries a known error's code"))
    return problems
