"""Calls that pass an argument in another parameter's place, found by reading a script (never by
running it): the audit of a pack's training script (`autograde audit`).

The blog this project's onelayer pack follows trains with `forward(X, W1, b1, W2, b1)`: its fifth
parameter is b2, and it is passed b1, the name of the third. Its hidden and output layers both
have 3 units, so the shapes fit, nothing fails, and b2 is never learnt. A name passed to a
parameter that the function's own signature gives another name to is rarely meant; when it is
meant (a course passing `b1` twice on purpose) the script can say so by naming it otherwise.
"""
from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class MisplacedArgument:
    """`call`, at `file`:`line`, passes the name `passed` to `parameter` (position `position`,
    from 1; 0 for a keyword argument), and `passed` names another parameter of the function."""

    file: str
    line: int
    call: str
    function: str
    parameter: str
    position: int
    passed: str
    passed_position: int

    def __str__(self) -> str:
        place = f"argument {self.position}" if self.position else "a keyword argument"
        return (f"{self.file}, line {self.line}: {self.call} passes {self.passed} as {place}, "
                f"which is {self.function}'s parameter {self.parameter}; {self.passed} is the name "
                f"of its parameter {self.passed_position}. Is {self.parameter} meant?")


def parameters(signature: str) -> tuple[str, ...] | None:
    """The parameter names of a manifest's signature text, "forward(X, W1, b1, W2, b2) -> (Y, Z)",
    or None when it is not written as a call of plain names."""
    head = signature.split("->", 1)[0].strip()
    try:
        node = ast.parse(head, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call) or node.keywords or not all(
            isinstance(a, ast.Name) for a in node.args):
        return None
    return tuple(a.id for a in node.args)


def find(script: Path, signatures: Mapping[str, tuple[str, ...]], *,
         shown_as: str | None = None) -> tuple[MisplacedArgument, ...]:
    """Every call in `script` to a function of `signatures` (name -> parameter names) that passes
    a plain name equal to another of that function's parameters. Raises SyntaxError when the
    script does not parse (the audit says so)."""
    text = Path(script).read_text(encoding="utf-8")
    tree = ast.parse(text, str(script))
    where = shown_as or Path(script).name
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else (
            node.func.attr if isinstance(node.func, ast.Attribute) else None)
        params = signatures.get(name or "")
        if not params:
            continue
        passed: list[tuple[str, int, ast.expr]] = []
        for i, arg in enumerate(node.args):
            if isinstance(arg, ast.Starred) or i >= len(params):
                break  # past a *args the positions are unknown
            passed.append((params[i], i + 1, arg))
        passed += [(kw.arg, 0, kw.value) for kw in node.keywords if kw.arg in params]
        for parameter, position, arg in passed:
            if isinstance(arg, ast.Name) and arg.id in params and arg.id != parameter:
                found.append(MisplacedArgument(
                    where, node.lineno, ast.unparse(node), name, parameter, position, arg.id,
                    params.index(arg.id) + 1))
    return tuple(sorted(found, key=lambda f: (f.line, f.position)))


__all__ = ["MisplacedArgument", "find", "parameters"]
