"""What a batch knows about one upload before grading it: who it is from and what it holds.

- `parse_name`: the student identifier, and the ids an LMS put into the bulk download's file name
  (Canvas: `smithjohn_LATE_12345_67890_hw1.zip`, user id 12345, submission id 67890, late;
  Moodle: a folder `Jane Doe_4242_assignsubmission_file_`, participant id 4242; and the flat
  exports of Moodle, Blackboard and Brightspace below), so the gradebook can give them back and
  an LMS import can match its rows to students.
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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from grader.worker import archive_names

SUBMISSION_SUFFIXES = (".py", ".zip", ".ipynb", *archive_names.TAR_SUFFIXES)
# Archives a student may hand in that the grader does not open (grader/class_folder.py gives
# each a row of 0 with the reason): their student's identifier is the name without them too.
UNOPENED_ARCHIVES = (".tar.zst", ".rar", ".7z", ".gz", ".bz2", ".xz", ".zst")
# What task.pack_path leaves out of a folder: the hash covers exactly what is graded.
_SKIPPED_DIRS = ("__pycache__",)
_SKIPPED_SUFFIXES = (".pyc",)

_CANVAS = re.compile(r"^(?P<name>[^_]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<submission>\d+)_"
                     r"(?P<filename>.+)$", re.IGNORECASE)
_MOODLE = re.compile(r"^(?P<name>.+?)_(?P<participant>\d+)_assignsubmission_[a-z]+_?$",
                     re.IGNORECASE)
# The flat exports, one file per file a student handed in, each named after the student
# (checked against each LMS's own code or documentation):
# - Moodle without "Download submissions in folders" (mod/assign: the folder's name, then the
#   file's own): `Jane Doe_4242_assignsubmission_file_q1_softmax.py`;
# - Blackboard Learn's Assignment File Download: `Assignment1_jsmith_attempt_2026-11-01-10-00-00_`
#   then the file's own name, and a receipt `..._attempt_2026-11-01-10-00-00.txt` per attempt;
# - Brightspace (D2L): `123-456 - Ann Lee - Nov 1, 2026 1000 AM - q1_softmax.py`.
# Without the file's own name, each is also the name of the folder the batch gathers a
# student's files into, so the folder parses as the student's again.
_MOODLE_FILE = re.compile(r"^(?P<name>.+?)_(?P<participant>\d+)_assignsubmission_"
                          r"(?P<plugin>[a-z]+)_(?P<filename>.+)$", re.IGNORECASE)
_MOODLE_FILE_ID = re.compile(r"_\d+_assignsubmission_[a-z]+(?=_)", re.IGNORECASE)
# The first `_user_attempt_date` is Blackboard's own: what comes before it is the instructor's
# assignment name, what follows the student's file name, which may spell another attempt
# (`x_bob_attempt_2099-01-01-00-00-00_hw1.py` made Bob's latest attempt Mallory's file).
_WHEN = r"\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d"  # Blackboard's attempt time
_AFTER_WHEN = r"(?:_(?P<filename>.+)|(?P<receipt>\.txt))?$"  # the file's own name, or a receipt
_BLACKBOARD = re.compile(rf"^(?P<assignment>.*?)_(?P<user>[^_]+)_attempt_(?P<when>{_WHEN})"
                         + _AFTER_WHEN, re.IGNORECASE)
# The same after a known assignment name: the username is everything up to `_attempt_`.
_BLACKBOARD_USER = re.compile(rf"^(?P<user>.+?)_attempt_(?P<when>{_WHEN})" + _AFTER_WHEN,
                              re.IGNORECASE)
# A Blackboard name's head: the assignment and the username, before the first attempt's time;
# and of Blackboard's own receipts only (a head holding no attempt of its own).
_BLACKBOARD_HEAD = re.compile(rf"^(?P<head>.+?)_attempt_{_WHEN}(?:_|\.txt$|$)", re.IGNORECASE)
_BLACKBOARD_RECEIPT = re.compile(rf"^(?P<head>(?:(?!_attempt_\d{{4}}-).)+)_attempt_{_WHEN}\.txt$",
                                 re.IGNORECASE)
# Blackboard's receipt names the student: `Name: Jane Smith (j_smith)`.
_RECEIPT_USER = re.compile(r"^\s*Name:.*\((?P<user>[^()\s]+)\)\s*$", re.MULTILINE)
# Both an assignment's name and a username may hold "_" (`Assignment1_j_smith_attempt_...`):
# one name alone cannot say where the one ends (the last "_" made j_smith and k_smith both
# `smith`, one student's attempt the other's). The assignment is what every file of one download
# shares: class_folder.discover finds it (blackboard_assignment) and sets it here for the names
# parsed while that download is graded.
_KNOWN_ASSIGNMENT = [""]
_BRIGHTSPACE = re.compile(r"^(?P<id>\d+-\d+) - (?P<name>.+?) - "
                          r"(?P<when>[A-Z][a-z]{2} \d{1,2}, \d{4} \d{3,4} [AP]M)"
                          r"(?: - (?P<filename>.+))?$")


@dataclass(frozen=True)
class Upload:
    """One upload a batch found: whose it is and where."""

    student: str  # the identifier: file names of its reports, the gradebook's `submission`
    path: Path
    # A folder the batch gathered a student's files of a flat LMS export into: their original
    # names, which the report and the gradebook show instead of the batch's own folder.
    files: tuple[str, ...] = ()


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
    blackboard_username: str = ""
    brightspace_id: str = ""  # the number pair Brightspace puts first (`123-456`)
    # One file of a flat export: the file's own name, and what orders two hand-ins of it (the
    # later one wins): Canvas's attachment id, Blackboard's attempt, Brightspace's time.
    filename: str = ""
    handed_in: str = ""
    receipt: bool = False  # Blackboard's .txt beside an attempt's files: no code
    # A flat export's name that parses as two students' (the LMS's convention it follows):
    # graded alone, never joined to either student's files.
    ambiguous: str = ""
    # How far the identifier is from the name as written (characters replaced or dropped): of
    # two names that make one identifier, the one nearest it gets it (`alice.py` before
    # `alice-.py`, which sorts first), and the other a number.
    tidied: int = 0

    @property
    def key(self) -> tuple[str, str] | None:
        """Who the files of a flat export belong to: one key, one student."""
        if self.convention == "canvas":
            return ("canvas", f"{self.student.lower()} {self.canvas_user_id}")
        if self.convention == "moodle":
            return ("moodle", self.moodle_participant_id)
        if self.convention == "blackboard":
            return ("blackboard", self.blackboard_username.lower())
        if self.convention == "brightspace":
            # By name and number pair: two students of one name are two (a merge would post one
            # grade against the other's id); one submission's files share the pair.
            return ("brightspace", f"{self.student.lower()} {self.brightspace_id}")
        return None


def parse_name(name: str) -> UploadName:
    """Parse `name` (a file or folder name, not a path)."""
    stem = name
    for suffix in (*SUBMISSION_SUFFIXES, *UNOPENED_ARCHIVES):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    ids: dict = {}
    moodle, canvas = _MOODLE.match(stem), _CANVAS.match(stem)
    flat_moodle, blackboard, brightspace = (_MOODLE_FILE.match(name), _blackboard_match(name),
                                            _BRIGHTSPACE.match(name))
    if flat_moodle and len(_MOODLE_FILE_ID.findall(name)) > 1:
        # Moodle puts the participant's id between their full name and their file's name, and
        # the student may write either: with two ids in the name, neither can be trusted to
        # be theirs (a full name "Bob Jones_5555_assignsubmission_file" joined Bob's
        # submission). Graded alone under its own name; batch.discover says why.
        # Asked before the whole name's Moodle form, which reads the LAST id: a student's own
        # file `x_4242_assignsubmission_file_.py` made Eve's upload participant 4242's.
        ids = {"ambiguous": "moodle"}
    elif moodle:  # a Moodle name's full name may itself hold digits and underscores
        stem = moodle["name"]
        ids = {"convention": "moodle", "moodle_participant_id": moodle["participant"]}
    elif canvas:
        stem = canvas["name"]
        filename = _CANVAS.match(name)["filename"]  # with its suffix
        ids = {"convention": "canvas", "canvas_user_id": canvas["user"],
               "canvas_submission_id": canvas["submission"], "late": bool(canvas["late"]),
               "canvas_filename": filename, "filename": filename,
               "handed_in": canvas["submission"].zfill(20)}
    elif flat_moodle:
        stem = flat_moodle["name"]
        ids = {"convention": "moodle", "moodle_participant_id": flat_moodle["participant"],
               "filename": flat_moodle["filename"]
               if flat_moodle["plugin"].lower() == "file" else ""}
    elif blackboard:
        stem = blackboard["user"]  # the student's login: what Blackboard's grade import matches
        ids = {"convention": "blackboard", "blackboard_username": blackboard["user"],
               "filename": blackboard["filename"] or "", "handed_in": blackboard["when"],
               "receipt": bool(blackboard["receipt"])}
    elif brightspace:
        stem = brightspace["name"]
        ids = {"convention": "brightspace", "brightspace_id": brightspace["id"],
               "filename": brightspace["filename"] or "",
               "handed_in": _brightspace_time(brightspace["when"])}
    # Letters of any script stay (Seán, Zoë, as one code point each however the file system
    # spelled them); anything else becomes "_".
    spelled = unicodedata.normalize("NFC", stem)
    replaced = re.sub(r"[^\w.-]+", "_", spelled)
    # Leading punctuation would make a hidden file or a spreadsheet formula ("-1+2").
    clean = re.sub(r"^[\W_]+", "", replaced).rstrip("._-")
    tidied = (sum(len(run) for run in re.findall(r"[^\w.-]+", spelled))
              + len(replaced) - len(clean))
    return UploadName(original=name, student=clean[:100] or "submission", tidied=tidied, **ids)


def _blackboard_match(name: str) -> re.Match | None:
    assignment = _KNOWN_ASSIGNMENT[0]
    if assignment and name.lower().startswith(assignment.lower() + "_"):
        found = _BLACKBOARD_USER.match(name[len(assignment) + 1:])
        if found:
            return found
    return _BLACKBOARD.match(name)


def blackboard_assignment(names: Iterable[str], receipts: Mapping[str, str]) -> str:
    """The assignment name a Blackboard download's file `names` share ("" when they are not such
    files, or it cannot be told). `receipts`: the text of its .txt receipts, by name, whose
    `Name: ... (username)` line says where the username starts; else the longest start at a "_"
    that two or more students' names share."""
    heads = {found["head"] for found in map(_BLACKBOARD_HEAD.match, names) if found}
    told = set()
    for name, text in receipts.items():
        # Blackboard's own receipts only (`..._attempt_<when>.txt`): a student's notes.txt is
        # `..._attempt_<when>_notes.txt`, and its Name line made another student of its writer.
        receipt, user = _BLACKBOARD_RECEIPT.match(name), _RECEIPT_USER.search(text)
        if receipt and user and receipt["head"].lower().endswith("_" + user["user"].lower()):
            told.add(receipt["head"][:-len(user["user"]) - 1])
    if len(told) == 1:
        return told.pop()
    if len(heads) < 2:
        return ""
    shared = os.path.commonprefix([h.lower() for h in heads])
    cut = shared.rfind("_")
    return next(iter(heads))[:cut] if cut > 0 else ""


