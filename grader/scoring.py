"""How a score is computed: small pure functions over check outcomes.

A check earns all its points when it passes and none otherwise. A check of weight 0 is advisory:
it reports (through the warnings) but never costs points. A consistency check (one that compares
a function with itself: its gradient with its own cost, an invariance, rows summing to 1) keeps
its points only when the values checks of the same function passed (all of them, or those it
names: a check of gradPred against the cost's derivative waits for the cost's and gradPred's): a
made-up function with an exact gradient is consistent too (`withhold_unverified`). One that checks
a part of the values (a block of a gradient) needs only that part of a values check shown right:
a values check's failure may say which parts it found right (`parts_evidence`). A check that
passed by leaving a failure to other checks fails where none of them did (`charge_excused`). A
function's score is the sum of its checks; the submission's score is the sum of its functions.
Points of checks that were skipped (because they need the instructor's reference) are counted in
max_score and reported apart.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from grader.hints import Mistake
from grader.model import CheckResult, FunctionResult, SubmissionResult


def check_score(status: str, max_score: float) -> float:
    return max_score if status == "passed" else 0.0


def charge_excused(checks: Sequence[CheckResult],
                   mistakes: Mapping[str, Mistake] | None = None) -> tuple[CheckResult, ...]:
    """The checks, each that passed only by excusing a failure (checks_api.excuse) charged with
    it after all where none of the checks that were to charge its cause failed: word2vec's
    checks of values let a case wrong at a K other than 10 pass when the function is right at
    10, for its checks of K to charge; a function wrong there for another reason (right only
    where the target is 0, say, as every K check's case has it) passes those, and was given 35
    of 35 (recheck probe s57). A failure charged keeps the mistake it recognised (`mistakes`,
    by id: its explanation is the check's hint again)."""
    wrong = {(c.function, c.name) for c in checks if c.status in ("failed", "error", "timeout")}
    failed = {(function, name.split("[", 1)[0]) for function, name in wrong}
    out = []
    for check in checks:
        excused = check.evidence.get("excused") if check.status == "passed" else None
        if not isinstance(excused, dict):
            out.append(check)
            continue
        by = ", ".join(map(str, excused.get("charged_by", ())))
        wrong_too = [str(name) for name in excused.get("right_in", ())
                     if (check.function, str(name)) in wrong]
        if wrong_too:  # wrong where it was said to be right: the excuse never held
            why = f"{', '.join(wrong_too)} failed too, so it counts here"
        elif not any((check.function, str(name)) in failed
                     for name in excused.get("charged_by", ())):
            why = f"{by} passed, so it counts here"
        else:
            out.append(check)
            continue
        recognised = (mistakes or {}).get(str(excused.get("mistake") or ""))
        out.append(replace(check, status="failed", score=0.0, message=(
            f"{excused.get('failure', '')}\n  ({excused.get('why', 'it was excused')}, which "
            f"left this failure to {by}; {why})"),
            mistake=recognised.id if recognised is not None else check.mistake,
            hint=recognised.explanation if recognised is not None else check.hint))
    return tuple(out)


# Where a values check's failure says which parts of the function's values it found right and
# which wrong (`parts_evidence`): one block of a gradient wrong fails the comparison of the whole
# gradient, and the blocks it found right are shown right all the same.
PARTS_RIGHT = "parts_right"
PARTS_WRONG = "parts_wrong"


def parts_evidence(right: Iterable[str], wrong: Iterable[str]) -> dict[str, list[str]]:
    """The evidence a failing values check gives of the parts it judged (@pytest.mark.
    judges_parts): those it found right on every input it compared and those it found wrong.
    A part it could not judge everywhere belongs to neither list, and stays unverified."""
    return {PARTS_RIGHT: [str(p) for p in right], PARTS_WRONG: [str(p) for p in wrong]}


def _part_shown_right(check: CheckResult, part: str | None) -> bool:
    """A values check that failed, but found `part` right (its evidence says so)."""
    if part is None or check.status != "failed" or check.grader_error:
        return False
    return part in map(str, check.evidence.get(PARTS_RIGHT) or ())


def _named_with_parts_wrong(checks: Sequence[CheckResult]) -> str:
    """The checks' names, each with the parts it found wrong where it says which (a student
    learns which block of the gradient keeps the points): "gradient: wrong in b1"."""
    wrong = [[str(p) for p in c.evidence.get(PARTS_WRONG) or ()] for c in checks]
    if not any(wrong):
        return ", ".join(c.name for c in checks)
    return "; ".join(f"{c.name}: wrong in {', '.join(w)}" if w else c.name
                     for c, w in zip(checks, wrong))


def withhold_unverified(checks: Sequence[CheckResult],
                        waits_for: Mapping[tuple[str, str], tuple[str, ...]] | None = None,
                        parts: Mapping[tuple[str, str], str] | None = None,
                        ) -> tuple[CheckResult, ...]:
    """The checks with the points of passing consistency checks withheld wherever their
    function's values are not shown right: a values check of it failed, or none ran (no
    reference and no known answers), or it is not computed the way the assignment asks (a method
    check failed). The check still says it passed, and why it earned nothing. `waits_for`, by
    (function, check name), names the values checks a consistency check waits for, where it
    checks one output of several (word2vec's gradPred beside grad): a wrong grad then costs
    grad's checks, not the points of a gradPred shown right (probe s57: 3 of 35 points).
    `parts`, likewise, names the part of the values a consistency check checks (a block of
    forward_backward_prop's gradient): a values check that failed, but found that part right
    (`parts_evidence`), does not withhold it. A gradient wrong in b1 alone otherwise cost the
    points of W1, W2 and b2 shown right, as much as one wrong in every block (probe s60)."""
    by_function: dict[str, list[CheckResult]] = {}
    for check in checks:
        by_function.setdefault(check.function, []).append(check)
    out = []
    for check in checks:
        # A method check gates the consistency points, and like them earns its own only with
        # right values: backpropagation of a wrong formula is still a wrong gradient.
        if check.kind not in ("consistency", "method") or check.status != "passed" \
                or check.max_score == 0:
            out.append(check)
            continue
        own = (waits_for or {}).get((check.function, check.name))
        part = (parts or {}).get((check.function, check.name))
        values = [c for c in by_function[check.function] if c.kind == "values"
                  and (own is None or c.name.split("[", 1)[0] in own)]
        gates = values + [c for c in by_function[check.function]
                          if c.kind == "method" and c is not check]
        wrong = [c.name for c in gates if c.status not in ("passed", "skipped")
                 and not _part_shown_right(c, part)]
        if wrong and all(c.grader_error for c in gates if c.name in wrong):
            # Undecided, not wrong: what this check's points wait for failed in the grader.
            why = (f"this check passed; its points count once {check.function}'s values are "
                   f"checked, and that check failed in the grader itself, not in your code "
                   f"(see {', '.join(wrong)})")
        elif wrong and check.kind == "method":
            named = _named_with_parts_wrong([c for c in gates if c.name in wrong])
            why = (f"this check passed, but it earns its points only when {check.function}'s "
                   f"values are right too, and they are not (see {named})")
        elif wrong and any(c.name in wrong for c in values):
            named = _named_with_parts_wrong([c for c in gates if c.name in wrong])
            why = (f"this check passed, but a check of {check.function} against itself earns its "
                   f"points only when its values are right too, and they are not (see {named})")
        elif wrong and all(c.status == "error" for c in gates if c.name in wrong):
            why = (f"this check passed, but a check of {check.function} against itself earns its "
                   f"points only when the check of how {check.function} is computed can run, "
                   f"and the function raised there (see {', '.join(wrong)})")
        elif wrong:
            why = (f"this check passed, but a check of {check.function} against itself earns its "
                   f"points only when {check.function} is computed the way the assignment asks, "
                   f"and it is not (see {', '.join(wrong)})")
        elif not any(c.status == "passed" or _part_shown_right(c, part) for c in values):
            why = (f"this check passed; its points count once {check.function}'s values are "
                   "checked, which this copy cannot do (no reference solution, no known answers)")
        else:
            out.append(check)
            continue
        out.append(replace(check, score=0.0, points_withheld=why))
    return tuple(out)


def distribute(total: float, weights: Mapping[str, float]) -> dict[str, float]:
    """Split `total` points over checks in proportion to their weights, to the hundredth, so that
    the parts add up to `total` exactly (largest remainders get the leftover hundredths)."""
    if not weights:
        return {}
    weight_sum = sum(weights.values())
    if weight_sum <= 0 or any(w < 0 for w in weights.values()):
        raise ValueError("check weights must be non-negative and add up to more than zero")
    cents = round(total * 100)
    exact = {name: cents * w / weight_sum for name, w in weights.items()}
    parts = {name: int(value) for name, value in exact.items()}
    leftover = cents - sum(parts.values())
    by_remainder = sorted(exact, key=lambda n: (-(exact[n] - parts[n]), n))
    for name in by_remainder[:leftover]:
        parts[name] += 1
    return {name: c / 100 for name, c in parts.items()}


def summarise_function(name: str, checks: Iterable[CheckResult]) -> FunctionResult:
    checks = list(checks)
    score = round(sum(c.score for c in checks), 2)
    max_score = round(sum(c.max_score for c in checks), 2)
    skipped = round(sum(c.max_score for c in checks if c.status == "skipped"), 2)
    # Advisory checks (0 points) never make a function look failed.
    failing = [c for c in checks if c.status not in ("passed", "skipped") and c.max_score > 0]
    withheld = [c for c in checks if c.points_withheld]
    if not failing and withheld:
        summary = withheld[0].points_withheld.removeprefix("this check passed; ")
    elif not failing:
        summary = "all checks passed" if score else "no check ran"
    elif (all(c.message == failing[0].message for c in failing) and (
            len(failing) > 1 or _nothing_to_grade(failing[0].message))) or (
            all(_nothing_to_grade(c.message) for c in failing)
            and len(failing) == sum(c.status != "skipped" and c.max_score > 0 for c in checks)):
        # One reason for every failure (a function not implemented, not found, a file that did
        # not load): that reason, also for a function of one check ("1 of 1 checks failed"), and
        # where each check met another of its placeholders (the 2017 starter's softmax raises in
        # its matrix branch and in its vector branch: "7 of 7 checks failed", probe s58).
        summary = failing[0].message.splitlines()[0] if failing[0].message else failing[0].status
    else:
        ran = [c for c in checks if c.status != "skipped" and c.max_score > 0]
        summary = f"{len(failing)} of {len(ran)} checks failed: " + ", ".join(c.name for c in failing)
    return FunctionResult(name, score, max_score, skipped, summary)


# A check's statuses that are not a pass.
FAILED = ("failed", "error", "timeout")
# How the grader says a function gave nothing to grade (grader/proxy.py, the loader's errors).
NOTHING_TO_GRADE = ("was not found in your submission", "is not implemented yet",
                    "could not be loaded", "could not be read")


def _nothing_to_grade(message: str) -> bool:
    first = message.splitlines()[0] if message else ""
    return any(phrase in first for phrase in NOTHING_TO_GRADE)


def nothing_to_grade(result: SubmissionResult, function: str) -> bool:
    """The function is missing altogether: nothing of it could be called."""
    if result.error:  # a catastrophic error: nothing could be graded
        return True
    own = [c for c in result.checks if c.function == function and c.status != "skipped"]
    if not own:
        return False
    return all(c.status in FAILED and any(p in c.message.split("\n", 1)[0]
                                           for p in NOTHING_TO_GRADE) for c in own)


def nothing_graded(result: SubmissionResult) -> str:
    """Why a submission without an error of its own had nothing to grade at all (every function
    missing, not implemented or not loadable: the template as handed out), as one line for the
    gradebook's `error` column and the overview's row; "" when it had something to grade or an
    error says why."""
    names = [f.name for f in result.functions]
    if result.error or not names or not all(nothing_to_grade(result, n) for n in names):
        return ""
    first = next((c.message.split("\n", 1)[0] for c in result.checks
                  if c.function == names[0] and c.status in FAILED), "")
    first = first.split(". ", 1)[0].rstrip(".")  # what, not the advice after it
    others = len(names) - 1
    return (f"nothing to grade: {first}" +
            (f" (and {others} other function{'s' if others > 1 else ''} likewise)"
             if others else ""))


def total(functions: Iterable[FunctionResult]) -> tuple[float, float]:
    functions = list(functions)
    return (round(sum(f.score for f in functions), 2), round(sum(f.max_score for f in functions), 2))
