"""Command line: a thin layer over grader.session, so the CLI and the Python API share one path."""
from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
from pathlib import Path

from grader import __version__
from grader.isolation import MODES, IsolationUnavailable
from grader.packs import BUILTIN_PACKS, DEFAULT_PACK, load_pack
from grader.proxy import Limits
from grader.render import html, json_report, terminal
from grader.render import junit
from grader import batch, lms
from grader.replay import RecipeBook
from grader.session import Options, grade


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograde", description=__doc__)
    parser.add_argument("--version", action="version", version=f"autograde {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="grade one submission (.py file, folder, .zip or .ipynb)")
    g.add_argument("submission", type=Path)
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
    g.add_argument("--pack", default=DEFAULT_PACK, choices=sorted(BUILTIN_PACKS))
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
        result = grade(pack, args.submission, options, recipes=recipes)
    except IsolationUnavailable as exc:
        parser.error(str(exc))
    if args.submission_label is not None:
        result = dataclasses.replace(result, submission=args.submission_label)
    if args.html:
        html.write(result, args.html)
    if args.junit:
        junit.write(result, args.junit)
    if args.json:  # last: a batch takes a report JSON to mean every report is written
        json_report.write(result, args.json)
    _print(terminal.render(result, verbose=args.verbose))
    if args.fail_under is not None and result.score < args.fail_under:
        print(f"autograde: score {result.score:g} is below --fail-under {args.fail_under:g}",
              file=sys.stderr)
        return 1
    return 0


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
                                     "into per-student reports, gradebook.csv and index.html")
    b.add_argument("input", type=Path, metavar="INPUT",
                   help="a folder or .zip holding one .py file, folder or .zip per student")
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
    from grader import cluster  # only its error type: distributed itself is imported on --dask
    wall = args.submission_timeout + args.import_timeout + batch.WALL_SLACK_SECONDS
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the batch as Ctrl-C does
    try:
        summary = batch.run(source=args.input, out=args.out, grade_args=_grade_argv(args),
                            jobs=args.jobs, force=args.force, pack=args.pack, wall_seconds=wall,
                            reference=args.reference, no_reference=args.no_reference,
                            dask=args.dask)
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
