"""The pytest plugin that turns check outcomes into the result model.

Checks are ordinary pytest tests in a pack's checks folder. Markers say what a check is worth and
which function it grades; this plugin validates them at collection, gives each check a fresh copy of
the submission through the `student` fixture, and records every outcome as a CheckResult.
"""
from __future__ import annotations

import ast
import re
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis.errors import Flaky

from grader import evidence as evidence_mod, known_answers as known_answers_mod, observed, replay
from grader import example_budget, scoring, selection
from grader.checks_api import (CheckFailure, brief_call, call_text, excused_failure,
                               excused_mistake, forget_precision, mark_asides_with,
                               judge_shapes, low_precision_note)
from grader.hints import Catalogue, Mistake
from grader.input_set import PUBLIC, InputSet
from grader.model import VISIBILITIES, CheckResult
from grader.packs import Pack
from grader.proxy import (CallResult, StudentError, StudentNotImplemented, StudentTimeout,
                          StudentUnavailable, Submission)

try:
    ExceptionGroupType = BaseExceptionGroup
except NameError:  # Python 3.10: hypothesis brings the backport
    from exceptiongroup import BaseExceptionGroup as ExceptionGroupType

NEEDS_REFERENCE = "checked by your instructor's grader (this copy has no reference solution)"
NOT_KNOWN = ("checked by your instructor's grader (this copy's known answers do not cover this "
             "input)")
MAX_OUTPUT_CHARS = 4000


@contextmanager
def draws_independent_of_installed_code() -> Iterator[None]:
    """Hypothesis (since 6.131 or so) sometimes draws a constant found in the source of any
    loaded module outside site-packages: the grader itself when installed editable, the pack's
    modules, the reference. A grade would then depend on how and where the grader is installed
    (a checkout in CI, a wheel in Gradescope's image) and on which modules happen to be loaded.
    Grading draws from hypothesis's own constants only. (Older versions have no such pool.)"""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover (a version without the module)
        yield
        return
    local = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if local is None or not hasattr(providers, "Constants"):
        yield
        return
    empty = providers.Constants()

    def clear() -> None:
        if cache is not None and hasattr(cache, "cache"):
            cache.cache.clear()  # it holds the pool's values per kind of draw

    clear()
    providers._get_local_constants = lambda: empty
    try:
        yield
    finally:
        providers._get_local_constants = local
        clear()


# The order in which checks of each visibility run: the sooner a student sees a check's output,
# the sooner it runs (pytest_collection_modifyitems).
RUN_AFTER = ("visible", "after_due_date", "after_published", "hidden")


