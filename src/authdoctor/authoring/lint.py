"""KB lint rules that need the whole engine: every example is recognised as its
own error, no not_example is claimed by it (semgrep-rules' inline tests)."""
from __future__ import annotations

from ..knowledge import KB, Problem
from ..match import Matcher
from ..redact import redact


def lint_shared_ids(kb: KB, causes_md: str | None) -> list[Problem]:
    """cause-ids.yaml against the team's CAUSES.md, when a checkout has it beside it.

    The project keeps its own copy so that a fresh clone checks without ../shared;
    where the shared table is present, the copy must not fall behind it.
    """
    import os
    import re
    if not causes_md or not os.path.isfile(causes_md):
        return []
    with open(causes_md, encoding="utf-8") as f:
        shared = re.findall(r"^\| `([a-z0-9-]+)` \|", f.read(), re.M)
    problems = []
    for cid in shared:
        if cid not in kb.cause_ids:
            problems.append(Problem("KB027", "kb/cause-ids.yaml", 1, 1,
                                    f"'{cid}' is in {causes_md} but not here: add it, with its cause file"))
    for cid in kb.cause_ids:
        if cid not in shared:
            problems.append(Problem("KB027", "kb/cause-ids.yaml", 1, 1,
                                    f"'{cid}' is not in {causes_md}: cause ids are shared, propose it there first"))
    return problems


def lint_examples(kb: KB) -> list[Problem]:
    matcher = Matcher(kb)
    problems = []
    for error in kb.errors.values():
        rel = f"kb/errors/{error.id}.yaml"
        for v in error.variants:
            for i, example in enumerate(v.examples):
                best = matcher.match(redact(example).text).best
                if best is None:
                    problems.append(Problem("KB030", rel, 1, 1, f"variant {v.id} example {i + 1} is not recognised at all"))
                elif best.variant.error_id != error.id:
                    problems.append(Problem("KB031", rel, 1, 1,
                                            f"variant {v.id} example {i + 1} is recognised as {best.variant.error_id} ({best.variant.id}, {best.score:.0f})"))
        for i, text in enumerate(error.not_examples):
            best = matcher.match(redact(text).text).best
            if best is not None and best.variant.error_id == error.id:
                problems.append(Problem("KB032", rel, 1, 1, f"not_examples {i + 1} is claimed as {error.id} ({best.variant.id}, {best.score:.0f})"))
    return problems
