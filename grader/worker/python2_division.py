"""Divisions Python 2 floored: `1/m` in a file written for Python 2.

In Python 2, / between two integers is integer division: `cost = -(1/m) * np.sum(...)` with
`m = X.shape[0]` is a cost of 0, and every gradient averaged the same way is 0, which the starter's
gradient check passes (0 = 0). The grader runs such a file as Python 3 (grader/worker/
python2_source.py), where / gives the fraction the student meant, and grades that, as the README
says; but the student ran something else, and is told so here (probe s61: full marks and not a
word). Only a file that is Python 2 by its other habits is read this way (floored_divisions),
never one with `from __future__ import division`.

"Likely integers" is read from the source alone, in one walk of its tree: an int literal, len(),
int(), `x.shape[i]`, `x.size`, `x.ndim`, and a name every binding of which in its function (or
module) is one of those or arithmetic on them (`m = X.shape[0]`, `M, D = X.shape`, `for i in
range(n)`, `K=10` as a parameter's default). A division is reported when the right-hand side is
such a name or size (`1/m`, `1/N`, `x/len(y)`, `a/b.shape[0]`) and the left one is a literal or
such a name or size too; or when both are literals that do not divide (`1/2`). A literal on the
right alone (`N/2`, the 2017 starter's slice) is not: Python 3 refuses a float index, which
python2_habits already explains, and what Python 2 made of it is what the student meant.
"""
from __future__ import annotations

import ast

try:
    import python2_names
    import python2_source
    import source_text
except ImportError:  # the grader's process, which imports this module as grader.worker.*
    from grader.worker import python2_names, python2_source, source_text

# The sources read here, a file's or a notebook's cells together, at most: as much code as the
# grading process parses at all (grader/source_trees.MOST_CODE), counted with its comments.
MOST_CHARS = 128 * 2**10
MOST_FOUND = 20  # divisions reported per source: enough to name the lines, and a bounded reply
# How deep a binding's expression is followed (`n = a + b`, `a = len(x)`...): a name chain or an
# expression nested deeper is taken for no integer, and no walk recurses past it.
_DEEPEST = 24
_SIZES = {"size", "ndim"}
_INT_CALLS = {"len", "int", "long"}
_RANGES = {"range", "xrange"}
# Arithmetic that keeps two Python 2 integers an integer (/ too: that is the point).
_INT_OPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod, ast.Div)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


class _Scope:
    """A function's (or the module's, a class's) names, each with what binds it: an expression
    to judge in this scope, or True / False where the binding itself says (a parameter)."""

    __slots__ = ("parent", "bindings", "judged")

    def __init__(self, parent: _Scope | None) -> None:
        self.parent = parent
        self.bindings: dict[str, list[ast.expr | bool]] = {}
        self.judged: dict[str, bool] = {}

    def bind(self, name: str, value: ast.expr | bool) -> None:
        self.bindings.setdefault(name, []).append(value)


def is_python2_evidence(evidence: str) -> bool:
    """Whether what the loader found in a file or cell makes it Python 2 code: a form only Python 2
    wrote (python2_source.FORMS), indentation mixing tabs and spaces, xrange, or a name no Python
    3 had. A name a later Python 3 dropped (time.clock until 3.8, collections.Iterable until
    3.10) is Python 3 code's too: a Python 3.6 course's timing helper made its file "Python 2
    code" (probe s62-recheck, row 4)."""
    if evidence in python2_source.FORMS or evidence in ("tabs", "xrange"):
        return True
    return python2_names.dropped_in(evidence) == "3.0"


def notebook_python(metadata: object) -> int | None:
    """The major version of the Python a notebook's metadata says its kernel ran (kernelspec's
    name, "python3", or language_info's version, "3.8.10"), or None where it does not say."""
    if not isinstance(metadata, dict):
        return None
    info = metadata.get("language_info")
    if isinstance(info, dict) and isinstance(info.get("version"), str) \
            and info["version"][:2] in ("2.", "3."):
        return int(info["version"][0])
    spec = metadata.get("kernelspec")
    name = spec.get("name") if isinstance(spec, dict) else None
    if isinstance(name, str) and name.lower() in ("python2", "python3"):
        return int(name[-1])
    return None