@dataclass(repr=False)
class GradingState:
    """What the plugin shares with the checks during one grading session."""

    pack: Pack
    submission: Submission
    reference: SimpleNamespace | None
    debug: bool = False
    # The folder the reference was loaded from: a check's failure never quotes a line of it
    # (_where_in_the_pack), wherever it is, the pack's own reference/ folder included.
    reference_dir: Path | None = None
    results: list[CheckResult] = field(default_factory=list)
    # Each check's place in the report, by (function, check name); checks may run in another
    # order (hidden ones last), and `ordered_results` puts them back.
    report_order: dict[tuple[str, str], int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # What the report says of the submission that asks nothing of the student (the convention it
    # follows): apart from the warnings, so that a full-marks report does not read as a problem.
    notes: list[str] = field(default_factory=list)
    # Warnings and notes a check gave on condition that it passes, by check: what it says of the
    # submission (a convention it follows) is true only of a check that passed. A hypothesis
    # check runs many examples, and one that passes on its way to a failure must not leave a
    # claim behind. Each entry: (the list it goes to, its text).
    pending: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    internal_errors: list[str] = field(default_factory=list)
    # The other functions of the submission each check calls (its @pytest.mark.uses), by
    # (function, check name): one of them failing its own checks is named on the check's failure.
    check_uses: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    # The values checks a consistency check's points wait for, where it names them
    # (@pytest.mark.gated_by), by (function, check name); the others wait for all of them.
    check_gates: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    # The part of its function's values a consistency check checks (@pytest.mark.part), by
    # (function, check name): a values check that failed but found that part right gates it not.
    check_parts: dict[tuple[str, str], str] = field(default_factory=dict)
    # The checks marked @pytest.mark.callers_never_pass, by (function, check name): failing only
    # those, a function is not named as the cause of its callers' failures (grader/callees.py).
    callers_never_pass: set[tuple[str, str]] = field(default_factory=set)
    # Each as "check: Kind at file, line N (`code`)", the pack's own line that raised: what a pack
    # author needs, in one line, without the traceback (grader/session.py's warning).
    internal_error_places: list[str] = field(default_factory=list)
    # Results several checks share (one gradient check feeds the W1, b1, W2 and b2 checks).
    shared: dict[Any, Any] = field(default_factory=dict)
    # The catalogue entries this submission's checks recognised, by id (the report carries them).
    mistakes: dict[str, Mistake] = field(default_factory=dict)
    # Those of failures a passing check excused (checks_api.excuse): the report carries one
    # only where scoring.charge_excused charges the failure after all.
    excused_mistakes: dict[str, Mistake] = field(default_factory=dict)
    # Warning-severity mistakes seen by the check now running, recorded with its result.
    current_check: str = ""
    current_function: str = ""  # the graded function of the check now running
    flags: dict[str, tuple[Mistake, dict]] = field(default_factory=dict)
    # What earlier submissions' passing checks asked (grader/replay.py); None: every check live.
    recipes: replay.RecipeBook | None = None
    # Where the inputs come from (grader/input_set.py), and, in a copy without the reference,
    # the shipped answers that stand in for it (grader/known_answers.py).
    input_set: InputSet = PUBLIC
    known_answers: known_answers_mod.KnownAnswers | None = None
    # Collecting the checks only, to say what is wrong with a pack before it is used
    # (session.checks_problems): the slower static checks run then, not in every grade.
    validating: bool = False

    def ordered_results(self) -> list[CheckResult]:
        """The results in the report's order (the pack's functions, then the checks as
        written), whatever order they ran in."""
        last = len(self.report_order)
        return sorted(self.results, key=lambda c: self.report_order.get((c.function, c.name), last))

    def snapshot(self) -> tuple:
        """What a check may add to the state, to undo a replay that must start over live."""
        return (list(self.warnings), list(self.notes), dict(self.flags), dict(self.mistakes),
                dict(self.shared), {k: list(v) for k, v in self.pending.items()})

    def restore(self, saved: tuple) -> None:
        warnings, notes, flags, mistakes, shared, pending = saved
        self.warnings[:], self.notes[:] = warnings, notes
        self.flags, self.mistakes, self.shared = flags, mistakes, shared
        self.pending = pending

    def warn(self, text: str, *, if_passes: bool = False) -> None:
        """Add a warning to the report: something the student may want to change, though it
        costs no points. With `if_passes`, only once the running check has passed: for what a
        check found out about the submission, which a later failure of the same check
        contradicts."""
        self._add("warnings", text, if_passes)

    def note(self, text: str, *, if_passes: bool = False) -> None:
        """Add a note to the report: what the grader found out about the submission that asks
        nothing of the student (the convention its cost follows, where either is accepted).
        `if_passes` as for `warn`."""
        self._add("notes", text, if_passes)

    def _add(self, kind: str, text: str, if_passes: bool) -> None:
        if if_passes:
            held = self.pending.setdefault(self.current_check, [])
            if (kind, text) not in held:
                held.append((kind, text))
            return
        said = getattr(self, kind)
        if text not in said:
            said.append(text)

    def settle(self, check: str, passed: bool) -> None:
        """Give the warnings and notes `check` held until it ended, if it passed; drop them
        otherwise."""
        for kind, text in self.pending.pop(check, []):
            if passed:
                self._add(kind, text, False)

    def flag(self, mistake: Mistake, evidence: dict[str, Any] | None = None, *,
             if_passes: bool = False) -> None:
        """A mistake that costs no points (severity "warning"): the report warns once, and the
        running check carries the mistake's id if it passes (a failure names its own reason).
        With `if_passes`, the warning too waits for the check to pass: for a finding that only
        excuses this check's failure (see `warn`)."""
        if mistake.severity != "warning":
            raise ValueError(f"mistake {mistake.id!r} costs points: raise CheckFailure with it")
        self.flags.setdefault(self.current_check, (mistake, dict(evidence or {})))
        # named like every other warning: a report grades several functions
        whose = (f"{self.current_function}: " if self.current_function
                 and not mistake.title.startswith(self.current_function) else "")
        self.warn(f"{whose}{mistake.title}. {mistake.explanation}", if_passes=if_passes)

    def __repr__(self) -> str:  # appears in hypothesis's counterexamples
        return "report"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis pretty-prints a dataclass field by field, whatever its __repr__ says: that
        # would show the grader's state (and an object's address, different on every run).
        printer.text("report")


class CheckStopped(Exception):
    """A StudentUnavailable on its way through pytest.

    StudentUnavailable is a BaseException so that hypothesis stops at once (no retry, no shrink:
    each would cost another deadline) and no check's `except Exception` swallows it. pytest only
    keeps its setup and teardown bookkeeping straight for Exception subclasses (its TEST_OUTCOME):
    any other BaseException leaves fixtures half set up, and how the following checks then end
    changed between pytest 8.4 and 9 (every later check failed with an empty message). So the
    plugin converts it at the two places a check meets the submission, the `student` fixture and
    the check's call, and `pytest_runtest_makereport` reads the original back."""

    def __init__(self, cause: StudentUnavailable) -> None:
        super().__init__(str(cause))
        self.cause = cause


STATE = pytest.StashKey[GradingState]()
POINTS = pytest.StashKey[float]()
KIND = pytest.StashKey[str]()
FUNCTION = pytest.StashKey[str]()
VISIBILITY = pytest.StashKey[str]()
RECORDED = pytest.StashKey[bool]()
# A consistency check's @pytest.mark.gated_by names, read at collection (a kept session collects
# once and grades many times: each grade's state gets them as its checks are recorded).
GATES = pytest.StashKey[tuple]()
# A consistency check's @pytest.mark.part, and a values check's @pytest.mark.judges_parts.
PART = pytest.StashKey[str]()
JUDGED_PARTS = pytest.StashKey[tuple]()
# Each function's checks marked exact_shapes, by their names in the report.
FORM_CHECKS = pytest.StashKey[dict]()
# Every validated check of the pack, in grading order, whatever --only chose at collection: what
# a kept session (grader/kept_session.py) chooses from for each later grade.
ALL_ITEMS = pytest.StashKey[list]()
REPORT_PLACE = pytest.StashKey[int]()  # a check's place in the report (GradingState.report_order)


class StudentFunction:
    """The student's function as a check calls it: `student(x)` returns the value; `.call` and
    `.many` return CallResults with captured output, dataset draws and the arguments afterwards."""

    def __init__(self, submission: Submission, name: str) -> None:
        self._submission = submission
        self.name = name

    def __call__(self, *args: Any) -> Any:
        return self._submission.call(self.name, *args).value

    def call(self, *args: Any, echo_args: bool = False, within: float | None = None) -> CallResult:
        return self._submission.call(self.name, *args, echo_args=echo_args, within=within)

    @property
    def call_seconds(self) -> float:
        """The deadline of one call, for a check that times an answer against it."""
        return self._submission.limits.call_seconds

    def many(self, calls: list[tuple], echo_args: bool = False,
             count_lines: bool = False) -> list[CallResult]:
        return self._submission.call_many(self.name, calls, echo_args=echo_args,
                                          count_lines=count_lines)

    def other(self, name: str) -> "StudentFunction":
        """Another function of the submission, for a check allowed to call it: the graded
        composition's parts, or a function named in the check's @pytest.mark.uses."""
        return StudentFunction(self._submission, name)

    def __repr__(self) -> str:  # shows up in hypothesis's "Falsifying example" notes
        return self.name


def _where_in_the_pack(item: pytest.Item, exc: BaseException,
                       reference_dir: Path | None = None) -> str:
    """The check and the last line of the pack's own code (its checks and modules) in the
    traceback of `exc`, in one line. Never a line of the reference: the warning reaches the
    student's report, and a reference that raised on a value the check derived from the
    student's answer (the pack's own reference/ folder is inside the pack) had its solution's
    line quoted there (probe s61); the check's line that called it is quoted instead."""
    root = Path(str(item.fspath)).resolve().parent.parent
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename and _is_within(f.filename, root)
              and not (reference_dir is not None and _is_within(f.filename, reference_dir))]
    text = f"{item.name}: {type(exc).__name__}"
    if frames:
        last = frames[-1]
        code = f" (`{last.line.strip()[:120]}`)" if last.line else ""
        text += f" at {Path(last.filename).name}, line {last.lineno}{code}"
    try:
        message = str(exc).splitlines()[0][:200] if str(exc) else ""
    except Exception:  # noqa: BLE001 (a message that cannot be printed is left out)
        message = ""
    return without_addresses(text + (f": {message}" if message else ""))


