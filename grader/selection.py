"""`--only FUNCTION`: grade some of a pack's functions and nothing else.

The checks of the other functions are deselected at collection (grader/plugin.py), so they never
call into the submission, and the report lists the chosen functions alone, its total theirs.
The choice reaches the plugin through `selected(...)`, a context around one grade: session.grade
builds the plugin's state itself, and what to grade is a property of that one call, not of the
pack (the same warm grader grades with and without it).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from grader import scoring
from grader.model import SubmissionResult
from grader.packs import Pack

_ONLY: ContextVar[frozenset[str] | None] = ContextVar("autograde_only", default=None)


class UnknownFunction(ValueError):
    """A name given to --only that the pack does not grade."""


def validate(pack: Pack, names: Collection[str]) -> tuple[str, ...]:
    """`names` in the pack's order, without repeats. Raises UnknownFunction naming the pack's
    functions, so the user sees what to type instead."""
    known = [f.name for f in pack.functions]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UnknownFunction(f"--only {unknown[0]}: pack {pack.name} has no such function; "
                              f"its functions are {', '.join(known)}")
    return tuple(n for n in known if n in names)


@contextmanager
def selected(names: Collection[str] | None) -> Iterator[None]:
    """Grade only the functions `names` inside this block (None: every function)."""
    token = _ONLY.set(None if names is None else frozenset(names))
    try:
        yield
    finally:
        _ONLY.reset(token)


def current() -> frozenset[str] | None:
    """The functions being graded, or None for all (read by the plugin at collection)."""
    return _ONLY.get()


def restrict(result: SubmissionResult, names: Collection[str]) -> SubmissionResult:
    """`result` with the chosen functions alone and their total, saying what was left out: a
    report of one function must not read as a whole submission's grade."""
    functions = tuple(f for f in result.functions if f.name in names)
    left_out = [f.name for f in result.functions if f.name not in names]
    score, max_score = scoring.total(functions)
    warnings = result.warnings
    if left_out:
        warnings = (f"graded only {', '.join(f.name for f in functions)} (--only); not graded: "
                    f"{', '.join(left_out)}",) + warnings
    return dataclasses.replace(result, functions=functions, score=score, max_score=max_score,
                               checks=tuple(c for c in result.checks if c.function in names),
                               warnings=warnings)


__all__ = ["UnknownFunction", "current", "restrict", "selected", "validate"]
