"""Fold what varies between two pastes of the same error, keep what tells errors apart.

Request ids, host ids, UUIDs, ARNs, account ids, timestamps and CI log prefixes
go; error codes, service names, regions and `sts:` actions stay (Sentry #68355:
mask what varies, never what discriminates). The KB's variant texts pass
through the same function, so both sides meet in one form.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from typing import AnyStr

# An OSC sequence ("ESC ] ... BEL") ends at its first BEL or ESC and never takes a line
# break: read to the paste's last terminator instead, one ESC ] after another costs
# quadratic time and a hyperlink's text goes with it; and so each line normalises alone.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]"
                   r"|\x1b\][^\x07\x1b\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]*+(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
# colour codes whose ESC was lost in a copy from a CI page: "[0m", "[1;31m"
_ANSI_LEFTOVER = re.compile(r"\[\d{1,3}(?:;\d{1,3})*m")
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The patterns below run on all the lines of a paste at once, joined by "\n": none takes a
# "\n" (a space is [^\S\n]), so each matches what it would on each line alone.
_CI_PREFIX = re.compile(
    r"^[^\S\n]*(?:"
    r"\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]?"  # ISO stamps (Actions, Jenkins)
    r"|\d{2}:\d{2}:\d{2}(?:\.\d+)?"                                                      # bare clock
    r"|##\[(?:error|warning|group|endgroup|debug)\]"                                     # GitHub Actions commands
    r"|(?:ERRO|WARN|INFO|DEBU)\[\d+\]"                                                   # logrus (Terragrunt)
    r")[^\S\n]*", re.I | re.M)
# the same, found from the line break before it (a paste is read with one put in front): a
# pattern that starts with a literal is searched for in C, one that starts with ^ is tried at
# every position
_CI_PREFIX_AFTER_BREAK = re.compile("\n" + _CI_PREFIX.pattern.removeprefix("^"), re.I)
# the ASCII bytes _CTRL does not match: ASCII text that is only these has nothing for it to do
_NOT_CTRL = bytes(c for c in range(128) if not _CTRL.match(chr(c)))
_BOX = re.compile(r"[│╷╵┃┆╎|]")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "`": "'"})
_MASKS = [
    # An AWS JSON-protocol error body ({"__type": "com.amazonaws.sso#UnauthorizedException", "message": ...},
    # the Smithy awsJson1_0/1_1 and restJson1 error shapes) as a debug log or curl prints it: the
    # keys and the shape's namespace go, so the code and message read as an SDK prints them (also
    # boto3's response dict, printed with single quotes: {'Error': {'Code': ..., 'Message': ...}})
    (re.compile(r"[\"'](?:__type|code|message|errorcode|errormessage|eventname)[\"'][^\S\n]*:[^\S\n]*[\"'](?:[\w.]+#)?", re.I), " "),
    (re.compile(r"\b(?:status ?code:?[^\S\n]*\d{3},?[^\S\n]*)?request ?id:?[^\S\n]*[\w#*<>-]*,?", re.I), " "),
    (re.compile(r"\bhost ?id:?[^\S\n]*[A-Za-z0-9+/=]+", re.I), " "),
    (re.compile(r"<(?:RequestId|HostId)>[^<\n]*</(?:RequestId|HostId)>", re.I), " "),
    (re.compile(r"\bstatus ?code:?[^\S\n]*\d{3}\b,?", re.I), " "),
    # AWS-managed policy names tell causes apart (AWSCompromisedKeyQuarantineV3); other ARNs only vary
    (re.compile(r"\barn:aws[\w-]*:iam::aws:policy/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)"), r"aws-managed-policy \1"),
    (re.compile(r"\barn:aws[\w-]*:[^\s\"',)\]]+"), "<arn>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<id>"),
    (re.compile(r"\b\d{8}T\d{6}Z\b"), "<time>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"\b\d{12}\b"), "<account>"),
    (re.compile(r"\b[0-9a-f]{16,}\b", re.I), "<hex>"),
    (re.compile(r"(?<![\w/+])[A-Za-z0-9+/]{48,}={0,2}(?![\w/+=])"), "<blob>"),
    (re.compile(r"(?:/Users|/home|C:\\Users)[/\\][^/\\\s]+"), "~"),
]
# for each mask: texts one of which every match holds (none: it always runs), and whether case-blind
_MASK_NEEDLES: list[tuple[tuple[str, ...], bool]] = [
    # (the JSON mask: every key it drops ends in one of these, its quote after it)
    (('type"', "type'", 'code"', "code'", 'message"', "message'", 'name"', "name'"), True),
    (("request",), True), (("host",), True), (("<",), False), (("status",), True), (("arn:aws",), False),
    (("arn:aws",), False), (("-",), False), (("T",), False), (("-",), False), ((), False), ((), False), ((), False),
    (("/Users", "/home", "C:\\Users"), False),
]
# On ASCII text a mask whose match is a run of digits, hex or base64 runs only where the text,
# its characters of that class made one (bytes.translate), holds one of these (a test of each
# position by the regex costs ~20 ns a character a mask, the check ~1 ns): for each mask, None
# (no such test) or the table and the texts.
_DIGIT = bytes(48 if 48 <= c <= 57 else c for c in range(256))
_HEX = bytes(104 if 48 <= c <= 57 or 65 <= c <= 70 or 97 <= c <= 102 else c if c == 45 else 46 for c in range(256))
_B64 = bytes(98 if 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c in (43, 47) else 46 for c in range(256))
_MASK_RUNS: list[tuple[bytes, tuple[bytes, ...]] | None] = [
    None, None, None, None, None, None, None,
    (_HEX, (b"hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh",)),
    (_DIGIT, (b"00000000T000000Z",)),
    (_DIGIT, (b"0000-00-00T00:00:00", b"0000-00-00 00:00:00")),
    (_DIGIT, (b"0" * 12,)),
    (_HEX, (b"h" * 16,)),
    (_B64, (b"b" * 48,)),
    None,
]
_SPACE = re.compile(r"[ \t\r\f\v]+")
# each mask with what tells whether it may match: (pattern, replacement, needles, case-blind, run)
_MASK_PLAN = [(p, r, needles, blind, run) for (p, r), (needles, blind), run in zip(_MASKS, _MASK_NEEDLES, _MASK_RUNS)]


def normalize_lines(text: str) -> list[str]:
    """The normalised, non-empty lines of `text`, in order."""
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if "[" in text:
        text = _ANSI_LEFTOVER.sub("", text)
    # (of the quotes only the backquote is ASCII: a replace costs less than a translate)
    text = text.replace("`", "'") if text.isascii() else text.translate(_QUOTES)
    # nothing in a blank line survives the folding: skip it
    lines = "\n".join(line for line in text.splitlines() if line.strip())
    if not lines.isascii() or lines.encode("ascii").translate(None, _NOT_CTRL):
        lines = _CTRL.sub(" ", lines)
    lines = _CI_PREFIX_AFTER_BREAK.sub("\n", "\n" + lines)[1:]
    if not lines.isascii() or "|" in lines:
        lines = _BOX.sub(" ", lines)
    # a mask runs only where a text every match holds is there (case-blind ones: on ASCII
    # text, where lower() is their case rule; the box characters are out); the regexes would
    # try every position
    ascii_text = lines.isascii()
    low = lines.lower() if ascii_text else ""
    runs: dict[bytes, bytes] = {}  # a table -> the text as it makes it (emptied when a mask changes the text)
    for pattern, repl, needles, blind, run in _MASK_PLAN:
        if needles and (not blind or ascii_text):
            hay = low if blind else lines
            for n in needles:
                if n in hay:
                    break
            else:
                continue
        if run is not None and ascii_text:
            table, texts = run
            classes = runs.get(table)
            if classes is None:
                classes = runs[table] = lines.encode("ascii").translate(table)
            for t in texts:
                if t in classes:
                    break
            else:
                continue
        new = pattern.sub(repl, lines)
        if new is not lines:
            lines = new
            runs.clear()
    # no \r, \f or \v is left (lines are split at them, _CTRL took the others): only a tab or
    # two spaces in a row are changed
    if "\t" in lines or "  " in lines:
        lines = _SPACE.sub(" ", lines)
    return [line for line in (line.strip().lower() for line in lines.split("\n")) if line]


def normalize(text: str) -> str:
    """One folded line: what the matcher compares."""
    return " ".join(normalize_lines(text))


# --- cutting a long paste down ------------------------------------------------------------

def lines_holding(text: AnyStr, needle: AnyStr, starts: Sequence[int]) -> Iterator[int]:
    """The lines of `text` holding `needle`, in order, each once: line i starts at starts[i]
    (ascending, starts[0] == 0), and a needle across a line's end counts for the line it starts
    on. One find per line the needle is on, then on from the next line, not a test of every line."""
    pos = text.find(needle)
    while pos >= 0:
        i = bisect_right(starts, pos) - 1
        yield i
        if i + 1 >= len(starts):
            return
        pos = text.find(needle, starts[i + 1])


# what a mask puts in a normalised line: a text found there may come from these, not the paste
_MASK_WORDS = ("aws-managed-policy", "<arn>", "<id>", "<time>", "<account>", "<hex>", "<blob>")
# bytes -> the lower-case letter they are, a line break, or a space: a text's letter runs, split() apart
_LETTER_RUNS = bytes(c + 32 if 65 <= c <= 90 else c if 97 <= c <= 122 or c == 10 else 32 for c in range(256))
_LETTERS = re.compile(r"[a-z]+")
# words on most lines of a CI log that fails nowhere near them: a literal is looked for by another string
_LOG_WORDS = ("refreshing", "reading", "creating", "modifying", "destroying", "complete", "elapsed", "terraform",
              "providers", "plugins", "installing", "installed", "initializing", "modules", "resources", "running",
              "loading", "downloading", "checking", "version", "registry", "hashicorp", "github", "actions", "workflow",
              "group", "subnet", "instance", "private", "public", "security", "state", "changes", "output", "plan",
              "apply", "data", "debug", "info", "warning", "notice", "request", "response", "http")


def _substrings(words: Iterable[str]) -> frozenset[str]:
    return frozenset(w[i:j] for w in words for i in range(len(w)) for j in range(i + 1, len(w) + 1))


# "p in w for some word w" as one set lookup: a Cut is built with every Doctor, over every literal's pieces
_IN_MASK_WORD = _substrings(_MASK_WORDS)
_IN_LOG_WORD = _substrings(_LOG_WORDS)


def _pieces(literal: str) -> set[str]:
    """The letter strings every normalised line holding `literal` has in the paste itself:
    the parts of its letter runs no mask word holds (a mask's output is not the paste's)."""
    out = set()
    for run in _LETTERS.findall(literal):
        for i in range(len(run)):
            for j in range(i + 3, len(run) + 1):
                if run[i:j] not in _IN_MASK_WORD:
                    out.add(run[i:j])
    return out


def _key(literal: str) -> str | None:
    """min(_pieces(literal), key=(in a log word, -length, itself)), or None when it has no piece:
    looked for longest first, so the short pieces of a long literal are never listed."""
    runs: list[str] = _LETTERS.findall(literal)
    fallback: str | None = None
    for n in range(max(map(len, runs), default=0), 2, -1):
        here = {r[i:i + n] for r in runs for i in range(len(r) - n + 1)} - _IN_MASK_WORD
        if not here:
            continue
        rare = [p for p in here if p not in _IN_LOG_WORD]
        if rare:
            return min(rare)
        if fallback is None:
            fallback = min(here)
    return fallback


class Cut:
    """Where a long paste's error is, found in time linear in the paste, normalising only
    the lines found and a few around them.

    What the matcher reads of a long paste is the lines holding an anchor or an error word,
    with `context` lines either side (match._focus). `cut(text)` gives (focus, region): the
    paste's own lines behind those (at times with a line of dots, below), so that
    `_focus(normalize_lines(focus))` is exactly `_focus(normalize_lines(text))`; and the lines within `around` lines of a hit, where the rest of the
    error's own text is (the version line of a trace, the command that failed). None when
    nothing is cut: the whole normalised text is at most `least` characters long.

    How the lines are found without normalising each: every literal holds a letter string
    the paste itself must hold (lower-cased, ANSI codes out) wherever its normalised line
    holds the literal. The paste's distinct letter runs (one bytes.translate, and a split of its distinct lines)
    tell which of those strings are there at all; each one there is looked for with
    str.find, a line at a time; only the lines found are normalised and checked for the
    literals themselves.
    """

    def __init__(self, literals: Iterable[str], context: int, least: int, around: int = 20):
        self.literals = tuple(sorted(set(literals)))
        self.context = context
        self.least = least
        self.around = around
        # one string for each literal: one the usual lines of a CI log do not hold, the longest
        self.by_key: dict[str, list[str]] | None = {}
        for lit in self.literals:
            key = _key(lit)
            if key is None:  # it could be on any line: nothing can be cut
                self.by_key = None
                break
            self.by_key.setdefault(key, []).append(lit)

    def __call__(self, text: str) -> tuple[str, str] | None:
        if self.by_key is None or len(text) <= self.least:
            return None
        low = _ANSI_LEFTOVER.sub("", _ANSI.sub("", text)).lower()
        # (a log's lines differ mostly in their numbers: as letter runs most are one of a few)
        letters = low.encode("utf-8", "surrogatepass").translate(_LETTER_RUNS)
        runs = b"\n".join(set(b"\n".join(set(letters.split(b"\n"))).split())).decode()
        # (neither ANSI codes nor lower() take or add a line break: line i of low is line i of text)
        lines = text.split("\n")
        # (ASCII text as long as what the ANSI passes left: nothing was taken, and its lines are low's)
        same = len(low) == len(text) and text.isascii()
        starts = list(accumulate(map((1).__add__, map(len, (lines if same else low.split("\n"))[:-1])), initial=0))
        found: dict[int, list[str]] = {}  # a line -> the literals it may hold
        for key, lits in self.by_key.items():
            if key not in runs:
                continue
            for i in lines_holding(low, key, starts):
                found.setdefault(i, []).extend(lits)
        norm: dict[int, list[str]] = {}

        def normed(i: int) -> list[str]:
            if i not in norm:
                norm[i] = normalize_lines(lines[i])
            return norm[i]

        keep: set[int] = set()
        near: set[int] = set()
        for i in sorted(found):
            sub = normed(i)
            hits = [j for j, line in enumerate(sub) if any(lit in line for lit in found[i])]
            if not hits:
                continue
            keep.add(i)
            near.update(range(max(0, i - self.around), min(len(lines), i + self.around + 1)))
            # `context` normalised lines before the first hit and after the last, whole lines of the paste
            need, k = self.context - hits[0], i
            while need > 0 and k > 0:
                k -= 1
                keep.add(k)
                need -= len(normed(k))
            need, k = self.context - (len(sub) - 1 - hits[-1]), i
            while need > 0 and k + 1 < len(lines):
                k += 1
                keep.add(k)
                need -= len(normed(k))
        order = sorted(keep)
        focus = [lines[i] for i in order]
        size = sum(len(line) + 1 for i in order for line in normed(i)) - 1
        if size <= self.least:
            # Too short for the matcher to cut it down: whether the whole paste is (and so is cut
            # down to just these lines) is shown on other lines, read a few dozen at a time (none
            # is a hit: each hit is kept)
            last = order[-1] if order else -1
            first = order[0] if order else len(lines)
            rest = iter((*range(last + 1, len(lines)), *range(first - 1, -1, -1)))
            while size <= self.least:
                # about as many characters as are missing, and a fifth more (the normalised are fewer)
                batch, chars = [], 0
                for i in rest:
                    batch.append(lines[i])
                    chars += len(lines[i]) + 1
                    if chars > (self.least - size) * 1.2:
                        break
                if not batch:
                    return None  # the whole paste is short: the matcher reads all of it
                size += sum(len(line) + 1 for line in normalize_lines("\n".join(batch)))
            # These lines normalise to the lines the matcher keeps, and it keeps all of a text
            # that short; but a line of them that normalises to two (a lone \r, a \x0b) may add
            # one it does not keep: then a line of dots makes the text long enough for the
            # matcher to cut it down as it cuts the whole paste, put more than `context` lines
            # from any hit (next to a context line that is not the paste's first or last).
            if not order or any(len(normed(i)) > 1 for i in order):
                filler = "." * (self.least + 1)
                if not order:
                    focus = [filler]
                elif order[-1] + 1 < len(lines):
                    focus.append(filler)
                elif order[0] > 0:
                    focus.insert(0, filler)
                else:
                    gap = next((j for j in range(1, len(order)) if order[j] > order[j - 1] + 1), None)
                    if gap is None:
                        return None
                    focus.insert(gap, filler)
        return "\n".join(focus), "\n".join(lines[i] for i in sorted(keep | near))
