"""The hint vocabulary: one small class per kind of hint.

The vocabulary itself is data (kb/hints.yaml); each kind here knows how to
read a value a client sends (`check`), what discrete feature it stands for
(`feature`), the OpenAPI schema that promises exactly what `check` takes
(`schema`), how likely a cause makes a feature (`likelihood`), what to say
about it in a cause's "why" (`reasons`), and, as a question, which answers to
offer and how each cause would answer them (`offer`, `outcomes`). The
differential question over the causes' telltale signs is one kind among them.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .knowledge import KB, Cause, Hint
from .redact import redact

# Each pattern is written once, in the common ground of Python's `re` (ASCII) and
# the ECMA dialect of OpenAPI documents: the server and its document say the same.
REGION_SRC = r"(?:us-gov|us-iso[a-z]?|cn|[a-z]{2})-[a-z]+(?:-[a-z]+)?-[0-9]{1,2}"
# a release's suffix ("-beta1", "-rc2", "-dev", "+ent", "+fips.1") is short: a secret pasted
# into a version field must not pass for one because it happens to start with a digit and a '+'
VERSION_SRC = r"v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:[-+.][0-9A-Za-z.-]{1,20})?"
ENV_NAME_SRC = r"AWS_[A-Z0-9_]{1,64}"
# seconds as a form field sends them: plain decimal, under 10**9 by its shape
NUMBER_SRC = r"[-+]?(?:[0-9]{1,9}(?:\.[0-9]*)?|\.[0-9]+)"
REGION = re.compile(REGION_SRC, re.ASCII)
VERSION = re.compile(VERSION_SRC, re.ASCII)
ENV_NAME = re.compile(ENV_NAME_SRC, re.ASCII)
NUMBER = re.compile(NUMBER_SRC, re.ASCII)
# what `check` strips around a value (str.strip() would also eat Unicode spaces)
SPACE = " \t\r\n\f\v"
UNKNOWN = "unknown"

# In the OpenAPI document: what `check` strips, and what every hint also takes:
# null or "unknown", an explicit "I don't know" (not asked again, no evidence).
_WS = "[ \\t\\r\\n\\f\\v]*"
_SEP = "[, \\t\\r\\n\\f\\v]"
# A factor outside this band is worth a line in a cause's "why".
NOTEWORTHY = 1.4
# An answer that makes a cause this much less likely all but rules it out; its why-line says so,
# and why the cause is still listed (the answer may be mistaken).
RULES_OUT = 0.1


@dataclass(frozen=True)
class Reason:
    """One step of a cause's "why": what moved it, where that came from, how far, and why.

    `line` is the whole sentence the API's `why` lists; the other fields are its parts,
    so a door can say it its own way without reading the sentence back."""
    kind: str              # "prior": its share before anything is known; "hint": a value known; "marker": a telltale in the text;
                           # "stays": why answers that together all but rule it out leave it listed
    label: str             # what was known: the answer's label, the marker's description, or the error code (prior)
    source: str            # where it came from: "kb" (the prior), "user", "machine", "text", "variant"
    factor: float | None   # how far it moved the cause (a likelihood ratio); None for the prior
    share: float | None    # the prior's share of the error's reports; None otherwise
    rules_out: bool        # a factor this small would rule it out, were the answer never mistaken
    text: str              # the reason in the KB's words; "" when the KB gives none
    line: str = field(metadata={"json": None})  # the API lists it in `why`

    @property
    def up(self) -> bool | None:
        return None if self.factor is None else self.factor > 1

Feature = Any  # a str, or the signs kind's tuple of answers


# An error message quotes what a client sent only masked and cut to this length:
# a secret pasted into a hint must not come back in the 400 that refuses it.
ECHO_LIMIT = 40
_HINT_NAME = re.compile(r"[a-z_]{1,40}", re.ASCII)


def quote_value(value: Any) -> str:
    """A client's value as a HintError message may quote it: secrets masked, at most ECHO_LIMIT characters."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return "(a number too long to show)"
    try:
        text = value if isinstance(value, str) else repr(value)
    except (ValueError, RecursionError):
        return "(a value too large to show)"
    text = redact(text).text  # whole, then cut: a secret cut short would no longer look like one
    return repr(text[:ECHO_LIMIT] + ("..." if len(text) > ECHO_LIMIT else ""))