def known_blackboard_assignment(assignment: str) -> None:
    """Parse Blackboard names as files of a download of `assignment` ("": as any)."""
    _KNOWN_ASSIGNMENT[0] = assignment


def _brightspace_time(when: str) -> str:
    """`Nov 1, 2026 1000 AM` as a time that sorts (ISO); as written when it is not one."""
    from datetime import datetime
    try:
        return datetime.strptime(when.replace("  ", " "), "%b %d, %Y %I%M %p").isoformat()
    except ValueError:
        return when


def is_upload_name(name: str) -> bool:
    """Whether a file called `name` is a kind of upload the grader takes: a .py file, a notebook,
    a .zip or a tar archive (`.tar.gz`, `.tgz`, ...), whatever the case of its suffix."""
    lowered = name.lower()
    return any(lowered.endswith(s) and len(name) > len(s) for s in SUBMISSION_SUFFIXES)


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
                         and not not_code(Path(folder, d), path)
                         and not os.path.islink(os.path.join(folder, d)))
        for file in sorted(files):
            full = Path(folder, file)
            if file.endswith(_SKIPPED_SUFFIXES) or not stat.S_ISREG(full.lstat().st_mode):
                continue
            relative = full.relative_to(path).as_posix()
            # The NUL cannot occur in a path: no two trees share a listing.
            outer.update(f"{relative}\0{_file_hash(full)}\n".encode("utf-8", "surrogateescape"))
    return outer.hexdigest()