def floored_divisions(sources: list[tuple[str, str]], evidence: dict[str, str],
                      python: int | None = None) -> list[dict]:
    """Python 2's integer divisions in a file, or a notebook's cells in order, read as Python 2:
    each {"where", "evidence", "line", "left", "right", ...} (integer_divisions), with
    "evidence_where" where the evidence is in another cell. `evidence` says, by file or cell,
    what the loader found that may make it Python 2 (is_python2_evidence judges it); `python`,
    the Python a notebook's metadata says it ran in (notebook_python).

    A notebook is one program: one Python 2 cell speaks for all, unless its metadata says it ran
    in Python 3 (a stray `print "x"` cell made a Python 3 notebook's `1/M` "0 as you ran it";
    probe s62-recheck, row 5). A `from __future__ import division` holds for its own cell and the
    cells after it, which IPython runs with it, not for those before (row 8)."""
    if python == 3:
        return []
    places = [(where, evidence[where]) for where, _ in sources
              if where in evidence and is_python2_evidence(evidence[where])]
    if not places or sum(len(source) for _, source in sources) > MOST_CHARS:
        return []
    found_where, found = places[0]
    divisions = []
    for where, source in sources:
        if "/" not in source and "__future__" not in source:
            continue
        tree = source_text.tree(source)
        if tree is None:
            continue
        if future_division(tree):
            break  # this cell and every one after it ran with true division
        divisions += [{"where": where, "evidence": found, **division,
                       **({"evidence_where": found_where} if found_where != where else {})}
                      for division in integer_divisions(tree)]
    return divisions


def future_division(tree: ast.Module) -> bool:
    """Whether the source says `from __future__ import division` (Python 2's / was then true
    division too)."""
    return any(isinstance(node, ast.ImportFrom) and node.module == "__future__"
               and any(alias.name == "division" for alias in node.names)
               for node in tree.body)


def integer_divisions(tree: ast.Module) -> list[dict]:
    """The first MOST_FOUND divisions of likely integers in the tree, in source order: each
    {"line", "left", "right"} (how the two sides are spelled, `m`, `len(y)`, `X.shape[0]`), with
    "left_value" (and "right_value") where that side is an int literal."""
    candidates: list[tuple[ast.BinOp, _Scope]] = []
    module = _Scope(None)
    stack: list[tuple[ast.AST, _Scope]] = [(tree, module)]
    while stack:  # iterative: a student's deeply nested expression must not recurse here
        node, scope = stack.pop()
        inner = _enter(node, scope, stack)
        if inner is not None:
            continue
        _note_bindings(node, scope)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            candidates.append((node, scope))
        stack.extend((child, scope) for child in ast.iter_child_nodes(node))
    found = []
    for node, scope in sorted(candidates, key=lambda c: (c[0].lineno, c[0].col_offset)):
        division = _judged(node, scope)
        if division is not None:
            found.append(division)
            if len(found) == MOST_FOUND:
                break
    return found


def _enter(node: ast.AST, scope: _Scope, stack: list) -> _Scope | None:
    """For a def, lambda or class: bind its name and parameters, queue its parts (defaults and
    decorators in `scope`, the body in its own) and return its scope; else None."""
    if not isinstance(node, _SCOPES):
        return None
    inner = _Scope(scope)
    if not isinstance(node, ast.Lambda):
        scope.bind(node.name, False)
        stack.extend((d, scope) for d in node.decorator_list)
    if isinstance(node, ast.ClassDef):
        stack.extend((b, scope) for b in node.bases)
    else:
        arguments = node.args
        positional = arguments.posonlyargs + arguments.args
        defaults = [None] * (len(positional) - len(arguments.defaults)) + arguments.defaults
        for arg, default in [*zip(positional, defaults),
                             *zip(arguments.kwonlyargs, arguments.kw_defaults)]:
            # The student's own default is what their calls passed: `K=10`.
            inner.bind(arg.arg, _literal_int(default) is not None)
        for arg in (arguments.vararg, arguments.kwarg):
            if arg is not None:
                inner.bind(arg.arg, False)
        stack.extend((d, scope) for d in [*arguments.defaults, *arguments.kw_defaults] if d)
    body = node.body if isinstance(node.body, list) else [node.body]
    stack.extend((statement, inner) for statement in body)
    return inner


def _note_bindings(node: ast.AST, scope: _Scope) -> None:
    if isinstance(node, ast.Assign):
        for target in node.targets:
            _bind(target, node.value, scope)
    elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
        _bind(node.target, node.value, scope)
    elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        # n += k keeps an integer n an integer when k is one
        scope.bind(node.target.id, node.value if isinstance(node.op, _INT_OPS) else False)
    elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        _bind_loop(node.target, node.iter, scope)
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            scope.bind((alias.asname or alias.name).split(".")[0], False)
    elif isinstance(node, ast.withitem) and node.optional_vars is not None:
        _bind(node.optional_vars, False, scope)
    elif isinstance(node, ast.ExceptHandler) and node.name:
        scope.bind(node.name, False)


