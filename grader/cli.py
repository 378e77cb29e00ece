"""Command line: parses options and calls the library functions (grader.grading.grade_to_files,
grader.batch.run, grader.lms), so the CLI and the Python API share one path. What a user reads
is DESCRIPTION and each command's help and epilog, not this docstring."""
from __future__ import annotations

import argparse
import atexit
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from grader import __version__
from grader.packs import DEFAULT_PACK, ManifestError, Pack, load_pack
from grader.render import terminal
from grader import grade_command, grading, lms, output_paths, selection
from grader.input_set import MIN_SECRET_CHARS, InputSet, SecretError, weak
from grader.session import Options, ReferenceUnusable
from grader.isolation import MODES

if TYPE_CHECKING:  # a batch's own types: imported by the batch command alone
    from grader.render.gradebook import NotGradedYet


DESCRIPTION = """\
Grade neural networks written from scratch in numpy, one assignment pack at a time: by default
the CS224n (2017) assignment 1 functions sigmoid, sigmoid_grad, softmax, forward_backward_prop
and negSamplingCostAndGradient (`autograde packs` lists the others). Each function is checked
against known values, properties and numerical gradients (and, in an instructor's copy, a
reference solution); the report says what was called, what came back and what was expected.
Student code runs in a separate, restricted worker process."""

EPILOG = """\
examples:
  autograde grade my_submission.py             check your work before you submit
  autograde grade my_submission.py --only softmax
  autograde batch uploads.zip --out grades/    grade a class (an LMS bulk download)
  autograde gradescope-zip autograder.zip      build the zip to upload to Gradescope
  autograde audit --pack cs224n-a1             does the pack's reference pass its own checks?

Run `autograde COMMAND --help` for a command's options and examples."""

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
  Blackboard: Assignment1_jsmith_attempt_2026-11-01-10-00-00_hw1.py -> jsmith
  Brightspace: "123-456 - Ann Lee - Nov 1, 2026 1000 AM - hw1.py"   -> Ann_Lee
The files one student handed in one by one (named as above) are graded as one submission.

OUTDIR gets reports/STUDENT.json and .html, gradebook.csv and index.html (the class overview).
Run it again after a new bulk download: only new uploads and uploads whose content changed are
graded; reports of uploads no longer there are kept and marked in the overview.

examples:
  autograde batch uploads.zip --out grades/
  autograde batch uploads/ --out grades/ --jobs 4 --reference path/to/reference
  autograde batch uploads.zip --out grades-softmax/ --only softmax   one function, for everyone
  autograde batch uploads.zip --out grades/ --dask tcp://10.0.0.5:8786

exit status: 0 when the gradebook was written; 2 on a usage error (no such INPUT, an OUTDIR that
cannot be written or holds another pack's reports, an unknown --only function, an unusable
cluster, reports that --only or a run without the course secret would replace: --force replaces
them); 3 when INPUT holds no upload at all (nothing is graded or written); 130 when interrupted
(run the same command again to finish)."""


GRADESCOPE_EPILOG = """\
examples:
  autograde gradescope                          as run_autograder runs it, in /autograder
  autograde gradescope --root /tmp/autograder   a folder laid out like Gradescope's

exit status: 0 whenever results/results.json was written (an empty upload or a failure of the
grader still writes one, score 0, saying what happened); 2 on a usage error (a --root that does
not exist)."""

GRADESCOPE_ZIP_EPILOG = """\
examples:
  autograde gradescope-zip autograder.zip --secret-file ~/course/autograde-secret
  autograde gradescope-zip autograder.zip --pack cbow --reference ~/course/cbow-solution

exit status: 0 when the zip was written; 2 when it was not: a usage error, a reference that is
missing, cannot be loaded or fails its own pack's checks, a pack whose checks cannot run, or a
pack file that is (or holds) the reference."""

STUDENT_RELEASE_EPILOG = """\
examples:
  autograde student-release ../autograde-students
  autograde student-release ../cbow-release --pack cbow