def quote_name(name: Any) -> str:
    """A hint name a client sent, quoted only when it looks like one."""
    return f"'{name}'" if isinstance(name, str) and _HINT_NAME.fullmatch(name) else "(a name that is not a hint)"


class HintError(ValueError):
    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def hint_text(value: Any) -> str:
    """A hint value as a person types it (`--hint`, a query string, a button):
    lists comma-joined, booleans in lower case, the way `check` reads them back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return str(value)


def version_tuple(value: str) -> tuple[int, int, int]:
    m = VERSION.fullmatch(value.strip(SPACE))
    if not m:
        raise ValueError(value)
    major, minor, patch = (int(g or 0) for g in m.groups())
    return major, minor, patch


def _case_blind(src: str) -> str:
    """An ECMA pattern that matches `src` in any case (ECMA has no inline (?i))."""
    out, in_class = [], False
    for i, c in enumerate(src):
        if c == "[" and (i == 0 or src[i - 1] != "\\"):
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        if in_class and src[i - 2:i + 1] == "a-z":
            out.append("zA-Z")
            continue
        out.append(f"[{c.lower()}{c.upper()}]" if c.isalpha() and not in_class else c)
    return "".join(out)


def _words(value: str) -> list[str]:
    return [v for v in re.split(r"[,\s]+", value, flags=re.ASCII) if v]


@dataclass(frozen=True)
class Offer:
    """A question's possible answers and how likely each cause makes each of them."""
    answers: tuple[Any, ...]  # feature values, or the signs kind's full new hint values
    likelihood: Callable[[str], list[float]]  # cause id -> P(answer | cause), one per answer


