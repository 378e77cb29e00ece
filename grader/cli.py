"""Command line: parses options and calls the library functions (grader.session.grade,
grader.batch.run, grader.lms), so the CLI and the Python API share one path. What a user reads
is DESCRIPTION and each command's help and epilog, not this docstring."""
from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
from pathlib import Path

from grader import __version__
from grader.isolation import MODES, IsolationUnavailable
from grader.packs import BUILTIN_PACKS, DEFAULT_PACK, Pack, load_pack
from grader.proxy import Limits
from grader.render import html, json_report, terminal
from grader.render import junit
from grader import batch, lms, output_paths, selection
from grader.replay import RecipeBook
from grader.session import Options, grade


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


DESCRIPTION = """\
Grade neural networks written from scratch in numpy: the CS224n (2017) assignment 1 functions
sigmoid, sigmoid_grad, softmax, forward_backward_prop and negSamplingCostAndGradient. Each
function is checked against known values, properties and numerical gradients (and, in an
instructor's copy, a reference solution); the report says what was called, what came back and
what was expected. Student code runs in a separate, restricted worker process."""

EPILOG = """\
examples:
  autograde grade my_submission.py             check your work before you submit
  autograde grade my_submission.py --only softmax
  autograde batch uploads.zip --out grades/    grade a class (an LMS bulk download)
  autograde gradescope-zip autograder.zip      build the zip to upload to Gradescope

Run `autograde COMMAND --help` for a command's options and examples."""

GRADE_EPILOG = """\
examples:
  autograde grade my_submission.py                 one .py file with all the functions
  autograde grade assignment1/                     q1_softmax.py, q2_sigmoid.py, ... in a folder
  autograde grade assignment1.zip -v               a zip (or a .ipynb notebook); every failure in full
  autograde grade my_submission.py --only softmax --only sigmoid
  autograde grade upload.py --json report.json --html report.html
  autograde grade . --junit autograde.xml --fail-under 60      in CI

exit status: 0 when a report was produced, whatever the score; 1 when the score is below
--fail-under; 2 on a usage error (no such submission, an unknown --only function, an output path
that cannot be written)."""

