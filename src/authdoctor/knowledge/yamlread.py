"""Strict YAML reading for the knowledge base.

PyYAML silently keeps the last of two duplicate keys and reads yes/no/on/off as
booleans; both have bitten curated-data projects. We compose the node tree
first, refuse those, and keep line numbers and trailing comments so that errors
can name file:line and every number can carry its source.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

# where a value sits in a document: keys and list indexes from the top
YamlPath = tuple[Any, ...]

_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}
# libyaml's parser when PyYAML was built with it: the KB parses several times faster
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Problem:
    code: str
    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.code} {self.message}"


class Located:
    """The parsed document plus, for every path, its line and trailing comment."""

    def __init__(self, data: Any, lines: dict[YamlPath, int], comments: dict[YamlPath, str]):
        self.data = data
        self.lines = lines
        self.comments = comments

    def line(self, *path: Any) -> int:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1

    def comment(self, *path: Any) -> str:
        return self.comments.get(path, "")


_COMMENT = re.compile(r"\s#\s?(.*)$")


def _trailing_comment(raw_lines: list[str], node: yaml.Node) -> str:
    line = raw_lines[node.end_mark.line] if node.end_mark.line < len(raw_lines) else ""
    rest = line[node.end_mark.column:]
    m = _COMMENT.search(" " + rest)
    return m.group(1).strip() if m else ""


def load(text: str, filename: str) -> tuple[Located | None, list[Problem]]:
    problems: list[Problem] = []
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem("KB001", filename, line, col, f"not valid YAML: {reason}")]
    if root is None:
        return None, [Problem("KB001", filename, 1, 1, "the file is empty")]
    raw_lines = text.splitlines()
    lines: dict[YamlPath, int] = {}
    comments: dict[YamlPath, str] = {}

    def walk(node: yaml.Node, path: YamlPath) -> None:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for knode, vnode in node.value:
                key = knode.value
                if key in seen:
                    problems.append(Problem(
                        "KB002", filename, knode.start_mark.line + 1, knode.start_mark.column + 1,
                        f"duplicate key '{key}' (first at line {seen[key]}); YAML would keep only the last, remove one"))
                seen[key] = knode.start_mark.line + 1
                walk(vnode, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, child in enumerate(node.value):
                walk(child, path + (i,))
        elif isinstance(node, yaml.ScalarNode):
            if node.tag == "tag:yaml.org,2002:bool" and not node.style and node.value.lower() in _YAML11_BOOLS:
                problems.append(Problem(
                    "KB003", filename, node.start_mark.line + 1, node.start_mark.column + 1,
                    f"'{node.value}' reads as a boolean; write true/false, or quote it if it is text"))
            comments[path] = _trailing_comment(raw_lines, node)

    walk(root, ())
    # built from the nodes already composed: the text is parsed once
    data = yaml.constructor.SafeConstructor().construct_document(root)
    return Located(data, lines, comments), problems
