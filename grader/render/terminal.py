"""The terminal summary: a table of functions with points, then what went wrong, grouped: a
recognised mistake is explained once, with the checks it failed listed under it."""
from __future__ import annotations

import re
import shutil
import textwrap

from grader import callees
from grader.model import FIRST_WARNINGS, CheckResult, SubmissionResult
from grader.render.feedback import (NOT_GRADED, config_text, first_lines, inputs_text, mode_text,
                                    not_graded, repeats_error, withheld_text)

# What the submission printed at import, as `--verbose` and Gradescope's log show it: its first
# lines (the JSON and HTML reports carry all the worker kept).
IMPORT_OUTPUT_LINES = 40

MARKS = {"failed": "x", "error": "!", "timeout": "T"}
GREEN, RESET = "\033[32m", "\033[0m"


def _points(x: float) -> str:
    return f"{x:g}"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _total_lines(result: SubmissionResult, name_width: int, color: bool) -> list[str]:
    """The total. Without the reference, what can be checked here is the measure; the points
    only the instructor's grader checks are said apart, not counted as failing."""
    skipped = sum(f.skipped_points for f in result.functions)
    if result.reference or not skipped:
        return [f"     {'total':<{name_width}}  {_points(result.score):>5} / {_points(result.max_score)}"]
    checkable = result.max_score - skipped
    line = f"  {_points(result.score)} of {_points(checkable)} points checkable here"
    if checkable > 0 and result.score >= checkable:
        line += ": all passed"
        line = f"{GREEN}{line}{RESET}" if color else line
    return [line, f"  ({_points(skipped)} more points are checked by your instructor's grader, "
                  "which has the reference solution.)"]


def _failure_lines(check: CheckResult, width: int, verbose: bool, indent: str) -> list[str]:
    message = check.message.splitlines() or [check.status]
    body = message if verbose else message[:1]
    lines = textwrap.wrap(f"{MARKS.get(check.status, '?')} {check.name}: {body[0]}",
                          width=width - len(indent), initial_indent=indent,
                          subsequent_indent=indent + "    ")
    lines.extend(f"{indent}    {text}" for text in body[1:])
    for said in () if verbose else (_raised_at(message), *_call_lines(check)):
        lines.extend(textwrap.wrap(said, width=width - len(indent), initial_indent=indent + "    ",
                                   subsequent_indent=indent + "      "))
    if not verbose and len(message) > 1 and check.evidence.get("failing_callees"):
        # "fix sigmoid first" (callees.py) ends the message: where to start, said by default.
        lines.extend(textwrap.wrap(message[-1].strip(), width=width - len(indent),
                                   initial_indent=indent + "    ",
                                   subsequent_indent=indent + "    "))
    if verbose and check.counterexample:
        lines.extend(f"{indent}  {text}" for text in check.counterexample.splitlines())
    if verbose and check.output:
        printed = check.output.splitlines()
        # The last lines: the failing call's, which the check makes last (plugin.py).
        lines.append(f"{indent}  your code printed" + (
            f" ({len(printed)} lines; the last 20, those of the last calls):"
            if len(printed) > 20 else ":"))
        lines.extend(f"{indent}    | {text}" for text in printed[-20:])
    return lines


def _raised_at(message: list[str]) -> str:
    """The line of the student's code an error was raised at (the innermost `at FILE, line N`
    of grader/proxy.py's frames), or "": the default view shows a failure's first line, and a
    TypeError without its line sent a student to -v to find it (probe s59)."""
    frames = [line.strip() for line in message[1:]
              if line.startswith("  at ") and ", line " in line]
    return frames[-1] if frames else ""


# A value the default view shows as it came back or was expected: a number, a short word; an
# array or a longer text is for --verbose.
SHORT_VALUE_CHARS = 100


def _call_lines(check: CheckResult) -> list[str]:
    """The call a failure or an error ended, arrays by their shape (plugin._called_briefly,
    checks_api.fail_call), and what came back and was expected where each fits on a line: the
    default view shows them under the failure's first line, as --verbose shows the whole call.
    A wrong cost said "neither summed nor averaged" with no input and no number (probe s60)."""
    briefly = check.evidence.get("called_briefly")
    if not isinstance(briefly, str) or not briefly:
        return []
    lines = [f"called: {briefly}"]
    parts = check.evidence.get("call")
    if isinstance(parts, dict):
        shown = {label: parts.get(label) for label in ("returned", "expected")}
        if all(isinstance(text, str) and text and "\n" not in text
               and len(text) <= SHORT_VALUE_CHARS for text in shown.values()):
            lines += [f"{label}: {text}" for label, text in shown.items()]
    return lines


