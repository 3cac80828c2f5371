"""The house's floor plan, held by its imports: the KB at the bottom, the engine on it, doors on top."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "authdoctor"
DOORS = ("authdoctor.web", "authdoctor.cli")
WEB_ONLY = ("flask", "flask_limiter", "werkzeug", "slack_sdk", "jinja2")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, top-level or inside a function, as absolute names."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.add(target)
            # `from . import x` imports the submodule x
            out.update(f"{target}.{a.name}" for a in node.names)
    return out


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {name: {m for m in _imports(path) if m in MODULES and m != name} for name, path in MODULES.items()}


def _within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_there_are_no_import_cycles():
    # a package's own __init__ re-exporting its submodules is not a cycle
    graph = {n: {m for m in deps if not n.startswith(m + ".")} for n, deps in GRAPH.items()}
    done, stack = set(), []

    def visit(n):
        if n in stack:
            raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(n):] + [n]))
        if n in done:
            return
        stack.append(n)
        for m in sorted(graph[n]):
            visit(m)
        stack.pop()
        done.add(n)

    for n in sorted(graph):
        visit(n)


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _within(n, ("authdoctor.knowledge",))))
def test_the_knowledge_base_imports_nothing_of_the_engine(name):
    allowed = ("authdoctor.knowledge", "authdoctor.config")
    assert {m for m in GRAPH[name] if m != "authdoctor" and not _within(m, allowed)} == set()


# the pipeline's steps: the modules at the package root (the CLI's __main__ aside)
ENGINE = sorted(n for n, p in MODULES.items() if p.parent == PACKAGE and p.stem not in ("__init__", "__main__"))


@pytest.mark.parametrize("name", ENGINE)
def test_the_engine_imports_no_door_and_no_author_tool(name):
    assert {m for m in GRAPH[name] if _within(m, DOORS + ("authdoctor.authoring",))} == set()


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not _within(n, ("authdoctor.web",))))
def test_flask_and_slack_live_only_in_the_web_door(name):
    third_party = {m.split(".")[0] for m in _imports(MODULES[name])}
    assert third_party.isdisjoint(WEB_ONLY), f"{name} imports {third_party & set(WEB_ONLY)}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_finds_its_data_by_climbing_directories(name):
    text = MODULES[name].read_text(encoding="utf-8")
    assert "dirname(os.path.dirname" not in text and ".parents[" not in text
