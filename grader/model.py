"""The result model: the single source every report format renders.

Three layers, as a grade is built: a check's outcome, a function's total, the submission's total.
Frozen dataclasses with `to_dict`/`from_dict`; the JSON written from them carries SCHEMA_VERSION.
Timings live apart from everything that is graded, so two runs compare equal on `graded_view()`.
Fields added since schema version 1 first shipped have defaults, so older reports still load.
Every string a result holds passes through `safe_text` on the way in: a submission's text reaches
the renderers with its control characters and lone surrogates already made visible escapes.
"""
from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any, Literal

from grader import safe_text

SCHEMA_VERSION = 1
STATUSES = ("passed", "failed", "error", "timeout", "skipped")
Status = Literal["passed", "failed", "error", "timeout", "skipped"]
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
KINDS = ("values", "consistency", "robustness", "method", "advisory", "")
# How the warning begins that says why a reference was not used (a path of the grading machine):
# a view students read leaves it out.
REFERENCE_NOT_USED = "reference not used:"
# How the warning begins that a course secret was graded without the sandbox: the instructor's to
# act on (run_autograder's log), never news for a class.
SECRET_NOT_SAFE = "the course secret is not safe under process isolation:"
# How the warning begins that a .py file was graded alone while the files beside it hold the
# functions it lacks (grader/graded_alone.py): the reports say it first, above the points.
GRADE_THE_FOLDER = "grade the folder (autograde grade "
# How the warning begins that an upload looks like another pack's (grader/other_pack.py): said
# first too, since it explains every failure below it.
ANOTHER_PACK = "this looks like the "
# The warnings the reports show first, above the points.
FIRST_WARNINGS = (GRADE_THE_FOLDER, ANOTHER_PACK)
# How the warning begins that a course secret went unused for want of the reference: the
# instructor's set-up to fix, which a class need not read.
SECRET_NOT_USED = "the course secret was not used:"


