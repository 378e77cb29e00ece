"""Gradescope's results.json: the result model laid out as Gradescope's autograder specification asks.

- One Gradescope test per check, numbered "function.check" in the pack's order and named
  "function: check" as in the terminal report. Its `output` is the check's feedback text
  (render.feedback: message, hint, counterexample, captured output), shown by Gradescope in a <pre>.
- `status` is "passed" for a passed check that earned its points and "failed" for every other:
  Gradescope paints a test by its status, and a passed check whose points were withheld (see
  grader/scoring.py) earned none. The model's own status (passed, error, timeout, skipped) is kept
  in the test's `extra_data`, and the test's output says why the points were withheld.
- `visibility` is the check's own (its `visibility` marker, or the pack's default): visible, hidden,
  after_due_date or after_published, Gradescope's four values.
- Skipped checks (they need the reference solution, which the instructor's image always has) do not
  vanish: each is a failed test worth 0 of its points whose output says it was not run, and the
  submission's output says how many points that was. A misconfigured image shows up on the first
  submission instead of silently shrinking the assignment.
- `score` is the model's score, which is the sum of the tests' scores. The submission-level
  `output` never reveals a check that is not visible: the score and per-function lines appear there
  only when every check is visible (Gradescope itself hides the total while tests are hidden).
- `stdout_visibility` is "hidden": run_autograder's stdout holds the full terminal report, hidden
  checks included, for the instructor.
- Formats are said, not left to Gradescope's defaults: all output and names are plain text.

grader/schemas/gradescope-results.schema.json is Gradescope's specification as a JSON Schema, every
optional field included (leaderboard, test_output_format, name_format, ...); what is written here is
checked against it in the tests.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from grader.model import REFERENCE_NOT_USED, SECRET_NOT_SAFE, SECRET_NOT_USED, SubmissionResult
from grader.render import feedback

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "gradescope-results.schema.json"
STDOUT_VISIBILITY = "hidden"
TEXT = "text"  # Gradescope's plain format: nothing a submission prints is rendered as markup
MAX_OUTPUT_CHARS = 20000
IMPORT_OUTPUT_LINES = 40
IMPORT_OUTPUT_CHARS = 8000


def _points(x: float) -> str:
    return f"{x:g}"


def _seconds(value: float | None) -> int:
    return max(0, math.ceil(value)) if value is not None else 0


def tests(result: SubmissionResult) -> list[dict[str, Any]]:
    order = {fn.name: i for i, fn in enumerate(result.functions, start=1)}
    seen: dict[str, int] = {}
    out = []
    for check in result.checks:
        seen[check.function] = seen.get(check.function, 0) + 1
        number = f"{order.get(check.function, len(order) + 1)}.{seen[check.function]}"
        out.append({
            "name": f"{check.function}: {check.name}",
            "number": number,
            "score": check.score,
            "max_score": check.max_score,
            "status": "passed" if check.status == "passed" and not check.points_withheld
                      else "failed",
            "output": feedback.check_text(check),
            "output_format": TEXT,
            "name_format": TEXT,
            "visibility": check.visibility,
            "tags": [check.function],
            "extra_data": {"function": check.function, "check": check.name, "status": check.status,
                           "needs_reference": check.needs_reference},
        })
    return out


def summary(result: SubmissionResult) -> str:
    """The submission-level output: what concerns the whole submission, never a hidden check."""
    all_visible = all(c.visibility == "visible" for c in result.checks)
    lines = []
    if result.error:
        said = "nothing could be graded" in result.error.lower()
        lines += [result.error if said else f"Nothing could be graded: {result.error}", ""]
    if all_visible:
        lines.append(f"Score: {_points(result.score)} / {_points(result.max_score)}")
        for fn in result.functions:
            lines.append(f"  {fn.name}: {_points(fn.score)} / {_points(fn.max_score)}"
                         + ("" if fn.score == fn.max_score else f"  ({fn.summary})"))
        lines.append("")
    skipped = [c for c in result.checks if c.status == "skipped"]
    if skipped:
        points = sum(c.max_score for c in skipped)
        lines += [f"{len(skipped)} checks ({_points(points)} points) were not run: this grader was set "
                  "up without the reference solution. They count as 0 until your instructor fixes "
                  "the autograder and regrades.", ""]
    for sentence in (feedback.mode_text(result), feedback.inputs_text(result)):
        if sentence:
            lines += [sentence, ""]
    if all_visible and feedback.withheld_text(result):
        lines.append("Points withheld:")
        lines += [f"  - {w}" for w in feedback.withheld_text(result)]
        lines.append("")
    # A warning or note naming a function with a check not shown yet ("forward_backward_prop:
    # your cost is averaged ...", "negSamplingCostAndGradient takes the assignment's parameters
    # in another order") would tell what its hidden checks find.
    hidden = {c.function for c in result.checks if c.visibility != "visible"}
    naming_hidden = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(hidden))) + r")\b") \
        if hidden else None
    for heading, said in (("Warnings:", result.warnings), ("Notes:", result.notes)):
        # Why the image has no reference, and that a secret was graded outside the sandbox, are
        # the instructor's to act on (run_autograder's log); the student is told above what
        # grading without a reference means.
        shown = [text for text in said
                 if not (naming_hidden and naming_hidden.search(text))
                 and not text.startswith((REFERENCE_NOT_USED, SECRET_NOT_SAFE, SECRET_NOT_USED))]
        if shown:
            lines.append(heading)
            lines += [f"  - {text}" for text in shown]
            lines.append("")
    if result.import_output:
        # Bounded on its own, so a long printout never cuts what comes after it.
        lines.append("Printed while importing your submission:")
        kept, more = feedback.first_lines(result.import_output, IMPORT_OUTPUT_LINES,
                                           result.import_output_dropped)
        lines += feedback.bound("\n".join(f"  | {t}" for t in kept),
                                IMPORT_OUTPUT_CHARS).splitlines()
        lines += [f"  {more}"] if more else []
        lines.append("")
    iso = result.isolation or {}
    # Without the sandbox the line is advice to the instructor ("student code can read your
    # files"), who reads it in run_autograder's log; a class has nothing to do with it.
    if iso and iso.get("mode") == "sandbox":
        missing = [m for m in iso.get("unavailable") or [] if not m.startswith("sandbox (")]
        lines.append(f"Isolation: {iso.get('summary') or iso.get('mode')}"
                     + (f"; not available: {', '.join(missing)}" if missing else ""))
    return feedback.bound("\n".join(lines).strip(), MAX_OUTPUT_CHARS)


def results(result: SubmissionResult, *, execution_time: float | None = None) -> dict[str, Any]:
    """The results.json of one graded submission."""
    seconds = execution_time if execution_time is not None else result.timings.get("total_seconds")
    return {
        "score": result.score,
        "execution_time": _seconds(seconds),
        "output": summary(result),
        "output_format": TEXT,
        "test_output_format": TEXT,
        "test_name_format": TEXT,
        "stdout_visibility": STDOUT_VISIBILITY,
        "extra_data": {"max_score": result.max_score, "reference": result.reference,
                       "inputs": result.inputs.get("set", ""),
                       "mode": result.mode.get("name", ""),
                       "error": result.error, "grader": result.versions.get("grader", ""),
                       "pack": result.versions.get("pack", "")},
        "tests": tests(result),
    }


def not_graded(message: str, *, execution_time: float | None = None) -> dict[str, Any]:
    """The results.json when nothing could be graded at all (no files, the grader itself failed):
    score 0 and a message a student can act on, never a traceback."""
    return {
        "score": 0,
        "execution_time": _seconds(execution_time),
        "output": message,
        "output_format": TEXT,
        "test_output_format": TEXT,
        "test_name_format": TEXT,
        "stdout_visibility": STDOUT_VISIBILITY,
        "extra_data": {"error": message},
        "tests": [],
    }


def schema() -> dict[str, Any]:
    """Gradescope's results.json specification as a JSON Schema (draft 2020-12)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, allow_nan=False) + "\n"
