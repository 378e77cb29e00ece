"""A failure's likely cause in another function: the callee that fails its own checks.

A network's forward_backward_prop calls sigmoid and softmax (the handout's template imports
them); when sigmoid is wrong, the network's checks fail too, and a student fixing the network
first chases the wrong bug. A pack's manifest says which graded functions each function calls
(`calls`); when, in this grade, one of those fails its own checks, each failing check of the
caller gets one sentence naming it. Only the messages change, never a score, and only from the
outcomes of this grade: a callee whose checks all passed (or did not run, under --only) is not
named, nor one whose only failures are on inputs no caller passes it (a check marked
@pytest.mark.callers_never_pass: sigmoid refusing a Python float is not why a network that
gives it arrays fails). A caller's failure about the shape of what it returned (a shape, a
length, how many values) names only a callee whose own failures are about shapes too, or inside
which the caller's error was raised: a sigmoid_grad with wrong values cannot give a gradient one
number too few (probe s59: "fix sigmoid_grad first", fixed, and the same failure stayed).
"""
from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from grader.model import CheckResult

# How the checks' failures about the shape of a result begin or read (grader/checks_api.py
# as_array and expect_close, the packs' own): "grad_b1 has shape (1,); expected shape (1, 1)",
# "the gradient ... has 9 numbers (shape (9,)); expected 10", "the result's items have the shapes
# ...", "shapes [(2, 3), ...], expected [...]", "the result is a tuple of 3; expected a pair".
_SHAPE_PROBLEM = re.compile(r"\bhas shapes? \(|\bhave (?:each other's |the )?shapes\b|"
                            r"\bhas \d+ numbers\b|\bshapes \[|; expected a (?:pair|tuple)\b")


def _failing(check: CheckResult) -> bool:
    """A check that costs points: not passed, not skipped, and worth something (an advisory
    check never makes a function look failed)."""
    return check.status not in ("passed", "skipped") and check.max_score > 0


def about_shape(check: CheckResult) -> bool:
    """Whether a failed check failed on the shape of what came back (its shape, its length, how
    many values), as opposed to its values: what a callee's wrong values cannot cause. Read from
    the problem the check stated (its message's first line), never from an error a submission
    raised, whose text is the submission's."""
    if check.status != "failed":
        return False
    call = check.evidence.get("call")
    problem = call.get("problem") if isinstance(call, dict) else None
    text = str(problem) if problem else (check.message.splitlines() or [""])[0]
    return _SHAPE_PROBLEM.search(text) is not None


def sentence(caller: str, callees: Sequence[str], order: Sequence[str],
             absent: Collection[str] = (), caller_place: str | None = None) -> str:
    """E.g. "sigmoid fails its own checks above; forward_backward_prop calls it: fix sigmoid
    first." `order` is the report's order of functions: a callee listed after the caller (or
    after `caller_place`, the function whose check is the caller) is "below". A callee in
    `absent` was not found, or its file did not load."""
    anchor = order.index(caller_place or caller)
    where = {c: "above" if order.index(c) < anchor else "below" for c in callees}
    place = where[callees[0]] if len(set(where.values())) == 1 else "in this report"
    if len(callees) == 1:
        name = callees[0]
        if name in absent:
            return (f"{name} was not found or did not load (see it {place}); {caller} calls "
                    f"it: fix {name} first.")
        return f"{name} fails its own checks {place}; {caller} calls it: fix {name} first."
    names = ", ".join(callees[:-1]) + " and " + callees[-1]
    return f"{names} fail their own checks {place}; {caller} calls them: fix them first."


def as_written(calls: Mapping[str, Sequence[str]], load: Mapping) -> dict[str, list[str]]:
    """The manifest's `calls`, each caller's narrowed to the callees its code reaches as the
    submission wrote it (the worker's `reaches`, grader/worker/reaches.py): a network that
    computes h * (1 - h) itself is not sent to fix sigmoid_grad. A caller the worker could not
    follow keeps the manifest's list. The worker's word can only remove a sentence, never a
    point, so an untrusted worker gains nothing by lying."""
    reached = load.get("reaches") or {}
    return {caller: [c for c in listed if caller not in reached or c in reached[caller]]
            for caller, listed in calls.items()}


