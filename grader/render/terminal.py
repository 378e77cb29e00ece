"""The terminal summary: a table of functions with points, then what went wrong, briefly."""
from __future__ import annotations

from grader.model import SubmissionResult


def _points(x: float) -> str:
    return f"{x:g}"


def render(result: SubmissionResult, *, details: bool = True) -> str:
    lines = [f"autograde: {result.submission}"]
    if result.error:
        lines.append(f"  ! {result.error}")
    width = max(len(f.name) for f in result.functions) if result.functions else 10
    lines.append("")
    for fn in result.functions:
        earned_all = fn.score + fn.skipped_points >= fn.max_score
        mark = "ok " if earned_all else ("-- " if fn.score == 0 else "~  ")
        pts = f"{_points(fn.score):>5} / {_points(fn.max_score):<4}"
        note = "" if fn.score == fn.max_score else f"  {fn.summary}"
        if fn.skipped_points and fn.summary == "all checks passed":
            note = f"  (+{_points(fn.skipped_points)} checked by your instructor's grader)"
        lines.append(f"  {mark}{fn.name:<{width}}  {pts}{note}")
    lines.append(f"  {'':3}{'total':<{width}}  {_points(result.score):>5} / {_points(result.max_score)}")
    skipped = sum(f.skipped_points for f in result.functions)
    if skipped:
        lines.append(f"  ({_points(skipped)} of these points are checked only by your instructor's "
                     "grader, which has the reference solution.)")
    if details:
        failing = [c for c in result.checks if c.status not in ("passed", "skipped")]
        if failing:
            lines.append("")
            lines.append("What went wrong:")
        shown: set[tuple[str, str]] = set()
        for check in failing:
            key = (check.function, check.message)
            if key in shown:
                continue  # one line per function when every check fails the same way
            shown.add(key)
            lines.append(f"  [{check.status}] {check.function}: {check.name}")
            for text in check.message.splitlines()[:8]:
                lines.append(f"      {text}")
            if check.hint:
                lines.append(f"      hint: {check.hint}")
    if result.warnings:
        lines.append("")
        lines.append("Warnings:")
        lines.extend(f"  - {w}" for w in result.warnings)
    iso = result.isolation
    if iso:
        missing = iso.get("unavailable") or []
        lines.append("")
        lines.append(f"Isolation: {iso.get('mode')}"
                     + (f"; not available here: {', '.join(missing)}" if missing else ""))
    return "\n".join(lines)
