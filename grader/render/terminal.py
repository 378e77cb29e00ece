"""The terminal summary: a table of functions with points, then each failure in brief."""
from __future__ import annotations

import shutil
import textwrap

from grader.model import SubmissionResult
from grader.render.feedback import inputs_text, withheld_text

MARKS = {"failed": "x", "error": "!", "timeout": "T"}


def _points(x: float) -> str:
    return f"{x:g}"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def render(result: SubmissionResult, *, verbose: bool = False, width: int | None = None) -> str:
    width = width or max(80, min(shutil.get_terminal_size((100, 24)).columns, 140))
    lines = [f"autograde: {result.submission}"]
    if result.error:
        lines.append(f"  ! {result.error}")
    name_width = max((len(f.name) for f in result.functions), default=10)
    lines.append("")
    for fn in result.functions:
        earned_all = fn.score + fn.skipped_points >= fn.max_score
        mark = "ok" if earned_all else ("--" if fn.score == 0 else "~ ")
        head = f"  {mark} {fn.name:<{name_width}}  {_points(fn.score):>5} / {_points(fn.max_score):<4}"
        if fn.skipped_points and earned_all:
            note = f"(+{_points(fn.skipped_points)} checked by your instructor's grader)"
        else:
            note = "" if earned_all else fn.summary
        lines.append(_cut(f"{head}  {note}".rstrip(), width))
    lines.append(f"     {'total':<{name_width}}  {_points(result.score):>5} / {_points(result.max_score)}")
    skipped = sum(f.skipped_points for f in result.functions)
    if skipped:
        lines.append(f"  ({_points(skipped)} of these points are checked only by your instructor's "
                     "grader, which has the reference solution.)")
    if inputs_text(result):
        lines.extend(textwrap.wrap(inputs_text(result), width=width - 2, initial_indent="  ",
                                   subsequent_indent="  "))
    withheld = withheld_text(result)
    if withheld:
        lines.append("")
        lines.append("Points withheld:")
        for text in withheld:
            lines.extend(textwrap.wrap(text, width=width - 4, initial_indent="  - ",
                                       subsequent_indent="    "))

    # Advisory checks (worth 0 points) speak through the warnings instead.
    failing = [c for c in result.checks if c.status not in ("passed", "skipped") and c.max_score > 0]
    if failing:
        lines.append("")
        lines.append("What went wrong" + ("" if verbose else " (every detail: --verbose, or --json):"))
    shown: set[tuple[str, str]] = set()
    hints: set[tuple[str, str]] = set()
    current = None
    for check in failing:
        key = (check.function, check.message)
        if key in shown:
            continue  # one entry per function when every check fails the same way
        shown.add(key)
        if check.function != current:
            current = check.function
            lines.append(f"  {check.function}")
        message = check.message.splitlines() or [check.status]
        body = message if verbose else message[:1]
        lines.extend(textwrap.wrap(f"{MARKS.get(check.status, '?')} {check.name}: {body[0]}",
                                   width=width - 4, initial_indent="    ",
                                   subsequent_indent="        "))
        lines.extend(f"        {text}" for text in body[1:])
        # A recognised mistake is explained once per function, under its catalogue title.
        known = result.mistakes.get(check.mistake)
        hint = f"{known['title']}: {known['explanation']}" if known else check.hint
        if hint and (check.function, check.mistake or hint) not in hints:
            hints.add((check.function, check.mistake or hint))
            lines.extend(textwrap.wrap(f"hint: {hint}", width=width - 8,
                                       initial_indent="      ", subsequent_indent="            "))
        if verbose and check.counterexample:
            lines.extend(f"      {text}" for text in check.counterexample.splitlines())
        if verbose and check.output:
            lines.append("      your code printed:")
            lines.extend(f"        | {text}" for text in check.output.splitlines()[:20])
    if result.warnings:
        lines.append("")
        lines.append("Warnings:")
        for warning in result.warnings:
            lines.extend(textwrap.wrap(warning, width=width - 4, initial_indent="  - ",
                                       subsequent_indent="    "))
    if verbose and result.import_output:
        lines.append("")
        lines.append("Printed while importing your submission:")
        lines.extend(f"  | {text}" for text in result.import_output.splitlines()[:40])
    iso = result.isolation
    if iso:
        lines.append("")
        lines.append(f"Isolation: {iso.get('summary') or iso.get('mode')}")
        missing = [m for m in iso.get("unavailable") or [] if not m.startswith("sandbox (")]
        if missing:
            lines.extend(textwrap.wrap("not available here: " + "; ".join(missing), width=width - 2,
                                       initial_indent="  ", subsequent_indent="  "))
    return "\n".join(lines)