def blame_failing_callees(checks: Sequence[CheckResult], calls: Mapping[str, Sequence[str]],
                          order: Sequence[str],
                          absent: Collection[str] = (),
                          uses: Mapping[tuple[str, str], Sequence[str]] | None = None,
                          callers_never_pass: Collection[tuple[str, str]] = (),
                          ) -> tuple[CheckResult, ...]:
    """The checks, each failing check of a function whose callees (`calls`) fail their own
    checks ending with one sentence that names them, in `order` (the pack's functions), and
    listing them in its evidence (`failing_callees`). A callee's failure is told only where it
    can be seen: a visible one on any check, another only on checks of its own visibility (a
    hidden check's failure is not given away by a visible one). A function in `absent` (not
    found, or its file did not load) ran nothing, so nothing it calls is named. `uses`: the
    functions a check itself calls besides the one it grades ({(function, check): names}, its
    @pytest.mark.uses: a numerical gradient of the submission's own forward pass), named as a
    callee is. `callers_never_pass`: the checks ({(function, check)}, their
    @pytest.mark.callers_never_pass) that give the function an input its callers never pass (a
    Python float, a list): failing only those, it is not named as a cause."""
    seen_in: dict[str, set[str]] = {}  # function -> visibilities of its failing checks
    # Those of checks that fail only on inputs no caller passes, with the error each raised:
    # named where a caller's own error was raised inside the function and is that same error
    # (a word2vec passing sigmoid `float(...)`), which shows the caller passes such an input
    # after all; not where it is another (a generator passed where arrays belong, recheck probe
    # s58: "fix sigmoid first" sent the student after the wrong function).
    unusual: dict[str, list[tuple[str, str]]] = {}
    # Those of checks failing on a shape: the only callees a caller's shape failure names.
    shaped: dict[str, set[str]] = {}
    for check in checks:
        if not _failing(check):
            continue
        if (check.function, check.name) in callers_never_pass:
            unusual.setdefault(check.function, []).append(
                (check.visibility, str(check.evidence.get("error", ""))))
        else:
            seen_in.setdefault(check.function, set()).add(check.visibility)
            if about_shape(check):
                shaped.setdefault(check.function, set()).add(check.visibility)
    out = []
    for check in checks:
        called = calls.get(check.function, ())
        used = [c for c in (uses or {}).get((check.function, check.name), ()) if c not in called]
        raised = check.evidence.get("raised_in")
        error = str(check.evidence.get("error", ""))
        same_error = {c: {v for v, e in unusual.get(c, ()) if error and e == error}
                      for c in (raised if isinstance(raised, list) else ())}
        # A wrong shape of the caller's result: a callee's values are not why (see above). An
        # error raised inside a callee is no shape failure (about_shape), and names it as before.
        failing_in = shaped if about_shape(check) else seen_in
        guilty = [c for c in order if c in (*called, *used) and c != check.function and (
            (failing_in.get(c, set()) | same_error.get(c, set())) & {"visible", check.visibility})
            and check.function not in absent]
        if not guilty or not _failing(check):
            out.append(check)
            continue
        # The check itself calls what it uses (the function it grades need not).
        note = sentence("this check" if set(guilty) <= set(used) else check.function, guilty,
                        order, absent, caller_place=check.function)
        # A recognised mistake keeps its name (a loop's diagnosis often describes the callee's
        # effect exactly: a step that ascends because update does); its hint, and every
        # renderer's explanation of it (until_callees_pass), say it waits for the callee.
        out.append(replace(check, message=f"{check.message}\n  {note}" if check.message else note,
                           hint=_until_callees_pass(check.hint, guilty),
                           evidence={**check.evidence, "failing_callees": guilty}))
    return tuple(out)


def until_callees_pass(checks: Sequence[CheckResult]) -> str:
    """"if this still fails once backward passes its own checks" when every one of `checks` (the
    checks a recognised mistake explains) failed beside a failing callee; "" otherwise."""
    guilty = [c.evidence.get("failing_callees") for c in checks]
    if not guilty or not all(isinstance(g, list) and g for g in guilty):
        return ""
    names = list(dict.fromkeys(name for g in guilty for name in g))
    if len(names) == 1:
        return f"if this still fails once {names[0]} passes its own checks"
    return f"if this still fails once {', '.join(names[:-1])} and {names[-1]} pass their own checks"


def _until_callees_pass(hint: str, guilty: Sequence[str]) -> str:
    """A caller's diagnosis made while a callee is wrong reads the callee's bug as the caller's
    (a correct train_step was told "the learning rate is scaled by the batch size" when backward
    forgot to divide by N): said as what to look at if the failure outlives the callees' fix."""
    if not hint:
        return hint
    if len(guilty) == 1:
        return f"if this still fails once {guilty[0]} passes its own checks: {hint}"
    names = ", ".join(guilty[:-1]) + " and " + guilty[-1]
    return f"if this still fails once {names} pass their own checks: {hint}"
