"""`autograde grade`'s arguments: what they are and what call they make.

Two readers take the same argument list: the command line (grader/cli.py) and the warm grader of
a batch (grader/server.py), whose protocol is that list. Both parse it here and both grade with
grader.grading.grade_to_files; neither calls the other.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from grader.input_set import SECRET_ENV, InputSet, SecretError, resolve
from grader.isolation import MODES
from grader.model import SubmissionResult
from grader.packs import DEFAULT_PACK, ManifestError, Pack, load_pack
from grader.proxy import Limits
from grader.session import Options

DESCRIPTION = "Grade one submission and print its report."

EPILOG = """\
examples:
  autograde grade my_submission.py                 one .py file with all the functions
  autograde grade assignment1/                     q1_softmax.py, q2_sigmoid.py, ... in a folder
  autograde grade assignment1.zip -v               a .zip, .tar.gz or .ipynb; every failure in full
  autograde grade my_submission.py --only softmax --only sigmoid
  autograde grade upload.py --json report.json --html report.html
  autograde grade . --junit autograde.xml --fail-under 60      in CI

exit status: 0 when a report was produced, whatever the score; 1 when the score is below
--fail-under; 2 on a usage error (no such submission, an unknown --only function, an output path
that cannot be written)."""


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def add_arguments(g: argparse.ArgumentParser) -> None:
    """Every argument of `autograde grade`."""
    g.add_argument("submission", type=Path,
                   help="what to grade: a .py file with all the functions, a folder (such as the "
                        "original q1_softmax.py, q2_sigmoid.py, ... layout), a .zip or a tar "
                        "archive (.tar.gz, .tgz, ...) of either, or a .ipynb notebook")
    g.add_argument("--json", type=Path, metavar="PATH", help="write the JSON report here")
    g.add_argument("--html", type=Path, metavar="PATH",
                   help="write the HTML report here (one self-contained page)")
    add_grading_options(g)
    g.add_argument("--verbose", "-v", action="store_true",
                   help="print every failure in full, with counterexamples and captured output")
    g.add_argument("--debug", action="store_true", help="show the grader's own errors in full")
    g.add_argument("--junit", type=Path, metavar="PATH",
                   help="write a JUnit XML report here (for CI: GitLab, GitHub Actions)")
    g.add_argument("--fail-under", type=float, metavar="SCORE",
                   help="exit with status 1 when the score is below SCORE points")
    # What the report's `submission` says instead of the path graded: a batch grades a copy of
    # each upload (in a temporary folder, maybe on another machine) but reports where it was found.
    g.add_argument("--submission-label", metavar="TEXT", help=argparse.SUPPRESS)


def add_grading_options(g: argparse.ArgumentParser) -> None:
    """The options that decide how a submission is graded, shared by grade and batch."""
    g.add_argument("--pack", default=DEFAULT_PACK, metavar="NAME_OR_PATH",
                   help="the assignment to grade against: a pack's name (`autograde packs` lists "
                        "them) or the folder of a pack (its pack.toml, checks/, ...) "
                        "(default: %(default)s)")
    g.add_argument("--config", type=Path, metavar="FILE",
                   help="a course config (TOML) that changes the pack's points, visibility and "
                        "deadlines for this course (batch: default autograde.toml beside the "
                        "uploads)")
    add_mode_option(g)
    g.add_argument("--only", action="append", metavar="FUNCTION",
                   help="grade this function alone; repeat for several (--only softmax --only "
                        "sigmoid). The report's total is then theirs alone")
    ref = g.add_mutually_exclusive_group()
    ref.add_argument("--reference", type=Path, metavar="DIR",
                     help="the reference solution's folder (default: $AUTOGRADE_REFERENCE, or "
                          "reference/ in a source checkout)")
    ref.add_argument("--no-reference", action="store_true",
                     help="grade as a student's copy would: values are compared with the pack's "
                          "known answers (public inputs only) instead of the reference")
    g.add_argument("--known-answers", type=Path, metavar="FILE",
                   help="without the reference, compare values with these known answers (made "
                        "by `autograde known-answers`) instead of the pack's own")
    add_secret_options(g)
    g.add_argument("--no-xrange-shim", action="store_true",
                   help="do not define xrange = range, nor Python 2's other builtins (reduce, "
                        "unicode, long, ...) and module names (cPickle, StringIO, ...), for "
                        "Python 2 style submissions")
    g.add_argument("--no-numpy-shim", action="store_true",
                   help="do not give names NumPy removed (np.float, np.NaN, ...) their old "
                        "meaning for submissions written on an older NumPy")
    # No argparse defaults: a deadline given here beats the course config's, which beats the
    # pack's, which beats the engine's (deadlines()).
    g.add_argument("--call-timeout", type=_positive, metavar="S",
                   help="deadline of one call into the submission (default: the pack's, else "
                        f"{Limits.call_seconds:g} s)")
    g.add_argument("--import-timeout", type=_positive, metavar="S",
                   help="deadline for importing the submission (default: the pack's, else "
                        f"{Limits.import_seconds:g} s)")
    g.add_argument("--check-timeout", type=_positive, metavar="S",
                   help="time one check may spend in the submission's code, hypothesis's search "
                        "for a smaller failing input included (default: the pack's, else "
                        f"{Limits.check_seconds:g} s)")
    g.add_argument("--submission-timeout", type=_positive, metavar="S",
                   help="deadline for the whole submission (default: the pack's, else "
                        f"{Limits.submission_seconds:g} s)")
    g.add_argument("--isolation", choices=MODES, default="auto",
                   help="sandbox: bubblewrap (no network, no files in view but the upload's); "
                        "process: a separate process with resource limits only; auto (default): "
                        "the sandbox where bubblewrap works, else process, and the report says so")
    g.add_argument("--no-fork", action="store_true",
                   help="start workers with spawn only (the path used where fork does not exist)")
    g.add_argument("--allow-root-workers", action="store_true",
                   help="grade even where student code would run AS ROOT (the grader runs as "
                        "root, there is no sandbox, and other users cannot read its Python, so "
                        "the worker cannot drop to a uid of its own): that code can then read "
                        "the reference and the secret and stop other students' workers. "
                        "Without it, such a grade with a reference or secret, and any such "
                        "batch, is refused")


def add_mode_option(g: argparse.ArgumentParser) -> None:
    g.add_argument("--mode", metavar="NAME",
                   help="grade in this mode of the pack, for a pack that grades in more than one "
                        "way (e.g. by the course's formula, or by the exact gradient); `autograde "
                        "packs` lists each pack's modes (default: the course config's, else the "
                        "pack's)")


def add_secret_options(g: argparse.ArgumentParser) -> None:
    """--secret and --secret-file: where the instructor's grader draws its inputs from."""
    secret = g.add_mutually_exclusive_group()
    secret.add_argument("--secret", metavar="TEXT",
                        help="the course secret the inputs are drawn from, so answers memorised "
                             "from the public grader do not carry over (default: "
                             f"${SECRET_ENV}; without one the public inputs are used)")
    secret.add_argument("--secret-file", type=Path, metavar="FILE",
                        help="read the course secret from FILE (keep it readable by the grader "
                             "only)")