def _is_within(filename: str, folder: Path) -> bool:
    return Path(filename).resolve().is_relative_to(Path(folder).resolve())


# A Python object's default repr says where it lives in memory (`<function f at 0x7f66...>`):
# pytest's introspection of a check's plain `assert` shows one, and it changes from run to run.
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+(?=>)")


def without_addresses(text: str) -> str:
    """`text` with the memory address of each default repr left out (`<function f>`): grading
    the same submission twice must give the same messages (probe s61: a check's plain `assert`
    read `<function array_equal at 0x7f668050b9f0>` in one run, `... at 0x7fc3cabad3f0` in the
    next)."""
    return _ADDRESS.sub("", text)


def install(config: pytest.Config, state: GradingState) -> None:
    config.stash[STATE] = state


def pytest_configure(config: pytest.Config) -> None:
    register_markers(config)
    example_budget.load_grading_profile()


# The markers a pack's checks may carry (register_markers), by name.
MARKERS = ("points", "function", "visibility", "live", "uses", "published", "method",
           "consistency", "robustness", "exact_shapes", "formulas", "callers_never_pass",
           "gated_by", "part", "judges_parts")


def register_markers(config: pytest.Config) -> None:
    """The markers a pack's checks may carry (--strict-markers refuses any other)."""
    config.addinivalue_line("markers", "points(weight): the check's share of its function's points; "
                                       "0 makes an advisory check that warns and never deducts")
    config.addinivalue_line("markers", "function(name): the graded function the check is about")
    config.addinivalue_line("markers", f"visibility(v): one of {', '.join(VISIBILITIES)}")
    config.addinivalue_line("markers", "live: never replayed from a recipe (grader/replay.py); for "
                                       "a check whose calls carry what the submission answered, "
                                       "or that times an answer")
    config.addinivalue_line("markers", "uses(*names): other functions of the submission the check "
                                       "calls besides the one it grades (student.other(name))")
    config.addinivalue_line("markers", "published: the check's inputs and expected values are the "
                                       "handout's own, the same under every course secret")
    config.addinivalue_line("markers", "method: checks the function is computed the way the "
                                       "assignment asks (backpropagation, not finite differences); "
                                       "its failure withholds consistency points as a values check's does")
    config.addinivalue_line("markers", "consistency: compares the function with itself, even where it "
                                       "asks the reference (only to excuse a recognised deviation), "
                                       "so its points wait for the values checks")
    config.addinivalue_line("markers", "robustness: compares with the right answers (it asks the "
                                       "reference, or is published) on inputs chosen for one "
                                       "behaviour (huge values), so its failure says nothing of "
                                       "the ordinary values; on a check that asks neither it "
                                       "counts as consistency")
    config.addinivalue_line("markers", "exact_shapes: checks the form of the result, and fails "
                                       "one whose shape has an axis of length 1 more or less "
                                       "than asked; where a function has such a check, its other "
                                       "checks compare such a result's values in the shape asked "
                                       "for (checks_api.judge_shapes), so the slip is charged once")
    config.addinivalue_line("markers", "formulas: the check computes its expected values itself, "
                                       "from the assignment's formulas (central differences of "
                                       "the loss a gradient must be the derivative of), so it "
                                       "compares with the right answers, as a values check")
    config.addinivalue_line("markers", "callers_never_pass: the check gives the function a kind "
                                       "of input no function calling it passes (a Python float "
                                       "where callers pass arrays, values far beyond any the "
                                       "callers' checks reach): failing only such checks, "
                                       "it is not named as why a caller fails")
    config.addinivalue_line("markers", "gated_by(*checks): the values checks (by name, without "
                                       "parameters) whose failure withholds this consistency "
                                       "check's points; without it, every values check of its "
                                       "function's")
    config.addinivalue_line("markers", "part(name): the part of its function's values this "
                                       "consistency check checks (one block of a gradient): a "
                                       "values check it waits for that failed, but found this "
                                       "part right (judges_parts), does not withhold its points")
    config.addinivalue_line("markers", "judges_parts(*names): the parts of its function's values "
                                       "this values check judges one by one; its failure says "
                                       "which it found right (scoring.parts_evidence)")


