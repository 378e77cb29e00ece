"""A .py file graded alone while the rest of its assignment sits beside it.

`autograde grade q3_word2vec.py` in a folder of the original layout grades that one file, as
asked: every function it imports from q1_softmax.py, q2_sigmoid.py, ... is "not found", and the
report reads 0 / 100 where the folder gets 100 (probe s59). What is graded stays what the student
named; the report says first which files beside it hold the missing functions, and the command
that grades them together.

Names and text only: the files beside are read as text (a `def` at the start of a line), never
imported or run.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from grader import source_trees
from grader.model import GRADE_THE_FOLDER
from grader.worker import written_defs

# A folder of a few files is what this is for; a download folder of hundreds is not read through.
_MOST_FILES = 200
_MOST_BYTES = 1 << 20
# Of the files beside one submission, the bytes parsed (a few files of the assignment's size).
_PARSED_BYTES = 4 * source_trees.MOST_CODE


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _defines(path: Path, names: Iterable[str]) -> bool:
    """Whether the file at `path` has a top-level or nested `def` of one of `names`."""
    try:
        with open(path, "rb") as stream:
            text = stream.read(_MOST_BYTES).decode("utf-8", "replace")
    except OSError:
        return False
    wanted = "|".join(re.escape(name) for name in names)
    return bool(wanted) and re.search(rf"^[ \t]*def[ \t]+(?:{wanted})[ \t]*\(", text,
                                      re.MULTILINE) is not None


def _writes_one_of(path: Path, names: list[str], budget: list[int]) -> bool:
    """Whether the file writes one of `names` (not a stub: recheck probe s59, a file graded alone
    got 30, the folder it was sent to 15); a file that does not parse, by its defs' text. Only a
    file whose text has such a def is parsed, and only while `budget` (bytes, shared by the
    files beside one submission) lasts: these are other students' files too, and parsing them
    kept a student's own grade waiting minutes after it was done (probe s60)."""
    if not _defines(path, names):
        return False
    try:
        size = path.stat().st_size
    except OSError:
        return False
    if size > budget[0]:
        return True  # by its defs' text
    budget[0] -= size
    trees = source_trees.trees(path)
    if not trees:
        return True
    return bool(written_defs.written(trees, names))


def files_beside(submission: Path, absent: Iterable[str], homes: Mapping[str, str],
                 present: Iterable[str] = ()) -> list[str]:
    """The .py files beside `submission` (a .py file) that are a home of an `absent` function in
    the pack's layout (`homes`: function -> module name), or that define one and none of the
    `present` ones; in name order. A file that defines what the graded file has too is another
    copy (a folder of several students' files, a v1 beside a v2), not the rest of the
    assignment: grading the folder would not grade them together."""
    missing = sorted(set(absent))
    there = sorted(set(present))
    if not missing or submission.suffix.lower() != ".py" or not submission.is_file():
        return []
    layout = {homes[name].lower() for name in missing if homes.get(name)}
    found = []
    budget = [_PARSED_BYTES]
    try:
        siblings = sorted(submission.parent.iterdir())[:_MOST_FILES]
    except OSError:
        return []
    for path in siblings:
        if path.name == submission.name or path.suffix.lower() != ".py" or path.is_symlink() \
                or not path.is_file():
            continue
        if not _writes_one_of(path, missing, budget):
            continue  # the starter's stubs beside it: grading the folder would lose points
        if path.stem.lower() in layout or not (there and _defines(path, there)):
            found.append(path.name)
    return found


def _quoted(path: str) -> str:
    """`path` as the student's shell takes it: cmd and PowerShell read double quotes, not the
    single quotes of a POSIX shell."""
    if os.name == "nt":
        return subprocess.list2cmdline([path])
    return shlex.quote(path)


def warning(submission: Path, absent: Iterable[str], homes: Mapping[str, str],
            present: Iterable[str] = ()) -> str:
    """The one line that says to grade the folder ("" when no file beside holds what is absent;
    files_beside says which do)."""
    beside = files_beside(submission, absent, homes, present)
    if not beside:
        return ""
    missing = [name for name in homes if name in set(absent)] or sorted(set(absent))
    folder = _quoted(str(submission.parent))
    return (f"{GRADE_THE_FOLDER}{folder}): {_and(beside)} {'is' if len(beside) == 1 else 'are'} "
            f"beside {submission.name}, which was graded alone, without {_and(missing)}.")


__all__ = ["files_beside", "warning"]