BATCH_EPILOG = """\
uploads: INPUT is a folder, or a .zip of one (an LMS bulk download), holding one upload per
student, each one of:
  alice.py                  one Python file with the functions
  alice/                    a folder, e.g. the original q1_softmax.py, q2_sigmoid.py, ... layout
  alice.zip                 a zip of either
  alice.ipynb               a Jupyter notebook
Anything else (README.txt) is ignored and listed. The student comes from the upload's name:
  alice.py, alice/, alice.zip, alice.ipynb              -> alice
  Canvas: smithjohn_12345_67890_hw1.zip                 -> smithjohn (user 12345, submission 67890)
          smithjohn_LATE_12345_67890_hw1.zip            -> smithjohn, marked late
  Moodle: folder "Jane Doe_4242_assignsubmission_file_" -> Jane_Doe (participant 4242)

OUTDIR gets reports/STUDENT.json and .html, gradebook.csv and index.html (the class overview).
Run it again after a new bulk download: only new uploads and uploads whose content changed are
graded; reports of uploads no longer there are kept and marked in the overview.

examples:
  autograde batch uploads.zip --out grades/
  autograde batch uploads/ --out grades/ --jobs 4 --reference path/to/reference
  autograde batch uploads.zip --out grades/ --only softmax       one function, for everyone
  autograde batch uploads.zip --out grades/ --dask tcp://10.0.0.5:8786

exit status: 0 when the gradebook was written; 2 on a usage error (no such INPUT, an OUTDIR that
cannot be written, an unknown --only function, an unusable cluster); 130 when interrupted (run
the same command again to finish)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograde", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"autograde {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="grade one submission (.py file, folder, .zip or .ipynb)",
                       description="Grade one submission and print its report.",
                       epilog=GRADE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("submission", type=Path,
                   help="what to grade: a .py file with all the functions, a folder (such as the "
                        "original q1_softmax.py, q2_sigmoid.py, ... layout), a .zip of either, "
                        "or a .ipynb notebook")
    g.add_argument("--json", type=Path, metavar="PATH", help="write the JSON report here")
    g.add_argument("--html", type=Path, metavar="PATH",
                   help="write the HTML report here (one self-contained page)")
    _add_grading_options(g)
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
    _add_lms_commands(sub)
    _add_batch_command(sub)
    return parser


def _add_grading_options(g: argparse.ArgumentParser) -> None:
    """The options that decide how a submission is graded, shared by grade and batch."""
    g.add_argument("--pack", default=DEFAULT_PACK, choices=sorted(BUILTIN_PACKS),
                   help="the assignment to grade against: its functions, points and checks "
                        "(default: %(default)s)")
    g.add_argument("--only", action="append", metavar="FUNCTION",
                   help="grade this function alone; repeat for several (--only softmax --only "
                        "sigmoid). The report's total is then theirs alone")
    ref = g.add_mutually_exclusive_group()
    ref.add_argument("--reference", type=Path, metavar="DIR",
                     help="the reference solution's folder (default: $AUTOGRADE_REFERENCE, or "
                          "reference/ in a source checkout)")
    ref.add_argument("--no-reference", action="store_true",
                     help="grade as a student's copy would: checks that need the reference are skipped")
    g.add_argument("--no-xrange-shim", action="store_true",
                   help="do not define xrange = range for Python 2 style submissions")
    g.add_argument("--call-timeout", type=_positive, default=Limits.call_seconds, metavar="S",
                   help="deadline of one call into the submission (default %(default)s s)")
    g.add_argument("--import-timeout", type=_positive, default=Limits.import_seconds, metavar="S",
                   help="deadline for importing the submission (default %(default)s s)")
    g.add_argument("--check-timeout", type=_positive, default=Limits.check_seconds, metavar="S",
                   help="time one check may spend in the submission's code, hypothesis's search "
                        "for a smaller failing input included (default %(default)s s)")
    g.add_argument("--submission-timeout", type=_positive, default=Limits.submission_seconds,
                   metavar="S", help="deadline for the whole submission (default %(default)s s)")
    g.add_argument("--isolation", choices=MODES, default="auto",
                   help="sandbox: bubblewrap (no network, no view of your files); process: a "
                        "separate process with resource limits only; auto (default): the sandbox "
                        "where bubblewrap works, else process, and the report says so")
    g.add_argument("--no-fork", action="store_true",
                   help="start workers with spawn only (the path used where fork does not exist)")


def _add_lms_commands(sub: argparse._SubParsersAction) -> None:
    gs = sub.add_parser("gradescope", help="Gradescope's autograder contract: grade ROOT/submission "
                                           "and write ROOT/results/results.json")
    gs.add_argument("--root", type=Path, default=Path(os.environ.get(lms.ROOT_ENV) or lms.DEFAULT_ROOT),
                    help=f"the autograder folder (default: ${lms.ROOT_ENV}, or %(default)s)")
    gs.add_argument("--pack", default=DEFAULT_PACK, choices=sorted(BUILTIN_PACKS))
    gs.add_argument("--reference", type=Path, metavar="DIR",
                    help="the reference solution's folder (default: $AUTOGRADE_REFERENCE)")
    z = sub.add_parser("gradescope-zip", help="build the autograder.zip to upload to Gradescope")
    z.add_argument("out", type=Path, metavar="OUT.zip")
    z.add_argument("--pack", default=DEFAULT_PACK, choices=sorted(BUILTIN_PACKS))
    z.add_argument("--reference", type=Path, metavar="DIR",
                   help="the reference solution to ship (default: $AUTOGRADE_REFERENCE, or "
                        "reference/ in a source checkout)")


def main(argv: list[str] | None = None, *, recipe_books: dict | None = None) -> int:
    """`recipe_books`: given by a grader that grades many submissions (grader/server.py), which
    keeps the recipes of checks (grader/replay.py) from one `grade` to the next."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "grade":
        return _grade(parser, args, recipe_books)
    if args.command == "gradescope":
        return _gradescope(parser, args)
    if args.command == "gradescope-zip":
        return _gradescope_zip(parser, args)
    if args.command == "batch":
        return _batch(parser, args)
    parser.error(f"unknown command {args.command}")
    return 2