class Kind:
    """What every hint of one type shares; a subclass per type in hints.yaml."""
    name: ClassVar[str]
    many: ClassVar[bool] = False  # its value is a list, typed comma-joined in forms and links
    repeats: ClassVar[bool] = False  # its question may be asked again, the answers accumulating

    def check(self, hint: Hint, value: Any) -> Any:
        """The value in its canonical form, or HintError naming the hint."""
        raise NotImplementedError

    def feature(self, hint: Hint, value: Any) -> Feature:
        """The discrete feature value a canonical hint value stands for."""
        raise NotImplementedError

    def value_schema(self, hint: Hint) -> dict[str, Any]:
        raise NotImplementedError

    def schema(self, hint: Hint) -> dict[str, Any]:
        """The OpenAPI schema of what `check` takes, "unknown" and null included."""
        return self.value_schema(hint)

    def label(self, hint: Hint, feature: Feature) -> str:
        """What a person reads for a feature value: its answer's label (hints.yaml keys some
        labels by the value a form sends, such as a region for a partition)."""
        if hint.labels.get(feature):
            return hint.labels[feature]
        opt = self.option_for(hint, feature) if hint.options else None
        opt_key = str(opt).lower() if isinstance(opt, bool) else str(opt)
        return hint.labels.get(opt_key) or f"{hint.key} = {feature}"

    def raising(self, hint: Hint, cause: Cause) -> list[Feature]:
        """The values that make the cause noteworthily more likely, the strongest first."""
        table = cause.likelihood.get(hint.key) or {}
        ratios = [(float(p) / hint.base[v], v) for v, p in table.items() if hint.base.get(v)]
        return [v for r, v in sorted(ratios, key=lambda rv: -rv[0]) if r >= NOTEWORTHY]

    # --- as evidence ---------------------------------------------------------------

    def likelihood(self, hint: Hint, cause: Cause, feature: Feature) -> float:
        """P(feature | cause)."""
        return float(cause.likelihood[hint.key][feature])

    def error_rate(self, hint: Hint) -> float:
        """How often a person's answer to the hint is wrong: what bounds the weight an answer is shown with."""
        return hint.misreport

    def answered(self, hint: Hint, cause: Cause, feature: Feature) -> float:
        """P(a person answers `feature` | cause): they answer right, or (with the hint's
        misreport rate) say something else, as often as people say each value anyway. So no
        one answer can weigh more than its own chance of being right."""
        eps = hint.misreport
        return (1.0 - eps) * self.likelihood(hint, cause, feature) + eps * hint.base[feature]

    def why(self, hint: Hint, cause: Cause, feature: Feature, factor: float) -> str:
        """The sentence for this answer's pull (`factor`) on this cause, written for this answer.

        A cause's one sentence for a hint whose answers move it both ways explains the answers
        that raise it ("ASIA keys come from STS and expire"), and reads as the opposite of what
        was said under one that lowers it. Such an answer gets the cause's sentence for it, else
        the hint's for it, else which answers the cause comes with and why."""
        own = cause.why.get(f"{hint.key}={feature}")
        if own:
            return own
        general = cause.why.get(hint.key)
        raising = self.raising(hint, cause)
        if general and (factor > 1 or not raising):
            return general
        if hint.why.get(str(feature)):
            return hint.why[str(feature)]
        if not raising:
            return ""
        labels = [f'"{self.label(hint, v)}"' for v in raising[:3]]
        alternatives = (f"the answer {labels[0]}" if len(labels) == 1
                        else "the answers " + ", ".join(labels[:-1]) + " or " + labels[-1])
        return f"this cause mostly comes with {alternatives}" + (f": {general}" if general else "")

    def reasons(self, hint: Hint, cause: Cause, feature: Feature, *, source: str) -> list[tuple[float, Reason]]:
        """Steps of the cause's "why", each with its weight (how far it moved the cause).

        `source` is where the value came from: "user" (an answer, which may be mistaken),
        "machine" (read by `authdoctor doctor`), "text" or "variant" (the paste)."""
        lik = self.answered(hint, cause, feature) if source == "user" else self.likelihood(hint, cause, feature)
        factor = lik / hint.base[feature]
        if 1 / NOTEWORTHY < factor < NOTEWORTHY:
            return []
        reason = self.why(hint, cause, feature, factor)
        label = self.label(hint, feature)
        rules_out = source == "user" and factor <= RULES_OUT
        direction = "more" if factor > 1 else "less"
        if source != "user":
            where = "this machine" if source == "machine" else "the pasted text"
            line = f"{label} (read from {where}): {direction} likely ×{factor:.2g}. {reason}"
        elif rules_out:
            line = (f"{label}: this rules it out (×{factor:.2g}); it stays listed only in case that answer is mistaken, "
                    f"as about {hint.misreport:.0%} of such answers are. {reason}")
        else:
            line = f"{label}: {direction} likely ×{factor:.2g}. {reason}"
        return [(abs(math.log(factor)), Reason("hint", label, source, round(factor, 4), None, rules_out, reason, line))]

    # --- as a question ---------------------------------------------------------------

    def offer(self, kb: KB, hint: Hint, probs: Mapping[str, float], given: Any) -> Offer | None:
        """The answers to offer, or None when this hint is not worth a question now."""
        if given is not None:
            return None  # already known
        key = hint.key
        return Offer(hint.values, lambda c: [kb.causes[c].likelihood[key][v] for v in hint.values])

    def options(self, kb: KB, hint: Hint, offer: Offer, given: Any) -> tuple[tuple[Any, ...], tuple[str, ...]]:
        """What a client sends back for each answer, and the label a person reads."""
        options, labels = [], []
        for fv in offer.answers:
            opt = self.option_for(hint, fv)
            if opt is None:
                continue
            options.append(opt)
            labels.append(hint.labels.get(str(opt).lower() if isinstance(opt, bool) else str(opt))
                          or hint.labels.get(fv) or str(opt))
        return tuple(options), tuple(labels)

    def option_for(self, hint: Hint, feature: Feature) -> Any:
        """The answer value a client sends back for a feature value."""
        for opt in hint.options:
            if self.feature(hint, self.check(hint, opt)) == feature:
                return opt
        return None

    def outcomes(self, hint: Hint, cause: Cause, options: tuple[Any, ...], given: Any) -> dict[Any, float]:
        """How a person whose trouble is `cause` would answer: new feature value -> probability."""
        return dict(cause.likelihood[hint.key])


