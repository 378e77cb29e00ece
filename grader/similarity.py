"""Identical wrong answers across a class: submissions whose failing checks of one function
returned byte-identical answers to the same calls (grader/fingerprint.py).

This measures answers, not code: two students who share a misconception, a tutorial or code all
land in one group, and so does the same bug written two different ways. The overview words it
so; what it means is for the instructor to judge. Correct answers never group: a function whose
checks all pass has no fingerprint, and neither has one that never answered (missing, not
implemented, not loadable).

Nearly identical answers are listed apart: two students (or two groups) whose failing checks of
one function returned the same answers in most of those checks, the rest differing (one line
added, one check more failed: real probe s60, a copy with one reshape added was in no group).
"""
from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Mapping

from grader.model import SubmissionResult

FAILED = ("failed", "error", "timeout")
# Nearly identical: at least this many failing checks with the same answers, and at least this
# share of the failing checks (with an answer) of either side.
NEAR_SHARED = 3
NEAR_SHARE = 0.75


@dataclass(frozen=True)
class Group:
    function: str
    students: tuple[str, ...]   # sorted, two or more
    checks: tuple[str, ...]     # the checks they fail, with the same answers


@dataclass(frozen=True)
class Near:
    function: str
    students: tuple[str, ...]   # one side: a student, or a group of identical answers
    others: tuple[str, ...]     # the other side
    shared: tuple[str, ...]     # the checks both failed with the same answers
    failing: int                # the checks with an answer either side failed


def _answers(result: SubmissionResult, function: str) -> dict[str, str]:
    """{check: fingerprint} of one function's failing checks that gave an answer."""
    return {c.name: c.fingerprint for c in result.checks
            if c.function == function and c.status in FAILED and c.max_score > 0
            and not c.grader_error and c.fingerprint}


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


def near(results: Mapping[str, SubmissionResult], functions: list[str]) -> list[Near]:
    """Pairs of sides (a student, or a group of identical wrong answers) whose wrong answers to
    one function agree in most failing checks but not all: NEAR_SHARED checks or more, and
    NEAR_SHARE of the failing checks with an answer on either side."""
    found: list[Near] = []
    for function in functions:
        sides: dict[str, list[str]] = {}   # exact fingerprint -> its students
        answers: dict[str, dict[str, str]] = {}
        for student in sorted(results):
            fp = function_fingerprint(results[student], function)
            if fp is not None:
                sides.setdefault(fp[0], []).append(student)
                answers[fp[0]] = _answers(results[student], function)
        holders: dict[tuple[str, str], list[str]] = {}  # (check, answer) -> the sides giving it
        for side, given in answers.items():
            for item in given.items():
                holders.setdefault(item, []).append(side)
        pairs = {tuple(sorted(p)) for who in holders.values() if len(who) > 1
                 for p in itertools.combinations(who, 2)}
        for one, other in pairs:
            mine, theirs = answers[one], answers[other]
            shared = sorted(c for c in mine if theirs.get(c) == mine[c])
            if len(shared) < NEAR_SHARED \
                    or len(shared) < NEAR_SHARE * max(len(mine), len(theirs)):
                continue
            first, second = sorted((tuple(sides[one]), tuple(sides[other])))
            found.append(Near(function, first, second, tuple(shared), len(set(mine) | set(theirs))))
    order = {f: i for i, f in enumerate(functions)}
    return sorted(found, key=lambda n: (order[n.function], -len(n.shared), n.students, n.others))
