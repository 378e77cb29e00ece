"""What a batch knows about one upload before grading it: who it is from and what it holds.

- `parse_name`: the student identifier, and the ids an LMS put into the bulk download's file name
  (Canvas: `smithjohn_LATE_12345_67890_hw1.zip`, user id 12345, submission id 67890, late;
  Moodle: a folder `Jane Doe_4242_assignsubmission_file_`, participant id 4242), so the gradebook
  can give them back and an LMS import can match its rows to students.
- `content_hash`: a SHA-256 of the upload's bytes, so a batch that runs again regrades exactly the
  uploads whose content changed (a re-downloaded bulk zip keeps names, not bytes).

No grading, no student code: names and bytes only.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

SUBMISSION_SUFFIXES = (".py", ".zip", ".ipynb")
# What task.pack_path leaves out of a folder: the hash covers exactly what is graded.
_SKIPPED_DIRS = ("__pycache__",)
_SKIPPED_SUFFIXES = (".pyc",)

_CANVAS = re.compile(r"^(?P<name>[^_]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<submission>\d+)_"
                     r"(?P<filename>.+)$", re.IGNORECASE)
_MOODLE = re.compile(r"^(?P<name>.+?)_(?P<participant>\d+)_assignsubmission_[a-z]+_?$",
                     re.IGNORECASE)


@dataclass(frozen=True)
class Upload:
    """One upload a batch found: whose it is and where."""

    student: str  # the identifier: file names of its reports, the gradebook's `submission`
    path: Path


@dataclass(frozen=True)
class UploadName:
    """An upload's file or folder name, and what its LMS naming convention says."""

    original: str
    student: str  # the identifier: names the reports, the gradebook's `submission`
    convention: str = ""  # "canvas", "moodle", or "" for a plain name
    canvas_user_id: str = ""
    canvas_submission_id: str = ""
    canvas_filename: str = ""  # the file's own name, before Canvas prefixed it
    late: bool = False  # Canvas marks uploads after the due date with _LATE_
    moodle_participant_id: str = ""


def parse_name(name: str) -> UploadName:
    """Parse `name` (a file or folder name, not a path)."""
    stem = name
    for suffix in SUBMISSION_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    ids: dict = {}
    moodle, canvas = _MOODLE.match(stem), _CANVAS.match(stem)
    if moodle:  # first: a Moodle name's full name may itself hold digits and underscores
        stem = moodle["name"]
        ids = {"convention": "moodle", "moodle_participant_id": moodle["participant"]}
    elif canvas:
        stem = canvas["name"]
        ids = {"convention": "canvas", "canvas_user_id": canvas["user"],
               "canvas_submission_id": canvas["submission"], "late": bool(canvas["late"]),
               "canvas_filename": _CANVAS.match(name)["filename"]}  # with its suffix
    # Letters of any script stay (Seán, Zoë, as one code point each however the file system
    # spelled them); anything else becomes "_".
    clean = re.sub(r"[^\w.-]+", "_", unicodedata.normalize("NFC", stem))
    # Leading punctuation would make a hidden file or a spreadsheet formula ("-1+2").
    clean = re.sub(r"^[\W_]+", "", clean).rstrip("._-")
    return UploadName(original=name, student=clean[:100] or "submission", **ids)


def student_id(name: str) -> str:
    """The identifier of the upload called `name` (a file or folder name, not a path)."""
    return parse_name(name).student


def content_hash(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes, or of a folder's files: each one's relative path and the
    SHA-256 of its bytes, in sorted order, so the same tree always gives the same hash wherever it
    was copied. Symbolic links and special files are left out, as grading leaves them out.
    Raises OSError when the upload cannot be read."""
    path = Path(path)
    if path.is_file() and not path.is_symlink():
        return _file_hash(path)
    outer = hashlib.sha256(b"autograde folder v1\n")
    for folder, dirs, files in os.walk(path, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS
                         and not os.path.islink(os.path.join(folder, d)))
        for file in sorted(files):
            full = Path(folder, file)
            if file.endswith(_SKIPPED_SUFFIXES) or not stat.S_ISREG(full.lstat().st_mode):
                continue
            relative = full.relative_to(path).as_posix()
            # The NUL cannot occur in a path: no two trees share a listing.
            outer.update(f"{relative}\0{_file_hash(full)}\n".encode("utf-8", "surrogateescape"))
    return outer.hexdigest()


def is_left_out(path: Path) -> bool:
    """A symbolic link or a special file (a named pipe, a device, a socket): grading never follows
    or reads one (a link in a student's folder could show the grader any file of this machine)."""
    mode = path.lstat().st_mode
    return stat.S_ISLNK(mode) or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def left_out(path: Path) -> list[tuple[str, str]]:
    """What grading leaves out of a folder upload: (relative path, what it is), in name order."""
    found = []
    if not path.is_dir() or path.is_symlink():
        return found
    for folder, dirs, files in os.walk(path, followlinks=False):
        dirs.sort()
        for name in sorted([*dirs, *files]):
            full = Path(folder, name)
            try:
                if not is_left_out(full):
                    continue
                what = "a symbolic link" if full.is_symlink() else "not a regular file"
            except OSError:
                continue
            found.append((full.relative_to(path).as_posix(), what))
    return found


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


__all__ = ["SUBMISSION_SUFFIXES", "Upload", "UploadName", "content_hash", "is_left_out", "left_out",
           "parse_name", "student_id"]
