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
from collections.abc import Mapping, Sequence
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


def _signature_call(signature: str) -> ast.Call | None:
    """A manifest's signature text before its "->", as the call it is written as: plain names,
    and names given a default (`K=10`); None when it is not one."""
    head = signature.split("->", 1)[0].strip()
    try:
        node = ast.parse(head, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call) or not all(isinstance(a, ast.Name) for a in node.args) \
            or any(k.arg is None for k in node.keywords):
        return None
    return node


def parameters(signature: str) -> tuple[str, ...] | None:
    """The parameter names of a manifest's signature text, "forward(X, W1, b1, W2, b2) -> (Y, Z)",
    or None when it is not written as a call of plain names (none given a default)."""
    node = _signature_call(signature)
    if node is None or node.keywords:
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


def signature_parameters(signature: str) -> tuple[str, ...] | None:
    """The parameter names of a manifest's signature text, those given a default included
    ("negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10)"), or None
    when it is not written as a call of plain names."""
    node = _signature_call(signature)
    if node is None:
        return None
    return tuple(a.id for a in node.args) + tuple(str(k.arg) for k in node.keywords)


def parameters_unlike_signature(function: str, theirs: Sequence[str], required: int,
                                expected: Sequence[str],
                                keyword_only: Sequence[str] = (),
                                by_spelling: bool = True) -> str | None:
    """What to tell a student whose `function` names the assignment's parameters but takes them
    in another order, or takes one the assignment never passes, or lacks one it does, or takes
    one only by keyword (after a bare *); None when it matches, or when its names are its own
    (names are free: only the assignment's own names, moved, say which value each parameter will
    receive)."""
    theirs, expected = tuple(theirs), tuple(expected)
    named = [p for p in expected[len(theirs):] if p in keyword_only]
    if theirs == expected[:len(theirs)] and named:
        shown = ", ".join([*theirs, "*", *keyword_only])
        return (f"{function} takes {_listed(named)} by keyword only (after the *): yours is "
                f"{function}({shown}), the assignment's {function}({', '.join(expected)}). The "
                "grader passes every one of the assignment's by position, in its order, as the "
                "course's own code does: drop the *.")
    if theirs == expected or not theirs:
        return None
    yours = f"yours is {function}({', '.join(theirs)}), the assignment's {function}({', '.join(expected)})"
    # Compared as spellings of one name: y_hat is the assignment's yhat (the lecture's own
    # spelling, moved before y, was told only that the output error had the wrong sign).
    # (`by_spelling` False: as written only.)
    spelt = _spelling if by_spelling else str
    mine, asked = [spelt(p) for p in theirs], [spelt(p) for p in expected]
    if len(set(mine)) < len(mine):
        mine = list(theirs)  # two of theirs spelt alike: compared as written
    elif mine == asked:
        return None
    if sorted(mine) == sorted(asked):
        return (f"{function} takes the assignment's parameters in another order: {yours}. The "
                "grader calls it in the assignment's order, as the course's own code does, so "
                "each of your parameters receives another's value: put them in that order.")
    extra = [p for p, m in zip(theirs, mine) if m not in asked]
    extra_required = [p for p, m in list(zip(theirs, mine))[:required] if m not in asked]
    lacking = [p for p, a in zip(expected, asked) if a not in mine]
    if set(mine) > set(asked) and extra_required:
        return (f"{function} takes {_listed(extra_required)}, which the assignment's does not "
                f"pass: {yours}. The grader calls it with the assignment's arguments only, so it "
                f"fails or mixes them up: take exactly {', '.join(expected)}, in that order.")
    if set(mine) < set(asked) and lacking:
        return (f"{function} lacks the parameter{'s' if len(lacking) > 1 else ''} "
                f"{_listed(lacking)}: {yours}. The grader passes every one of the assignment's, "
                "in its order: take them all, in that order.")
    # A name of their own in the place of one of the assignment's, the names after it in step
    # (get_training_example(words, window, word2Ind): window is C, renamed), is no extra: only
    # what is left over is (V, lacking; recheck probe).
    renamed = {i for i in range(min(len(mine), len(asked)))
               if mine[i] not in asked and asked[i] not in mine
               and (i + 1 >= len(mine) or (i + 1 < len(asked) and mine[i + 1] == asked[i + 1]))}
    extra = [p for i, (p, m) in enumerate(zip(theirs, mine)) if m not in asked and i not in renamed]
    lacking = [p for i, (p, a) in enumerate(zip(expected, asked))
               if a not in mine and i not in renamed]
    if lacking and not extra and len(theirs) < len(expected):
        return (f"{function} lacks the parameter{'s' if len(lacking) > 1 else ''} "
                f"{_listed(lacking)}: {yours}. The grader passes every one of the assignment's, "
                "in its order: take them all, in that order.")
    if extra and lacking and set(mine) & set(asked) and not (required <= len(expected)
                                                             <= len(theirs)):
        # Some of the assignment's names, others in place of the rest, and a call with the
        # assignment's arguments cannot bind (gradient_descent_step(W1, W2, b1, b2, grads,
        # alpha): one tuple for four gradients). Names merely of their own (a, b, c) stay free.
        return (f"{function} takes {_listed(extra)} where the assignment's takes "
                f"{_listed(lacking)}: {yours}. The grader passes the assignment's "
                f"{len(expected)} arguments, in its order, as the course's own code does: take "
                "exactly those.")
    return None


def _spelling(name: str) -> str:
    """A parameter's name as a spelling: y_hat and yHat are the assignment's yhat."""
    return name.replace("_", "").lower()


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
