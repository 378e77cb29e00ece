"""One check's feedback as plain text: what the LMS views (Gradescope, JUnit) show for a check.

The same parts as the JSON report and `autograde grade --verbose`, in the same order: the message
(what was called, returned, expected), the hint, hypothesis's shrunk counterexample, and what the
student's code printed. Bounded, so one noisy check cannot blow an LMS's size limit.
"""
from __future__ import annotations

import textwrap

from grader.model import CheckResult, SubmissionResult

MAX_CHARS = 8000
NOT_RUN = "not run: "


def bound(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    note = f"\n... ({len(text) - limit} more characters not shown)"
    return text[: max(0, limit - len(note))] + note


def first_lines(text: str, count: int, dropped: int = 0) -> tuple[list[str], str]:
    """The first `count` lines of printed `text`, and the note for the rest ("" when none is
    left out): "... (560 more lines and 31,000,000 more characters not shown)", with the
    `dropped` characters the worker did not keep (SubmissionResult.import_output_dropped). 40 of
    300,000 lines were shown with no word of the rest (probe s58), and the lines that mattered
    were past the 40th. The worker's cut is a number, never a line of the text: a student's own
    line that read like it was taken for it (recheck probe s58)."""
    lines = text.splitlines()
    more = [f"{len(lines) - count:,} more lines"] if len(lines) > count else []
    more += [f"{dropped:,} more characters"] if dropped > 0 else []
    return lines[:count], (f"... ({' and '.join(more)} not shown)" if more else "")


def check_text(check: CheckResult, *, limit: int = MAX_CHARS) -> str:
    """Empty for a passed check that printed nothing."""
    parts = []
    if check.status == "skipped":
        parts.append(NOT_RUN + (check.message or "skipped"))
    elif check.message:
        parts.append(check.message)
    elif check.status != "passed":
        parts.append(check.status)
    if check.points_withheld:
        parts.append(f"points withheld: {check.points_withheld}")
    if check.hint:
        parts.append(f"hint: {check.hint}")
    if check.counterexample:
        parts.append(check.counterexample)
    if check.output:
        parts.append("your code printed:\n" + textwrap.indent(check.output, "| ", lambda _: True))
    return bound("\n\n".join(parts), limit)


# A function's row where the submission's error (said once, at the top) is all there is to say.
NOT_GRADED = "not graded (see above)"


def repeats_error(result: SubmissionResult, text: str) -> bool:
    """Whether `text`, a check's message or a function's summary, only says the submission's
    error again: an upload that could not be read said the same sentence once at the top and
    once per function and check, 21 times in all (probe s62)."""
    if not result.error or not text:
        return False
    said = " ".join(text.split()).casefold()  # all of it: a detail below is more than the error
    return len(said) > 20 and " ".join(result.error.split()).casefold().startswith(said)


def not_graded(result: SubmissionResult, function: str, summary: str) -> bool:
    """Whether a function's row only repeats the submission's error: its summary does, and so
    does every check of it that failed."""
    return repeats_error(result, summary) and all(
        repeats_error(result, c.message) for c in result.checks
        if c.function == function and c.status not in ("passed", "skipped"))


def first_line(text: str, limit: int = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def inputs_text(result: SubmissionResult) -> str:
    """One sentence on which inputs were drawn and what the values were compared with; empty
    for a report written before reports said so."""
    inputs = result.inputs
    if not inputs:
        return ""
    if inputs.get("set") == "secret":
        text = "Inputs drawn from the course secret (not the public ones your copy draws)."
    else:
        text = "Public inputs (the same in every copy of the grader)."
    if inputs.get("answers") == "known answers":
        checked, left = inputs.get("known_answer_points", 0), inputs.get("instructor_points", 0)
        text += (f" Values compared with the known answers shipped with the assignment: "
                 f"{checked:g} point{'' if checked == 1 else 's'} checked against them")
        # An upload that could not be loaded ran none: "every check ran here" said otherwise.
        text += (f", {left:g} left to your instructor's grader." if left else
                 "." if result.error else "; every check ran here.")
    elif inputs.get("answers") == "none":
        text += " No reference and no known answers: values were not checked."
    return text


def config_text(result: SubmissionResult) -> str:
    """Which course config changed the pack's points, visibility or deadlines; empty without
    one. The terminal said nothing of it, so a total of 105 went unexplained."""
    config = (result.versions or {}).get("config")
    return f"Graded with the course config {config}." if config else ""


def mode_text(result: SubmissionResult) -> str:
    """Which of its ways of grading the pack used, and what that means; empty for a pack of one
    way."""
    if not result.mode:
        return ""
    return f"Graded in mode {result.mode.get('name', '')}: {result.mode.get('description', '')}"


def withheld_text(result: SubmissionResult) -> list[str]:
    """One line per function whose passing self-consistency checks earned nothing."""
    lines = []
    for function in dict.fromkeys(c.function for c in result.checks if c.points_withheld):
        held = [c for c in result.checks if c.function == function and c.points_withheld]
        points = sum(c.max_score for c in held)
        values_wrong = any(c.function == function and c.kind == "values"
                           and c.status not in ("passed", "skipped") for c in result.checks)
        method = [c.status for c in result.checks if c.function == function
                  and c.kind == "method" and c.status not in ("passed", "skipped")]
        undecided = all(c.grader_error for c in result.checks if c.function == function
                        and c.kind in ("values", "method") and c.status not in ("passed", "skipped"))
        if (values_wrong or method) and undecided:
            # Not the student's values: the check of them failed in the grader.
            until = ("until the grader's check of its values runs: it failed in the grader "
                     "itself, not in your code (see the check that says so).")
        elif not values_wrong and not method:
            # No check of its values failed: none ran (no reference, no known answers for them),
            # so no failed check says anything of them.
            until = ("until its values are checked, which this copy of the grader cannot do (no "
                     "reference solution, no known answers): a made-up function can be "
                     "consistent with itself too.")
        elif values_wrong:
            until = ("until its values are right, numbers and shapes (see the failed checks): a "
                     "made-up function can be consistent with itself too.")
        elif all(status == "error" for status in method):
            # It raised where the method is checked: nothing says finite differences there.
            until = ("until the check of how it is computed can run: the function raised "
                     "there (see the failed check).")
        else:
            until = ("until it is computed the way the assignment asks (see the failed check): "
                     "a gradient by finite differences is consistent with its cost too.")
        lines.append(f"{function}: {len(held)} check{'s' if len(held) != 1 else ''} of "
                     f"{function} against itself passed ({', '.join(c.name for c in held)}), but "
                     f"{points:g} point{'' if points == 1 else 's'} "
                     f"{'waits' if points == 1 else 'wait'} {until}")
    return lines