def _print(text: str) -> None:
    """Print, and end quietly when the reader went away (`autograde grade ... | head`). SIGPIPE
    stays ignored: a worker that dies must not take the grader with it."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _grade(parser: argparse.ArgumentParser, args: argparse.Namespace,
           recipe_books: dict | None = None) -> int:
    if not args.submission.exists():
        parser.error(f"no such file or folder: {args.submission}")
    if args.reference is not None and not args.reference.is_dir():
        parser.error(f"--reference {args.reference}: no such folder")
    pack = load_pack(args.pack)
    only = _only(parser, pack, args.only)
    outputs = [(option, path) for option, path in
               (("--html", args.html), ("--junit", args.junit), ("--json", args.json)) if path]
    for option, path in outputs:  # before grading: a minute of grading is not lost at the end
        why = output_paths.problem(path)
        if why:
            return _cannot_write("grade", option, path, why)
    limits = Limits(call_seconds=args.call_timeout, import_seconds=args.import_timeout,
                    check_seconds=args.check_timeout, submission_seconds=args.submission_timeout)
    options = Options(reference_dir=args.reference, no_reference=args.no_reference,
                      shim_xrange=not args.no_xrange_shim, limits=limits,
                      use_fork=False if args.no_fork else None, isolation=args.isolation,
                      debug=args.debug)
    try:
        # Recipes hold only for the options they were recorded under.
        recipes = None if recipe_books is None else recipe_books.setdefault(
            (args.pack, str(args.reference), options), RecipeBook())
        with selection.selected(only):
            result = grade(pack, args.submission, options, recipes=recipes)
    except IsolationUnavailable as exc:
        parser.error(str(exc))
    if only is not None:
        result = selection.restrict(result, only)
    if args.submission_label is not None:
        result = dataclasses.replace(result, submission=args.submission_label)
    writers = {"--html": html.write, "--junit": junit.write, "--json": json_report.write}
    for option, path in outputs:  # JSON last: a batch takes a report JSON to mean all are written
        try:
            writers[option](result, path)
        except OSError as exc:  # changed since the check above (a full disk, a removed folder)
            return _cannot_write("grade", option, path, exc.strerror or str(exc))
    _print(terminal.render(result, verbose=args.verbose))
    if args.fail_under is not None and result.score < args.fail_under:
        print(f"autograde: score {result.score:g} is below --fail-under {args.fail_under:g}",
              file=sys.stderr)
        return 1
    return 0


def _only(parser: argparse.ArgumentParser, pack: Pack, names: list[str] | None) -> tuple[str, ...] | None:
    """The functions --only names, checked against the pack (a usage error names its functions)."""
    if names is None:
        return None
    try:
        return selection.validate(pack, names)
    except selection.UnknownFunction as exc:
        parser.error(str(exc))
        raise  # not reached: parser.error exits


def _cannot_write(command: str, option: str, path: Path, why: str) -> int:
    """One line and status 2: a usage error, never 1, which --fail-under gives a low score."""
    print(f"autograde {command}: cannot write {option} {path}: {why}", file=sys.stderr)
    return 2


def _gradescope(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Exit 0 whenever results.json was written, whatever the score (Gradescope reads it)."""
    if not args.root.is_dir():
        parser.error(f"--root {args.root}: no such folder")
    if args.reference is not None and not args.reference.is_dir():
        parser.error(f"--reference {args.reference}: no such folder")
    lms.gradescope(root=args.root, pack=load_pack(args.pack), options=Options(reference_dir=args.reference))
    return 0


