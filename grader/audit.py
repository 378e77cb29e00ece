"""A pack's reference, audited against the pack's own checks (`autograde audit`).

A pack's checks compare submissions with the reference, so a reference that is wrong makes every
right answer fail, and nothing else notices. Its properties and its numerical-gradient checks
(central differences of the function's own cost) do not trust the reference, though: graded
with them, as a submission, the reference shows where it does not hold. The audit grades it so in
every one of the pack's modes (a course's formula may hold in one and not in the other), and
checks that the pack's known answers are still the reference's. A pack that ships the course's
training script has it read too (never run), for calls that pass an argument in another
parameter's place (grader/misplaced_arguments.py).

Then the checks themselves: a submission whose every function raises, and one whose every
function returns None, must earn nothing. A check that passes one of those stand-ins and keeps
its points can never fail (it compares the reference with itself, or swallows the student's
exception), and grading the template hides it: an unimplemented function scores 0 outright.
A third stand-in answers wrongly in the right type and shape (the reference's answer, scaled
and shifted): a values check that passes it cannot fail either (it computes a comparison and
asserts nothing, probe s61). A check that raises in its own code on a stand-in has not failed
it: the error is the check's, and with a plausible answer the same check may well pass.

A reference still the stub `autograde new-pack` wrote (a function that only raises
NotImplementedError) fails every check in the checks' own code, which a student's grade reports
as the grader's failure; the audit says first that the reference is not written yet, and where.

The reference runs in the worker as any submission does; this module only reads its report.
"""
from __future__ import annotations

import ast
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader import input_set, misplaced_arguments, session
from grader.misplaced_arguments import MisplacedArgument
from grader.model import CheckResult, SubmissionResult
from grader.packs import Pack


@dataclass(frozen=True)
class Finding:
    """A check the reference does not pass: what the check said, as a student would read it."""

    function: str
    check: str
    status: str
    message: str
    # The check's own code raised (CheckResult.grader_error): the pack's bug, not the reference's.
    grader_error: bool = False


@dataclass(frozen=True)
class ModeAudit:
    mode: str  # "" for a pack of one way
    description: str
    default: bool
    score: float
    max_score: float
    findings: tuple[Finding, ...]
    error: str = ""  # the reference could not be graded at all


@dataclass(frozen=True)
class Audit:
    pack: str
    title: str
    reference: str
    modes: tuple[ModeAudit, ...]
    # What no longer holds in the pack's known answers; None when the pack ships none.
    known_answers: tuple[str, ...] | None = None
    warnings: tuple[str, ...] = field(default=())
    # The pack's training script (`training_script` in its manifest), None when it ships none;
    # the calls in it that pass an argument in another parameter's place; why it could not be
    # read, if it could not.
    training_script: str | None = None
    script_findings: tuple[MisplacedArgument, ...] = ()
    script_problem: str = ""
    # Checks that cannot fail, as a stand-in showed (every function raising, returning None, or
    # answering wrongly): "function: check (a stand-in that raises, 2 points)".
    stand_ins: tuple[str, ...] = ()
    # The graded functions the reference has not written yet: "relu in reference/solution.py".
    unwritten: tuple[str, ...] = ()

    @property
    def holds(self) -> bool:
        return (all(not m.findings and not m.error for m in self.modes)
                and not self.known_answers and not self.script_findings
                and not self.script_problem and not self.stand_ins and not self.unwritten)

    def to_dict(self) -> dict:
        return {**asdict(self), "holds": self.holds}


def _findings(result: SubmissionResult) -> tuple[Finding, ...]:
    # A skipped check (it needs what the run does not have) is no verdict on the reference.
    return tuple(Finding(c.function, c.name, c.status, c.message, c.grader_error)
                 for c in result.checks if c.status in ("failed", "error", "timeout"))


def audit_mode(pack: Pack, reference_dir: Path, *, default: bool = True,
               isolation: str = "auto") -> ModeAudit:
    """The reference graded, with itself as the reference, in the pack's mode in force."""
    options = session.Options(reference_dir=Path(reference_dir), input_set=input_set.PUBLIC,
                              isolation=isolation)
    result = session.grade(pack, Path(reference_dir), options)
    error = result.error or "; ".join(w for w in result.warnings if w.startswith(
        ("reference not used", "grader problem")))
    return ModeAudit(pack.mode, pack.mode_description, default=default, score=result.score,
                     max_score=result.max_score, findings=_findings(result), error=error)


