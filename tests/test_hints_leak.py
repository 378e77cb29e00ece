"""No hint hands over the answer. The README promises students that no solution is leaked: a hint
diagnoses (what is wrong, why, which identity or numpy behaviour is at play) and gives a direction,
never the finished statement of a graded function.

A hint "quotes the solution" when it holds an expression of a solution's source (reference/, and
the exact mode's derivative in tests/fixtures/cbow/derivative.py) with the names changed at will:
every name is compared as a placeholder, so `h.T.dot(delta2)` is the reference's
`hidden.T.dot(d_scores)`. Local variables are also read with their definitions put in, so
`(W2.T @ (yhat - y)) * (h > 0)` is found behind `(W2.T @ delta) * (h > 0)`, and `a.dot(b)`,
`np.dot(a, b)` and `a @ b` are one product. What the student's handout already prints (the
starter files and notebooks of student_template/) is no leak and may be quoted.

An answer the pack's reference does not hold (the cbow exact mode's derivative) is not in the
pack's own code either: every module of a pack ships in the wheel and the student release.
"""
from __future__ import annotations

import ast
import copy
import json
import re
import sys
import tomllib
import warnings
from importlib import import_module
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKS = sorted(p.parent for p in (ROOT / "grader" / "packs").glob("*/hints.py"))

# Beyond a pack's reference: answers its reference does not hold, kept with the tests (never in
# the pack, whose modules ship in every student's copy): the derivative that only the cbow pack's
# exact mode asks for (its reference follows the notebook's formulas, which are not).
MORE_SOLUTIONS = {"cbow": [(ROOT / "tests" / "fixtures" / "cbow" / "derivative.py",
                            {"true_gradient"})]}


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
    with warnings.catch_warnings():  # np.str, np.object: names numpy warns it has dropped
        warnings.simplefilter("ignore")
        numpy_function = called and callable(getattr(np, name[0], None))
    return name[0] if numpy_function else "_"


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
    """{shape: where it comes from} of every expression in the pack's solutions' functions, and
    each function's whole answer however short."""
    shapes: dict[str, str] = {}
    for path, only in _solutions(pack):
        for shape, where in {**_whole_answers(path, only), **_expressions(path, only)}.items():
            shapes.setdefault(shape, where)
    return shapes


def _whole_answers(path: Path, only: set[str] | None = None) -> dict[str, str]:
    """{shape: where} of what each function returns when that is one expression of arithmetic
    (a numpy scalar's `[()]` taken off): short enough to read as a rule, and yet the whole
    function. sigmoid_grad's hint stated `s * (1 - s)`, all sigmoid_grad is and the answer to
    the handout's written question 2(a) (probe s60)."""
    shapes: dict[str, str] = {}
    for function in (n for n in ast.walk(ast.parse(path.read_text()))
                     if isinstance(n, ast.FunctionDef)):
        if only is not None and function.name not in only:
            continue
        for node in ast.walk(function):
            value = node.value if isinstance(node, ast.Return) else None
            if isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Tuple) \
                    and not value.slice.elts:
                value = value.value
            if isinstance(value, ast.BinOp):
                shapes[_flat(ast.unparse(value))] = \
                    f"{path.relative_to(ROOT)}, {function.name}: return {ast.unparse(value)}"
    return shapes