_HISTORY_DIRS = archive_names.HISTORY_DIRS


def not_code(path: Path, upload: Path | None = None) -> str:
    """What a folder inside an upload is when it is no code of the student's ("" when it may
    be): a Python environment (VS Code, uv and poetry make `.venv` in the project; it held 103
    MiB of numpy and refused the upload as too large), an installed environment's packages (a
    site-packages folder with no pyvenv.cfg beside it), or version control's history. Grading
    leaves such a folder out, and names it. `upload`: the folder upload it is in, which says
    whether a packages folder is the student's code after all (_students_packages); without
    it, one is left out."""
    try:
        if path.is_symlink() or not path.is_dir():
            return ""
        if (path / "pyvenv.cfg").is_file():
            return "a Python virtual environment (it holds pyvenv.cfg)"
        if (path / "conda-meta").is_dir():
            return "a conda environment"
    except OSError:
        return ""
    if path.name in _HISTORY_DIRS:
        return "version control's history"
    what = archive_names.packages_folder(path.name)
    if what and upload is not None and _students_packages(path, Path(upload)):
        return ""
    return what


def _students_packages(path: Path, upload: Path) -> bool:
    """Whether `path`, a folder of `upload` named as installed packages are, is the student's
    code after all, by the rule an archive's folder follows (archive_names._students_packages):
    no installer's record at its top, code in it, and no code in the upload outside the folders
    left out."""
    try:
        if any(archive_names.installer_record(entry.name) for entry in os.scandir(path)):
            return False
    except OSError:
        return False
    return _holds_code(path) and not _holds_code(upload)


