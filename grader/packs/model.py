"""What a pack is, once its manifest is read: frozen data the engine grades with."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from grader.model import VISIBILITIES

# The deadlines a manifest or a course config may set (grader/proxy.Limits' fields, in seconds).
DEADLINE_KEYS = ("call_seconds", "import_seconds", "check_seconds", "submission_seconds")


@dataclass(frozen=True)
class FunctionSpec:
    """A function students write: its name, the points it is worth, and the module it normally
    lives in (the file of the original multi-file layout, or a notebook's stem)."""

    name: str
    points: float
    home: str
    signature: str = ""
    # Who sees its checks when a check's own marker does not say (None: the pack's default).
    visibility: str | None = None
    notebook: str = ""  # the notebook it is written in, when the assignment is a notebook
    # A graded composition rather than a function of the submission (a training loop built from
    # forward and the derivatives): the functions its checks call. Its points are lost when any
    # of them is wrong, never theirs when it is.
    uses: tuple[str, ...] = ()
    # Other graded functions of the submission this one calls in the handout's template (a
    # network calls sigmoid and softmax): when one of them fails its own checks, a failure of
    # this one says it may be the cause (grader/callees.py). Grading is otherwise unchanged.
    calls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pack:
    name: str
    title: str
    functions: tuple[FunctionSpec, ...]
    checks_dir: Path
    default_reference: Path | None = None  # where a source checkout keeps the instructor's solution
    # The folder the manifest's `reference` key names, there or not: a name that is not there
    # is said by the commands that need a reference (grader/reference.py: missing_named).
    reference_named: Path | None = None
    default_visibility: str = "visible"
    # Further modules of the original layout that students' files import but that are not graded
    # (a course's provided helpers); a submission that lacks one still loads (grader/worker/loader.py).
    provided_modules: tuple[str, ...] = ()
    # Functions of the starter code that students' code calls but does not write ({name: the
    # file that holds it}): a NameError for one says to keep that code in the upload.
    provided_functions: dict[str, str] = field(default_factory=dict)
    # The reference's outputs on the public inputs (grader/known_answers.py): what a student's
    # copy, which has no reference, compares values with. Made by `autograde known-answers`.
    known_answers: Path | None = None
    # The folder of the manifest: its own modules (inputs, hints) are importable by its checks
    # while it grades. None for a pack built in code.
    root: Path | None = None
    student_template: Path | None = None
    # Files copied beside the submission in the worker (a course's helper module, small data).
    support_dir: Path | None = None
    tolerances: dict[str, float] = field(default_factory=dict)
    deadlines: dict[str, float] = field(default_factory=dict)
    total_points: float | None = None
    # Set by a course config (grader/packs/course_config.py): visibility by function, over the
    # checks' own markers, and how the report names the config.
    forced_visibility: dict[str, str] = field(default_factory=dict)
    config: str = ""
    # The ways the pack can grade, by name, each with the sentence a report shows (a course whose
    # handout teaches a formula that is not the exact gradient grades by the course's formula or
    # by the exact one), and the one in force: the manifest's default, a course config's or
    # --mode's choice. Checks read it with grader.checks_api.mode(). Empty for a pack of one way.
    modes: dict[str, str] = field(default_factory=dict)
    mode: str = ""
    # The course's own training script, if the pack ships one (`training_script` in the
    # manifest): `autograde audit` reads it for calls that pass an argument in another's place.
    training_script: Path | None = None

    def __post_init__(self) -> None:
        names = [f.name for f in self.functions]
        if len(set(names)) != len(names):
            raise ValueError(f"pack {self.name}: a function is listed twice in {names}")
        if any(f.points <= 0 for f in self.functions):
            raise ValueError(f"pack {self.name}: every function must be worth more than 0 points")
        if self.default_visibility not in VISIBILITIES:
            raise ValueError(f"pack {self.name}: visibility {self.default_visibility!r} is not one of "
                             f"{VISIBILITIES}")
        if not self.checks_dir.is_dir():
            raise ValueError(f"pack {self.name}: no checks folder at {self.checks_dir}")
        if (self.mode or self.modes) and self.mode not in self.modes:
            raise ValueError(f"pack {self.name}: no mode {self.mode!r}; its modes are "
                             f"{', '.join(self.modes) or 'none'}")

    def __hash__(self) -> int:  # tolerances and deadlines are dicts; a pack is known by its name
        return hash((self.name, self.functions, self.checks_dir))

    def function(self, name: str) -> FunctionSpec:
        for spec in self.functions:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def visibility_of(self, function: str, marker: str | None = None) -> str:
        """Who sees a check of `function`: the course config's word, else the check's own
        marker, else the function's visibility in the manifest, else the pack's default."""
        return (self.forced_visibility.get(function) or marker
                or self.function(function).visibility or self.default_visibility)

    def with_mode(self, name: str) -> "Pack":
        """The pack grading in mode `name`. Raises ValueError naming the pack's modes."""
        if name not in self.modes:
            known = ", ".join(self.modes) if self.modes else "none: it grades one way"
            raise ValueError(f"pack {self.name} has no mode {name!r} (its modes: {known})")
        return dataclasses.replace(self, mode=name)

    @property
    def mode_description(self) -> str:
        return self.modes.get(self.mode, "")

    @property
    def homes(self) -> dict[str, str]:
        return {f.name: f.home for f in self.functions}

    @property
    def composed(self) -> dict[str, tuple[str, ...]]:
        """The graded compositions (functions with `uses`), with the functions each calls."""
        return {f.name: f.uses for f in self.functions if f.uses}

    @property
    def calls(self) -> dict[str, tuple[str, ...]]:
        """The functions each function calls in the handout's template (`calls`), where any."""
        return {f.name: f.calls for f in self.functions if f.calls}

    @property
    def layout(self) -> tuple[str, ...]:
        """Every module name of the original layout: the graded functions' homes, then the rest."""
        return tuple(dict.fromkeys([f.home for f in self.functions] + list(self.provided_modules)))

    @property
    def max_score(self) -> float:
        return sum(f.points for f in self.functions)