def run(pack: Pack, reference_dir: Path, *, isolation: str = "auto") -> Audit:
    """Audit `pack`'s reference in `reference_dir` in each of the pack's modes (the default
    first), then its known answers."""
    from grader import known_answers as ka, make_known_answers

    default = pack.mode
    modes = [default] + [m for m in pack.modes if m != default] if pack.modes else [""]
    audits = [audit_mode(pack.with_mode(name) if name else pack, reference_dir,
                         default=name == default, isolation=isolation) for name in modes]
    known: tuple[str, ...] | None = None
    if pack.known_answers is not None and Path(pack.known_answers).is_file():
        try:
            known = tuple(make_known_answers.verify(
                pack, Path(reference_dir), ka.KnownAnswers.load(pack.known_answers),
                answers_path=Path(pack.known_answers)))
        except ka.KnownAnswersError as exc:
            known = (str(exc),)
    script, findings, problem = None, (), ""
    if pack.training_script is not None:
        script = str(pack.training_script)
        findings, problem = audit_training_script(pack)
    return Audit(pack.name, pack.title, str(reference_dir), tuple(audits), known,
                 training_script=script, script_findings=findings, script_problem=problem,
                 stand_ins=stand_in_findings(pack, Path(reference_dir), isolation=isolation,
                                             already=_raised_on_the_reference(audits)),
                 unwritten=unwritten_functions(pack, Path(reference_dir)))


def _raised_on_the_reference(audits: list[ModeAudit]) -> frozenset[tuple[str, str]]:
    """(function, check) of the checks that raised in their own code on the reference itself:
    said there, with where, so the stand-ins need not say it again."""
    return frozenset((f.function, f.check) for m in audits for f in m.findings
                     if f.grader_error)


def unwritten_functions(pack: Pack, reference_dir: Path) -> tuple[str, ...]:
    """The graded functions whose definition in the reference (the last one in its home module)
    raises NotImplementedError and returns nothing, as "relu in reference/solution.py"."""
    found = []
    for spec in pack.functions:
        if spec.uses:  # a composition is the grader's, built from the reference's parts
            continue
        home = Path(reference_dir) / f"{spec.home}.py"
        try:
            tree = ast.parse(home.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue  # the reference's load says what is wrong with the file
        defined = [node for node in tree.body
                   if isinstance(node, ast.FunctionDef) and node.name == spec.name]
        if defined and _only_raises_not_implemented(defined[-1]):
            found.append(f"{spec.name} in {Path(reference_dir).name}/{home.name}")
    return tuple(found)


def _only_raises_not_implemented(function: ast.FunctionDef) -> bool:
    """Whether every call of `function` ends in NotImplementedError: its own body (not a branch
    of it) raises that, and no statement of it returns."""
    raises = any(isinstance(node, ast.Raise) and node.exc is not None
                 and _names_not_implemented(node.exc) for node in function.body)
    returns = any(isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom))
                  for node in _own_nodes(function))
    return raises and not returns


def _names_not_implemented(exc: ast.expr) -> bool:
    target = exc.func if isinstance(exc, ast.Call) else exc
    return isinstance(target, ast.Name) and target.id == "NotImplementedError"


def _own_nodes(function: ast.FunctionDef) -> list[ast.AST]:
    """The nodes of `function`'s body, without those of the functions and classes it defines."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    nodes, todo = [], [node for node in function.body if not isinstance(node, nested)]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo += [child for child in ast.iter_child_nodes(node) if not isinstance(child, nested)]
    return nodes


# The stand-in whose functions answer wrongly in the right type and shape: the reference's own
# answer, every number in it scaled by a negative factor and shifted (so neither its values, nor
# their order, nor their signs are the reference's), every integer moved, every truth flipped,
# every string lengthened, each item a generator yields so too.
WRONG = "answers wrongly"
# Its helper, written once into each module it changes; it runs where the submission runs.
WRONG_HELPER = """