def _marker_arg(item: pytest.Item, name: str) -> Any:
    marker = item.get_closest_marker(name)
    if marker is None or len(marker.args) != 1:
        return None
    return marker.args[0]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    state = config.stash[STATE]
    weights: dict[str, dict[str, float]] = {}
    form_checks: dict[str, list[str]] = {}
    config.stash[FORM_CHECKS] = form_checks
    problems = []
    for item in items:
        function = _marker_arg(item, "function")
        weight = _marker_arg(item, "points")
        where = f"{item.nodeid}"
        if function is None:
            problems.append(f"{where}: no @pytest.mark.function(name) marker")
            continue
        marked = _functions_marked(item)
        if len(marked) > 1:
            # The nearest marker would win silently, and the check grade the other function.
            problems.append(f"{where}: carries {len(marked)} @pytest.mark.function markers "
                            f"({', '.join(map(repr, marked))}); a check grades one function: "
                            "keep its own, and name a function it also calls in "
                            "@pytest.mark.uses(NAME)")
            continue
        try:
            state.pack.function(function)
        except KeyError:
            problems.append(f"{where}: function {function!r} is not in pack {state.pack.name}")
            continue
        visibility = state.pack.visibility_of(function, _marker_arg(item, "visibility"))
        if weight is None:
            problems.append(f"{where}: has no @pytest.mark.points (every check needs one: a "
                            "number >= 0, 0 for advisory)")
            continue
        if not isinstance(weight, (int, float)) or weight < 0:
            problems.append(f"{where}: @pytest.mark.points needs one number >= 0 (0: advisory), "
                            f"got {weight!r}")
            continue
        if visibility not in VISIBILITIES:
            problems.append(f"{where}: visibility {visibility!r} is not one of {VISIBILITIES}")
            continue
        item.stash[FUNCTION] = function
        item.stash[VISIBILITY] = visibility
        if item.get_closest_marker("exact_shapes") is not None:
            form_checks.setdefault(function, []).append(_check_name(item))
        item.stash[KIND] = check_kind(item, float(weight))
        gates = item.get_closest_marker("gated_by")
        if gates is not None:
            item.stash[GATES] = tuple(map(str, gates.args))
        part = item.get_closest_marker("part")
        if part is not None:
            item.stash[PART] = str(part.args[0]) if len(part.args) == 1 else ""
        judged = item.get_closest_marker("judges_parts")
        if judged is not None:
            item.stash[JUDGED_PARTS] = tuple(map(str, judged.args))
        weights.setdefault(function, {})[item.nodeid] = float(weight)
    for spec in state.pack.functions:
        if spec.name not in weights:
            problems.append(f"pack {state.pack.name}: no check grades {spec.name}")
        elif spec.points > 0 and not any(weights[spec.name].values()):
            problems.append(f"pack {state.pack.name}: every check of {spec.name} is worth 0 "
                            f"(advisory), so its {spec.points:g} points have nowhere to go: give "
                            "one of them @pytest.mark.points(1) or more")
    problems += _never_verified(items, weights, state.pack)
    problems += _unknown_gates(items)
    problems += _unjudged_parts(items)
    if state.validating:
        problems += _unknown_mistake_ids(items)
    named: dict[tuple[str, str], str] = {}
    for item in items:
        if FUNCTION not in item.stash:
            continue
        key = (item.stash[FUNCTION], _check_name(item))
        if key in named:
            # A report names a check by function and name: two alike would read as one.
            problems.append(f"{item.nodeid}: {key[0]} has another check named {key[1]} "
                            f"({named[key]}); give each check of a function its own name")
        named.setdefault(key, item.nodeid)
    if problems:
        raise pytest.UsageError("invalid checks:\n  " + "\n  ".join(problems))
    points = {}
    for function, by_item in weights.items():
        points.update(scoring.distribute(state.pack.function(function).points, by_item))
    for item in items:
        item.stash[POINTS] = points[item.nodeid]
    # The report's order: the pack's function order, then the order checks are written.
    order = {spec.name: i for i, spec in enumerate(state.pack.functions)}
    items.sort(key=lambda it: order[it.stash[FUNCTION]])
    for place, item in enumerate(items):
        item.stash[REPORT_PLACE] = place
    # Run in it too, except that every visible check runs before the checks a student sees later
    # or never: what a check's calls leave in the worker (a shared mapping made at import, a
    # write through /proc/PID/mem) can reach the output of a later check's calls, and a visible
    # check's output must not show a hidden check's inputs (hostile probe s62).
    items.sort(key=lambda it: RUN_AFTER.index(it.stash[VISIBILITY]))
    config.stash[ALL_ITEMS] = list(items)
    chosen = for_this_grade(config, items, state)
    if len(chosen) < len(items):  # --only: the other functions' checks never call the submission
        dropped = [it for it in items if it not in chosen]
        items[:] = chosen
        config.hook.pytest_deselected(items=dropped)


def for_this_grade(config: pytest.Config, items: list[pytest.Item],
                   state: GradingState) -> list[pytest.Item]:
    """The checks one grade runs, of the pack's collected and validated `items`, made ready for
    it: those of the functions chosen (--only), seeded for its inputs, none yet recorded. Done at
    collection, and again for each grade a kept session runs (grader/kept_session.py)."""
    install(config, state)
    only = selection.current()
    chosen = [it for it in items if only is None or it.stash[FUNCTION] in only]
    state.report_order = {(it.stash[FUNCTION], _check_name(it)): it.stash[REPORT_PLACE]
                          for it in chosen}
    for item in chosen:
        item.stash[RECORDED] = False
        _seed_hypothesis(item, state.input_set)
    return chosen


def _unknown_mistake_ids(items: list[pytest.Item]) -> list[str]:
    """`HINTS["grad_wrong_sing"]` in a check module, where HINTS is the pack's catalogue and has
    no such id: found by reading the module, since the lookup runs only on a wrong upload (and
    then fails the check as the grader's own error)."""
    import difflib  # only when a pack is validated, never in a grade
    problems = []
    modules = {id(item.module): item.module for item in items if getattr(item, "module", None)}
    for module in modules.values():
        catalogues = {name: value for name, value in vars(module).items()
                      if isinstance(value, Catalogue)}
        path = getattr(module, "__file__", None)
        if not catalogues or not path:
            continue
        try:
            tree = ast.parse(Path(path).read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
                    and node.value.id in catalogues and isinstance(node.slice, ast.Constant)
                    and isinstance(node.slice.value, str)
                    and node.slice.value not in catalogues[node.value.id]):
                known = catalogues[node.value.id]
                near = difflib.get_close_matches(node.slice.value, list(known), n=1)
                problems.append(f"{Path(path).name}, line {node.lineno}: {node.value.id}"
                                f"[{node.slice.value!r}] is not in the catalogue of pack "
                                f"{known.pack}" + (f" (did you mean {near[0]!r}?)" if near else ""))
    return problems