class BoolKind(Kind):
    name = "bool"

    def check(self, hint: Hint, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise HintError(hint.key, f"hint '{hint.key}' must be true or false, not {quote_value(value)}")

    def feature(self, hint: Hint, value: Any) -> str:
        return "true" if value else "false"

    def value_schema(self, hint: Hint) -> dict[str, Any]:
        return {"anyOf": [{"type": "boolean", "nullable": True},
                          {"type": "string", "pattern": f"^(?:{_case_blind('true')}|{_case_blind('false')}|{UNKNOWN})$"}]}


class EnumKind(Kind):
    name = "enum"

    def check(self, hint: Hint, value: Any) -> str:
        if not isinstance(value, str) or value not in hint.values:
            raise HintError(hint.key, f"hint '{hint.key}' must be one of {', '.join(hint.values)}; got {quote_value(value)}")
        return value

    def feature(self, hint: Hint, value: Any) -> str:
        return str(value)

    def value_schema(self, hint: Hint) -> dict[str, Any]:
        values: list[Any] = list(hint.values) + ([UNKNOWN] if UNKNOWN not in hint.values else [])
        return {"type": "string", "nullable": True, "enum": values + [None]}


class RegionKind(Kind):
    name = "region"

    def check(self, hint: Hint, value: Any) -> str:
        if not isinstance(value, str) or not value.isascii() or not REGION.fullmatch(value.strip(SPACE).lower()):
            raise HintError(hint.key, f"hint '{hint.key}' must be an AWS region name like eu-west-1; got {quote_value(value)}")
        return value.strip(SPACE).lower()

    def feature(self, hint: Hint, value: Any) -> str:
        return region_class(hint, value)

    def value_schema(self, hint: Hint) -> dict[str, Any]:
        return {"type": "string", "nullable": True, "example": "eu-west-1",
                "pattern": f"^(?:{UNKNOWN}|{_WS}{_case_blind(REGION_SRC)}{_WS})$"}


class VersionKind(Kind):
    name = "version"

    def check(self, hint: Hint, value: Any) -> str:
        # a whole number is its own text; a float is not taken: 1.10 would arrive as 1.1
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            value = str(value)
        if not isinstance(value, str) or not VERSION.fullmatch(value.strip(SPACE)):
            raise HintError(hint.key, f"hint '{hint.key}' must be a version like 1.5.7; got {quote_value(value)}")
        return value.strip(SPACE).lstrip("v")

    def feature(self, hint: Hint, value: Any) -> str:
        v = version_tuple(value)
        for name, below in hint.buckets:
            if below is None or v < version_tuple(str(below)):
                return str(name)
        return str(hint.buckets[-1][0])

    def value_schema(self, hint: Hint) -> dict[str, Any]:
        return {"anyOf": [{"type": "string", "nullable": True, "example": "1.5.7",
                           "pattern": f"^(?:{UNKNOWN}|{_WS}{VERSION_SRC}{_WS})$"},
                          {"type": "integer", "minimum": 0}]}


class VarlistKind(Kind):
    name = "varlist"
    many = True

    def check(self, hint: Hint, value: Any) -> list[str]:
        if isinstance(value, str):
            value = _words(value)
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list) or not all(isinstance(v, str) and ENV_NAME.fullmatch(v) for v in value):
            raise HintError(hint.key, f"hint '{hint.key}' must be a list of AWS_* variable names; got {quote_value(value)}")
        return sorted(set(value))

    def feature(self, hint: Hint, value: Any) -> str:
        names = set(value)
        if {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} & names:
            return "keys"
        if "AWS_PROFILE" in names or "AWS_DEFAULT_PROFILE" in names:
            return "profile"
        return "none"

    def value_schema(self, hint: Hint) -> dict[str, Any]:
        return {"anyOf": [{"type": "array", "nullable": True, "items": {"type": "string", "pattern": f"^{ENV_NAME_SRC}$"}},
                          {"type": "string", "description": "the names separated by commas or spaces",
                           "pattern": f"^(?:{UNKNOWN}|{_SEP}*(?:{ENV_NAME_SRC}(?:{_SEP}+{ENV_NAME_SRC})*)?{_SEP}*)$"}]}


