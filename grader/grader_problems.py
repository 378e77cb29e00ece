"""Checks that failed in the grader itself, across a class: what the instructor must hear of.

A check whose own code raises (a pack's check calling `.item()` on a student's plain float) is
reported to the student as the grader's failure, its points withheld (CheckResult.grader_error).
One such bug usually breaks the same check for most of a class, and each report alone says it
only to its student. A batch names them once, where the instructor looks (its terminal, the
overview, a gradebook column), and grades those uploads again on its next run.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from grader.model import SubmissionResult

# The warning a grade with such a check carries (grader/session.py): where in the pack it raised.
WARNING_PREFIX = "grader problem: "


@dataclass(frozen=True)
class BrokenCheck:
    function: str
    name: str
    students: tuple[str, ...]
    where: str  # the first place a report's warning names, e.g. "test_x.py, line 9"; or ""


def in_result(result: SubmissionResult) -> list[str]:
    """`function/check` of every check of `result` that failed in the grader."""
    return [f"{c.function}/{c.name}" for c in result.checks if c.grader_error]


def across(results: Mapping[str, SubmissionResult]) -> list[BrokenCheck]:
    """Every check that failed in the grader for some student, most students first."""
    who: dict[tuple[str, str], list[str]] = {}
    where: dict[tuple[str, str], str] = {}
    for student in sorted(results):
        result = results[student]
        for check in result.checks:
            if not check.grader_error:
                continue
            key = (check.function, check.name)
            who.setdefault(key, []).append(student)
            if key not in where:
                where[key] = _place(result, check.name)
    return sorted((BrokenCheck(f, n, tuple(s), where[(f, n)]) for (f, n), s in who.items()),
                  key=lambda b: (-len(b.students), b.function, b.name))


def note(results: Mapping[str, SubmissionResult]) -> str:
    """One line for the batch's terminal and overview; "" when every check ran."""
    broken = across(results)
    if not broken:
        return ""
    uploads = {s for b in broken for s in b.students}
    named = "; ".join(
        f"{b.function}/{b.name} for {len(b.students)}" + (f" ({b.where})" if b.where else "")
        for b in broken[:3]) + (f"; and {len(broken) - 3} more" if len(broken) > 3 else "")
    return (f"{len(broken)} check{'s' if len(broken) != 1 else ''} failed in the grader itself, "
            f"not in the students' code, in {len(uploads)} of {len(results)} uploads: {named}. "
            "Their points are withheld (gradebook column grader_problems): fix the pack's check "
            "(`autograde grade UPLOAD --debug` shows the traceback), then run the same batch "
            "again, which grades those uploads again")


def _place(result: SubmissionResult, check: str) -> str:
    """Where the pack's code raised for `check`, from the report's warning (its first line)."""
    for warning in result.warnings:
        if warning.startswith(WARNING_PREFIX) and check in warning:
            text = warning.removeprefix(WARNING_PREFIX).split("; the traceback", 1)[0]
            return text.split(" (and ", 1)[0][:200]
    return ""
