"""The grader's modules form layers: no module imports, even late inside a function, a module that
imports it back. The batch layer had such a circle (batch -> task -> server -> cli -> batch): a
warm grader ran the command line to grade. Imports guarded by `if TYPE_CHECKING:` never run and
do not count."""
from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

GRADER = ROOT / "grader"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in GRADER.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The grader modules `path` imports anywhere in it, but under `if TYPE_CHECKING:`."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in modules and m != "grader"}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = walk(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = walk(node)
            if found:
                return found
    return None


def test_no_module_imports_one_that_imports_it_back():
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_warm_grader_grades_through_the_api_the_command_line_calls():
    modules = _modules()
    server = _imports(modules["grader.server"], modules)
    assert "grader.cli" not in server
    assert {"grader.grading", "grader.grade_command"} <= server
    cli = _imports(modules["grader.cli"], modules)
    assert "grader.grading" in cli


def test_the_cycle_finder_finds_the_old_circle():
    old = {"grader.batch": {"grader.task"}, "grader.task": {"grader.server"},
           "grader.server": {"grader.cli"}, "grader.cli": {"grader.batch"}}
    assert _cycle(old) == ["grader.batch", "grader.task", "grader.server", "grader.cli",
                           "grader.batch"]
