"""KB lint rules that need the whole engine: every example is recognised as its
own error, no not_example is claimed by it (semgrep-rules' inline tests)."""
from __future__ import annotations

from .kb import KB
from .match import Matcher
from .redact import redact
from .yamlsafe import Problem


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
