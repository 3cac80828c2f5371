"""What kind of text a fix command is (a shell line, a Terraform block, a config file section ...).

A command in a cause file is shell unless it is fenced as Markdown fences code:
a first line of three backticks and a language (```hcl), the text, a last line
of three backticks. The loader keeps the text without its fence and the kind
beside it, so a terminal puts `$ ` only before shell and every door can label
the rest ("Terraform (HCL)", "config file").
"""
from __future__ import annotations

import re

# kind -> the fence language a KB author writes, then the other names taken for it
KIND_FENCES: dict[str, tuple[str, ...]] = {
    "shell": ("sh", "bash", "shell", "console", "zsh"),
    "powershell": ("powershell", "pwsh", "ps1"),
    "hcl": ("hcl", "terraform", "tf"),
    "ini": ("ini", "cfg", "config"),
    "json": ("json",),
    "yaml": ("yaml", "yml"),
}
FIX_KINDS = tuple(KIND_FENCES)
# what a door shows as a block's label
KIND_LABELS = {"shell": "shell", "powershell": "PowerShell", "hcl": "Terraform (HCL)", "ini": "config file",
               "json": "JSON", "yaml": "YAML"}
FENCE_KIND = {tag: kind for kind, tags in KIND_FENCES.items() for tag in tags}

# Only a KB build reads commands (a start reads the cached KB), so the patterns below are texts,
# compiled by re on their first use (and kept in its cache), not at every start.
_OPEN = r"\A[ \t]*```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n"
_CLOSE = r"\n[ \t]*```[ \t]*\Z"
_FENCE_LINE = r"(?m)^[ \t]*```[ \t]*([A-Za-z0-9_+-]*)[ \t]*$"


def fence_tag(kind: str) -> str:
    """The language a fence names for `kind` (Markdown output uses it too)."""
    return KIND_FENCES[kind][0]


def split_fence(command: str) -> tuple[str, str, str | None]:
    """(kind, text without its fence, problem or None) for one command as written."""
    text = command.rstrip("\n")
    m = re.match(_OPEN, text)
    if not m:
        if text.lstrip().startswith("```"):
            return "shell", text, "a fence's first line is three backticks and a language, alone on the line"
        return "shell", text, None
    tag = m.group(1).lower()
    close = re.compile(_CLOSE).search(text, m.end() - 1)
    body = text[m.end(): close.start()] if close else text[m.end():]
    if not close:
        return "shell", body, "the fence is not closed: end it with a line of three backticks"
    if not tag:
        return "shell", body, f"the fence names no language: write ```{fence_tag('hcl')}, ```{fence_tag('ini')} ... ({_known()})"
    if tag not in FENCE_KIND:
        return "shell", body, f"unknown fence language {tag!r}: one of {_known()}"
    if not body.strip():
        return FENCE_KIND[tag], body, "the fence holds no command"
    return FENCE_KIND[tag], body, None


def unlabelled_fences(markdown: str) -> int:
    """How many code fences in Markdown open without a language."""
    count = 0
    for i, m in enumerate(re.finditer(_FENCE_LINE, markdown or "")):
        if i % 2 == 0 and not m.group(1):
            count += 1
    return count


# What a command without a fence must not look like: the text of another kind.
_LOOKS = (
    ("powershell", r"(?m)^\s*(?:\$env:|\[Environment\]::|[A-Z][a-z]+-[A-Z][A-Za-z]+\b)|#\s*PowerShell\b"),
    ("hcl", r"(?m)^\s*(?:provider|resource|data|module|variable|output|terraform|locals)\b[^\n]*\{\s*$"),
    ("json", r"\A\s*(?:\{|\[\s*\{|\"[^\"\n]+\"\s*:)"),
    ("ini", r"(?m)^\s*\[(?:default|profile [^\]]+|sso-session [^\]]+|[<\w][\w<>-]*)\]\s*$"),
    ("yaml", r"(?m)^(?:-\s+)?[A-Za-z_][\w.-]*:(?:\s*$|\s+\S)"),
)


def looks_like(command: str) -> str | None:
    """The kind an unfenced command reads as when that is not shell, else None."""
    body = "\n".join(line for line in command.splitlines() if not line.lstrip().startswith("#"))
    for kind, pattern in _LOOKS:
        if re.search(pattern, body):
            return kind
    return None


def _known() -> str:
    return ", ".join(fence_tag(k) for k in FIX_KINDS)
