"""The grading API under `autograde grade`: check the request, grade, write the reports asked for.

grader.session.grade grades; this adds what every caller of a grade needs around it: usage
checks that name the problem (a missing submission, an unknown --only function, an output path
that cannot be written: all found before grading starts), `--only`, the report's label, and
the reports written in an order a batch can trust (JSON last). The command line
(grader/cli.py) and the warm grader of a batch (grader/server.py) both call grade_to_files.
"""
from __future__ import annotations

import contextlib
import dataclasses
import difflib
import os
from collections.abc import Sequence
from pathlib import Path

from grader import cache_folder, output_paths, recipe_cache, reference as reference_mod, selection
from grader.isolation import (ROOT_WORKERS_WAYS_OUT, IsolationUnavailable, RootWorkerRefused,
                              could_write_users_files, refusing_root_workers, resolve_mode,
                              root_workers_refusal)
from grader.model import SubmissionResult
from grader.packs import DEFAULT_PACK, ManifestError, Pack, load_pack
from grader.replay import RecipeBook
from grader.session import ChecksBroken, Options, ReferenceUnusable, grade


def _write(option: str, result: SubmissionResult, path: Path) -> None:
    """Write the report `option` asks for. Each renderer is imported when asked for: a grade
    without --junit never loads an XML library."""
    if option == "--html":
        from grader.render import html as renderer
    elif option == "--junit":
        from grader.render import junit as renderer
    else:
        from grader.render import json_report as renderer
    renderer.write(result, path)


class UsageError(Exception):
    """The request cannot be graded as asked (exit status 2)."""


class BadPack(UsageError):
    """The pack (or its course config, or mode) cannot be used: the command line was right, so
    the message is the whole story, in one line."""


class RootWorkersRefused(UsageError):
    """Student code would run as root beside a reference or secret it could read: refused before
    grading (`--allow-root-workers` grades anyway). The message is the whole story, one line."""


class CannotWrite(UsageError):
    """An output path cannot be written; the message is the whole story, in one line."""

    def __init__(self, option: str, path: Path, why: str) -> None:
        super().__init__(f"cannot write {option} {path}: {why}")
        self.option, self.path, self.why = option, path, why


def _clash(option: str, path: Path, outputs: list[tuple[str, Path]], submission: Path) -> str:
    """Why a report may not go to `path` though it can be written ("" when it may): it is the
    submission (a `--json` given the student's file overwrote their code) or one of its code
    files, or another report's path (the last written replaced the other). A new file in a
    folder upload is fine: `autograde grade . --json report.json`."""
    if str(path) == "-":  # a file named "-" was written, where standard output was meant
        return "'-' would be a file of that name: give a file, or /dev/stdout"
    try:
        where = path.resolve()
        upload = submission.resolve()
    except (OSError, RuntimeError):
        return ""
    if where == upload or (upload in where.parents and where.suffix.lower() in (".py", ".ipynb")
                           and where.exists()):
        return "it is the submission being graded: a report there would replace its code"
    for other, other_path in outputs:
        if other != option and other_path.resolve() == where:
            return f"{other} writes there too; give each report a path of its own"
    return ""


def _unreadable(path: Path) -> str:
    """Why this user cannot read the upload itself ("" when it can): a file it cannot open, or a
    folder it cannot list. (What cannot be read inside a folder is left out and named.)"""
    try:
        if path.is_dir():
            with os.scandir(path):
                pass
        else:
            with open(path, "rb"):
                pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def _did_you_mean(path: Path) -> str:
    """A name beside the one given that is spelled nearly alike (q3_wordvec.py for
    q3_word2vec.py), as a question; else ""."""
    try:
        beside = [entry.name for entry in path.parent.iterdir()]
    except OSError:
        return ""
    near = difflib.get_close_matches(path.name, beside, n=1, cutoff=0.8)
    return f" (did you mean {path.with_name(near[0])}?)" if near else ""


