"""The pipeline: redact -> normalise + match -> extract -> rank -> ask.

Pure and deterministic: the web page, the API, Slack and the CLI are thin doors
onto `Doctor.diagnose()`, which returns the API's answer as a plain dict.
"""
from __future__ import annotations

import hashlib
import json

from . import knowledge
from .ask import next_question
from .extract import extract
from .hints import UNKNOWN, HintError, check_hints, feature_value
from .knowledge import KB
from .match import Matcher
from .rank import log_posterior, priors_for, rank
from .redact import redact

MAX_CAUSES = 8
MIN_PROBABILITY = 0.01
ROTATE_ADVICE = ("The pasted text contained {kinds}. It was masked before anything else saw it, "
                 "but treat it as leaked: rotate it now (aws iam create-access-key / update-access-key "
                 "--status Inactive, revoke the token).")


class Doctor:
    """One KB, loaded and indexed once; `diagnose` is safe to call from any thread."""

    def __init__(self, kb: KB | None = None):
        self.kb = kb or knowledge.load()
        self.matcher = Matcher(self.kb)

    def diagnose(self, text: str, hints: dict | None = None, unknown=()) -> dict:
        kb = self.kb
        user = check_hints(kb, hints)
        skipped = set(unknown or ())
        for key, value in (hints or {}).items():
            if value is None or value == UNKNOWN:
                skipped.add(key)
        for key in skipped:
            if key not in kb.hints:
                raise HintError(key, f"unknown hint '{key}'; known hints: {', '.join(kb.hints)}")
        red = redact(text)
        result = self.matcher.match(red.text)
        best = result.best
        variant = best.variant if best else None
        found = extract(kb, red, variant)

        values, sources = {}, {}
        for key, value in found.hints.items():
            if key not in skipped:
                values[key], sources[key] = value, found.sources[key]
        for key, value in user.items():
            values[key], sources[key] = value, "user"
        features = {k: feature_value(kb.hints[k], v) for k, v in values.items()}
        hints_used = {k: {"value": v, "source": sources[k], "feature": features[k]} for k, v in values.items()}

        answer = {
            "recognized": best is not None,
            "error_code": None,
            "stage": "unknown",
            "variant": None,
            "title": None,
            "summary_html": None,
            "causes": [],
            "question": None,
            "hints_used": hints_used,
            "markers": found.markers,
            "redacted": red.kinds,
            "rotate": ROTATE_ADVICE.format(kinds=", ".join(red.kinds)) if red.kinds else None,
            "closest": [],
            "kb_version": kb.version,
        }
        if best is None:
            answer["closest"] = [{"error_code": code, "similarity": s} for code, s in self.matcher.closest(red.text)]
        else:
            error = kb.errors[variant.error_id]
            answer.update({
                "error_code": error.id,
                "stage": found.stage or variant.stage,
                "variant": {"id": variant.id, "similarity": round(best.variant_score or best.score, 1), "versions": variant.versions},
                "title": error.title,
                "summary_html": error.summary_html,
            })
            priors, _ = priors_for(error, variant)
            scores = log_posterior(kb, priors, features, found.markers)  # once: ranking and question share it
            ranked = rank(kb, error, variant, features, found.markers, sources, scores)
            answer["causes"] = [self._cause(r) for r in ranked[:MAX_CAUSES]
                                if r.probability >= MIN_PROBABILITY or r is ranked[0]]
            q = next_question(kb, scores, set(values), skipped, tuple(values.get("signs") or ()))
            if q:
                answer["question"] = {"hint": q.hint, "text": q.text, "how": q.how,
                                      "options": list(q.options), "labels": list(q.labels), "gain_bits": q.gain}
        answer["answer_id"] = self._answer_id(red.text, values, skipped)
        return answer

    def _cause(self, r) -> dict:
        c = self.kb.causes[r.id]
        return {
            "id": c.id, "title": c.title, "probability": round(r.probability, 4), "why": r.why,
            "summary_html": c.summary_html,
            "fix": [{"title": f.title, "detail": f.detail, "detail_html": f.detail_html, "commands": list(f.commands)}
                    for f in c.fixes],
            "docs": list(c.docs),
        }

    def _answer_id(self, text: str, values: dict, skipped: set) -> str:
        blob = json.dumps([self.kb.version, text, sorted((k, str(v)) for k, v in values.items()), sorted(skipped)])
        return hashlib.sha256(blob.encode()).hexdigest()[:16]