def parser() -> argparse.ArgumentParser:
    """`autograde grade` alone, for a process that takes its argument list (grader/server.py)."""
    g = argparse.ArgumentParser(prog="autograde grade", description=DESCRIPTION)
    add_arguments(g)
    return g


def input_set(args: argparse.Namespace) -> InputSet:
    """The input set the options ask for. Raises SecretError (a usage error) for an unreadable
    secret, or a secret given with --no-reference: a student's copy knows the public answers only."""
    chosen = resolve(text=args.secret, file=args.secret_file)
    if getattr(args, "no_reference", False) and (args.secret is not None or args.secret_file is not None):
        raise SecretError("--secret and --secret-file need the reference: without it, values are "
                          "compared with the known answers, which exist for the public inputs only")
    return chosen


def _input_set_or_usage_error(args: argparse.Namespace) -> InputSet:
    from grader.grading import UsageError
    try:
        return input_set(args)
    except SecretError as exc:
        raise UsageError(str(exc)) from None


TIMEOUT_OPTIONS = {"call_seconds": "call_timeout", "import_seconds": "import_timeout",
                   "check_seconds": "check_timeout", "submission_seconds": "submission_timeout"}


def pack(args: argparse.Namespace) -> Pack:
    """The pack --pack names, with --config applied. Raises grading.UsageError naming what is
    wrong (no such pack, a manifest or config that does not hold)."""
    from grader.grading import BadPack, UsageError
    if args.config is not None and not Path(args.config).is_file():
        raise UsageError(f"--config {args.config}: "
                         + ("a folder, not a file" if args.config.is_dir() else "no such file"))
    try:
        return with_mode(load_pack(args.pack, args.config), getattr(args, "mode", None))
    except ManifestError as exc:
        raise BadPack(str(exc)) from None


