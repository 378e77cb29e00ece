"""No hint hands over the answer. The README promises students that no solution is leaked: a hint
diagnoses (what is wrong, why, which identity or numpy behaviour is at play) and gives a direction,
never the finished statement of a graded function.

A hint "quotes the solution" when it holds an expression of a solution's source (reference/, and
the exact mode's derivative in grader/packs/cbow/inputs.py) with the names changed at will: every
name is compared as a placeholder, so `h.T.dot(delta2)` is the reference's
`hidden.T.dot(d_scores)`. Local variables are also read with their definitions put in, so
`(W2.T @ (yhat - y)) * (h > 0)` is found behind `(W2.T @ delta) * (h > 0)`, and `a.dot(b)`,
`np.dot(a, b)` and `a @ b` are one product. What the student's handout already prints (the
starter files and notebooks of student_template/) is no leak and may be quoted.
"""
from __future__ import annotations

import ast
import copy
import json
import re
import tomllib
from importlib import import_module
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKS = sorted(p.parent for p in (ROOT / "grader" / "packs").glob("*/hints.py"))

# Beyond a pack's reference: the grader's own copy of the derivative that only the cbow pack's
# exact mode asks for (its reference follows the notebook's formulas, which are not).
MORE_SOLUTIONS = {"cbow": [(ROOT / "grader" / "packs" / "cbow" / "inputs.py", {"true_gradient"})]}


def _folder(pack: Path, key: str) -> Path:
    return (pack / tomllib.loads((pack / "pack.toml").read_text())[key]).resolve()


def _solutions(pack: Path) -> list[tuple[Path, set[str] | None]]:
    """The pack's reference files (every function in them) and its other answers."""
    return [(path, None) for path in sorted(_folder(pack, "reference").glob("*.py"))] + \
        MORE_SOLUTIONS.get(pack.name, [])


# An expression this simple (one product, one call with nothing else) is vocabulary, not a line
# of a solution: `W2.T`, `yhat - y`, `np.sum(e)` are how a diagnosis names things.
MIN_STEPS = 2
_NAME = re.compile(r"(?<![.\w])(?!(?:True|False|None)\b)[A-Za-z_]\w*\b(?!\s*=[^=])")


def _placeholder(name: re.Match) -> str:
    """A numpy function called keeps its name (sum is not max); any other name is a placeholder."""
    called = name.string[name.end():].lstrip().startswith("(")
    return name[0] if called and callable(getattr(np, name[0], None)) else "_"


def _flat(text: str) -> str:
    """The text with whitespace and `np.` gone, every name (not an attribute, a keyword argument
    or a numpy function called) a placeholder and a number's trailing .0 dropped: the shape of an
    expression."""
    text = _NAME.sub(_placeholder, re.sub(r"\bnp\.", "", text))  # np.log(y): the handout's log(y)
    text = re.sub(r"(?<![\w.])(\d+)\.0(?![\d\w])", r"\1", text)
    return _ungrouped(re.sub(r"_+", "_", re.sub(r"\s+", "", text)))


def _ungrouped(text: str) -> str:
    """The text without its grouping parentheses (a call's stay): ast.unparse writes
    `a @ b * c` where a hint writes `(a @ b) * c`."""
    out, grouping = [], []
    for i, c in enumerate(text):
        if c == "(":
            grouping.append(i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_])"))
            if grouping[-1]:
                continue
        elif c == ")" and grouping and grouping.pop():
            continue
        out.append(c)
    return "".join(out)