exit status: 0 when OUT was written; 2 when it was not: a usage error, an OUT that is neither
empty nor an earlier release, a reference that cannot be loaded or fails its own pack's checks, a
pack whose checks cannot run (alone, as students get it), or a file that is (or holds) the
reference."""


PACK_HELP = ("the assignment: a pack's name (`autograde packs` lists them) or the folder of a "
             "pack (default: %(default)s)")
CONFIG_HELP = "a course config (TOML) changing the pack's points, visibility and deadlines"
# The zip and the release ship the grader package with its built-in packs, and a pack outside it
# as a folder of its own.
SHIPPED_PACK_HELP = ("the assignment: a pack's name or folder, shipped with the grader (a pack "
                     "outside the package as the folder pack/, without its reference) "
                     "(default: %(default)s)")

PACKS_EPILOG = """\
A pack is a folder: pack.toml (the manifest), checks/, and optionally reference/,
student_template/, support/ and known_answers.json (see README.md, "Writing a pack"). Packs are
found by name among the built-in ones, then in the folders listed in $AUTOGRADE_PACKS, then in
installed distributions' `autograde.packs` entry points. Any pack's folder can also be given as
a path: autograde grade upload.py --pack path/to/my-pack"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograde", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"autograde {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="grade one submission (.py file, folder, .zip or .ipynb)",
                       description=grade_command.DESCRIPTION, epilog=grade_command.EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    grade_command.add_arguments(g)
    _add_lms_commands(sub)
    _add_batch_command(sub)
    sub.add_parser("packs", help="list the assignment packs that can be named with --pack",
                   description="List the built-in and installed assignment packs: name, title, "
                               "functions with their points, and the folder.",
                   epilog=PACKS_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    n = sub.add_parser("new-pack", help="write the folder of a new assignment pack, to fill in",
                       description="Write a new pack into FOLDER (made, or empty): pack.toml, "
                                   "a module of checks per function, the pack's catalogue of "
                                   "mistakes, and stubs in reference/ and student_template/. It "
                                   "loads and grades as written; write the reference, then the "
                                   "checks, and run `autograde audit --pack FOLDER`.",
                       epilog=NEW_PACK_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    n.add_argument("folder", type=Path, metavar="FOLDER")
    n.add_argument("--function", action="append", default=[], metavar="SIGNATURE",
                   help="a graded function, as relu(x) or relu (one parameter, x); repeat it "
                        "for each function")
    n.add_argument("--home", default="solution", metavar="MODULE",
                   help="the module students write the functions in: MODULE.py "
                        "(default: solution)")
    n.add_argument("--name", help="the pack's name (default: FOLDER's name)")
    n.add_argument("--title", help="one line shown in reports and `autograde packs`")
    return parser


NEW_PACK_EPILOG = """example:
  autograde new-pack my-course/relu-pack --function 'relu(x)' --function 'scaled_sum(x)' --home layers
  (write my-course/relu-pack/reference/layers.py, then)
  autograde audit --pack my-course/relu-pack
  autograde grade my-course/relu-pack/student_template --pack my-course/relu-pack
"""


def _add_lms_commands(sub: argparse._SubParsersAction) -> None:
    gs = sub.add_parser("gradescope", help="Gradescope's autograder contract: grade ROOT/submission "
                                           "and write ROOT/results/results.json",
                        description="Grade ROOT/submission as Gradescope's image runs it (its "
                                    "run_autograder calls this) and write "
                                    "ROOT/results/results.json.",
                        epilog=GRADESCOPE_EPILOG,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    gs.add_argument("--root", type=Path, default=Path(os.environ.get(lms.ROOT_ENV) or lms.DEFAULT_ROOT),
                    help=f"the autograder folder (default: ${lms.ROOT_ENV}, or %(default)s)")
    gs.add_argument("--pack", default=DEFAULT_PACK, metavar="NAME_OR_PATH", help=PACK_HELP)
    gs.add_argument("--config", type=Path, metavar="FILE", help=CONFIG_HELP)
    grade_command.add_mode_option(gs)
    gs.add_argument("--isolation", choices=MODES,
                    default=os.environ.get(lms.ISOLATION_ENV) or "auto",
                    help="sandbox: grade only in bubblewrap's sandbox (without it, every "
                         "submission gets 0 and a line saying the autograder must be fixed); "
                         "auto: the sandbox where it works, else process isolation, said in the "
                         f"instructor's log; process: process isolation only (default: "
                         f"${lms.ISOLATION_ENV}, or auto)")
    gs.add_argument("--reference", type=Path, metavar="DIR",
                    help="the reference solution's folder (default: $AUTOGRADE_REFERENCE)")
    grade_command.add_secret_options(gs)
    z = sub.add_parser("gradescope-zip", help="build the autograder.zip to upload to Gradescope",
                       description="Build the autograder.zip to upload to Gradescope: the grader, "
                                   "the pack, the reference (readable by root only in the image), "
                                   "and the course config, secret, mode and isolation to apply.",
                       epilog=GRADESCOPE_ZIP_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    z.add_argument("out", type=Path, metavar="OUT.zip")
    z.add_argument("--pack", default=DEFAULT_PACK, metavar="NAME_OR_PATH", help=SHIPPED_PACK_HELP)
    z.add_argument("--reference", type=Path, metavar="DIR",
                   help="the reference solution to ship (default: $AUTOGRADE_REFERENCE, or "
                        "reference/ in a source checkout; required for an installed grader)")
    z.add_argument("--config", type=Path, metavar="FILE",
                   help="a course config (TOML) to ship: every submission is graded with it")
    grade_command.add_mode_option(z)
    z.add_argument("--isolation", choices=MODES,
                   help="the isolation every submission is graded in (`sandbox`: never without "
                        "it); run_autograder passes it to `autograde gradescope` (default: auto)")
    grade_command.add_secret_options(z)
    k = sub.add_parser("known-answers",
                       help="compute, from the reference, the expected outputs on the public "
                            "inputs that a student's copy compares with (it ships no reference)",
                       description="Grade the reference with itself on the public inputs and "
                                   "write every answer the checks asked it for, with the "
                                   "examples they were asked on. The pack's file is what "
                                   "`autograde grade --no-reference` compares values with.",
                       epilog="examples:\n"
                              "  autograde known-answers --reference reference/ --out "
                              "grader/packs/cs224n_a1/known_answers.json\n"
                              "  autograde known-answers --reference reference/ --check   "
                              "does the shipped file still hold?",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    k.add_argument("--pack", default=DEFAULT_PACK, metavar="NAME_OR_PATH", help=PACK_HELP)
    k.add_argument("--reference", type=Path, metavar="DIR",
                   help="the reference solution's folder (default: as for grade)")
    what = k.add_mutually_exclusive_group(required=True)
    what.add_argument("--out", type=Path, metavar="FILE", help="write the known answers here")
    what.add_argument("--check", action="store_true",
                      help="check the pack's known answers against the reference instead "
                           "(exit 1 when they do not hold)")
    a = sub.add_parser("audit",
                       help="check a pack's reference against the pack's own properties and "
                            "numerical gradients, in each of its modes, and its known answers",
                       description="Grade the pack's reference as a submission, with itself as "
                                   "the reference, in every mode of the pack: the values checks "
                                   "hold by construction, so what fails is a property or a "
                                   "gradient check (central differences of the reference's own "
                                   "cost) that the reference does not meet. Then check that the "
                                   "pack's known answers are the reference's. Exit 1 when "
                                   "anything does not hold.",
                       epilog="examples:\n  autograde audit --pack cs224n-a1\n"
                              "  autograde audit --pack path/to/my-pack --reference "
                              "path/to/solution --json audit.json",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--pack", default=DEFAULT_PACK, metavar="NAME_OR_PATH", help=PACK_HELP)
    a.add_argument("--reference", type=Path, metavar="DIR",
                   help="the reference solution's folder (default: as for grade)")
    a.add_argument("--json", type=Path, metavar="PATH", help="also write the audit as JSON here")
    s = sub.add_parser("student-release",
                       help="write the grader students may read (no reference, no tests) into OUT, "
                            "to push as the public repository their CI installs from",
                       description="Write the grader students may read into OUT: the grader, the "
                                   "pack with its known answers, the student template and a "
                                   "README; never the reference.",
                       epilog=STUDENT_RELEASE_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("out", type=Path, metavar="OUT")
    s.add_argument("--pack", default=DEFAULT_PACK, metavar="NAME_OR_PATH", help=SHIPPED_PACK_HELP)
    s.add_argument("--reference", type=Path, metavar="DIR",
                   help="the reference the release is checked against, so no copy of it ships "
                        "(default: as for gradescope-zip)")
    s.add_argument("--config", type=Path, metavar="FILE",
                   help="a course config (TOML) the students' copy grades with by default, as "
                        "your grader does with it: points, visibility, deadlines, mode")
    s.add_argument("--template", type=Path, metavar="DIR",
                   help="the student template to ship as student_template/ (default: the "
                        "pack's, in a source checkout; an installed grader has none)")
    # Never shipped: its README says the class is graded on inputs drawn from it only when it is.
    grade_command.add_secret_options(s)


def run() -> None:
    """The `autograde` program (and `python -m grader`): main(), then exit without tearing the
    interpreter down. Once the reports are written and printed nothing is left to do, and
    unloading numpy, pytest and hypothesis module by module costs about 0.1 s of every grade.
    Exit handlers still run; when a thread that is not a daemon still works, the exit is the
    ordinary one, which waits for it."""
    from grader.session import settle_heap
    settle_heap()
    _printable_anywhere()
    status = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    if any(t.is_alive() and not t.daemon for t in threading.enumerate()
           if t is not threading.main_thread()):
        sys.exit(status)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status if isinstance(status, int) else 1)


def _printable_anywhere() -> None:
    """Standard output that cannot encode every character (Windows' cp1252 when redirected, a C
    locale elsewhere) shows the ones it cannot as "?": a sigma in a student's message or file
    name raised UnicodeEncodeError there, and the terminal report was lost (exit 70)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if "utf" not in (getattr(stream, "encoding", "") or "").lower().replace("-", ""):
                stream.reconfigure(errors="replace")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        _refuse_extra(parser, args, extra)
    try:
        return _command(parser, args)
    except KeyboardInterrupt:  # audit, known-answers, ...: a line, never a traceback
        print(f"\nautograde {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 (a bug of the grader's: a line, the rest in a file)
        from grader import crash
        kept = crash.keep(exc, str(args.command))
        print(f"autograde {args.command}: the grader itself failed ({crash.describe(exc)}): a "
              "bug in the grader, not in what it was given."
              + (f" The details for its maintainers are in {kept}." if kept else ""),
              file=sys.stderr)
        return 70  # EX_SOFTWARE


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The parser of `command`: its errors print its own usage, not the whole tool's."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return parser


def _refuse_extra(parser: argparse.ArgumentParser, args: argparse.Namespace,
                  extra: list[str]) -> None:
    """Arguments no option takes, refused as argparse refuses them; files beside the one graded
    (a shell's `autograde grade *.py`) are told to be given as their folder (probe s59)."""
    files = [name for name in extra if not name.startswith("-") and Path(name).exists()]
    if args.command == "grade" and files and len(files) == len(extra):
        given = [str(args.submission), *files]
        folders = {str(Path(name).parent) for name in given}
        folder = folders.pop() if len(folders) == 1 else "FOLDER"
        _subparser(parser, "grade").error(
            f"grade takes one submission, and {len(given)} were given ({', '.join(given[:4])}"
            f"{', ...' if len(given) > 4 else ''}): the files of one upload are graded together "
            f"as their folder: autograde grade {folder}")
    _subparser(parser, str(args.command)).error(f"unrecognized arguments: {' '.join(extra)}")


def _command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command in ("grade", "gradescope"):
        return _interruptible(args.command, _grade if args.command == "grade" else _gradescope,
                              parser, args)
    if args.command == "gradescope-zip":
        return _gradescope_zip(parser, args)
    if args.command == "student-release":
        return _student_release(parser, args)
    if args.command == "known-answers":
        return _known_answers(parser, args)
    if args.command == "audit":
        return _audit(parser, args)
    if args.command == "batch":
        return _batch(parser, args)
    if args.command == "packs":
        return _packs()
    if args.command == "new-pack":
        return _new_pack(parser, args)
    parser.error(f"unknown command {args.command}")
    return 2


def _warn_if_answers_drift(command: str, pack: Pack, reference: Path | None,
                          disabled: bool = False) -> None:
    """One line when the reference graded with is not the one the pack's known answers were
    made from: students' copies compare with those answers, and a reference edited during the
    term (a bug fixed, or made) grades them otherwise, silently (100 there, 65 here)."""
    from grader import known_answers, make_known_answers, reference as reference_mod
    ref_dir = reference_mod.locate(pack, reference, disabled)
    if ref_dir is None or not Path(ref_dir).is_dir() or pack.known_answers is None \
            or not Path(pack.known_answers).is_file():
        return
    if not make_known_answers.reference_files(pack, Path(ref_dir)):
        return  # no reference there at all: said as such where it is used
    try:
        answers = known_answers.KnownAnswers.load(pack.known_answers, pack.root)
        changed = make_known_answers.files_changed(pack, Path(ref_dir), answers)
    except (known_answers.KnownAnswersError, OSError):
        return  # the audit says what is wrong with the file
    if changed:
        print(f"autograde {command}: the reference at {ref_dir} is not the one the pack's known "
              "answers were made from (its files changed since): students' copies compare "
              "values with those answers, and disagree with this grader wherever an answer "
              "changed. `autograde known-answers --check` (with that reference) says whether "
              "any did", file=sys.stderr)


def _stale_answers_refused(command: str, pack: Pack, reference: Path | None) -> bool:
    """Say so, and True, when the known answers this command would ship no longer hold for the
    pack's checks and reference (`known-answers --check`): every student's copy would ask other
    inputs than the instructor's grader, or compare with answers the reference no longer gives
    (a check edited after the file was made shipped with exit 0, probe s55). A built-in pack's
    are held to this by the grader's own tests."""
    from grader import known_answers, make_known_answers, reference as reference_mod
    ref_dir = reference_mod.locate(pack, reference)
    if ref_dir is None or not Path(ref_dir).is_dir() or pack.known_answers is None \
            or not Path(pack.known_answers).is_file() or reference_mod.is_built_in(pack):
        return False
    try:
        answers = known_answers.KnownAnswers.load(pack.known_answers, pack.root)
        problems = make_known_answers.verify(pack, Path(ref_dir), answers,
                                             answers_path=pack.known_answers)
    except known_answers.KnownAnswersError as exc:
        problems = [str(exc)]
    if problems:
        print(f"autograde {command}: the pack's known answers ({pack.known_answers}) do not hold "
              f"for its checks and the reference at {ref_dir}, and every student's copy grades "
              f"with them: {'; '.join(problems)}. Make them again with `autograde known-answers "
              f"--pack {pack.root or pack.checks_dir.parent} --out {pack.known_answers}`",
              file=sys.stderr)
    return bool(problems)


def _checks_refused(command: str, pack: Pack) -> bool:
    """Say so, and True, when the pack's checks cannot run at all (a module that does not
    import, a misspelt marker, a function no check grades): before a command that grades a class,
    ships the pack or records its answers does anything with them."""
    from grader import session
    problems = session.checks_problems(pack)
    if problems:
        print(f"autograde {command}: {session.ChecksBroken(pack.name, problems)}", file=sys.stderr)
    return bool(problems)


def _reference_refused(command: str, pack: Pack, reference: Path | None,
                       inputs: InputSet | None = None) -> bool:
    """Say so, and True, when the reference this command would use cannot be loaded (it lacks a
    graded function, it does not import) or fails its own pack's checks
    (grader/reference_check.py), as a batch refuses it. No reference here is left to the
    command."""
    from grader import reference as reference_mod, reference_check
    ref_dir = reference_mod.locate(pack, reference)
    if ref_dir is None or not Path(ref_dir).is_dir():
        return False
    if _unloadable_reference(command, pack, Path(ref_dir)):
        return True
    failing = reference_check.failures(pack, Path(ref_dir), **(
        {"inputs": inputs} if inputs is not None else {}))
    if failing:
        print(f"autograde {command}: {reference_check.refusal(pack, Path(ref_dir), failing)}",
              file=sys.stderr)
    return bool(failing)


def _load(parser: argparse.ArgumentParser, name: str, config: Path | None = None,
          mode: str | None = None) -> Pack:
    """The pack --pack names (with --config, in --mode): a pack that cannot be used is a usage
    error."""
    if config is not None and not Path(config).is_file():
        parser.error(f"--config {config}: "
                     + ("a folder, not a file" if Path(config).is_dir() else "no such file"))
    try:
        return grade_command.with_mode(load_pack(name, config), mode)
    except ManifestError as exc:
        # The command line was right; the pack (or its config) is not: one line, no usage.
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _new_pack(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from grader import new_pack
    try:
        functions = [new_pack.parse_function(text) for text in args.function]
        written = new_pack.write(args.folder, functions, args.home, args.name, args.title)
    except new_pack.NewPackError as exc:
        print(f"{parser.prog} new-pack: {exc}", file=sys.stderr)
        return 2
    folder = args.folder
    _print("\n".join([f"wrote the pack {folder}:", *(f"  {p.relative_to(folder)}" for p in written),
                      "next:",
                      f"  1. write the solution in {folder / 'reference' / (args.home + '.py')}",
                      f"  2. put the handout's inputs and properties in {folder / 'checks'}",
                      f"  3. autograde audit --pack {folder}",
                      f"  4. autograde known-answers --pack {folder} --out "
                      f"{folder / 'known_answers.json'}  (for students' copies)"]))
    return 0


def _packs() -> int:
    """Every pack that can be named: one line each, then its functions; a pack whose manifest
    does not hold is listed with what is wrong, so one broken pack does not hide the others."""
    from grader.packs import Found, available, folders_here, how_to_name, manifest
    seen: set[str] = set()
    lines = []
    listed = available()
    if not listed:
        # An install that carries only its own pack in a folder (a Gradescope zip or image, a
        # student release of an outside pack) printed nothing at all (recheck probe s58).
        lines.append(f"no built-in or installed pack here: {how_to_name(folders_here())}")
    # Those folders are what --pack takes here: listed with what they grade.
    for found in listed + [Found(f.name, f, f"--pack {f}") for f in folders_here()]:
        shadowed = " (shadowed by the pack above of the same name)" if found.name in seen else ""
        seen.add(found.name)
        try:
            pack = manifest.read(found.folder)
        except ManifestError as exc:
            lines.append(f"{found.name}  [{found.source}] {found.folder}{shadowed}\n"
                         f"    cannot be used: {exc}")
            continue
        functions = ", ".join(f"{f.name} {f.points:g}" for f in pack.functions)
        modes = "".join(f"\n    mode {name}{' (default)' if name == pack.mode else ''}: {text}"
                        for name, text in pack.modes.items())
        lines.append(f"{found.name}  {pack.title}  [{found.source}]{shadowed}\n"
                     f"    {pack.max_score:g} points: {functions}{modes}\n    {found.folder}")
    _print("\n".join(lines))
    return 0


def _print(text: str) -> None:
    """Print, and end quietly when the reader went away (`autograde grade ... | head`). SIGPIPE
    stays ignored: a worker that dies must not take the grader with it."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _onto_stdout(*paths: Path | None) -> bool:
    """Whether a report was written to this process's standard output (`--json /dev/stdout`,
    `--html /dev/fd/1`): the same open file, not only the same name."""
    try:
        out = os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    for path in paths:
        try:
            if path is not None and os.path.samestat(os.stat(path), out):
                return True
        except OSError:
            continue
    return False


def _grade(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    try:
        call = grade_command.keywords(args)
        _warn_if_weak(call["options"].input_set)
        result = grading.grade_to_files(**call)
    except (grading.CannotWrite, grading.ChecksBroken, grading.BadPack,
            grading.RootWorkersRefused) as exc:  # no usage:
        # the command line was right
        print(f"autograde grade: {exc}", file=sys.stderr)
        return 2
    except grading.UsageError as exc:
        _subparser(parser, "grade").error(str(exc))
    # Green for "all passed" only where a terminal shows it (and NO_COLOR does not ask otherwise).
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    text = terminal.render(result, verbose=args.verbose, color=color)
    if _onto_stdout(args.json, args.html, args.junit):
        # `--json /dev/stdout | jq .`: the report goes where the reader waits for it alone.
        print(text, file=sys.stderr, flush=True)
    else:
        _print(text)
    if grade_command.below(args, result):
        print(f"autograde: score {result.score:g} is below --fail-under {args.fail_under:g}",
              file=sys.stderr)
        return 1
    return 0


def _warn_if_weak(chosen: InputSet) -> None:
    if weak(chosen):
        print(f"autograde: the course secret is shorter than {MIN_SECRET_CHARS} characters; a "
              "longer one is harder to guess from the failing inputs reports show",
              file=sys.stderr)


def _only(parser: argparse.ArgumentParser, pack: Pack, names: list[str] | None) -> tuple[str, ...] | None:
    """The functions --only names, checked against the pack (a usage error names its functions)."""
    if names is None:
        return None
    try:
        return selection.validate(pack, names)
    except selection.UnknownFunction as exc:
        parser.error(str(exc))
        raise  # not reached: parser.error exits


def _gradescope(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Exit 0 whenever results.json was written, whatever the score (Gradescope reads it)."""
    if not args.root.is_dir():
        parser.error(f"--root {args.root}: "
                     + ("a file, not a folder" if args.root.exists() else "no such folder")
                     + " (the autograder folder, holding submission/)")
    if args.reference is not None and not args.reference.is_dir():
        parser.error(f"--reference {args.reference}: "
                     + ("a file, not a folder" if args.reference.exists() else "no such folder"))
    try:
        chosen = grade_command.input_set(args)
    except SecretError as exc:
        # The secret (a file that cannot be read, an empty one): one line, no usage.
        print(f"autograde gradescope: {exc}", file=sys.stderr)
        return 2
    chosen_pack = _load(parser, args.pack, args.config, args.mode)
    if args.isolation not in MODES:  # from the environment: argparse checks only what is typed
        parser.error(f"${lms.ISOLATION_ENV}={args.isolation!r}: expected one of {', '.join(MODES)}")
    unused = _secret_without_reference(chosen_pack, args.reference, chosen)
    if unused:
        # As a secret file that cannot be read stops the grade: graded on, the class got the
        # public inputs, whose answers every student's copy holds, with a warning no student
        # or LMS reads (probe s58).
        print(f"autograde gradescope: {unused}", file=sys.stderr)
        return 2
    try:
        lms.gradescope(root=args.root, pack=chosen_pack,
                       options=Options(reference_dir=args.reference, input_set=chosen,
                                       isolation=args.isolation,
                                       limits=grade_command.Limits(**chosen_pack.deadlines)))
    except ReferenceUnusable as exc:
        # Graded on, a correct upload scored 0 with "graded WITHOUT the reference" (it was
        # there); one that did not import gave "the autograder itself failed" (probe s61).
        print(f"autograde gradescope: {exc}", file=sys.stderr)
        return 2
    return 0


GRADESCOPE_DEFAULT_TIMEOUT = 600  # seconds: Gradescope's autograder timeout unless raised
SLACK_SECONDS = 60  # the grader's start, a last call running past the budget, results.json


def _gradescope_timeout_advice(limits: "grade_command.Limits") -> str:
    """The longest a grade can take with these deadlines, against Gradescope's timeout: past it,
    Gradescope stops run_autograder before any results.json exists (probe s58: a config's
    submission_seconds = 1500 was accepted without a word)."""
    worst = limits.import_seconds + limits.submission_seconds + SLACK_SECONDS
    minutes = -(-worst // 60)
    said = (f"a submission that hangs everywhere takes up to {minutes:g} minutes here (import "
            f"{limits.import_seconds:g} s, checks {limits.submission_seconds:g} s, and "
            f"{SLACK_SECONDS} s for the rest)")
    if worst <= GRADESCOPE_DEFAULT_TIMEOUT:
        return f"{said}: Gradescope's default autograder timeout of 10 minutes is enough"
    return (f"{said}: set the autograder timeout on Gradescope's Configure Autograder page to "
            f"at least {minutes:g} minutes, or it stops such a run before it writes a result")


def _secret_without_reference(pack: Pack, reference: Path | None, chosen: InputSet) -> str:
    """"" or why the course secret given cannot be used: its inputs are judged against the
    reference, and none is where the grader looks."""
    from grader import make_known_answers, reference as reference_mod
    if not chosen.is_secret:
        return ""
    found = reference_mod.locate(pack, reference)
    wanted = sorted(set(pack.homes.values()))
    held = {p.stem for p in make_known_answers.reference_files(pack, Path(found))} \
        if found is not None and Path(found).is_dir() else set()
    if found is not None and held >= set(wanted):
        return ""
    lacking = ", ".join(f"{home}.py" for home in wanted if home not in held)
    where = ("no reference folder was given or found" if found is None else
             f"{found} does not exist" if not Path(found).exists() else
             f"{found} is not a folder" if not Path(found).is_dir() else
             f"{found} lacks {lacking}")
    return (f"a course secret was given, but {where}: its inputs can only be judged against the "
            "reference. Nothing was graded; set AUTOGRADE_REFERENCE (or --reference) to the "
            "reference's folder, or remove the secret to grade on the public inputs.")


def _gradescope_zip(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.reference is not None and not args.reference.is_dir():
        parser.error(f"--reference {args.reference}: no such folder")
    try:
        chosen = grade_command.input_set(args)
    except SecretError as exc:
        # The secret (a file that cannot be read, an empty one): one line, no usage.
        print(f"autograde gradescope-zip: {exc}", file=sys.stderr)
        return 2
    _warn_if_weak(chosen)
    # Loaded as it will grade, so a config or mode that does not hold is refused here, not in
    # Gradescope's image.
    graded_with = _load(parser, args.pack, args.config, args.mode)
    if _checks_refused("gradescope-zip", graded_with):
        return 2
    if _reference_refused("gradescope-zip", graded_with, args.reference, chosen):
        return 2
    if _stale_answers_refused("gradescope-zip", graded_with, args.reference):
        return 2
    why = output_paths.problem(args.out)
    if why:  # before the zip is built, as grade and batch do for theirs
        parser.error(f"{args.out}: cannot write the zip there ({why})")
    _warn_if_answers_drift("gradescope-zip", graded_with, args.reference)
    try:
        names = lms.gradescope_zip(out=args.out, reference=args.reference, pack=_load(parser, args.pack),
                                   secret=chosen.secret, config=args.config, mode=args.mode,
                                   isolation=args.isolation)
    except lms.LmsError as exc:  # the command was right; what it would ship is not: no usage
        print(f"autograde gradescope-zip: {exc}", file=sys.stderr)
        return 2
    # A config can move the total off the pack's (150, 97.5): Gradescope's assignment must say it.
    print(f"wrote {args.out} ({len(names)} files): upload it on the assignment's Configure "
          f"Autograder page on Gradescope; make the assignment worth {graded_with.max_score:g} "
          "points, what every submission is graded out of")
    print(_gradescope_timeout_advice(grade_command.Limits(**graded_with.deadlines)))
    if not chosen.is_secret:
        print("autograde gradescope-zip: no course secret (--secret, --secret-file or "
              "$AUTOGRADE_SECRET): submissions are graded on the public inputs, which every "
              "student's copy of the grader can log", file=sys.stderr)
    return 0


def _student_release(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from grader import reference as reference_mod, release
    if args.reference is not None and not args.reference.is_dir():
        parser.error(f"--reference {args.reference}: no such folder")
    if args.template is not None and not args.template.is_dir():
        parser.error(f"--template {args.template}: no such folder")
    if args.config is not None:
        _load(parser, args.pack, args.config)  # one that does not hold is refused here
    pack = _load(parser, args.pack)
    try:
        chosen = grade_command.input_set(args)
    except SecretError as exc:  # a file that cannot be read, an empty one: one line, no usage
        print(f"autograde student-release: {exc}", file=sys.stderr)
        return 2
    # Checks that cannot run, or a mistake id no catalogue holds, would reach every student's
    # copy (a KeyError shown as "the grader itself failed" on a wrong upload).
    if _checks_refused("student-release", pack):
        return 2
    # Its known answers are what every student's copy grades against.
    if _reference_refused("student-release", pack, args.reference, chosen):
        return 2
    if _stale_answers_refused("student-release", pack, args.reference):
        return 2
    try:
        _warn_if_answers_drift("student-release", pack, args.reference)
        names = release.student_release(out=args.out, pack=pack, template=args.template,
                                        config=args.config, secret=chosen.is_secret,
                                        reference=reference_mod.locate(pack, args.reference))
    except release.ReleaseError as exc:  # the command was right; what it would ship is not
        print(f"autograde student-release: {exc}", file=sys.stderr)
        return 2
    if pack.known_answers is None or not Path(pack.known_answers).is_file():
        print(f"autograde student-release: the pack {pack.name} has no known answers: a "
              "student's copy can run only the checks that need no reference, and skips the "
              "others (`autograde known-answers --pack ... --out ...` makes them)",
              file=sys.stderr)
    if not any(name.startswith("student_template/") for name in names):
        print("autograde student-release: no student template here (an installed grader "
              "carries none): the release has no student_template/, and its README names none. "
              "Pass --template DIR to ship one.", file=sys.stderr)
    print(f"wrote {args.out} ({len(names)} files, no reference): commit and push it to the "
          "repository students install from")
    return 0


def _known_answers(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from grader import known_answers, make_known_answers, reference as reference_mod
    pack = _load(parser, args.pack)
    ref_dir = reference_mod.locate(pack, args.reference)
    if ref_dir is None or not ref_dir.is_dir():
        named = reference_mod.missing_named(pack)
        parser.error(f"{named}: give --reference DIR" if named
                     else "no reference folder: give --reference DIR")
    if _checks_refused("known-answers", pack):  # an empty file would replace a good one
        return 2
    if _unloadable_reference("known-answers", pack, Path(ref_dir)):  # not "a bug" (exit 70)
        return 2
    if args.check:
        if pack.known_answers is None or not pack.known_answers.is_file():
            print(f"autograde known-answers: the pack {pack.name} ships no known answers",
                  file=sys.stderr)
            return 1
        changed = False
        try:
            answers = known_answers.KnownAnswers.load(pack.known_answers, pack.root)
            problems = make_known_answers.verify(pack, ref_dir, answers,
                                                 answers_path=pack.known_answers)
            changed = make_known_answers.files_changed(pack, ref_dir, answers)
        except known_answers.KnownAnswersError as exc:
            problems = [str(exc)]
        for problem in problems:
            print(f"autograde known-answers: {problem}", file=sys.stderr)
        if not problems:
            print(f"{pack.known_answers}: the known answers hold for the reference at {ref_dir} "
                  "and the pack's checks"
                  + (" (its files changed since the file was made, and it still gives every "
                     "answer the file holds; `autograde known-answers --out` records its new "
                     "files, and nothing else changes)" if changed else ""))
        return 1 if problems else 0
    why = output_paths.problem(args.out)
    if why:
        print(f"autograde known-answers: cannot write --out {args.out}: {why}", file=sys.stderr)
        return 2
    try:
        answers = make_known_answers.make(pack, ref_dir)
    except known_answers.KnownAnswersError as exc:
        print(f"autograde known-answers: {exc}", file=sys.stderr)
        return 1
    args.out.write_text(answers.to_json(), encoding="utf-8")
    calls = sum(len(entry.calls) for entry in answers.checks.values())
    print(f"wrote {args.out}: {calls} answers for {len(answers.checks)} checks")
    return 0


def _unloadable_reference(command: str, pack: Pack, ref_dir: Path) -> bool:
    """Say why, and True, when the reference at `ref_dir` cannot be loaded: the instructor's
    own code, loaded here as a batch loads it before grading anything."""
    from grader import reference as reference_mod
    try:
        reference_mod.load(pack, ref_dir)
    except (reference_mod.ReferenceError, OSError, SyntaxError, ImportError) as exc:
        print(f"autograde {command}: the reference at {ref_dir} cannot be used ({exc})",
              file=sys.stderr)
        return True
    return False


def _audit(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from grader import audit, reference as reference_mod
    pack = _load(parser, args.pack)
    if args.reference is not None and not args.reference.is_dir():
        parser.error(f"--reference {args.reference}: no such folder")
    ref_dir = reference_mod.locate(pack, args.reference)
    if ref_dir is None or not Path(ref_dir).is_dir():
        named = reference_mod.missing_named(pack)
        parser.error(f"{named}: give --reference DIR" if named
                     else f"the pack {pack.name} has no reference here: give --reference DIR")
    if args.json is not None:
        why = output_paths.problem(args.json)
        if why:
            print(f"autograde audit: cannot write --json {args.json}: {why}", file=sys.stderr)
            return 2
    if _checks_refused("audit", pack):
        return 2
    if _unloadable_reference("audit", pack, Path(ref_dir)):  # not "a bug in the grader" (70)
        return 2
    found = audit.run(pack, Path(ref_dir))
    _print(audit.render(found))
    if args.json is not None:
        args.json.write_text(json.dumps(found.to_dict(), indent=2) + "\n", encoding="utf-8")
    return 0 if found.holds else 1


def _add_batch_command(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("batch", help="grade a folder or .zip of submissions (an LMS bulk download) "
                                     "into per-student reports, gradebook.csv and index.html",
                       description="Grade a whole class: every upload in INPUT, each as `autograde "
                                   "grade` would, into OUTDIR.",
                       epilog=BATCH_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("input", type=Path, metavar="INPUT",
                   help="a folder or .zip holding one upload per student: a .py file, a folder, "
                        "a .zip or .tar.gz, or a .ipynb notebook (see below)")
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
    b.add_argument("--no-similarity", action="store_true",
                   help="leave out of index.html the groups of submissions that gave identical "
                        "wrong answers")
    grade_command.add_grading_options(b)


def _grade_argv(args: argparse.Namespace) -> list[str]:
    """The grading options of `args` as `autograde grade` takes them (but the reference and the
    course config, which the batch reads once and ships with every task, and the pack, which
    each task names or carries)."""
    argv = ["--isolation", args.isolation]
    for option in grade_command.TIMEOUT_OPTIONS.values():  # the rest: the pack's and config's
        if getattr(args, option) is not None:
            argv += [f"--{option.replace('_', '-')}", f"{getattr(args, option):g}"]
    if args.mode is not None:
        argv += ["--mode", args.mode]
    if args.no_xrange_shim:
        argv.append("--no-xrange-shim")
    if args.no_numpy_shim:
        argv.append("--no-numpy-shim")
    if args.no_fork:
        argv.append("--no-fork")
    if args.known_answers is not None:  # a path on this machine: not for --dask workers
        argv += ["--known-answers", str(Path(args.known_answers).resolve())]
    return argv


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _interruptible(name: str, command, parser: argparse.ArgumentParser,
                   args: argparse.Namespace) -> int:
    """Run a grading command that Ctrl-C and `kill` (SIGTERM) stop alike: its workers and their
    scratch folders are removed on the way out, and no report is written for a grade cut short."""
    try:
        signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:  # not the main thread (an embedding program): its own signals stand
        pass
    try:
        return command(parser, args)
    except KeyboardInterrupt:
        print(f"\nautograde {name}: interrupted; no report was written", file=sys.stderr)
        return 130


def _not_yet(pending: "NotGradedYet") -> str:
    """What of the gradebook's rows is not graded yet (" (17 of them not graded yet)")."""
    count = len(pending.uploads)
    return f" ({count} of them not graded yet)" if count else ""


def _batch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Exit 0 when the gradebook was written, 130 when interrupted (run it again to finish)."""
    from grader import batch  # only a batch needs it (and its thread pool, archives, gradebook)
    if not args.input.exists():
        parser.error(f"no such file or folder: {args.input}")
    if args.reference is not None and not args.reference.is_dir():
        parser.error(f"--reference {args.reference}: no such folder")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    from grader.packs import course_config
    config = args.config if args.config is not None else course_config.beside(args.input)
    chosen_pack = _load(parser, args.pack, config, args.mode)
    if config is not None:
        print(f"autograde batch: course config {config} applied ({chosen_pack.config})",
              file=sys.stderr)
    # Each task names the pack again, in a process whose working folder may differ.
    from grader.packs import available
    named = args.pack in {found.name for found in available()}
    pack_name = args.pack if named else str(chosen_pack.root)
    only = _only(parser, chosen_pack, args.only)
    why = output_paths.problem(args.out, folder=True)
    if why:
        print(f"autograde batch: cannot write --out {args.out}: {why}", file=sys.stderr)
        return 2
    if _checks_refused("batch", chosen_pack):  # once, not as a 0 / 0 row for every student
        return 2
    _warn_if_answers_drift("batch", chosen_pack, args.reference, args.no_reference)
    from grader import cluster  # only its error type: distributed itself is imported on --dask
    limits = grade_command.deadlines(args, chosen_pack)
    wall = limits.submission_seconds + limits.import_seconds + batch.WALL_SLACK_SECONDS
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the batch as Ctrl-C does
    try:
        chosen = grade_command.input_set(args)
    except SecretError as exc:
        # The secret (a file that cannot be read, an empty one): one line, no usage.
        print(f"autograde batch: {exc}", file=sys.stderr)
        return 2
    _warn_if_weak(chosen)
    try:
        summary = batch.run(source=args.input, out=args.out, grade_args=_grade_argv(args),
                            config=config,
                            jobs=args.jobs, force=args.force, pack=pack_name, wall_seconds=wall,
                            reference=args.reference, no_reference=args.no_reference,
                            dask=args.dask, only=only, input_set=chosen,
                            similar=not args.no_similarity, mode=chosen_pack.mode,
                            allow_root_workers=args.allow_root_workers)
    except cluster.ClusterError as exc:  # one line: what is wrong with the cluster, no usage
        print(f"autograde batch: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # while connecting to a cluster: nothing graded, nothing to write
        print("\nautograde batch: interrupted", file=sys.stderr)
        return 130
    except batch.OutputError as exc:  # one line, no usage: the command itself was right
        print(f"autograde batch: {exc}", file=sys.stderr)
        return 2
    except batch.NoUploads as exc:  # its own status: an empty download is not a typo
        print(f"autograde batch: {exc}", file=sys.stderr)
        return batch.NO_UPLOADS_STATUS
    except batch.BatchError as exc:  # the input or the reference, not the command: no usage
        print(f"autograde batch: {exc}", file=sys.stderr)
        return 2
    print(f"autograde batch: graded {len(summary.graded) + len(summary.failed)} "
          f"({len(summary.changed)} changed since graded, "
          f"{len(summary.failed)} without a report from the grader), "
          f"{len(summary.skipped)} already done, {len(summary.removed)} no longer present, "
          f"in {summary.seconds:g} s; "
          f"{summary.rows} row{'s' if summary.rows != 1 else ''} in {args.out / 'gradebook.csv'}"
          f"{_not_yet(summary.not_graded_yet)}, overview {args.out / 'index.html'}",
          file=sys.stderr)
    if summary.not_graded_yet:  # the last line read: an incomplete class is no class to post
        print(f"autograde batch: INCOMPLETE: {summary.not_graded_yet.banner()}", file=sys.stderr)
    return 130 if summary.interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
