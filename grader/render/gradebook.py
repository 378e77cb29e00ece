"""The gradebook: views of a batch's SubmissionResults as CSV.

- `render` (gradebook.csv): one row per submission: `submission`, `score`, `max_score`, a column
  per function, `error`, then what identifies the upload (UPLOAD_COLUMNS: its original name, the
  LMS ids its name carries, its content hash, when it was graded and from which input set), then
  `not_checkable`: the points a grade without the reference could not check (a student's copy,
  `--no-reference`), not lost; empty where the reference graded; then `no_longer_present`:
  `yes` for a report kept from an earlier run whose upload this run's INPUT no longer holds;
  then `grader_problems`: the checks (`function/check`) that failed in the grader itself, not in
  the upload's code, their points withheld until the pack is fixed and the upload graded again;
  then `status`: empty for a graded row; for an upload the batch found and has not graded yet
  (an interrupted run: NotGradedYet) `not graded yet`, its score empty, or for one whose earlier
  report stands in until it is regraded, `not regraded yet`.
  then `missing_modules`: the modules the upload's code imports that it cannot import where it
  is graded (`scipy; nosuchlib`), empty for none or for a report written before they were kept.
  Columns are only ever added at the end: instructors' scripts read them by position too.
- `canvas` (canvas.csv): Canvas's gradebook import layout, `Student, ID, SIS User ID, SIS Login
  ID, Section` and one assignment column; `ID` is the Canvas user id from the upload's name. One
  row per Canvas user: a report kept from an earlier run whose user a row of this run carries
  under another identifier gets none (`superseded`).
- `scores` (scores.csv): `student,score`, for any LMS or spreadsheet.

Each has a row, with an empty score, for every upload not graded yet: an incomplete class must
not pass for a complete one (probe s59: an interrupted run's canvas.csv held the one student
graded, and a pipeline posting it left the other 17 without a grade and without a sign of it).
An empty cell is what an LMS import leaves alone, and a script that reads the score as a number
stops at it.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Collection, Mapping, Sequence

from grader import grader_problems
from grader.model import SubmissionResult
from grader.scoring import nothing_graded

FIXED = ("submission", "score", "max_score")
# From SubmissionResult.upload, which a batch stamps: (column, key in the record).
UPLOAD_COLUMNS = (("upload", "name"), ("canvas_user_id", "canvas_user_id"),
                  ("canvas_submission_id", "canvas_submission_id"), ("late", "late"),
                  ("moodle_participant_id", "moodle_participant_id"),
                  ("content_sha256", "sha256"), ("graded_at", "graded_at"), ("inputs", "inputs"),
                  ("blackboard_username", "blackboard_username"),
                  ("brightspace_id", "brightspace_id"))
CANVAS_FIXED = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
# The assignment column's header. Canvas creates a new assignment for a header it does not know;
# to fill an existing one, rename it to that assignment's header in Canvas's own export.
CANVAS_ASSIGNMENT = "autograde"
NOT_GRADED_YET = "not graded yet"
NOT_REGRADED_YET = "not regraded yet"


@dataclass(frozen=True)
class NotGradedYet:
    """The uploads a batch found and has not graded (yet): interrupted, or their reports lost.
    `uploads`: those without any report, by student, each with the record of its upload's name
    (what batch.upload_record says of it: the LMS ids its name carries). `stale`: those whose
    earlier report stands in until they are regraded (an interrupted --force run, a changed
    upload). `found`: how many uploads the batch found in all. `why`: what happened and what
    to do, said after "N of M uploads not graded yet: "."""

    uploads: Mapping[str, Mapping] = field(default_factory=dict)
    stale: Collection[str] = ()
    found: int = 0
    why: str = ""

    def __bool__(self) -> bool:
        return bool(self.uploads or self.stale)

    def banner(self) -> str:
        """One sentence for the top of the overview and the terminal: "17 of 18 uploads not
        graded yet: the batch was interrupted; ...". """
        of = f" of {self.found} upload{'s' if self.found != 1 else ''}"
        parts = []
        if self.uploads:
            parts.append(f"{len(self.uploads)}{of} not graded yet")
        if self.stale:
            count = len(self.stale)
            keep = ("their rows keep the earlier reports' scores" if count != 1 else
                    "its row keeps the earlier report's score")
            parts.append(f"{count}{'' if self.uploads else of} not regraded yet ({keep})")
        said = " and ".join(parts) + (f": {self.why}" if self.why else "")
        if self.uploads:
            rows = ("Their rows" if len(self.uploads) != 1 else "Its row") + \
                " in gradebook.csv, canvas.csv and scores.csv"
            said += (f". {rows} {'have' if len(self.uploads) != 1 else 'has'} no score "
                     f"(gradebook status: {NOT_GRADED_YET})")
        return said


def _points(x: float) -> str:
    return f"{x:g}"


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = " ".join(text.split())
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def functions(results: Mapping[str, SubmissionResult], pack: Sequence[str] = ()) -> list[str]:
    """The function columns: the pack's functions (`pack`, all of them even when --only graded
    fewer: a column never moves), then every other function a report grades, in its order."""
    names: list[str] = list(pack)
    for result in results.values():
        names.extend(f.name for f in result.functions if f.name not in names)
    return names