def _unjudged_parts(items: list[pytest.Item]) -> list[str]:
    """A consistency check's part that no values check it waits for judges: its points would
    never be released by a part shown right (a misspelt block), and nothing would say why."""
    kinds: dict[tuple[str, str], str] = {}
    judged: dict[str, dict[str, tuple[str, ...]]] = {}
    for item in items:
        if KIND in item.stash:
            kinds[(item.stash[FUNCTION], _check_name(item))] = item.stash[KIND]
            if JUDGED_PARTS in item.stash:
                judged.setdefault(item.stash[FUNCTION], {})[
                    _check_name(item).split("[", 1)[0]] = item.stash[JUDGED_PARTS]
    problems = []
    for item in items:
        if KIND not in item.stash:
            continue
        function, name = item.stash[FUNCTION], _check_name(item)
        if JUDGED_PARTS in item.stash and (item.stash[KIND] != "values"
                                           or not item.stash[JUDGED_PARTS]):
            problems.append(f"{function}/{name}: judges_parts is for values checks, and names "
                            f"at least one part (this one is {item.stash[KIND]!r}, naming "
                            f"{list(item.stash[JUDGED_PARTS])})")
        if PART not in item.stash:
            continue
        part = item.stash[PART]
        waits = item.stash.get(GATES, ()) or tuple(judged.get(function, {}))
        if kinds.get((function, name)) != "consistency":
            problems.append(f"{function}/{name}: part is for consistency checks, and this one is "
                            f"{kinds.get((function, name))!r}")
        elif not part or not any(part in judged.get(function, {}).get(gate, ())
                                 for gate in waits):
            judging = {g: list(p) for g, p in judged.get(function, {}).items()}
            problems.append(f"{function}/{name}: part({part!r}) is judged by no values check it "
                            f"waits for (judges_parts: {judging or 'none'})")
    return problems


def _functions_marked(item: pytest.Item) -> list[str]:
    """The functions the check's `function` markers name, its own and its module's, each once."""
    return list(dict.fromkeys(str(m.args[0]) if len(m.args) == 1 else repr(m.args)
                              for m in item.iter_markers("function")))


def _never_verified(items: list[pytest.Item], weights: dict[str, dict[str, float]],
                    pack: Pack) -> list[str]:
    """A function whose checks with points compare it only with itself (consistency and method
    checks), none with the right answers: scoring.withhold_unverified keeps their points until
    a values check of the function passes, so nobody, the reference included, could earn them."""
    by_function: dict[str, list[pytest.Item]] = {}
    for item in items:
        if KIND in item.stash:
            by_function.setdefault(item.stash[FUNCTION], []).append(item)
    problems = []
    for function, checks in by_function.items():
        waiting = [item for item in checks if item.stash[KIND] in ("consistency", "method")]
        if not waiting or any(item.stash[KIND] == "values" for item in checks):
            continue
        total = pack.function(function).points
        share = (sum(weights[function][item.nodeid] for item in waiting)
                 / sum(weights[function].values()))
        problems.append(
            f"{function}: no check of {function} compares it with the right answers, so its "
            f"checks of it against itself ({', '.join(_check_name(i) for i in waiting)}: "
            f"{round(total * share, 2):g} of its {total:g} points) can never earn their "
            "points, not even for the reference (they wait for a values check to pass): add a "
            "check that asks the `reference` fixture, or is marked @pytest.mark.published (the "
            "handout's values) or @pytest.mark.formulas (expected values it computes itself)")
    return problems


def _unknown_gates(items: list[pytest.Item]) -> list[str]:
    """A consistency check's gated_by that names no values check of its function: its points
    would wait for nothing, and a made-up function consistent with itself would earn them."""
    values: dict[str, set[str]] = {}
    kinds: dict[tuple[str, str], str] = {}
    gates: dict[tuple[str, str], tuple[str, ...]] = {}
    for item in items:
        if KIND in item.stash:
            name = _check_name(item)
            kinds[(item.stash[FUNCTION], name)] = item.stash[KIND]
            if GATES in item.stash:
                gates[(item.stash[FUNCTION], name)] = item.stash[GATES]
            if item.stash[KIND] == "values":
                values.setdefault(item.stash[FUNCTION], set()).add(name.split("[", 1)[0])
    problems = []
    for (function, name), names in gates.items():
        if kinds.get((function, name)) != "consistency":
            problems.append(f"{function}/{name}: gated_by is for consistency checks, and this "
                            f"one is {kinds.get((function, name))!r}")
        unknown = [n for n in names if n not in values.get(function, set())]
        if not names or unknown:
            problems.append(f"{function}/{name}: gated_by names no values check of {function}: "
                            f"{unknown or 'none given'}")
    return problems