def _autograde_wrong(value):
    import numpy as _np
    if isinstance(value, _np.ndarray):
        if value.dtype == bool:
            return ~value
        if _np.issubdtype(value.dtype, _np.integer):
            return 1 - value
        if _np.issubdtype(value.dtype, _np.number):
            return value * -1.5 + 0.25
        return value
    if isinstance(value, (bool, _np.bool_)):
        return not value
    if isinstance(value, (int, _np.integer)):
        return 1 - value
    if isinstance(value, (float, complex, _np.number)):
        return value * -1.5 + 0.25
    if isinstance(value, str):
        return value + " (wrong)"
    if isinstance(value, (tuple, list)):
        parts = [_autograde_wrong(part) for part in value]
        if all(a is b for a, b in zip(parts, value)):
            return value
        return type(value)(*parts) if hasattr(value, "_fields") else type(value)(parts)
    if isinstance(value, dict):
        parts = {key: _autograde_wrong(part) for key, part in value.items()}
        return value if all(parts[key] is value[key] for key in value) else parts
    import collections.abc as _abc
    if isinstance(value, _abc.Iterator):  # a generator: each item it yields, made wrong
        return (_autograde_wrong(part) for part in value)
    return value


def _autograde_wrong_answer(value):
    # Nothing in it to make wrong (None: a function that works in place): the stand-in raises,
    # so that no check of it is named for passing the reference's own answer.
    wrong = _autograde_wrong(value)
    if wrong is value:
        raise ValueError('a stand-in of autograde audit: nothing in the answer to make wrong')
    return wrong
