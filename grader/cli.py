"""Command line: a thin layer over grader.session, so the CLI and the Python API share one path."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader import __version__
from grader.packs import BUILTIN_PACKS, DEFAULT_PACK, load_pack
from grader.proxy import Limits
from grader.render import json_report, terminal
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
    g.add_argument("--submission-timeout", type=_positive, default=Limits.submission_seconds,
                   metavar="S", help="deadline for the whole submission (default %(default)s s)")
    g.add_argument("--no-fork", action="store_true",
                   help="start workers with spawn only (the path used where fork does not exist)")
    g.add_argument("--verbose", "-v", action="store_true",
                   help="print every failure in full, with counterexamples and captured output")
    g.add_argument("--debug", action="store_true", help="show the grader's own errors in full")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "grade":
        return _grade(parser, args)
    parser.error(f"unknown command {args.command}")
    return 2


def _grade(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if not args.submission.exists():
        parser.error(f"no such file or folder: {args.submission}")
    if args.reference is not None and not args.reference.is_dir():
        parser.error(f"--reference {args.reference}: no such folder")
    pack = load_pack(args.pack)
    limits = Limits(call_seconds=args.call_timeout, import_seconds=args.import_timeout,
                    submission_seconds=args.submission_timeout)
    options = Options(reference_dir=args.reference, no_reference=args.no_reference,
                      shim_xrange=not args.no_xrange_shim, limits=limits,
                      use_fork=False if args.no_fork else None, debug=args.debug)
    result = grade(pack, args.submission, options)
    if args.json:
        json_report.write(result, args.json)
    print(terminal.render(result, verbose=args.verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())