def check_kind(item: pytest.Item, weight: float) -> str:
    """What a check's verdict can be trusted for (scoring.withhold_unverified):

    - "values": it compares with the right answers (it asks the reference, or its expected
      values are the handout's, @pytest.mark.published, or it computes them from the
      assignment's formulas, @pytest.mark.formulas) on ordinary inputs;
    - "robustness": it compares with the right answers too, on inputs chosen for one behaviour
      (@pytest.mark.robustness: huge values, arguments left unchanged); it neither needs nor
      decides whether the ordinary values are right;
    - "consistency": every other check. It compares the function with itself (its gradient with
      its own cost, an invariance), which a made-up function passes too, so its points count
      only when the function's values checks pass;
    - "method": it checks the function is computed the way the assignment asks (a gradient by
      backpropagation, not by finite differences of the cost), @pytest.mark.method; a made-up
      function's values can be right, so like a values check its failure withholds the
      function's consistency points;
    - "advisory": worth nothing.
    A check that does not say what it compares with counts as consistency: it can only earn less;
    so does one marked @pytest.mark.consistency, which asks the reference only to excuse what it
    measured (a log-guarded cost's gradient), never to confirm the values."""
    if weight == 0:
        return "advisory"
    if item.get_closest_marker("consistency"):
        return "consistency"
    if item.get_closest_marker("method"):
        return "method"
    uses_oracle = any(name in getattr(item, "fixturenames", ())
                      for name in known_answers_mod.ORACLE_FIXTURES)
    if not (uses_oracle or item.get_closest_marker("published")
            or item.get_closest_marker("formulas")):
        return "consistency"
    return "robustness" if item.get_closest_marker("robustness") else "values"


def _seed_hypothesis(item: pytest.Item, input_set: InputSet) -> None:
    """Under a course secret each property check's hypothesis seed is drawn from the secret;
    publicly it is hypothesis's derandomized seed (from the check's own code). Set every time:
    a process that grades many submissions collects the same check functions again."""
    function = getattr(item, "obj", None)
    if getattr(function, "hypothesis", None) is None:
        return
    function = getattr(function, "__func__", function)  # a check written as a method of a class
    function._hypothesis_internal_use_seed = (
        input_set.seed("hypothesis", item.nodeid) if input_set.is_secret else None)


@pytest.fixture
def student(request: pytest.FixtureRequest):
    state = request.config.stash[STATE]
    function = request.node.stash[FUNCTION]
    observed.reset()
    uses = request.node.get_closest_marker("uses")
    state.submission.allow_also(state.pack.function(function).uses + (uses.args if uses else ()))
    try:
        replay.begin(state, request.node, function, lambda item: item.stash.get(FUNCTION, None))
    except StudentUnavailable as exc:
        raise CheckStopped(exc) from None
    try:
        yield StudentFunction(state.submission, function)
    finally:
        state.submission.end_check()


def _oracle(state: GradingState, check: str) -> Any:
    """What answers a check's questions to the reference: the reference itself, or the known
    answers of this check (a student's copy); None when neither is here."""
    if state.reference is not None:
        return state.reference
    if state.known_answers is not None and check in state.known_answers.checks:
        names = [f.name for f in state.pack.functions]
        return known_answers_mod.oracle(state.known_answers, names, lambda: state.current_check)
    return None


@pytest.fixture
def reference(request: pytest.FixtureRequest) -> Any:
    state = request.config.stash[STATE]
    found = _oracle(state, request.node.nodeid)
    if found is None:
        pytest.skip(NEEDS_REFERENCE)
    return found


@pytest.fixture
def report(request: pytest.FixtureRequest) -> GradingState:
    """For checks that add a note to the report (`report.note(text)`: a convention detected), a
    warning (`report.warn(text)`: something to change that costs nothing) or name a mistake that
    costs nothing (`report.flag(HINTS[...])`: an allowed mutation)."""
    return request.config.stash[STATE]


@pytest.fixture
def maybe_reference(request: pytest.FixtureRequest) -> Any:
    """For checks that run without the reference and check more when it is there."""
    return _oracle(request.config.stash[STATE], request.node.nodeid)


def _called(function: str, args: tuple | None) -> str:
    return f"\n  called: {call_text(function, *args)}" if args else ""


def _called_briefly(function: str, exc: BaseException) -> str:
    """The call an error or a timeout ended, in one short line (checks_api.brief_call), for the
    views that show only a message's first line: a failure must say what was called there too."""
    if isinstance(exc, StudentError) and exc.not_implemented:
        return ""  # the starter's placeholder raises whatever it is given
    stopped = isinstance(exc, (StudentError, StudentUnavailable))
    args = getattr(exc, "call", None) if stopped else None
    return brief_call(function, *args) if args else ""


def advisory_warning(check: CheckResult) -> str:
    """The warning an advisory check (worth 0 points) gives where the function fails it."""
    return (f"{check.function}: {check.message.splitlines()[0]}"
            + (f" ({check.hint})" if check.hint else " (a warning only, no points deducted)"))


def advisory_warnings_charged(results: Sequence[CheckResult]) -> set[str]:
    """The advisory checks' warnings whose failure a graded check of the same function failed
    with too: the same kind of exception raised at the same line of the submission (its text
    may name each input's shape), or, for a failure that is not an exception, the same first
    line. Said beside the points it cost, "no points deducted" read as if the crash cost nothing
    (probe s61: a negSampling raising everywhere, 0 / 35, was warned of "(a warning only, no
    points deducted)"). An advisory check's failure no graded check shares is still warned of."""
    def failure(check: CheckResult) -> tuple[str, ...]:
        error = check.evidence.get("error")
        if isinstance(error, str) and error:
            places = [line.strip() for line in check.message.splitlines()[1:]
                      if line.startswith("  at ") and ", line " in line]
            return (check.function, error.partition(":")[0], places[-1] if places else error)
        return (check.function, check.message.partition("\n")[0])

    charged = {failure(c) for c in results
               if c.max_score > 0 and c.status in ("failed", "error", "timeout")}
    return {advisory_warning(c) for c in results
            if c.max_score == 0 and c.status in ("failed", "error", "timeout") and c.message
            and failure(c) in charged}


def _unavailable(call: pytest.CallInfo) -> bool:
    """The function could not be called at all (missing, not implemented, crashed)."""
    return bool(call.excinfo) and isinstance(call.excinfo.value, (CheckStopped, StudentUnavailable))


def _check_name(item: pytest.Item) -> str:
    name = item.name
    return name[5:] if name.startswith("test_") else name


