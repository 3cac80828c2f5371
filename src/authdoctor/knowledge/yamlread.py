"""Strict YAML reading for the knowledge base.

PyYAML silently keeps the last of two duplicate keys and reads yes/no/on/off as
booleans; both have bitten curated-data projects. We compose the node tree
first, refuse those, and keep line numbers and trailing comments so that errors
can name file:line and every number can carry its source.

Anchors and aliases (&a, *a) are refused while the events are read, before any
node is built: a few lines of nested aliases ("billion laughs") expand into
billions of values, and the KB has no need to share them. So are tags other
than the seven standard ones (!!python/object and the like name constructors
the safe loader refuses; it used to raise without naming the file). Reading is
one pass over the events, so its time is linear in the file's size.
"""
from __future__ import annotations

import re
from typing import Any

import yaml

from .model import Problem

# where a value sits in a document: keys and list indexes from the top
YamlPath = tuple[Any, ...]

_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}
_STANDARD_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map")}
# a file with this many refused anchors, aliases or tags is not read further
_MAX_REFUSED = 20
# libyaml's parser when PyYAML was built with it: the KB parses several times faster
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

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


def _refuse(problems: list[Problem], code: str, filename: str, mark: Any, message: str) -> None:
    problems.append(Problem(code, filename, mark.line + 1, mark.column + 1, message))


def _compose(text: str, filename: str, problems: list[Problem]) -> yaml.Node | None:
    """yaml.compose, refusing anchors, aliases and non-standard tags as their events come.

    Refusals go to `problems` and the result is then None: nothing is built from
    a refused file. Raises yaml.YAMLError for text that is not YAML.
    """
    # the stubs type events and marks loosely (libyaml's or pure Python's); read them as Any
    resolve: Any = yaml.resolver.Resolver().resolve
    event: Any
    start: Any
    end: Any
    root: yaml.Node | None = None
    # open collections; a mapping's slot holds its pending key node
    stack: list[tuple[yaml.SequenceNode | yaml.MappingNode, list[yaml.Node | None]]] = []
    refused = 0
    documents = 0

    def add(node: yaml.Node) -> None:
        nonlocal root
        if not stack:
            root = node
            return
        parent, slot = stack[-1]
        if isinstance(parent, yaml.SequenceNode):
            parent.value.append(node)
        elif slot[0] is None:
            slot[0] = node
        else:
            parent.value.append((slot[0], node))
            slot[0] = None

    for event in yaml.parse(text, Loader=_Loader):
        start, end = event.start_mark, event.end_mark
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise yaml.composer.ComposerError(
                    None, None, "expected a single document in the file, but found another ('---')", start)
            continue
        if isinstance(event, yaml.AliasEvent):
            refused += 1
            _refuse(problems, "KB037", filename, start,
                    f"alias '*{event.anchor}': anchors and aliases are not allowed in the KB; write the value out")
            add(yaml.ScalarNode("tag:yaml.org,2002:null", "", start, end))
        elif isinstance(event, (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            if event.anchor is not None:
                refused += 1
                _refuse(problems, "KB037", filename, start,
                        f"anchor '&{event.anchor}': anchors and aliases are not allowed in the KB; write the value out")
            explicit = event.tag if event.tag not in (None, "!") else None
            if explicit is not None and explicit not in _STANDARD_TAGS:
                refused += 1
                shown = explicit.replace("tag:yaml.org,2002:", "!!", 1)
                _refuse(problems, "KB038", filename, start,
                        f"tag '{shown}' is not allowed: the KB is plain text, numbers, true/false, lists and mappings")
            if isinstance(event, yaml.ScalarEvent):
                tag = explicit or resolve(yaml.ScalarNode, event.value, event.implicit)
                add(yaml.ScalarNode(tag, event.value, start, end, style=event.style))
            elif isinstance(event, yaml.SequenceStartEvent):
                seq = yaml.SequenceNode(explicit or resolve(yaml.SequenceNode, None, event.implicit), [],
                                        start, None, flow_style=event.flow_style)
                add(seq)
                stack.append((seq, [None]))
            else:
                mapping = yaml.MappingNode(explicit or resolve(yaml.MappingNode, None, event.implicit), [],
                                           start, None, flow_style=event.flow_style)
                add(mapping)
                stack.append((mapping, [None]))
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            node, _ = stack.pop()
            node.end_mark = end
        if refused >= _MAX_REFUSED:
            problems.append(Problem("KB037" if problems[-1].code == "KB037" else "KB038", filename,
                                    problems[-1].line, problems[-1].col, f"{refused} refused anchors, aliases or tags: the rest of the file is not read"))
            break
    return None if refused else root


def load(text: str, filename: str) -> tuple[Located | None, list[Problem]]:
    problems: list[Problem] = []
    try:
        root = _compose(text, filename, problems)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = getattr(exc, "problem", None) or str(exc)
        return None, problems + [Problem("KB001", filename, line, col, f"not valid YAML: {reason}")]
    if problems:
        return None, problems
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
    try:
        data = yaml.constructor.SafeConstructor().construct_document(root)
    except (yaml.YAMLError, ValueError, TypeError, KeyError, OverflowError) as exc:
        # a standard tag on a value it cannot read (`!!int abc`, `!!map` on text) or an impossible date
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = getattr(exc, "problem", None) or f"{type(exc).__name__}: {exc}"
        return None, problems + [Problem("KB001", filename, line, col, f"a value cannot be read: {reason}")]
    return Located(data, lines, comments), problems