def _steps(node: ast.AST) -> float:
    """How many operations an expression takes: calls, products, comparisons, subscripts, keyword
    arguments and attributes (np.something is a name, not a step; a product, however spelt, is
    one). Arithmetic counts half: `W - alpha * dW` and `s * (1 - s)` are how a diagnosis states
    a rule, where `np.sum(d, axis=0)` and `h.T.dot(d)` are how code states an answer."""
    count = 0.0
    for n in ast.walk(node):
        if _is_product(n):
            count += 1 - isinstance(n, ast.Call)  # a.dot(b) is one step, as a @ b is
        elif isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            count += 0.5
        elif isinstance(n, (ast.Call, ast.BinOp, ast.Compare, ast.Subscript, ast.keyword)):
            count += 1
        elif isinstance(n, ast.Attribute) and not (isinstance(n.value, ast.Name)
                                                   and n.value.id == "np"):
            count += 1
    return count


def _is_product(n: ast.AST) -> bool:
    return (isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult)) or (
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "dot")


class _Products(ast.NodeTransformer):
    """Every matrix product spelt one way: `a @ b`, `a.dot(b)` or `np.dot(a, b)`."""

    def __init__(self, spelling: str) -> None:
        self.spelling = spelling

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr == "dot" and not node.keywords:
            if isinstance(f.value, ast.Name) and f.value.id == "np" and len(node.args) == 2:
                return self._spell(*node.args)
            if len(node.args) == 1:
                return self._spell(f.value, node.args[0])
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        return self._spell(node.left, node.right) if isinstance(node.op, ast.MatMult) else node

    def _spell(self, a: ast.expr, b: ast.expr) -> ast.expr:
        if self.spelling == "@":
            return ast.BinOp(a, ast.MatMult(), b)
        if self.spelling == "np.dot":
            return ast.Call(ast.Attribute(ast.Name("np"), "dot"), [a, b], [])
        return ast.Call(ast.Attribute(a, "dot"), [b], [])


class _Inline(ast.NodeTransformer):
    """Each local variable replaced by the expression it was assigned (once, not its own
    update): a hint may write out in one line what the reference names in two."""

    def __init__(self, definitions: dict[str, ast.expr]) -> None:
        self.definitions = definitions

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.definitions:
            return _Inline({k: v for k, v in self.definitions.items()
                            if k != node.id}).visit(copy.deepcopy(self.definitions[node.id]))
        return node