FIXTURE_ARGS = ("student=", "reference=", "maybe_reference=", "report=")
# hypothesis's header over the failing input names the pack's test function: the check's own
# name is what the report calls it everywhere else.
_EXAMPLE_HEADER = re.compile(r"^((?:Falsifying|Failing)(?: explicit)? (?:example|test case): )"
                             r"test_(\w+\()$")


def _counterexample(exc: BaseException) -> str:
    """Hypothesis's notes on the shrunk failing input, without the fixtures' lines."""
    notes = [n for n in getattr(exc, "__notes__", []) if isinstance(n, str)]
    kept = [n for n in notes if not n.startswith(("You can reproduce", "Trying example"))]
    lines = [_EXAMPLE_HEADER.sub(r"\1\2", ln) for ln in "\n".join(kept).splitlines()
             if not ln.strip().startswith(FIXTURE_ARGS)]
    return "\n".join(lines).strip()


def _reported_failure(item: pytest.Item, exc: BaseException) -> tuple[BaseException, str]:
    """The failure a check reports, and a note to add to its message. When a check's time budget
    ran out while hypothesis was shrinking a failure it had already found, that failure (the
    smallest seen so far) is the lesson, not the timeout."""
    if isinstance(exc, StudentTimeout) and exc.budget:
        earlier = observed.latest()
        if earlier is not None and earlier is not exc:
            return earlier, (f"\n  (the search for a smaller failing input stopped: "
                             f"{item.stash[FUNCTION]} {exc.message})")
    return exc, ""


def _classify(state: GradingState, item: pytest.Item, exc: BaseException) -> tuple[str, str, str]:
    """(status, message, hint) for an exception that ended a check (a CheckFailure's recognised
    mistake and evidence are read from it apart)."""
    function = item.stash[FUNCTION]
    if isinstance(exc, CheckFailure):
        return "failed", exc.message, exc.hint.explanation if exc.hint else ""
    if isinstance(exc, StudentError):
        if exc.not_implemented:
            return "error", exc.describe(), ""
        return "error", exc.describe() + _called(function, exc.call), ""
    if isinstance(exc, StudentNotImplemented):
        return "error", exc.message, ""
    if isinstance(exc, StudentUnavailable):
        if exc.status == "failed":
            return "failed", exc.message, ""
        return exc.status, f"{function} {exc.message}." + _called(function, exc.call), ""
    if isinstance(exc, known_answers_mod.NotKnown):
        return "skipped", NOT_KNOWN, ""
    if type(exc).__name__ == "Failed" and "Timeout" in str(exc):
        return "timeout", f"the check of {function} took too long and was stopped.", ""
    if isinstance(exc, AssertionError):
        return "failed", str(exc), ""
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    state.internal_errors.append(f"{item.nodeid}:\n{detail}")
    state.internal_error_places.append(_where_in_the_pack(item, exc, state.reference_dir))
    if state.debug:
        print(detail, file=sys.stderr)
    return ("error", f"the grader itself failed while running this check ({type(exc).__name__}); "
            "this is not your fault, please tell your instructor: its points are withheld until "
            "the check is fixed and your submission graded again.", "")


def _matrix_note(state: GradingState) -> str:
    """A line for a failure whose function answered with a numpy matrix (np.mat, np.matrix,
    np.asmatrix: 2017's code used them freely). Its values cross as the array they hold, so the
    check judged those; what it cannot show is why they are 2-D, or were multiplied as matrices."""
    returned = sorted(getattr(state.submission, "check_matrices", ()) or ())
    if not returned:
        return ""
    who = " and ".join(returned)
    return (f"\n  Note: {who} returned a numpy matrix (np.mat, np.matrix or np.asmatrix). A "
            "matrix is always 2-D (a vector comes back as one row, and sums and indexing keep "
            "both axes), and its * multiplies matrices instead of elements. Work with arrays "
            "(np.array, np.asarray), and @ or np.dot where a matrix product is meant.")