def _expressions(path: Path, only: set[str] | None = None) -> dict[str, str]:
    """{shape: where} of every expression in the functions of one file (those named in `only`)."""
    shapes: dict[str, str] = {}
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
                  "np.add.at(grad, indices, updates)", "the derivative is s * (1 - s)"],
    "cbow": ["Use (W2.T @ (yhat - y)) * (h > 0) for it", "words[i-C:i] and words[i+1:i+C+1]",
             "np.sum(e_z, axis=0, keepdims=True)"],
    "pa6": ["delta1 = (delta2 @ W2.T) * relu_grad(z1)"],
    "onelayer": ["dZ = (T - Y).dot(W2.T) * Z * (1 - Z)"],
}
NOT_QUOTED = {  # vocabulary, or what the handout prints
    "cs224n_a1": ["np.sum(e) adds every entry", "1 - s**2, the derivative of tanh"],
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


# ---- the code every student's copy ships --------------------------------------------------------
# The answers a pack's reference does not hold (MORE_SOLUTIONS) must not be in the pack's own
# modules either: they ship in the wheel and in every student release, where a student reads
# them (probe s59: grader/packs/cbow/inputs.py computed the exact mode's derivative, and held its
# values at the notebook's numbers).
WITHHELD = sorted(pack for pack in PACKS if pack.name in MORE_SOLUTIONS)


def _computed(path: Path, only: set[str]) -> dict[str, str]:
    """{shape: where} of what each statement of the functions computes, with its local variables
    put in: whole results, not their parts (`upstream @ x.T` is also the notebook's formula with
    another `upstream`; the derivative is `((W2.T @ (yhat - y)) * (h > 0)) @ x.T`)."""
    shapes: dict[str, str] = {}
    tree = ast.parse(path.read_text())
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        if function.name not in only:
            continue
        inlined = _Inline(_definitions(function))
        for statement in function.body:
            if not isinstance(statement, (ast.Assign, ast.Return)) or statement.value is None:
                continue
            value = inlined.visit(copy.deepcopy(statement.value))
            for spelling in ("@", "np.dot", ".dot"):
                spelt = _Products(spelling).visit(copy.deepcopy(value))
                if _steps(spelt) >= MIN_STEPS:
                    shapes.setdefault(_flat(ast.unparse(spelt)),
                                      f"{path.relative_to(ROOT)}, {function.name}: "
                                      f"{ast.unparse(statement)}")
    return shapes


def _withheld_expressions(pack: Path) -> dict[str, str]:
    """{shape: where} of what the pack's MORE_SOLUTIONS compute that neither its reference (the
    course's formulas, which the grader may state) nor its handout holds."""
    reference = {}
    for path in sorted(_folder(pack, "reference").glob("*.py")):
        reference.update(_expressions(path))
    handout = _handout(pack)
    return {shape: where for path, only in MORE_SOLUTIONS[pack.name]
            for shape, where in _computed(path, only).items()
            if shape not in reference and shape not in handout}


@pytest.mark.parametrize("pack", WITHHELD, ids=lambda p: p.name)
def test_no_shipped_module_computes_an_answer_the_reference_does_not_hold(pack):
    withheld = _withheld_expressions(pack)
    assert withheld  # the finder has something to find
    found = sorted(f"{path.relative_to(ROOT)}: {withheld[shape]}  (as {shape})"
                   for path in sorted(pack.rglob("*.py"))
                   for shape in _expressions(path) if shape in withheld)
    assert not found, "\n".join(found)


def _cbow_derivative_case() -> tuple[dict, dict, dict]:
    """(the case's arrays, its forward values, the derivative) of a drawn case where the derivative
    differs from the notebook's formulas in b1 and W1, so that what returns it is told apart."""
    from grader.packs.cbow import inputs
    derivative = import_module("fixtures.cbow.derivative").true_gradient
    for seed in range(100):
        a = inputs.NetCase(6, 4, seed).arrays()
        f = inputs.forward(a)
        true = derivative(a["x"], a["y"], a["W2"], f["h"], f["yhat"])
        course = inputs.course_gradient(a["x"], a["y"], a["W2"], f["h"], f["yhat"])
        if not np.allclose(true["b1"], course["b1"]):
            return a, f, true
    raise AssertionError("no drawn case tells the derivative from the notebook's formulas")


def _arrays_in(value) -> Iterator[np.ndarray]:
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _arrays_in(v)
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _arrays_in(v)


def _cbow_modules() -> Iterator[object]:
    """Every module of the cbow pack, its checks included, as the installed grader imports them."""
    import importlib.util
    pack = ROOT / "grader" / "packs" / "cbow"
    for path in sorted(pack.rglob("*.py")):
        if "support" in path.parts:  # the course's helper module: the submission's, not ours
            continue
        if path.parent == pack:
            yield import_module(f"grader.packs.cbow.{path.stem}")
            continue
        name = f"_shipped_cbow_{path.stem}"  # a check: imported by path, as the session does
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        finally:
            sys.modules.pop(name, None)
        yield module


def test_no_shipped_cbow_function_returns_the_exact_modes_derivative(pytestconfig):
    """Whatever the spelling (a mask, np.where, a loop): no function of the cbow pack given the
    network's values (x, y, W1, W2, b1, b2 and the forward values) returns dJ/db1 or dJ/dW1."""
    import inspect

    from grader.plugin import MARKERS
    for marker in MARKERS:  # the checks' markers, as the grader's own session registers them
        pytestconfig.addinivalue_line("markers", marker)
    a, f, true = _cbow_derivative_case()
    values = {**a, **f}
    returned, called = [], []
    for module in _cbow_modules():
        for name, function in vars(module).items():
            if not inspect.isfunction(function) or function.__module__ != module.__name__:
                continue
            params = inspect.signature(function).parameters
            if not params or not set(params) <= set(values):
                continue
            try:
                result = function(**{p: values[p].copy() for p in params})
            except Exception:
                continue
            called.append(name)
            if any(v.shape == true[b].shape and np.allclose(v, true[b], rtol=1e-6, atol=1e-9)
                   for v in _arrays_in(result) for b in ("W1", "b1")):
                returned.append(f"{module.__file__}: {name}")
    assert "course_gradient" in called  # the probe reaches the pack's formulas
    assert not returned, returned


def test_no_shipped_cbow_file_holds_the_derivative_at_the_notebooks_numbers():
    """The exact mode withholds these values from its messages (probe s59); a file of the pack
    holding them hands them over all the same."""
    from grader.packs.cbow import inputs
    derivative = import_module("fixtures.cbow.derivative").true_gradient
    f = inputs.forward(inputs.notebook_case())
    true = derivative(inputs.X, inputs.Y, inputs.W2, f["h"], f["yhat"])
    digits = {f"{abs(v):.8f}"[:-1] for b in ("W1", "b1") for v in true[b].ravel() if abs(v) > 1e-3}
    assert digits
    holding = sorted(f"{path.relative_to(ROOT)}: {d}"
                     for path in sorted((ROOT / "grader" / "packs" / "cbow").rglob("*"))
                     if path.is_file() and path.suffix != ".pyc"
                     for d in digits if d in path.read_text(errors="ignore"))
    assert not holding, holding
