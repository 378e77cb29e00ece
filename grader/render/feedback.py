"""One check's feedback as plain text: what the LMS views (Gradescope, JUnit) show for a check.

The same parts as the JSON report and `autograde grade --verbose`, in the same order: the message
(what was called, returned, expected), the hint, hypothesis's shrunk counterexample, and what the
student's code printed. Bounded, so one noisy check cannot blow an LMS's size limit.
"""
from __future__ import annotations

import textwrap

from grader.model import CheckResult

MAX_CHARS = 8000
NOT_RUN = "not run: "


def bound(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    note = f"\n... ({len(text) - limit} more characters not shown)"
    return text[: max(0, limit - len(note))] + note


def check_text(check: CheckResult, *, limit: int = MAX_CHARS) -> str:
    """Empty for a passed check that printed nothing."""
    parts = []
    if check.status == "skipped":
        parts.append(NOT_RUN + (check.message or "skipped"))
    elif check.message:
        parts.append(check.message)
    elif check.status != "passed":
        parts.append(check.status)
    if check.hint:
        parts.append(f"hint: {check.hint}")
    if check.counterexample:
        parts.append(check.counterexample)
    if check.output:
        parts.append("your code printed:\n" + textwrap.indent(check.output, "| ", lambda _: True))
    return bound("\n\n".join(parts), limit)


def first_line(text: str, limit: int = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."