def with_mode(chosen: Pack, name: str | None) -> Pack:
    """`chosen` in the mode --mode names (None: as it is). Raises ManifestError naming the
    pack's modes."""
    if name is None:
        return chosen
    try:
        return chosen.with_mode(name)
    except ValueError as exc:
        raise ManifestError(f"--mode {name}: {exc}") from None


def deadlines(args: argparse.Namespace, chosen: Pack) -> Limits:
    """Each deadline from the command line, else the pack's (its course config's, else its
    manifest's), else the engine's default."""
    given = {field: getattr(args, option) for field, option in TIMEOUT_OPTIONS.items()
             if getattr(args, option, None) is not None}
    return Limits(**{**chosen.deadlines, **given})


def keywords(args: argparse.Namespace) -> dict[str, Any]:
    """The call to grading.grade_to_files that parsed `autograde grade` arguments ask for.
    Raises grading.UsageError for a pack, config or secret that cannot be used."""
    chosen = pack(args)
    _check_fail_under(args.fail_under, chosen, args.only)
    if args.reference is not None and not args.reference.is_dir():
        # Named on the command line, a reference that is not there is a typo, never "grade
        # without it": the secret would go unused and values be compared with known answers.
        from grader.grading import UsageError
        raise UsageError(f"--reference {args.reference}: "
                         + ("a file, not a folder" if args.reference.exists() else "no such folder")
                         + " (the reference solution's folder; --no-reference grades without one)")
    limits = deadlines(args, chosen)
    options = Options(reference_dir=args.reference, no_reference=args.no_reference,
                      shim_xrange=not args.no_xrange_shim, shim_numpy=not args.no_numpy_shim,
                      limits=limits,
                      use_fork=False if args.no_fork else None, isolation=args.isolation,
                      debug=args.debug, input_set=_input_set_or_usage_error(args),
                      known_answers=args.known_answers)
    return {"submission": args.submission, "pack": chosen, "options": options,
            "only": args.only, "label": args.submission_label, "json": args.json,
            "html": args.html, "junit": args.junit,
            "refuse_root_workers": not getattr(args, "allow_root_workers", False)}


def _check_fail_under(threshold: float | None, chosen: Pack,
                      only: list[str] | None = None) -> None:
    """A --fail-under no score can meet (above the pack's points, or above the points of the
    functions --only grades) fails every grade, and one below 0 never fails: either is a typo
    (a percentage for points, a missing digit), so it is a usage error rather than a CI job that
    is always red, or never."""
    from grader.grading import UsageError
    if threshold is None:
        return
    names = {f.name for f in chosen.functions}
    if only and set(only) <= names:
        most = sum(f.points for f in chosen.functions if f.name in set(only))
        what = f"what --only {', '.join(dict.fromkeys(only))} grades"
    else:
        most, what = chosen.max_score, f"a score of the pack {chosen.name}"
    if not 0 <= threshold <= most:  # also NaN
        given = repr(threshold).removesuffix(".0")  # as typed: 100.0001 is not "100"
        raise UsageError(f"--fail-under {given}: {what} is between 0 and {most:g} points, "
                         f"so this would {'never' if threshold < 0 else 'always'} fail; give a "
                         "score in points, at most that total")


def below(args: argparse.Namespace, result: SubmissionResult) -> bool:
    """Whether `--fail-under` asks for exit status 1."""
    return args.fail_under is not None and result.score < args.fail_under


__all__ = ["DESCRIPTION", "EPILOG", "add_arguments", "add_grading_options", "add_mode_option",
           "add_secret_options", "with_mode",
           "below", "deadlines", "input_set", "keywords", "pack", "parser"]