def _gradescope_zip(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.reference is not None and not args.reference.is_dir():
        parser.error(f"--reference {args.reference}: no such folder")
    try:
        names = lms.gradescope_zip(out=args.out, reference=args.reference, pack=load_pack(args.pack))
    except lms.LmsError as exc:
        parser.error(str(exc))
    print(f"wrote {args.out} ({len(names)} files): upload it on the assignment's Configure "
          "Autograder page on Gradescope")
    return 0


def _add_batch_command(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("batch", help="grade a folder or .zip of submissions (an LMS bulk download) "
                                     "into per-student reports, gradebook.csv and index.html",
                       description="Grade a whole class: every upload in INPUT, each as `autograde "
                                   "grade` would, into OUTDIR.",
                       epilog=BATCH_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("input", type=Path, metavar="INPUT",
                   help="a folder or .zip holding one upload per student: a .py file, a folder, "
                        "a .zip or a .ipynb notebook (see below)")
    b.add_argument("--out", type=Path, required=True, metavar="OUTDIR",
                   help="where reports/, gradebook.csv and index.html go")
    b.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="submissions graded at once (default: the number of CPUs, %(default)s); "
                        "ignored with --dask")
    b.add_argument("--dask", metavar="ADDRESS",
                   help="grade on the Dask distributed cluster whose scheduler is at ADDRESS "
                        "(e.g. tcp://10.0.0.5:8786) instead of this machine; the same version of "
                        "the grader must be installed on every worker (pip extra [dask] here)")
    b.add_argument("--force", action="store_true",
                   help="regrade every submission, not only those without a report")
    _add_grading_options(b)


def _grade_argv(args: argparse.Namespace) -> list[str]:
    """The grading options of `args` as `autograde grade` takes them (but the reference, which
    the batch finds once and ships with every task)."""
    argv = ["--isolation", args.isolation, "--call-timeout", f"{args.call_timeout:g}",
            "--import-timeout", f"{args.import_timeout:g}",
            "--check-timeout", f"{args.check_timeout:g}",
            "--submission-timeout", f"{args.submission_timeout:g}"]
    if args.no_xrange_shim:
        argv.append("--no-xrange-shim")
    if args.no_fork:
        argv.append("--no-fork")
    return argv


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _batch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Exit 0 when the gradebook was written, 130 when interrupted (run it again to finish)."""
    if not args.input.exists():
        parser.error(f"no such file or folder: {args.input}")
    if args.reference is not None and not args.reference.is_dir():
        parser.error(f"--reference {args.reference}: no such folder")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    only = _only(parser, load_pack(args.pack), args.only)
    why = output_paths.problem(args.out, folder=True)
    if why:
        return _cannot_write("batch", "--out", args.out, why)
    from grader import cluster  # only its error type: distributed itself is imported on --dask
    wall = args.submission_timeout + args.import_timeout + batch.WALL_SLACK_SECONDS
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the batch as Ctrl-C does
    try:
        summary = batch.run(source=args.input, out=args.out, grade_args=_grade_argv(args),
                            jobs=args.jobs, force=args.force, pack=args.pack, wall_seconds=wall,
                            reference=args.reference, no_reference=args.no_reference,
                            dask=args.dask, only=only)
    except cluster.ClusterError as exc:  # one line: what is wrong with the cluster, no usage
        print(f"autograde batch: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # while connecting to a cluster: nothing graded, nothing to write
        print("\nautograde batch: interrupted", file=sys.stderr)
        return 130
    except batch.BatchError as exc:
        parser.error(str(exc))
    print(f"autograde batch: graded {len(summary.graded) + len(summary.failed)} "
          f"({len(summary.changed)} changed since graded, "
          f"{len(summary.failed)} without a report from the grader), "
          f"{len(summary.skipped)} already done, {len(summary.removed)} no longer present, "
          f"in {summary.seconds:g} s; "
          f"{summary.rows} rows in {args.out / 'gradebook.csv'}, overview {args.out / 'index.html'}",
          file=sys.stderr)
    return 130 if summary.interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