def _bind(target: ast.AST, value: ast.expr | bool, scope: _Scope) -> None:
    if isinstance(target, ast.Name):
        scope.bind(target.id, value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        parts = target.elts
        if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(parts) \
                and not any(isinstance(p, ast.Starred) for p in [*parts, *value.elts]):
            for part, part_value in zip(parts, value.elts):
                _bind(part, part_value, scope)
            return
        whole = not isinstance(value, bool) and _is_shape(value)  # M, D = X.shape
        for part in parts:
            _bind(part.value if isinstance(part, ast.Starred) else part, whole, scope)
    elif isinstance(target, ast.Starred):
        _bind(target.value, False, scope)


def _bind_loop(target: ast.AST, iterated: ast.expr, scope: _Scope) -> None:
    """`for i in range(n)`: i is an integer; `for i, x in enumerate(...)`: i is."""
    call = iterated if isinstance(iterated, ast.Call) else None
    name = call.func.id if call is not None and isinstance(call.func, ast.Name) else ""
    if name in _RANGES:
        _bind(target, True, scope)
    elif name == "enumerate" and isinstance(target, ast.Tuple) and len(target.elts) == 2:
        _bind(target.elts[0], True, scope)
        _bind(target.elts[1], False, scope)
    else:
        _bind(target, False, scope)


def _is_shape(node: ast.expr) -> bool:
    """x.shape or np.shape(x): a tuple of integers."""
    if isinstance(node, ast.Attribute):
        return node.attr == "shape"
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr == "shape"


def _literal_int(node: ast.AST | None) -> int | None:
    """The value of an int literal, `-1` included; None for anything else (1.0, True)."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return sign * node.value
    return None


def _size(node: ast.expr) -> str | None:
    """How a size is spelled (`len(y)`, `X.shape[0]`, `x.size`), or None if the node is none."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in _INT_CALLS and len(node.args) == 1 and not node.keywords:
        return f"{node.func.id}({_short(node.args[0])})"
    if isinstance(node, ast.Subscript) and _is_shape(node.value):
        index = _literal_int(node.slice)
        return f"{_short(node.value)}[{index if index is not None else '...'}]"
    if isinstance(node, ast.Attribute) and node.attr in _SIZES:
        return f"{_short(node.value)}.{node.attr}"
    return None


def _short(node: ast.expr) -> str:
    """A name or a short dotted name as written, `...` for anything else: what the message
    quotes. Iterative, and only a few parts deep: an attribute chain may be as long as a file."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute) and len(parts) < 3:
        parts.append(node.attr)
        node = node.value
    parts.append(node.id if isinstance(node, ast.Name) else "...")
    return ".".join(reversed(parts))


def _judged(node: ast.BinOp, scope: _Scope) -> dict | None:
    """The division, as integer_divisions reports it, when both sides are likely integers and
    Python 2's quotient differs from Python 3's; else None."""
    left_value, right_value = _literal_int(node.left), _literal_int(node.right)
    if left_value is not None and right_value is not None:
        if right_value == 0 or left_value % right_value == 0:
            return None  # 4/2: the same number in both Pythons (or an error in both)
        return {"line": node.lineno, "left": str(left_value), "right": str(right_value),
                "left_value": left_value, "right_value": right_value}
    if right_value is not None or left_value == 0:
        return None  # N/2 (see the module's docstring); 0/m is 0 in both
    right = _side(node.right, scope)
    left = str(left_value) if left_value is not None else _side(node.left, scope)
    if right is None or left is None:
        return None
    found = {"line": node.lineno, "left": left, "right": right}
    if left_value is not None:
        found["left_value"] = left_value
    return found


def _side(node: ast.expr, scope: _Scope) -> str | None:
    """How a side of a division is spelled, when it is a name or a size that is likely an
    integer; else None."""
    if isinstance(node, ast.Name):
        return node.id if _name_is_int(node.id, scope, 0) else None
    return _size(node)


def _is_int(node: ast.expr | bool, scope: _Scope, depth: int) -> bool:
    if isinstance(node, bool):
        return node
    if depth > _DEEPEST:
        return False
    if _literal_int(node) is not None or _size(node) is not None:
        return True
    if isinstance(node, ast.Name):
        return _name_is_int(node.id, scope, depth + 1)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _is_int(node.operand, scope, depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, _INT_OPS):
        return _is_int(node.left, scope, depth + 1) and _is_int(node.right, scope, depth + 1)
    if isinstance(node, ast.IfExp):
        return _is_int(node.body, scope, depth + 1) and _is_int(node.orelse, scope, depth + 1)
    return False


def _name_is_int(name: str, scope: _Scope | None, depth: int) -> bool:
    """Whether every binding of `name`, where `scope` reads it from, is likely an integer (and
    there is one). Judged once per scope and name: a name bound a thousand times, or read a
    thousand times, costs its bindings once."""
    while scope is not None and name not in scope.bindings:
        scope = scope.parent  # read from an enclosing function, or the module
    if scope is None:
        return False  # a builtin, or a name the source never binds
    if name not in scope.judged:
        # n = n + 1 reads itself: an integer if its other bindings say so (n = 0)
        scope.judged[name] = True
        scope.judged[name] = all(_is_int(value, scope, depth) for value in scope.bindings[name])
    return scope.judged[name]