def _definitions(function: ast.FunctionDef) -> dict[str, ast.expr]:
    assigned: dict[str, list[ast.expr]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            assigned.setdefault(node.targets[0].id, []).append(node.value)
    return {name: values[0] for name, values in assigned.items() if len(values) == 1
            and name not in {n.id for n in ast.walk(values[0]) if isinstance(n, ast.Name)}}


def _variants(node: ast.expr) -> set[str]:
    """The expression's shapes: as written, with any of its keyword arguments left out (np.sum(d,
    axis=0) is the finished line whether or not keepdims follows), and as a call whose arguments
    are any names (np.add.at(a, b, c) is the facility used as the solution uses it)."""
    found = set()
    forms = [node]
    if isinstance(node, ast.Call) and node.keywords:
        for k in range(len(node.keywords)):
            for kept in combinations(node.keywords, k):
                forms.append(ast.Call(node.func, node.args, list(kept)))
    if isinstance(node, ast.Call) and node.args:
        forms.append(ast.Call(node.func, [ast.Name("x") for _ in node.args], node.keywords))
    for form in forms:
        if _steps(form) >= MIN_STEPS:
            found.add(_flat(ast.unparse(form)))
    return found


def _solution_expressions(pack: Path) -> dict[str, str]:
    """{shape: where it comes from} of every expression in the pack's solutions' functions."""
    shapes: dict[str, str] = {}
    for path, only in _solutions(pack):
        tree = ast.parse(path.read_text())
        for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            if only is not None and function.name not in only:
                continue
            body = [s for s in function.body
                    if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
            inlined = _Inline(_definitions(function))
            for statement in body:
                for tree_form in (statement, inlined.visit(copy.deepcopy(statement))):
                    for spelling in ("@", "np.dot", ".dot"):
                        spelt = _Products(spelling).visit(copy.deepcopy(tree_form))
                        for node in ast.walk(spelt):
                            if isinstance(node, ast.expr) and not isinstance(node, ast.Name):
                                for shape in _variants(node):
                                    shapes.setdefault(
                                        shape, f"{path.relative_to(ROOT)}, {function.name}: "
                                               f"{ast.unparse(node)}")
    return shapes


def _handout(pack: Path) -> str:
    """Everything the pack's starter files print: their code, docstrings and notebook cells."""
    texts = []
    for path in sorted(_folder(pack, "student_template").glob("*")):
        if path.suffix == ".py":
            texts.append(path.read_text())
        elif path.suffix == ".ipynb":
            texts.extend("".join(cell["source"]) for cell in json.loads(path.read_text())["cells"])
    return _flat("\n".join(texts))


def _leaks(pack: Path) -> dict[str, str]:
    """{shape: where} of the pack's solution expressions its handout does not print."""
    handout = _handout(pack)
    return {shape: where for shape, where in _solution_expressions(pack).items()
            if shape not in handout}


def _quoted(text: str, leaks: dict[str, str]) -> list[str]:
    flat = _flat(text)
    return sorted(f"{where}  (as {shape})" for shape, where in leaks.items() if shape in flat)


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_no_hint_quotes_a_solution(pack):
    leaks = _leaks(pack)
    catalogue = import_module(f"grader.packs.{pack.name}.hints").HINTS
    quoting = {mistake.id: found for mistake in catalogue.values()
               if (found := _quoted(f"{mistake.title}\n{mistake.explanation}", leaks))}
    assert not quoting, "\n".join(f"{k}: {v}" for k, v in quoting.items())


def _messages(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of every string a check module can print: its string literals and the
    literal parts of its f-strings, docstrings aside (they document the check, for its readers)."""
    tree = ast.parse(path.read_text())
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
                  and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    parts = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            yield node.lineno, "".join(v.value if isinstance(v, ast.Constant) else "{}"
                                       for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings | parts:
            yield node.lineno, node.value


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_no_check_message_quotes_a_solution(pack):
    """The same of the messages a check writes itself (a hint's neighbours on the screen)."""
    leaks = _leaks(pack)
    quoting = [f"{path.name}, line {line}: {found}" for path in sorted(pack.glob("checks/*.py"))
               for line, text in _messages(path) if (found := _quoted(text, leaks))]
    assert not quoting, "\n".join(quoting)


QUOTED = {  # lines probe s59 found in hints: the assignment's names, not the reference's spelling
    "cs224n_a1": ["the gradient of W2 is h.T.dot(delta2)", "bias: np.sum(delta, axis=0)",
                  "np.add.at(grad, indices, updates)"],
    "cbow": ["Use (W2.T @ (yhat - y)) * (h > 0) for it", "words[i-C:i] and words[i+1:i+C+1]",
             "np.sum(e_z, axis=0, keepdims=True)"],
    "pa6": ["delta1 = (delta2 @ W2.T) * relu_grad(z1)"],
    "onelayer": ["dZ = (T - Y).dot(W2.T) * Z * (1 - Z)"],
}
NOT_QUOTED = {  # vocabulary, or what the handout prints
    "cs224n_a1": ["the derivative is s * (1 - s)", "np.sum(e) adds every entry"],
    "cbow": ["W2^T (yhat - y)", "z1 = W1 x + b1"],
    "pa6": ["h1 = relu(x @ W1 + b1)", "{k: params[k] - lr * grads[k]}"],
    "onelayer": ["the log-likelihood sum(T log Y)"],
}


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
def test_the_leak_finder_finds_the_reference_under_other_names(pack):
    """The finder's own check: lines that quote a solution under other names are found, the
    handout's own formulas and a diagnosis's vocabulary are not."""
    leaks = _leaks(pack)
    for line in QUOTED[pack.name]:
        assert _quoted(line, leaks), line
    for line in NOT_QUOTED[pack.name]:
        assert not _quoted(line, leaks), line