def _upload_cells(record: Mapping) -> list[str]:
    """The UPLOAD_COLUMNS of an upload's record (SubmissionResult.upload)."""
    cells = []
    for column, key in UPLOAD_COLUMNS:
        value = record.get(key)
        if column == "late":
            cells.append("LATE" if value else "")
        elif column == "upload" and record.get("files"):
            # The files of a flat LMS export graded as one submission: their own names, not the
            # batch's folder of them.
            cells.append(_cell("; ".join(str(name) for name in record["files"])))
        elif column == "inputs":
            # Every grade so far drew the public inputs; a report from before this column says so too.
            cells.append(_cell(str(value or "public")))
        else:
            cells.append(_cell(str(value or "")))
    return cells


# What only a grade can say of an upload: left empty in the row of one not graded yet.
_GRADED_ONLY = ("content_sha256", "graded_at", "inputs")


def _pending_cells(record: Mapping) -> list[str]:
    """The UPLOAD_COLUMNS of an upload not graded yet: its name and the ids it carries."""
    return ["" if column in _GRADED_ONLY else cell
            for (column, _), cell in zip(UPLOAD_COLUMNS, _upload_cells(record))]


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def render(results: Mapping[str, SubmissionResult], pack: Sequence[str] = (),
           gone: Collection[str] = (), pending: NotGradedYet = NotGradedYet()) -> str:
    """`results` by student identifier; rows sorted by it. `pack`: the pack's functions, whose
    columns come first, graded or not. `gone`: the students whose uploads are no longer there.
    `pending`: the uploads not graded yet, each a row with no score."""
    columns = functions(results, pack)
    rows = [[*FIXED, *columns, "error", *(name for name, _ in UPLOAD_COLUMNS), "not_checkable",
             "no_longer_present", "grader_problems", "status", "missing_modules"]]
    for student in sorted({*results, *pending.uploads}):
        if student not in results:
            rows.append([student, "", "", *("" for _ in columns),
                         _cell(f"{NOT_GRADED_YET}: {pending.why}" if pending.why
                               else NOT_GRADED_YET),
                         *_pending_cells(pending.uploads[student]), "", "", "", NOT_GRADED_YET,
                         ""])
            continue
        result = results[student]
        scores = {f.name: f.score for f in result.functions}
        rows.append([student, _points(result.score), _points(result.max_score),
                     *(_points(scores[name]) if name in scores else "" for name in columns),
                     _cell(result.error.splitlines()[0] if result.error
                           else nothing_graded(result)),
                     *_upload_cells(result.upload), _not_checkable(result),
                     "yes" if student in gone else "",
                     _cell("; ".join(grader_problems.in_result(result))),
                     NOT_REGRADED_YET if student in pending.stale else "",
                     _cell("; ".join(result.missing_modules))])
    return _csv(rows)


def not_checkable(result: SubmissionResult) -> float:
    """The points of `result` that only a grade with the reference can check: its max_score counts
    them, its score cannot have them (0 where the reference graded)."""
    return 0.0 if result.reference else sum(f.skipped_points for f in result.functions)


def _not_checkable(result: SubmissionResult) -> str:
    points = not_checkable(result)
    return _points(points) if points else ""


def _canvas_id(record: object) -> str:
    return str(record.get("canvas_user_id") or "") if isinstance(record, Mapping) else ""


def superseded(results: Mapping[str, SubmissionResult], gone: Collection[str],
               pending: NotGradedYet = NotGradedYet()) -> dict[str, tuple[str, str]]:
    """{student no longer present: (the present student, the Canvas user id both rows carry)}:
    the reports kept from an earlier run whose Canvas user is graded in this one under another
    identifier (an earlier run graded a zip and the folder unpacked beside it as two students,
    probe s59). Posted beside the present row, Canvas would import either."""
    present: dict[str, str] = {}
    for student in sorted({*results, *pending.uploads}):
        if student not in gone:
            record = results[student].upload if student in results else pending.uploads[student]
            present.setdefault(_canvas_id(record), student)
    present.pop("", None)
    return {student: (present[_canvas_id(results[student].upload)],
                      _canvas_id(results[student].upload))
            for student in sorted(gone) if student in results
            and _canvas_id(results[student].upload) in present}


def canvas(results: Mapping[str, SubmissionResult], *, assignment: str = CANVAS_ASSIGNMENT,
           pending: NotGradedYet = NotGradedYet(), left_out: Collection[str] = ()) -> str:
    """Canvas's gradebook import: the student, the Canvas user id its upload's name carries (empty
    for a name without one: Canvas lists that row as unmatched in its import preview), the SIS
    columns left empty, and the score in the one assignment column (empty for an upload not
    graded yet: no column may say why, Canvas would take it for another assignment).
    `left_out`: students given no row (superseded: another row carries their Canvas user)."""
    rows = [[*CANVAS_FIXED, _cell(assignment)]]
    for student in sorted({*results, *pending.uploads} - set(left_out)):
        record = results[student].upload if student in results else pending.uploads[student]
        score = _points(results[student].score) if student in results else ""
        rows.append([student, _cell(str(record.get("canvas_user_id") or "")), "", "", "", score])
    return _csv(rows)


def scores(results: Mapping[str, SubmissionResult],
           pending: NotGradedYet = NotGradedYet()) -> str:
    """`student,score`: the plainest import there is (the score empty: not graded yet)."""
    return _csv([["student", "score"],
                 *([student, _points(results[student].score) if student in results else ""]
                   for student in sorted({*results, *pending.uploads}))])