def _holds_code(folder: Path) -> bool:
    """Whether `folder` holds a .py file or a notebook outside the folders that are no code
    (judged without an upload: every packages folder is one) and outside links."""
    for parent, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS
                   and not os.path.islink(os.path.join(parent, d))
                   and not not_code(Path(parent, d))]
        if any(archive_names.is_code(name) and not os.path.islink(os.path.join(parent, name))
               for name in files):
            return True
    return False


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


def not_code_folders(path: Path) -> list[tuple[str, str]]:
    """The folders of a folder upload that grading leaves out as no code (not_code): (relative
    path, what it is), in name order; none below one already found."""
    found: list[tuple[str, str]] = []
    if not path.is_dir() or path.is_symlink():
        return found
    for folder, dirs, _ in os.walk(path, followlinks=False):
        dirs.sort()
        kept = []
        for name in dirs:
            what = not_code(Path(folder, name), path)
            if what:
                found.append((Path(folder, name).relative_to(path).as_posix(), what))
            elif name not in _SKIPPED_DIRS:
                kept.append(name)
        dirs[:] = kept
    return found


# The same rules for a zip's (or a tar's) member names, shared with the worker that unpacks it.
zip_not_code = archive_names.not_code_prefixes
zip_left_out = archive_names.left_out_of_archive


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


__all__ = ["SUBMISSION_SUFFIXES", "UNOPENED_ARCHIVES", "Upload", "UploadName", "content_hash",
           "is_left_out",
           "is_upload_name", "left_out",
           "not_code", "not_code_folders", "zip_left_out", "zip_not_code",
           "parse_name", "student_id"]
