"""Identical wrong answers across a class: submissions whose failing checks of one function
returned byte-identical answers to the same calls (grader/fingerprint.py).

This measures answers, not code: two students who share a misconception, a tutorial or code all
land in one group, and so does the same bug written two different ways. The overview words it
so; what it means is for the instructor to judge. Correct answers never group: a function whose
checks all pass has no fingerprint, and neither has one that never answered (missing, not
implemented, not loadable).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Mapping

from grader.model import SubmissionResult

FAILED = ("failed", "error", "timeout")


@dataclass(frozen=True)
class Group:
    function: str
    students: tuple[str, ...]   # sorted, two or more
    checks: tuple[str, ...]     # the checks they fail, with the same answers


def function_fingerprint(result: SubmissionResult, function: str) -> tuple[str, tuple[str, ...]] | None:
    """(fingerprint, failing checks) of one function's wrong answers; None when the function
    passed every check or gave no answer to compare."""
    failing = [c for c in result.checks
               if c.function == function and c.status in FAILED and c.max_score > 0
               and not c.grader_error]  # the grader's failure says nothing of the answers
    if not any(c.fingerprint for c in failing):
        return None
    # A check that failed without an answer (an exception, a timeout) still counts, by its status.
    key = sorted((c.name, c.fingerprint or c.status) for c in failing)
    digest = hashlib.sha256(json.dumps(key).encode()).hexdigest()
    return digest, tuple(c.name for c in failing)


def groups(results: Mapping[str, SubmissionResult], functions: list[str]) -> list[Group]:
    """Every group of two or more submissions with identical wrong answers in one function, in
    the order of `functions`, larger groups first."""
    found: list[Group] = []
    for function in functions:
        by_print: dict[str, list[str]] = {}
        checks: dict[str, tuple[str, ...]] = {}
        for student in sorted(results):
            fp = function_fingerprint(results[student], function)
            if fp is not None:
                by_print.setdefault(fp[0], []).append(student)
                checks[fp[0]] = fp[1]
        shared = [Group(function, tuple(s), checks[k]) for k, s in by_print.items() if len(s) > 1]
        found.extend(sorted(shared, key=lambda g: (-len(g.students), g.students)))
    return found