def _captured_output(state: GradingState, last_example: bool = False) -> tuple[str, bool]:
    """What the check's calls printed (with `last_example`, the calls of its last example
    only), bounded, and whether any of it was cut. The end is kept: the last call a failing check
    makes is the failure it reports (hypothesis replays the smallest failing input last), and the
    start held other inputs' prints (probe s55: a score of -12.25 shown under a call that cannot
    give it)."""
    shown = state.submission.shown_parts(last_example)
    output = "".join(state.submission.check_output[index] for index in shown)
    # The worker's cut is known by the part it cut, never read from the text.
    cut = getattr(state.submission, "check_output_cut", ())
    truncated = any(index in cut for index in shown)
    if len(output) > MAX_OUTPUT_CHARS:
        output = (f"... (the first {len(output) - MAX_OUTPUT_CHARS} characters cut: the last "
                  f"{MAX_OUTPUT_CHARS} follow)\n" + output[-MAX_OUTPUT_CHARS:])
        truncated = True
    return output, truncated


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Checks of the submission run through grader/replay.py (live, or replayed from a recipe)."""
    state = pyfuncitem.config.stash.get(STATE, None)
    if state is None or "student" not in pyfuncitem.funcargs:
        return None
    try:
        replay.run(state, pyfuncitem, pyfuncitem.stash[FUNCTION])
    except StudentUnavailable as exc:
        raise CheckStopped(exc) from None
    return True


def pytest_runtest_setup(item: pytest.Item) -> None:
    forget_precision()
    # A function without a check of its result's form judges the shape in every check, as
    # before there were such checks.
    form_checks = item.config.stash.get(FORM_CHECKS, {}).get(item.stash.get(FUNCTION, ""), ())
    judge_shapes(exact=not form_checks or item.get_closest_marker("exact_shapes") is not None,
                 charged_by=", ".join(form_checks))
    mark_asides_with(None)
    if STATE in item.config.stash:
        mark_asides_with(getattr(item.config.stash[STATE].submission, "begin_aside", None))
        item.config.stash[STATE].current_check = item.nodeid
        item.config.stash[STATE].current_function = item.stash.get(FUNCTION, "")


def pytest_runtest_teardown(item: pytest.Item) -> None:
    # A warm grader, or a test suite, goes on judging shapes exactly between grades.
    judge_shapes(exact=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report_ = outcome.get_result()
    if item.stash.get(RECORDED, False) or FUNCTION not in item.stash:
        return
    if report_.when != "call" and report_.passed:
        return
    state = item.config.stash[STATE]
    max_score = item.stash[POINTS]
    message = hint = counterexample = answer = ""
    grader_error = flaky = grouped = False
    mistake, evidence = state.flags.get(item.nodeid, (None, {}))
    needs_reference = "reference" in getattr(item, "fixturenames", ())
    if report_.skipped:
        status = "skipped"
        longrepr = report_.longrepr
        message = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        message = message.removeprefix("Skipped: ")
    elif report_.passed:
        status = "passed"
        excused = excused_failure()
        if excused:  # scoring.charge_excused reads it
            evidence = {**evidence, "excused": excused}
            recognised = excused_mistake()
            if recognised is not None:
                state.excused_mistakes[recognised.id] = recognised
    else:
        exc = call.excinfo.value if call.excinfo else RuntimeError("unknown failure")
        while True:
            if isinstance(exc, ExceptionGroupType) and exc.exceptions:
                # hypothesis found several distinct failures (or, since 6.x, a flaky one: a
                # FlakyFailure group); the first is as good a lesson as any
                flaky = flaky or isinstance(exc, Flaky)
                grouped = True
                exc = exc.exceptions[0]
            elif isinstance(exc, Flaky) and exc.__cause__ is not None:
                # older hypothesis raises a plain Flaky from the failure it could not reproduce
                flaky, exc = True, exc.__cause__
            else:
                break
        if isinstance(exc, CheckStopped):
            exc = exc.cause
        exc, note = _reported_failure(item, exc)
        known_errors = len(state.internal_errors)
        status, message, hint = _classify(state, item, exc)
        message += note
        if isinstance(exc, CheckFailure):
            message += low_precision_note()
        message += _matrix_note(state)
        if flaky:
            message += (f"\n  (the same input gave a different result when it was tried again: "
                        f"does {item.stash[FUNCTION]} keep state between calls?)")
        if not message.strip():
            # A check that ends without a word is the grader's fault, never the student's.
            state.internal_errors.append(f"{item.nodeid}: {type(exc).__name__} with no message")
            message = (f"the check of {item.stash[FUNCTION]} stopped without saying why "
                       f"({type(exc).__name__}); this is the grader's fault, not yours: please "
                       "tell your instructor.")
        counterexample = _counterexample(exc)
        failure = exc if isinstance(exc, CheckFailure) else None
        mistake, evidence = (failure.hint, failure.evidence) if failure else (None, {})
        if isinstance(exc, StudentError) and exc.frames:
            # The submission's functions the error passed through, innermost last, and the
            # error: a callee it was raised in, failing its own check with the same error, is
            # named as the cause (callees.py), whatever input that check gave it.
            evidence = {**evidence, "raised_in": [str(f.get("function", ""))[:100]
                                                  for f in exc.frames[-8:]],
                        "error": f"{exc.type_name}: {exc.text}"[:300]}
        briefly = _called_briefly(item.stash[FUNCTION], exc)
        if briefly:
            evidence = {**evidence, "called_briefly": briefly}
        answer = failure.fingerprint if failure else ""
        grader_error = len(state.internal_errors) > known_errors
    if mistake is not None:
        state.mistakes[mistake.id] = mistake
        hint = hint or mistake.explanation
    state.settle(item.nodeid, status == "passed")
    # A failure names one example's calls, and the example hypothesis reports is the one it ran
    # last: what those calls printed is shown, not every example's (probe s57: a network's prints
    # of shapes (3, 3) shown under a call of shape (3, 2)). Several failures, or one that did not
    # fail again, have no one last example.
    output, output_truncated = _captured_output(
        state, last_example=status != "passed" and not (grouped or flaky))
    # Only a check's own marker: one on a whole module (`pytestmark`) lets every check there call
    # those functions, and says nothing of what any one check's verdict rests on.
    own_uses = [m for m in getattr(item, "own_markers", ()) if m.name == "uses"]
    if GATES in item.stash:
        state.check_gates[(item.stash[FUNCTION], _check_name(item))] = item.stash[GATES]
    if item.stash.get(PART, ""):
        state.check_parts[(item.stash[FUNCTION], _check_name(item))] = item.stash[PART]
    if own_uses and own_uses[0].args:
        state.check_uses[(item.stash[FUNCTION], _check_name(item))] = tuple(
            map(str, own_uses[0].args))
    if item.get_closest_marker("callers_never_pass"):
        state.callers_never_pass.add((item.stash[FUNCTION], _check_name(item)))
    message, counterexample = without_addresses(message), without_addresses(counterexample)
    state.results.append(CheckResult(
        name=_check_name(item), function=item.stash[FUNCTION], status=status,
        score=scoring.check_score(status, max_score), max_score=max_score, message=message,
        hint=hint, counterexample=counterexample, output=output,
        visibility=item.stash[VISIBILITY], needs_reference=needs_reference,
        kind=item.stash[KIND],
        mistake=mistake.id if mistake else "", evidence=evidence_mod.bounded(evidence),
        output_truncated=output_truncated, fingerprint=answer,
        grader_error=grader_error and status == "error"))
    item.stash[RECORDED] = True
    if max_score == 0 and status in ("failed", "error", "timeout") and message \
            and not grader_error and not _unavailable(call):
        # An advisory check: robustness beyond what the assignment asks warns, never deducts;
        # a function that raises or hangs there is warned of as one that returns wrong values
        # is (probe s60: softmax under np.seterr(all="raise") raised, and no report said so).
        state.warn(advisory_warning(state.results[-1]))