def _shown(check: CheckResult, verbose: bool) -> tuple:
    """What the report prints of a failure: the whole message (verbose), or its first line and
    the callee to fix first. Checks that print the same are one entry: thirteen checks failing on
    one float() of a 1x1 array differ only in the calls their details show, which the default
    view leaves out but for the first one's, as an example."""
    if verbose:
        return (check.message, check.hint)
    message = check.message.splitlines() or [check.status]
    callee = message[-1].strip() if len(message) > 1 and check.evidence.get("failing_callees") else ""
    return (message[0], _raised_at(message), callee, check.hint)


def _entries(own: list[CheckResult], verbose: bool) -> dict[int, tuple]:
    """Each failing check's entry (by id): checks printing the same are one (`_shown`), and so,
    in the default view, are the cases of one parametrized check whose lines differ only by
    their own parameter: K_is_honoured[1] to [10] failing on one formula error said the same two
    lines seven times, "K = 1" to "K = 10" (probe s60)."""
    keys = {id(c): _shown(c, verbose) for c in own}
    if verbose:
        return keys
    cases: dict[tuple, list[CheckResult]] = {}
    for check in own:
        base, param = _parameter(check.name)
        if param:
            shown = _shown(check, verbose)
            cases.setdefault((base, _without(shown[0], param), *shown[1:]), []).append(check)
    for key, same in cases.items():
        if len({keys[id(c)] for c in same}) > 1:
            for check in same:
                keys[id(check)] = ("each at its own value", *key)
    return keys


def _parameter(name: str) -> tuple[str, str]:
    base, bracket, param = name.partition("[")
    return (base, param[:-1]) if bracket and param.endswith("]") else (name, "")


def _without(line: str, param: str) -> str:
    return re.sub(rf"(?<![\w.]){re.escape(param)}(?![\w.])", "[]", line)


def _twins_lines(check: CheckResult, own: list[CheckResult], width: int, indent: str,
                 entries: dict[int, tuple]) -> list[str]:
    """The other checks of the same entry (`_entries`), by name: their failure is not repeated,
    but each failing check is named (the table counts them all)."""
    key = entries[id(check)]
    twins = [c.name for c in own if c is not check and entries[id(c)] == key]
    if not twins:
        return []
    lead = "the same failure, each at its own value: " if key[0] == "each at its own value" \
        else "the same failure: "
    return textwrap.wrap(lead + ", ".join(twins), width=width - len(indent),
                         initial_indent=indent + "    ", subsequent_indent=indent + "    ")