def _make_text_safe(result: Any) -> None:
    """Replace, in a frozen result, every string (in its fields and in the data they hold) with
    its `safe_text.visible` form; nested results are clean already."""
    for f in fields(result):
        value = getattr(result, f.name)
        if is_dataclass(value) or (isinstance(value, tuple) and value and is_dataclass(value[0])):
            continue
        if isinstance(value, (str, bytes, dict, list, tuple)):
            # No comparison with the old value: evidence may hold numpy arrays, whose == is no bool.
            object.__setattr__(result, f.name, safe_text.data(value))


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict. `message` is what a student reads; it never holds a grader traceback.
    `mistake` is the id of a recognised mistake (its text is in SubmissionResult.mistakes, `hint`
    repeats the explanation); `evidence` is bounded plain JSON data measured by the check (see
    grader/evidence.py), e.g. the gradient blocks behind a gradient check's verdict.
    `fingerprint` identifies a failed check's wrong answer, for the instructor's overview."""

    name: str
    function: str
    status: Status
    score: float
    max_score: float
    message: str = ""
    hint: str = ""
    counterexample: str = ""
    output: str = ""
    visibility: str = "visible"
    needs_reference: bool = False
    mistake: str = ""
    evidence: dict[str, Any] = field(default_factory=dict, hash=False)
    output_truncated: bool = False
    # "values" (compared with the right answers), "consistency" (compared with the function
    # itself: earns its points only when the function's values checks pass), "robustness"
    # (right answers on inputs chosen for one behaviour), "method" (computed the way the
    # assignment asks, e.g. backpropagation: gates consistency points as a values check does),
    # "advisory" (0 points); "" in reports
    # written before the distinction (grader/plugin.py check_kind).
    kind: str = ""
    # Why a passing check earned nothing: its function's values are wrong (grader/scoring.py).
    points_withheld: str = ""
    # Of a failed check's wrong answer (grader/fingerprint.py): equal for byte-identical answers
    # to the same call. For the class overview; no student view shows it.
    fingerprint: str = ""
    # The check's own code raised (a bug of the pack or the grader, grader/plugin.py _classify):
    # its verdict is undecided, not the student's failure. Batch lists such checks apart
    # (gradebook column grader_problems) and grades the upload again on its next run.
    grader_error: bool = False

    def __post_init__(self) -> None:
        _make_text_safe(self)
        if self.status not in STATUSES:
            raise ValueError(f"check {self.name}: status {self.status!r} is not one of {STATUSES}")
        if not 0 <= self.score <= self.max_score:
            raise ValueError(f"check {self.name}: score {self.score} outside 0..{self.max_score}")
        if self.kind not in KINDS:
            raise ValueError(f"check {self.name}: kind {self.kind!r} is not one of {KINDS}")
        if self.grader_error and self.status != "error":
            raise ValueError(f"check {self.name}: a grader error has status 'error'")
        if self.status == "passed" and self.score < self.max_score and not self.points_withheld:
            raise ValueError(f"check {self.name} passed but lost points without a reason")


@dataclass(frozen=True)
class FunctionResult:
    name: str
    score: float
    max_score: float
    skipped_points: float = 0.0
    summary: str = ""  # one line: "all checks passed", "not implemented yet", the first failure

    def __post_init__(self) -> None:
        _make_text_safe(self)


@dataclass(frozen=True)
class SubmissionResult:
    submission: str
    score: float
    max_score: float
    checks: tuple[CheckResult, ...]
    functions: tuple[FunctionResult, ...]
    warnings: tuple[str, ...] = ()
    # What the grader found out that asks nothing of the student ("your cost is averaged over
    # the examples", where either convention is accepted): said apart from the warnings.
    notes: tuple[str, ...] = ()
    isolation: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    error: str = ""  # a catastrophic problem: nothing could be graded
    reference: bool = True  # whether the checks that need the reference ran
    import_output: str = ""  # what the submission printed while being imported
    # How many characters of it the worker did not keep (its bound), apart from the text: a line
    # the student printed can never read as the cut (recheck probe s58).
    import_output_dropped: int = 0
    # The recognised mistakes the checks name, by id: {"title", "explanation", "severity"}.
    mistakes: dict[str, dict[str, str]] = field(default_factory=dict)
    # Set by a batch, never by grading: the upload as found (`name`, the LMS ids in it), its
    # content hash (`sha256`: what a later run compares to regrade only changed uploads),
    # `graded_at` and `inputs`. Empty for `autograde grade`; not part of the graded view.
    upload: dict[str, Any] = field(default_factory=dict)
    # Which inputs the checks drew and what their answers were compared with: `set` ("public",
    # or "secret": drawn from the course secret, which is never written), `answers` ("reference",
    # "known answers" or "none"), and with known answers the points checked against them
    # (`known_answer_points`) and those left to the instructor's grader (`instructor_points`).
    inputs: dict[str, Any] = field(default_factory=dict)
    # The pack's grading mode in force (`name`, and the `description` a report shows), for a
    # pack that grades in more than one way (grader/packs/model.Pack.modes); empty otherwise.
    mode: dict[str, str] = field(default_factory=dict)
    # The top-level names of the modules the submission's code imports that it cannot import
    # where it is graded (not installed there, or refused by the rule on imports), sorted: for
    # the class overview, which told an instructor nothing of them (probe s60: scipy cost 80
    # points). Empty in reports written before.
    missing_modules: tuple[str, ...] = ()
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        _make_text_safe(self)

    def to_dict(self) -> dict[str, Any]:
        # Field by field: asdict(self) converted every check, then each again for the list.
        data = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("checks", "functions"):
                data[f.name] = [asdict(result) for result in value]
            elif f.name in ("warnings", "notes", "missing_modules"):
                data[f.name] = list(value)
            else:
                data[f.name] = copy.deepcopy(value)  # as asdict copies plain data
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SubmissionResult":
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"report schema version {data.get('schema_version')!r} is not "
                             f"{SCHEMA_VERSION}")
        fields = dict(data)
        fields["checks"] = tuple(CheckResult(**c) for c in data["checks"])
        fields["functions"] = tuple(FunctionResult(**f) for f in data["functions"])
        fields["warnings"] = tuple(data.get("warnings", ()))
        fields["notes"] = tuple(data.get("notes", ()))  # absent from reports written before notes
        fields["missing_modules"] = tuple(data.get("missing_modules", ()))  # likewise
        return cls(**fields)

    def graded_view(self) -> dict[str, Any]:
        """Everything that must be identical between two runs on the same submission."""
        data = self.to_dict()
        for volatile in ("timings", "versions", "isolation", "submission", "upload"):
            data.pop(volatile)
        return data