class SkewKind(Kind):
    name = "skew"

    def check(self, hint: Hint, value: Any) -> float | int:
        if isinstance(value, str) and NUMBER.fullmatch(value.strip(SPACE)):
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or abs(value) > 10**9:
            raise HintError(hint.key, f"hint '{hint.key}' must be a number of seconds; got {quote_value(value)}")
        return value

    def feature(self, hint: Hint, value: Any) -> str:
        return "off" if abs(float(value)) >= hint.threshold else "in-sync"

    def value_schema(self, hint: Hint) -> dict[str, Any]:
        return {"anyOf": [{"type": "number", "nullable": True, "minimum": -1e9, "maximum": 1e9},
                          {"type": "string", "pattern": f"^(?:{UNKNOWN}|{_WS}{NUMBER_SRC}{_WS})$"}]}


class SignsKind(Kind):
    """The differential question: which of the leading causes' telltale signs a person sees.

    Its value is the list of answers so far: a cause id for a sign said to match,
    `!id` for one said not to. A person recognises their own cause's sign with
    probability `hit`, mistakes another's with `false_hit`, and misses their own
    with `miss` (all from hints.yaml), so no answer is taken as certain.
    """
    name = "signs"
    many = True
    repeats = True

    def check(self, hint: Hint, value: Any) -> list[str]:
        if isinstance(value, str):
            value = _words(value)
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.lstrip("!") in hint.values for v in value):
            raise HintError(hint.key, f"hint '{hint.key}' must be a list of cause ids (matching signs) or '!<id>' "
                                      f"(signs that do not match); got {quote_value(value)}")
        # A sign said to match counts once; one said not to match counts once per
        # offer (it may be offered again), never more.
        seen: Counter[str] = Counter()
        out = []
        for v in value:
            seen[v] += 1
            if seen[v] <= (hint.offers if v.startswith("!") else 1):
                out.append(v)
        return out

    def feature(self, hint: Hint, value: Any) -> tuple[str, ...]:
        return tuple(value)

    def value_schema(self, hint: Hint) -> dict[str, Any]:
        ids = "(?:" + "|".join(re.escape(v) for v in hint.values) + ")"
        return {"anyOf": [{"type": "array", "nullable": True, "items": {"type": "string", "pattern": f"^!*{ids}$"}},
                          {"type": "string", "description": "the ids separated by commas or spaces",
                           "pattern": f"^(?:{UNKNOWN}|{_SEP}*(?:!*{ids}(?:{_SEP}+!*{ids})*)?{_SEP}*)$"}]}

    def likelihood(self, hint: Hint, cause: Cause, feature: Feature) -> float:
        return sign_likelihood(hint, cause.id, feature)

    def error_rate(self, hint: Hint) -> float:
        # the rarer of the two misreads: picking another cause's sign
        return min(hint.false_hit, hint.miss)

    def answered(self, hint: Hint, cause: Cause, feature: Feature) -> float:
        # hit, false_hit and miss already are how often people read a sign right and wrong
        return self.likelihood(hint, cause, feature)

    def reasons(self, hint: Hint, cause: Cause, feature: Feature, *, source: str) -> list[tuple[float, Reason]]:
        who = "You said" if source == "user" else "authdoctor doctor found on this machine that"
        # against a cause whose sign was not answered: how much likelier these answers make this one
        factor = sign_likelihood(hint, cause.id, feature) / sign_likelihood(hint, "", feature)
        if cause.id in feature:
            line = f"{who} its sign matches: \"{cause.sign}\""
            return [(3.0, Reason("hint", "Its sign matches", source, round(factor, 4), None, False, cause.sign, line))]
        n = feature.count("!" + cause.id)
        if not n:
            return []
        times = f" ({'twice' if n == 2 else f'{n} times'})" if n > 1 else ""
        line = f"{who} its sign does not match{times}: \"{cause.sign}\""
        return [(2.0, Reason("hint", f"Its sign does not match{times}", source, round(factor, 4), None, False, cause.sign, line))]

    def offer(self, kb: KB, hint: Hint, probs: Mapping[str, float], given: Any) -> Offer | None:
        before = tuple(given or ())
        answers = sign_answers(hint, probs, before)
        if not answers:
            return None

        def likelihood(c: str) -> list[float]:
            # P(answer | cause), the ranking's own likelihoods made a distribution over this offer
            row = [sign_likelihood(hint, c, a[len(before):]) for a in answers]
            total = sum(row)
            return [x / total for x in row]
        return Offer(tuple(answers), likelihood)

    def options(self, kb: KB, hint: Hint, offer: Offer, given: Any) -> tuple[tuple[Any, ...], tuple[str, ...]]:
        seen = rejections(tuple(given or ()))
        labels = [("(Checked once before; look again.) " if seen.get(a[-1]) else "") + kb.causes[a[-1]].sign
                  for a in offer.answers[:-1]] + ["None of these"]
        return offer.answers, tuple(labels)

    def outcomes(self, hint: Hint, cause: Cause, options: tuple[Any, ...], given: Any) -> dict[Any, float]:
        before = tuple(given or ())
        row = [sign_likelihood(hint, cause.id, tuple(o)[len(before):]) for o in options]
        total = sum(row)
        return {tuple(o): x / total for o, x in zip(options, row)}