def render(result: SubmissionResult, *, verbose: bool = False, width: int | None = None,
           color: bool = False) -> str:
    width = width or max(80, min(shutil.get_terminal_size((100, 24)).columns, 140))
    lines = [f"autograde: {result.submission}"]
    if result.error:
        lines.append(f"  ! {result.error}")
    # What to grade instead comes before the points it explains (a 0 / 100 of one file).
    first = [w for w in result.warnings if w.startswith(FIRST_WARNINGS)]
    for text in first:
        lines.extend(textwrap.wrap(text, width=width - 4, initial_indent="  ! ",
                                   subsequent_indent="    "))
    functions = [f for f in result.functions if f.max_score > 0]  # nothing to earn: no row
    name_width = max((len(f.name) for f in functions), default=10)
    lines.append("")
    for fn in functions:
        earned_all = fn.score + fn.skipped_points >= fn.max_score
        mark = "ok" if earned_all else ("--" if fn.score == 0 else "~ ")
        head = f"  {mark} {fn.name:<{name_width}}  {_points(fn.score):>5} / {_points(fn.max_score):<4}"
        if fn.skipped_points and earned_all:
            note = f"(+{_points(fn.skipped_points)} checked by your instructor's grader)"
        else:
            note = "" if earned_all else (NOT_GRADED if not_graded(result, fn.name, fn.summary)
                                          else fn.summary)
        lines.append(_cut(f"{head}  {note}".rstrip(), width))
    lines.extend(_total_lines(result, name_width, color))
    for sentence in (mode_text(result), config_text(result), inputs_text(result)):
        if sentence:
            lines.extend(textwrap.wrap(sentence, width=width - 2, initial_indent="  ",
                                       subsequent_indent="  "))
    # Advisory checks (worth 0 points) speak through the warnings instead.
    # A check that failed only for the submission's error (said at the top) says nothing more.
    failing = [c for c in result.checks if c.status not in ("passed", "skipped") and c.max_score > 0
               and not repeats_error(result, c.message)]
    if failing:
        lines.append("")
        lines.append("What went wrong" + ("" if verbose else " (every detail: --verbose, or --json):"))
    for function in dict.fromkeys(c.function for c in failing):
        lines.append(f"  {function}")
        own = [c for c in failing if c.function == function]
        entries = _entries(own, verbose)
        done: set[str] = set()
        shown: set[tuple] = set()  # one entry when several checks fail the same way
        for check in own:
            known = result.mistakes.get(check.mistake)
            if known and check.mistake not in done:
                # One explanation, then every check it failed.
                done.add(check.mistake)
                # A diagnosis made beside a failing callee waits for it (callees.py).
                waits = {callees.until_callees_pass([c]) for c in own if c.mistake == check.mistake}
                first = f"{waits.pop()}: " if len(waits) == 1 and "" not in waits else ""
                lines.extend(textwrap.wrap(f"hint: {first}{known['title']}: {known['explanation']}",
                                           width=width - 4, initial_indent="    ",
                                           subsequent_indent="          "))
                for same in (c for c in own if c.mistake == check.mistake):
                    if entries[id(same)] not in shown:
                        shown.add(entries[id(same)])
                        lines.extend(_failure_lines(same, width, verbose, "      "))
                        lines.extend(_twins_lines(same, own, width, "      ", entries))
            elif not known and entries[id(check)] not in shown:
                shown.add(entries[id(check)])
                lines.extend(_failure_lines(check, width, verbose, "    "))
                lines.extend(_twins_lines(check, own, width, "    ", entries))
                if check.hint:
                    lines.extend(textwrap.wrap(f"hint: {check.hint}", width=width - 8,
                                               initial_indent="      ",
                                               subsequent_indent="            "))
        if not verbose:
            # What a failure's details note of the values that came back (float32, whole
            # numbers) explains every failure beside it: said once, in the default view too.
            for note in dict.fromkeys(line.strip()[len("Note: "):] for check in own
                                      for line in check.message.splitlines()[1:]
                                      if line.strip().startswith("Note: ")):
                lines.extend(textwrap.wrap(f"note: {note}", width=width - 4,
                                           initial_indent="    ", subsequent_indent="          "))
    # After what went wrong, as in the HTML report: what to fix comes first, and these are
    # checks that passed.
    withheld = withheld_text(result)
    if withheld:
        lines.append("")
        lines.append("Points withheld:")
        for text in withheld:
            lines.extend(textwrap.wrap(text, width=width - 4, initial_indent="  - ",
                                       subsequent_indent="    "))
    rest = tuple(w for w in result.warnings if w not in first)
    for heading, said in (("Warnings:", rest), ("Notes:", result.notes)):
        if said:
            lines.append("")
            lines.append(heading)
        for text in said:
            lines.extend(textwrap.wrap(text, width=width - 4, initial_indent="  - ",
                                       subsequent_indent="    "))
    if verbose and result.import_output:
        lines.append("")
        lines.append("Printed while importing your submission:")
        kept, more = first_lines(result.import_output, IMPORT_OUTPUT_LINES,
                                 result.import_output_dropped)
        lines.extend(f"  | {text}" for text in kept)
        lines += [f"  {more}"] if more else []
    iso = result.isolation
    if iso:
        lines.append("")
        lines.append(f"Isolation: {iso.get('summary') or iso.get('mode')}")
        if str(iso.get("user", "")).startswith("root"):  # --allow-root-workers (session.py)
            lines.append("  student code ran AS ROOT: it could read the reference and stop other "
                         "workers")
        missing = [m for m in iso.get("unavailable") or [] if not m.startswith("sandbox (")]
        if missing:
            lines.extend(textwrap.wrap("not available here: " + "; ".join(missing), width=width - 2,
                                       initial_indent="  ", subsequent_indent="  "))
    return "\n".join(lines)