def grade_to_files(*, submission: Path, pack: str | Pack = DEFAULT_PACK, options: Options = Options(),
                   only: Sequence[str] | None = None, label: str | None = None,
                   json: Path | None = None, html: Path | None = None, junit: Path | None = None,
                   recipe_books: dict | None = None,
                   refuse_root_workers: bool = False) -> SubmissionResult:
    """Grade `submission` with `pack` and write the reports asked for; return the result.
    `pack`: a pack, or its name or folder.
    `only`: grade these functions alone. `label`: what the report's `submission` says instead of
    the path. `recipe_books`: kept across calls by a process that grades many submissions
    (grader/replay.py). `refuse_root_workers`: raise RootWorkersRefused, before grading, when
    student code would run as root while a reference or a course secret is there to be read
    (the command line's and a batch's grades; --allow-root-workers turns it off). Raises
    UsageError (CannotWrite for an output path) before grading, and ChecksBroken when the pack's
    checks cannot run at all."""
    submission = Path(submission)
    if not submission.exists():
        raise UsageError(f"no such file or folder: {submission}{_did_you_mean(submission)}")
    if not (submission.is_file() or submission.is_dir()):
        raise UsageError(f"{submission} is neither a file nor a folder (a named pipe, a device or "
                         "a socket): there is nothing in it to grade")
    unreadable = _unreadable(submission)
    if unreadable:
        raise UsageError(f"cannot read {submission}: {unreadable} (its owner or a root shell may "
                         "have made it so: chmod u+r, or copy it somewhere you own)")
    if options.reference_dir is not None and not Path(options.reference_dir).is_dir():
        raise UsageError(f"--reference {options.reference_dir}: no such folder")
    if options.known_answers is not None and not Path(options.known_answers).is_file():
        raise UsageError(f"--known-answers {options.known_answers}: no such file")
    try:
        the_pack = pack if isinstance(pack, Pack) else load_pack(pack)
    except ManifestError as exc:
        raise BadPack(str(exc)) from None
    try:
        chosen = None if only is None else selection.validate(the_pack, only)
    except selection.UnknownFunction as exc:
        raise UsageError(str(exc)) from None
    # JSON last: a batch takes a report JSON to mean every report is written.
    outputs = [(option, Path(path)) for option, path in
               (("--html", html), ("--junit", junit), ("--json", json)) if path is not None]
    for option, path in outputs:  # before grading: minutes of grading are not lost at the end
        why = output_paths.problem(path) or _clash(option, path, outputs, Path(submission))
        if why:
            raise CannotWrite(option, path, why)
    # A student's own run is not root and has nothing to protect; an instructor's, as root with
    # no sandbox and an interpreter other users cannot read, ran every upload as root.
    refusing = refuse_root_workers and (
        options.input_set.secret is not None
        or reference_mod.locate(the_pack, options.reference_dir, options.no_reference) is not None)
    if refusing:
        why = root_workers_refusal(options.isolation)
        if why:
            raise RootWorkersRefused(why)
    # Recipes hold only for the options they were recorded under. A warm grader (a batch's)
    # keeps its books in memory, learnt from the uploads it grades. A cold grade, a student's
    # run, starts from the book kept on disk by the grades before it: never a batch, so no
    # upload's run can leave anything on disk that another upload's grade reads.
    key = (pack, str(options.reference_dir), options)
    if recipe_books is not None:
        recipes = recipe_books.setdefault(key, RecipeBook())
    else:
        recipes = RecipeBook()
        recipes.path = recipe_cache.book_path(the_pack, options, reference_mod.locate(
            the_pack, options.reference_dir, options.no_reference))
        recipe_cache.load(recipes.path, recipes)
        if recipes.path is None:
            recipes = None  # nothing to start from and nowhere to keep: every check live
    try:
        # Refused above; within, a worker that would run as root all the same raises.
        with selection.selected(chosen), \
                (refusing_root_workers() if refusing else contextlib.nullcontext()):
            result = grade(the_pack, submission, options, recipes=recipes)
    except RootWorkerRefused as exc:
        raise RootWorkersRefused(f"{exc}. Either {ROOT_WORKERS_WAYS_OUT}") from None
    except IsolationUnavailable as exc:
        raise UsageError(str(exc)) from None
    except ReferenceUnusable as exc:  # the pack's, or --reference's: as a batch refuses it
        raise BadPack(str(exc)) from None
    except BaseException:  # (Ctrl-C, a grade that broke) after a worker may have run: as below
        if resolve_mode(options.isolation)[0] == "process":
            cache_folder.discard()
        raise
    if could_write_users_files(result.isolation):
        # The submission could write this user's files (process isolation as the grader's own
        # uid, or as root): any book on disk, which the next grade (another student's, in a
        # sandbox) would replay from (one emptied of its examples passed every property check it
        # held), the reference's verdict, the check files' markers.
        cache_folder.discard()
    elif recipes is not None:
        recipe_cache.keep(recipes.path, recipes)
    if chosen is not None:
        result = selection.restrict(result, chosen)
    if label is not None:
        result = dataclasses.replace(result, submission=label)
    for option, path in outputs:
        try:
            _write(option, result, path)
        except OSError as exc:  # changed since the check above (a full disk, a removed folder)
            raise CannotWrite(option, path, exc.strerror or str(exc)) from None
    return result


__all__ = ["BadPack", "CannotWrite", "ChecksBroken", "RootWorkersRefused", "UsageError",
           "grade_to_files"]