def sign_likelihood(hint: Hint, cid: str, answers: tuple[str, ...]) -> float:
    """P(these answers to the differential question | cid): each answer on its own."""
    p = 1.0
    for a in answers:
        if a.startswith("!"):
            p *= hint.miss if a[1:] == cid else 1.0 - hint.false_hit
        else:
            p *= hint.hit if a == cid else hint.false_hit
    return p


def sign_answers(hint: Hint, probs: Mapping[str, float], given: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The differential question's possible answers, as the full new hint value each.

    A sign said to match is not offered again. A sign said not to match may come
    back (up to hint.offers times in all) once the other leads have fallen below
    it: a check skipped or misread the first time otherwise sinks its cause for
    good, and a second look is what a colleague would ask for.
    """
    picked = {a for a in given if not a.startswith("!")}
    offered = rejections(given)
    shown = [c for c, _ in sorted(probs.items(), key=lambda kv: (-kv[1], kv[0]))
             if c not in picked and offered.get(c, 0) < hint.offers][: hint.shown]
    if len(shown) < 2:
        return []
    return [given + (c,) for c in shown] + [given + tuple("!" + c for c in shown)]


def rejections(given: tuple[str, ...]) -> Counter[str]:
    """How many times each cause's sign was said not to match."""
    return Counter(a[1:] for a in given if a.startswith("!"))


KINDS: dict[str, Kind] = {k.name: k for k in (BoolKind(), EnumKind(), RegionKind(), VersionKind(), VarlistKind(),
                                               SkewKind(), SignsKind())}


def kind(hint: Hint) -> Kind:
    return KINDS[hint.type]


def check_value(hint: Hint, value: Any) -> Any:
    return kind(hint).check(hint, value)


def feature_value(hint: Hint, value: Any) -> Feature:
    return kind(hint).feature(hint, value)


def check_hints(kb: KB, hints: Any) -> dict[str, Any]:
    """Every hint checked; unknown keys and values outside their domain refused."""
    if hints is None:
        return {}
    if not isinstance(hints, dict):
        raise HintError("hints", "'hints' must be an object of hint names to values")
    out = {}
    for key, value in hints.items():
        hint = kb.hints.get(key)
        if hint is None:
            raise HintError(key, f"unknown hint {quote_name(key)}; known hints: {', '.join(kb.hints)}")
        if value is None or value == UNKNOWN:
            continue  # an explicit "I don't know" is handled by the caller
        out[key] = check_value(hint, value)
    return out


def region_class(hint: Hint, region: str) -> str:
    if region.startswith("us-gov-") or region.startswith("us-iso"):
        return "govcloud"
    if region.startswith("cn-"):
        return "china"
    return "opt-in" if region in hint.opt_in else "standard"