"""

# What each stand-in's functions do, after the reference's own code. Each reads its arguments:
# a copy that ignores them, or a bare `return None`, reads as unfinished to the loader, which
# then grades another file's finished copy of the function instead. `{name}` is the function's.
STAND_INS = {"raises": ("    _ = (args, kwargs)\n"
                        "    raise ValueError('a stand-in of autograde audit')\n"),
             "returns None": "    _ = (args, kwargs)\n    return None\n",
             WRONG: ("    return _autograde_wrong_answer(_autograde_right_{name}(*args, "
                     "**kwargs))\n")}


def stand_in_findings(pack: Pack, reference_dir: Path, *, isolation: str = "auto",
                      already: frozenset[tuple[str, str]] = frozenset()) -> tuple[str, ...]:
    """The checks that cannot fail, as a stand-in of the reference shows: one whose graded
    functions all raise, one whose functions all return None, one whose functions return the
    reference's answer made wrong (each redefined at the end of its home module, so that the
    files importing it get the stand-in too). A check that keeps points from the first two, that
    passes the third as a values check, or that raises in its own code on any of them (the
    check's error is no verdict: with any other answer it might pass) is named, unless it raised
    on the reference too (`already`: (function, check) pairs)."""
    found: list[str] = []
    for kind, body in STAND_INS.items():
        with tempfile.TemporaryDirectory(prefix="autograde-audit-") as tmp:
            copy = Path(tmp) / "reference"
            shutil.copytree(reference_dir, copy, ignore=shutil.ignore_patterns(
                "__pycache__", ".*"))
            if not _write_stand_in(pack, copy, kind, body):
                continue
            files = [p for p in copy.iterdir() if p.suffix == ".py"]
            options = session.Options(reference_dir=Path(reference_dir),
                                      input_set=input_set.PUBLIC, isolation=isolation)
            result = session.grade(pack, copy if len(files) != 1 else files[0], options)
            found += [_stand_in_finding(check, kind) for check in result.checks
                      if _cannot_fail(check, kind) and not (
                          check.grader_error and (check.function, check.name) in already)]
    return tuple(found)


def _write_stand_in(pack: Pack, copy: Path, kind: str, body: str) -> bool:
    """Redefine, in every file of `copy` that defines one (its home, and any other copy the loader
    might take), each graded function as the stand-in `kind`; whether any was."""
    changed = False
    graded = {spec.name for spec in pack.functions} - set(pack.composed)
    for module_file in sorted(copy.rglob("*.py")):
        try:
            tree = ast.parse(module_file.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        defined = sorted(graded & {node.name for node in tree.body
                                   if isinstance(node, ast.FunctionDef)})
        if not defined:
            continue
        with open(module_file, "a", encoding="utf-8") as module:
            if kind == WRONG:
                module.write(WRONG_HELPER)
            for name in defined:
                if kind == WRONG:  # the reference's own function, kept to answer first
                    module.write(f"\n\n_autograde_right_{name} = {name}\n")
                module.write(f"\n\ndef {name}(*args, **kwargs):\n{body.format(name=name)}")
        changed = True
    return changed


def _cannot_fail(check: CheckResult, kind: str) -> bool:
    """Whether `check` gave the stand-in `kind` no verdict against it: it raised in its own code,
    or passed what it should fail. A wrong answer of the right shape must fail the checks of
    values; the others (shapes, arguments left unchanged, a gradient against the function's own
    cost) may pass it, and their points wait for the values checks."""
    if check.grader_error:
        return True
    if kind == WRONG:
        return check.status == "passed" and check.kind == "values"
    return check.status == "passed" and check.score > 0


# How each kind of stand-in finding begins, after "function: check (".
STAND_IN_PASSED = "(a stand-in that "
WRONG_PASSED = "(a values check that a stand-in passes"
CHECK_RAISED = "(raised in its own code on a stand-in"


def _stand_in_finding(check: CheckResult, kind: str) -> str:
    if check.grader_error:
        # The check's own error is no verdict: given any other answer it may well pass.
        return (f"{check.function}: {check.name} {CHECK_RAISED} that {kind}: the check's error, "
                "not a verdict; a student's answer of that kind reads that the grader failed)")
    if kind == WRONG:
        return (f"{check.function}: {check.name} {WRONG_PASSED}: it {kind}, the reference's "
                "answer scaled by -1.5 and shifted by 0.25)")
    return (f"{check.function}: {check.name} {STAND_IN_PASSED}{kind}, {check.score:g} "
            f"point{'s' if check.score != 1 else ''})")


def audit_training_script(pack: Pack) -> tuple[tuple[MisplacedArgument, ...], str]:
    """(the calls of the pack's training script that pass an argument in another parameter's
    place, why the script could not be read), against the manifest's signatures."""
    signatures = {f.name: params for f in pack.functions
                  if (params := misplaced_arguments.parameters(f.signature))}
    script = Path(pack.training_script)
    try:
        return misplaced_arguments.find(script, signatures), ""
    except (OSError, UnicodeDecodeError, SyntaxError) as exc:
        return (), f"{script.name} cannot be read ({exc})"


def render(audit: Audit) -> str:
    """The audit as text: per mode, the checks the reference does not pass, with what they
    measured; then the known answers; then one line saying whether it all holds."""
    lines = [f"Audit of the pack {audit.pack} ({audit.title})", f"reference: {audit.reference}", ""]
    if audit.unwritten:
        them = "it" if len(audit.unwritten) == 1 else "them"
        lines += [f"{_unwritten_sentence(audit)}: write {them}, then audit again (until then the "
                  f"checks that call {them} fail in their own code).", ""]
    for mode in audit.modes:
        head = (f"mode {mode.mode}{' (default)' if mode.default else ''}: {mode.description}"
                if mode.mode else "checks")
        lines.append(head)
        if mode.error and not mode.findings:
            lines.append(f"  the reference could not be graded: {mode.error}")
        elif not mode.findings:
            lines.append(f"  the reference passes every check ({mode.score:g}/{mode.max_score:g})")
        else:
            lines.append(f"  the reference fails {len(mode.findings)} check(s) "
                         f"({mode.score:g}/{mode.max_score:g}):")
            for finding in mode.findings:
                lines.append(f"  - {finding.function}: {finding.check} ({finding.status})")
                if finding.grader_error:
                    # A student's words ("not your fault, please tell your instructor") are no
                    # words for the instructor; and with a stub reference the check may be right.
                    lines.append("      the check raised in its own code (where: the grader "
                                 "problem line below)")
                    continue
                lines += [f"      {line}" for line in finding.message.splitlines()]
            if mode.error:  # a check of the pack's own that raised: where
                lines.append(f"  {mode.error}")
        lines.append("")
    if audit.known_answers is None:
        lines.append("known answers: the pack ships none")
    elif audit.known_answers:
        lines.append("known answers: do not hold")
        lines += [f"  - {problem}" for problem in audit.known_answers]
    else:
        lines.append("known answers: every stored answer is the reference's")
    if audit.stand_ins:
        lines.append(f"checks that a stand-in passes: {len(audit.stand_ins)} check(s) cannot fail: "
                     "they earn points from functions that only raise or return None, pass a "
                     "wrong answer of the right type and shape as a values check, or raise in "
                     "their own code on such a stand-in (such a check compares the reference "
                     "with itself, swallows the exception, or does not assert what it computes)")
        lines += [f"  - {finding}" for finding in audit.stand_ins]
    else:
        aside = (" (the checks that raised in their own code on the reference aside)"
                 if any(f.grader_error for m in audit.modes for f in m.findings) else "")
        lines.append("stand-ins: every check fails functions that only raise or return None, and "
                     "every values check fails the reference's answers made wrong (scaled by "
                     f"-1.5, shifted by 0.25){aside}")
    if audit.training_script is not None:
        name = Path(audit.training_script).name
        if audit.script_problem:
            lines.append(f"training script: {audit.script_problem}")
        elif audit.script_findings:
            lines.append(f"training script {name}: {len(audit.script_findings)} call(s) pass an "
                         "argument in another parameter's place")
            lines += [f"  - {finding}" for finding in audit.script_findings]
        else:
            lines.append(f"training script {name}: every call to the pack's functions passes "
                         "each argument in its own parameter's place")
    lines += ["", _verdict(audit)]
    return "\n".join(lines)


def _verdict(audit: Audit) -> str:
    """The last line: whether it all holds, and when not, what must change: the reference, a
    check of the pack (it raised in the grader: "the reference does not hold" sent authors to a
    reference that was right), the known answers or the training script."""
    several = len(audit.modes) > 1
    if audit.holds:
        return "The reference holds" + (" in every mode." if several else ".")
    findings = [f for m in audit.modes for f in m.findings]
    reference_fails = any(not f.grader_error for f in findings) or any(
        m.error and not m.findings for m in audit.modes)
    checks_raise = any(f.grader_error for f in findings)
    if audit.unwritten:
        # Until it is written, the checks' failures (and the known answers) say nothing of the
        # checks or the reference; the stand-ins and the training script do not need it.
        also = [*_stand_in_problems(audit),
                *(["the training script passes arguments in other parameters' places"]
                  if audit.script_findings else []),
                *(["the training script cannot be read"] if audit.script_problem else [])]
        return ("The pack does not hold: " + _unwritten_sentence(audit)
                + "; write the reference, then audit again."
                + (f" Also: {'; '.join(also)}. See above." if also else ""))
    if reference_fails and not checks_raise and not audit.known_answers \
            and not audit.script_findings and not audit.script_problem and not audit.stand_ins:
        return "The reference does not hold" + (" in every mode" if several else "") + \
            ": see above."
    what = [*(["the reference fails its pack's checks"] if reference_fails else []),
            *([f"a check of the pack fails in the grader itself (its own code raised: fix the "
               f"check; `autograde grade {audit.reference} --pack ... --debug` shows where)"]
              if checks_raise else []),
            *(["the known answers do not hold (`autograde known-answers --out` makes them "
               "again)"] if audit.known_answers else []),
            *_stand_in_problems(audit),
            *(["the training script passes arguments in other parameters' places"]
              if audit.script_findings else []),
            *(["the training script cannot be read"] if audit.script_problem else [])]
    return "The pack does not hold: " + "; ".join(what) + ". See above."


def _stand_in_problems(audit: Audit) -> list[str]:
    """What the stand-ins showed of the checks, one phrase per kind of finding."""
    kinds = [(STAND_IN_PASSED, "a check passes functions that only raise or return None"),
             (WRONG_PASSED, "a values check passes a wrong answer of the right type and shape"),
             (CHECK_RAISED, "a check raises in its own code on a stand-in, where it should fail "
                            "it")]
    return [phrase for mark, phrase in kinds if any(mark in f for f in audit.stand_ins)]


def _unwritten_sentence(audit: Audit) -> str:
    return ("the reference is not written yet: " + ", ".join(audit.unwritten)
            + (" still raises" if len(audit.unwritten) == 1 else " still raise")
            + " NotImplementedError (a stub)")


__all__ = ["Audit", "Finding", "ModeAudit", "audit_mode", "audit_training_script", "render",
           "run", "unwritten_functions"]
