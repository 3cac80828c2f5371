"""The hint vocabulary: check what a client sends, and turn a value into its feature.

The vocabulary itself is data (kb/hints.yaml); this module only knows the six
kinds of hint and how each becomes one discrete feature value.
"""
from __future__ import annotations

import re
from collections import Counter

from .knowledge import KB, Hint

# ASCII only, and matched whole (fullmatch): exactly what the OpenAPI document's
# patterns say, so a value the document refuses is refused here too (Unicode
# digits, a trailing newline, a Unicode space that str.strip() would eat).
REGION = re.compile(r"^(?:us-gov|us-iso[a-z]?|cn|[a-z]{2})-[a-z]+(?:-[a-z]+)?-\d{1,2}$", re.ASCII)
VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+.][0-9A-Za-z.-]+)?$", re.ASCII)
ENV_NAME = re.compile(r"^AWS_[A-Z0-9_]{1,64}$", re.ASCII)
# seconds as a form field sends them: plain decimal, under 10**9 by its shape
NUMBER = re.compile(r"[-+]?(?:\d{1,9}(?:\.\d*)?|\.\d+)", re.ASCII)
SPACE = " \t\r\n\f\v"
UNKNOWN = "unknown"


class HintError(ValueError):
    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def _bool(value, key):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise HintError(key, f"hint '{key}' must be true or false, not {value!r}")


def hint_text(value) -> str:
    """A hint value as a person types it (`--hint`, a query string, a button):
    lists comma-joined, booleans in lower case, the way check_value reads them back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return str(value)


def version_tuple(value: str) -> tuple[int, int, int]:
    m = VERSION.fullmatch(value.strip(SPACE))
    if not m:
        raise ValueError(value)
    return tuple(int(g or 0) for g in m.groups())  # type: ignore[return-value]


def check_value(hint: Hint, value):
    """The value in its canonical form, or HintError naming the hint."""
    key = hint.key
    if hint.type == "bool":
        return _bool(value, key)
    if hint.type == "enum":
        if not isinstance(value, str) or value not in hint.values:
            raise HintError(key, f"hint '{key}' must be one of {', '.join(hint.values)}; got {value!r}")
        return value
    if hint.type == "region":
        if not isinstance(value, str) or not value.isascii() or not REGION.fullmatch(value.strip(SPACE).lower()):
            raise HintError(key, f"hint '{key}' must be an AWS region name like eu-west-1; got {value!r}")
        return value.strip(SPACE).lower()
    if hint.type == "version":
        # a whole number is its own text; a float is not taken: 1.10 would arrive as 1.1
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            value = str(value)
        if not isinstance(value, str) or not VERSION.fullmatch(value.strip(SPACE)):
            raise HintError(key, f"hint '{key}' must be a version like 1.5.7; got {value!r}")
        return value.strip(SPACE).lstrip("v")
    if hint.type == "varlist":
        if isinstance(value, str):
            value = [v for v in re.split(r"[,\s]+", value, flags=re.ASCII) if v]
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list) or not all(isinstance(v, str) and ENV_NAME.fullmatch(v) for v in value):
            raise HintError(key, f"hint '{key}' must be a list of AWS_* variable names; got {value!r}")
        return sorted(set(value))
    if hint.type == "signs":
        if isinstance(value, str):
            value = [v for v in re.split(r"[,\s]+", value, flags=re.ASCII) if v]
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.lstrip("!") in hint.values for v in value):
            raise HintError(key, f"hint '{key}' must be a list of cause ids (matching signs) or '!<id>' (signs that do not match); got {value!r}")
        # A sign said to match counts once; one said not to match counts once per
        # offer (ask.sign_answers may offer it again), never more.
        seen: Counter = Counter()
        out = []
        for v in value:
            seen[v] += 1
            if seen[v] <= (hint.offers if v.startswith("!") else 1):
                out.append(v)
        return out
    if hint.type == "skew":
        if isinstance(value, str) and NUMBER.fullmatch(value.strip(SPACE)):
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or abs(value) > 10**9:
            raise HintError(key, f"hint '{key}' must be a number of seconds; got {value!r}")
        return value
    raise HintError(key, f"hint '{key}' has an unknown type")


def check_hints(kb: KB, hints) -> dict:
    """Every hint checked; unknown keys and values outside their domain refused."""
    if hints is None:
        return {}
    if not isinstance(hints, dict):
        raise HintError("hints", "'hints' must be an object of hint names to values")
    out = {}
    for key, value in hints.items():
        hint = kb.hints.get(key)
        if hint is None:
            raise HintError(key, f"unknown hint '{key}'; known hints: {', '.join(kb.hints)}")
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


def feature_value(hint: Hint, value) -> str:
    """The discrete feature value a canonical hint value stands for."""
    if hint.type == "bool":
        return "true" if value else "false"
    if hint.type == "enum":
        return value
    if hint.type == "region":
        return region_class(hint, value)
    if hint.type == "version":
        v = version_tuple(value)
        for name, below in hint.buckets:
            if below is None or v < version_tuple(str(below)):
                return name
        return hint.buckets[-1][0]
    if hint.type == "varlist":
        names = set(value)
        if {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} & names:
            return "keys"
        if "AWS_PROFILE" in names or "AWS_DEFAULT_PROFILE" in names:
            return "profile"
        return "none"
    if hint.type == "skew":
        return "off" if abs(float(value)) >= hint.threshold else "in-sync"
    if hint.type == "signs":
        return tuple(value)
    raise ValueError(hint.type)


def option_for(hint: Hint, feature: str):
    """The answer value a client sends back for a feature value (question options)."""
    for opt in hint.options:
        if feature_value(hint, check_value(hint, opt)) == feature:
            return opt
    return None
