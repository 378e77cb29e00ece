"""What a class folder holds: each student's upload, found and named, and an outer .zip copied out.

`discover` lists the uploads at the top of a folder (a bulk download, or the folder an outer .zip
was copied out into by `extract`) and gives each its student identifier, from the file or folder
name:
- a plain name: `alice.py`, `alice.zip`, `alice.ipynb`, or a folder `alice/`: `alice`;
- Canvas bulk downloads: `alice_12345_67890_q1_softmax.py` (also `alice_LATE_12345_...`): `alice`;
- Moodle bulk downloads: a folder `Alice Smith_123456_assignsubmission_file_`: `Alice_Smith`;
- the flat exports that name each file after its student (Canvas's above, Moodle without
  folders, Blackboard, Brightspace; grader/uploads.py): a student's files are gathered into one
  folder under OUT/.lms-groups and graded as one submission.
Identifiers keep letters, digits, `.`, `_` and `-` only. Two uploads with one identifier get
`id`, `id-2`, ... in the order of their paths, and the notes say so. Whatever is not graded (a
link, a file of another kind, an earlier attempt) is said in the notes: every upload gets a row
or a note.

No student code runs here: names and bytes, and for a lone folder at the top the parser's view
of which functions its files define.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Collection, Mapping, Sequence

from grader import safe_text, source_trees
from grader.archive import (UPLOAD_BYTES, ArchiveError, extract as extract_members, member_name,
                            safe_member)
from grader.uploads import (UNOPENED_ARCHIVES, Upload, UploadName, blackboard_assignment,
                            is_upload_name,
                            known_blackboard_assignment, parse_name, student_id)
from grader.worker import archive_names

# autograde.toml: the course config (grader/packs/course_config.py), not a student's upload.
IGNORED_NAMES = ("__MACOSX", "__pycache__", "autograde.toml")
# Why a link among the uploads is not graded: said in its note, so the instructor can ask the
# student for the file itself.
LINK_WHY = ("a symbolic link, which the batch never follows (a link could show the grader any "
            "file of this machine); not graded. If it is a student's upload, put the file itself "
            "in its place")
# An outer .zip is copied out into OUT/.uploads within these limits (nested .zip files are
# unpacked later by the worker, with limits of its own).
MAX_UPLOAD_BYTES = 2 * 1024**3
MAX_UPLOAD_MEMBERS = 20_000


class BatchError(Exception):
    """The input cannot be used at all (missing, not a zip, unsafe or too large an archive)."""


@dataclass
class Discovery:
    uploads: list[Upload] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # collisions and ignored files, for the instructor


def _is_candidate(path: Path) -> bool:
    if path.name.startswith(".") or path.name in IGNORED_NAMES:
        return False
    return path.is_dir() or is_upload_name(path.name)


def not_opened(path: Path) -> str:
    """Why the upload `path` cannot be graded as it is: an archive of a kind the grader does not
    open (a .rar, a .7z); "" for any other. Such a file is still a student's upload: it gets a
    row, 0 and this reason, as a damaged member of a class zip does, not only a note (probe s59:
    a .rar's student had no row, and a pipeline posting canvas.csv left them ungraded)."""
    if path.name.startswith(".") or not path.is_file() or is_upload_name(path.name):
        return ""
    kind = _archive_kind(path.name)
    if not kind:
        return ""
    return (f"{safe_text.visible(path.name)} is a {kind} archive, which the grader does not "
            "open: ask for a .zip or .tar.gz of the files (or unpack it into a folder of the "
            "download), and run the batch again")


def _takes_a_row(path: Path, others: Collection[str]) -> bool:
    """Whether `path` is one student's upload: a kind the grader takes, or an archive it does not
    open whose student (by identifier, `others` in lower case) handed in nothing else."""
    if _is_candidate(path):
        return True
    return bool(not_opened(path)) and student_id(path.name).lower() not in others


def discover(folder: Path, *, exclude: Path | None = None,
             grouped: Path | None = None, layout: Collection[str] = (),
             known: Mapping[str, str] | None = None,
             functions: Collection[str] = (), shown_as: str = "") -> Discovery:
    """Every upload in `folder`: each .py, .zip or .ipynb file and each folder at its top. A folder
    that holds only one folder is looked into when that folder holds the class's uploads (a zip
    of the download folder; _holds_uploads says how that is told, and the notes say it was).
    With `grouped` (a folder of the batch's own), the files a flat LMS export names for one
    student are one upload: a folder made there, each file under its own name again. `layout`
    and `functions`: the pack's module names (q1_softmax, ...) and graded functions, which tell
    one student's folder from a folder of the class's.
    `known`: the identifier each upload (by file name) had in an earlier run of the batch, which
    it keeps, so that an upload added since cannot rename the students graded before it.
    `shown_as`: what the notes call `folder` (the bulk zip it was unpacked from, not the batch's
    own copy of it)."""
    found = Discovery()
    listed = sorted(folder.iterdir())
    found.notes += [f"ignored {safe_text.visible(p.name)}: {LINK_WHY}" for p in listed
                    if p.is_symlink() and not p.name.startswith(".")
                    and (exclude is None or p.resolve() != exclude.resolve())]
    entries = [p for p in listed if not p.is_symlink()
               and (exclude is None or p.resolve() != exclude.resolve())]
    visible = [p for p in entries if not p.name.startswith(".") and p.name not in IGNORED_NAMES]
    known_blackboard_assignment(blackboard_assignment(
        [p.name for p in visible], {p.name: _head_of(p) for p in visible
                                    if p.suffix.lower() == ".txt" and p.is_file()}))
    # A hidden upload (`.hank.py`) is not graded, but said: the instructor may not see it at all.
    # Not macOS's `._name` files, nor a folder such as .git, nor the batch's own output.
    found.notes += [f"ignored {safe_text.visible(p.name)}: a hidden file (its name starts with "
                    "'.'), never graded; if it is a student's upload, rename it"
                    for p in entries if p.name.startswith(".") and not p.name.startswith("._")
                    and p.is_file() and is_upload_name(p.name)]
    why = (_holds_uploads(visible[0], layout, functions)
           if len(visible) == 1 and visible[0].is_dir() else None)
    if why:
        inner = discover(visible[0], exclude=exclude, grouped=grouped, layout=layout, known=known,
                         functions=functions)
        inner.notes[:0] = [*found.notes, (
            f"looked into {safe_text.visible(visible[0].name)}/, the only entry of "
            f"{safe_text.visible(shown_as or folder.name)}, as the folder of the class's uploads "
            f"({why}): each entry in it is one student's upload")]
        return inner
    if len(visible) == 1 and visible[0].is_dir():
        found.notes += _one_file_wrapper(visible[0], folder)
    entries = _unpacked_copies(entries, found.notes)
    made: dict[Path, tuple[str, ...]] = {}
    if grouped is not None:
        entries, made = _lms_groups(entries, grouped, found.notes, layout, functions)
    entries = _without_moodle_extras(entries, found.notes)
    graded_kinds = {student_id(p.name).lower() for p in entries if _is_candidate(p)}
    taken: dict[str, Path] = {}
    # Who each earlier identifier was, where an LMS says (a Canvas user id, ...): a student's
    # resubmission comes under another file name (Canvas gives it a new attachment id), and two
    # students of one name are two users. An identifier stays its student's: a resubmission
    # finds it by who it is, and another student of that name never takes it, there or not.
    by_key: dict[tuple[str, str], str] = {}
    by_account: dict[tuple[str, str], str] = {}
    owner: dict[str, tuple[str, str]] = {}
    for name, before in (known or {}).items():
        parsed = parse_name(name)
        if parsed.key is not None:
            by_key.setdefault(parsed.key, before)
            owner.setdefault(before.lower(), parsed.key)
        if _account(parsed) is not None:
            by_account.setdefault(_account(parsed), before)
    # An identifier an upload had before is its own again: if its name still leads to it, or
    # the LMS's account is the one graded under it (a Canvas user renamed between downloads was
    # a second row, the old report kept beside it: two rows of one Canvas id in canvas.csv).
    kept: dict[Path, str] = {}
    renamed: set[Path] = set()
    for path in entries:
        key = parse_name(path.name).key
        before = (known or {}).get(path.name) or (by_key.get(key) if key is not None else None)
        base = student_id(path.name)
        if before and _takes_a_row(path, graded_kinds) and before.lower() not in taken and (
                before == base or before.startswith(base + "-")):
            kept[path] = before
            taken[before.lower()] = path
    for path in entries:
        account = _account(parse_name(path.name))
        before = by_account.get(account) if account is not None else None
        # (An upload of another account now named so cannot take it: `owner` keeps it theirs.)
        if path not in kept and before and _takes_a_row(path, graded_kinds) \
                and before.lower() not in taken:
            kept[path] = before
            taken[before.lower()] = path
            renamed.add(path)
    # Of two names that make one identifier, the one written nearest it gets it, the other a
    # number: by name alone, `alice-.py` (its `-` sorts first) took `alice` from `alice.py`.
    ranked = sorted(entries, key=lambda p: (parse_name(p.name).tidied, p.name))
    for path in ranked:
        if not _takes_a_row(path, graded_kinds):
            if path in visible:
                # A file name is the student's text: the instructor sees it as visible escapes.
                found.notes.append(f"ignored {safe_text.visible(path.name)}: "
                                   + _not_an_upload(path.name))
            continue
        base = student_id(path.name)
        if path in kept:
            found.uploads.append(Upload(kept[path], path, made.get(path, ())))
            continue
        ident, n, key = base, 1, parse_name(path.name).key
        while ident.lower() in taken or owner.get(ident.lower(), key) != key:
            n += 1
            ident = f"{base}-{n}"
        taken[ident.lower()] = path
        found.uploads.append(Upload(ident, path, made.get(path, ())))
    order = {path: n for n, path in enumerate(entries)}
    found.uploads.sort(key=lambda u: order[u.path])
    # Said once per upload renamed, naming it first and every other upload of that student, so
    # no reader takes one upload's new identifier for another's.
    by_base: dict[str, list[Upload]] = {}
    for upload in found.uploads:
        by_base.setdefault(student_id(upload.path.name).lower(), []).append(upload)
    by_student = {u.student.lower(): u for u in found.uploads}
    for same in by_base.values():
        for upload in same:
            base = student_id(upload.path.name)
            if upload.student == base:
                continue
            others = [o for o in same if o is not upload]
            holder = by_student.get(base.lower())
            key = parse_name(upload.path.name).key
            if upload.path in renamed:
                found.notes.append(f"{_named(upload)} is graded as {upload.student!r}, as "
                                   f"{_who(parse_name(upload.path.name))} was before, under "
                                   "another name (renamed in the LMS since)")
                continue
            if others and key is not None and all(
                    parse_name(o.path.name).key not in (None, key) for o in others):
                # Two users of the LMS (two Canvas user ids), one name: two students.
                said = " and ".join(f"{_named(o)} (graded as {o.student!r})" for o in others)
                who = "is another student" if len(others) == 1 else "are other students"
                why = f"{said} {who} of the same name"
            elif others:
                said = " and ".join(f"{_named(o)} (graded as {o.student!r})" for o in others)
                why = f"{said} name{'s' if len(others) == 1 else ''} the same student"
            elif holder is not None:  # `alice-2.py` after `Alice.py` was made alice-2
                why = f"{base!r} is {_named(holder)}'s"
            else:
                why = (f"{base!r} is another student's, graded before under that name (their "
                       "report is kept)")
            found.notes.append(f"{_named(upload)} is graded as {upload.student!r}: {why}")
    found.notes += _split_students(found.uploads, layout)
    found.notes += _shared_accounts(found.uploads)
    return found


# ---- a folder unpacked beside its archive ------------------------------------------------------
# Files an unzip tool writes or keeps that are nobody's code (macOS's metadata, Python's caches):
# they do not make a folder another upload than the archive it was unpacked from.
_NOT_CONTENT = frozenset({*archive_names.JUNK_PARTS, ".DS_Store"})


def _is_content(relative: str) -> bool:
    parts = relative.split("/")
    return not (_NOT_CONTENT.intersection(parts) or parts[-1].startswith("._")
                or parts[-1].endswith(".pyc"))


def _zip_listing(archive: Path) -> dict[str, tuple[int, int]] | None:
    """{member path: (size, CRC-32)} of a zip's files, as its directory declares them; None when
    it cannot be read. Nothing is decompressed: the directory is what unzip checks each file it
    writes against, so a folder unpacked from the zip has these sizes and checksums."""
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if len(infos) > MAX_UPLOAD_MEMBERS:
        return None
    listing = {}
    for info in infos:
        name = member_name(info)[0]
        member = safe_member(name)
        if info.is_dir() or member is None or (info.external_attr >> 16) & 0o170000 == 0o120000:
            continue
        if _is_content(member.as_posix()):
            listing[member.as_posix()] = (info.file_size, info.CRC)
    return listing


def _folder_listing(folder: Path) -> dict[str, tuple[int, int]] | None:
    """{relative path: (size, CRC-32)} of a folder's regular files, links left out as grading
    leaves them out; None when it cannot be read or holds more than a zip may."""
    listing: dict[str, tuple[int, int]] = {}
    try:
        for parent, dirs, files in os.walk(folder, followlinks=False):
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(parent, d))]
            for name in files:
                path = Path(parent, name)
                relative = path.relative_to(folder).as_posix()
                if path.is_symlink() or not path.is_file() or not _is_content(relative):
                    continue
                crc = 0
                with open(path, "rb") as stream:
                    for block in iter(lambda: stream.read(1 << 20), b""):
                        crc = zlib.crc32(block, crc)
                listing[relative] = (path.stat().st_size, crc)
                if len(listing) > MAX_UPLOAD_MEMBERS:
                    return None
    except OSError:
        return None
    return listing


def _differences(archive: Path, folder: Path) -> list[str] | None:
    """How `folder` differs from what the zip `archive` unpacks to ([] when it holds exactly
    that, macOS's metadata and caches aside), or None when that cannot be told without
    unpacking it (a tar archive, which only the sandbox opens; an unreadable zip)."""
    if archive.suffix.lower() != ".zip":
        return None
    packed, unpacked = _zip_listing(archive), _folder_listing(folder)
    if packed is None or unpacked is None:
        return None
    changed = sorted(n for n in packed.keys() & unpacked.keys() if packed[n] != unpacked[n])
    said = [f"{safe_text.visible(n)} differs" for n in changed]
    said += [f"only the folder holds {safe_text.visible(n)}"
             for n in sorted(unpacked.keys() - packed.keys())]
    said += [f"only the archive holds {safe_text.visible(n)}"
             for n in sorted(packed.keys() - unpacked.keys())]
    return said


def _unpacked_copies(entries: list[Path], notes: list[str]) -> list[Path]:
    """`entries` without the second of each upload that is there twice: an archive and a folder
    of its name (`x_12345_67890_hw1.zip`, `x_12345_67890_hw1/`), as an unzip tool that unpacks
    each zip beside itself leaves a download. Two rows of one student followed, each with the
    same Canvas user and attachment id in canvas.csv, and Canvas imports either (probe s59).
    - A folder holding exactly what the zip unpacks to is its copy: the archive, the file the
      LMS gave, is graded, and the note says the folder is its unpacked copy.
    - A folder of another content, or beside an archive that cannot be compared without
      unpacking it, whose name carries the LMS's ids: one upload of the LMS either way, and the
      LMS gives no order between the two. The folder is graded, as any student's files handed
      in with an archive and no order between them are (_superseded_by_order): an attachment
      never changes in the LMS, so the folder is what was changed since (an instructor's fix);
      the note says what differs and that the archive is left out.
    - Without the LMS's ids (`alice.zip`, `alice/` of other files) they are two uploads of one
      name, `alice` and `alice-2`, as before."""
    archives: dict[str, Path] = {}
    for path in entries:
        suffix = ".zip" if path.name.lower().endswith(".zip") else archive_names.tar_suffix(
            path.name)
        if suffix and path.is_file() and _is_candidate(path):
            archives.setdefault(path.name[:-len(suffix)], path)
    left_out: set[Path] = set()
    for folder in entries:
        archive = archives.get(folder.name)
        if archive is None or not folder.is_dir() or not _is_candidate(folder):
            continue
        differences = _differences(archive, folder)
        parsed = parse_name(archive.name)
        shown, packed = safe_text.visible(folder.name) + "/", safe_text.visible(archive.name)
        if differences == []:
            left_out.add(folder)
            notes.append(f"{packed} is graded once: the folder {shown} beside it is its unpacked "
                         "copy (the same files), left out")
        elif parsed.key is not None:
            left_out.add(archive)
            why = ("; ".join(differences[:3]) + ("; ..." if len(differences) > 3 else "")
                   if differences else "a tar archive is opened only in the sandbox, so the two "
                   "were not compared")
            notes.append(f"left out {packed}: the folder {shown} beside it, of the same name "
                         f"({_who(parsed)}, one upload of the LMS), is graded instead, and they "
                         f"differ ({why}). The LMS gives no order between them, and an archive "
                         "with other files of no order is left out for them; if the archive is "
                         "the upload to grade, remove the folder and run the batch again")
    return [path for path in entries if path not in left_out]


def _shared_accounts(uploads: Sequence[Upload]) -> list[str]:
    """Notes for rows that carry one LMS account (a Canvas user id, a Moodle participant id)
    under two identifiers: canvas.csv gets a row for each, and which one Canvas imports is not
    defined. The rules above leave none; should an input still bring one, it is said."""
    by_account: dict[tuple[str, str], list[Upload]] = {}
    for upload in uploads:
        account = _account(parse_name(upload.path.name))
        if account is not None:
            by_account.setdefault(account, []).append(upload)
    notes = []
    for (lms, number), same in sorted(by_account.items()):
        if len({u.student.lower() for u in same}) < 2:
            continue
        rows = " and ".join(f"{_named(u)} (graded as {u.student!r})" for u in same)
        what = "Canvas user" if lms == "canvas" else "Moodle participant"
        notes.append(f"{rows} carry one {what}, {number}: canvas.csv has a row for each, and "
                     "which one the LMS imports is not defined. Remove the upload that is not "
                     "to be graded and run the batch again")
    return notes


# Archives a student may hand in that the grader does not open: named as such in the batch's
# notes, so the instructor knows to ask for another kind rather than take the file for a stray.
_OTHER_ARCHIVES = UNOPENED_ARCHIVES


def _archive_kind(name: str) -> str:
    """The suffix of an archive the grader does not open that `name` ends with, or ""."""
    return next((s for s in sorted(_OTHER_ARCHIVES, key=len, reverse=True)
                 if name.lower().endswith(s) and len(name) > len(s)), "")


def _not_an_upload(name: str) -> str:
    """Why a file among the uploads is not graded."""
    kind = _archive_kind(name)
    if kind:
        return (f"a {kind} archive, which the grader does not open; if it is a student's upload, "
                "ask for a .zip or .tar.gz of the files (or unpack it into a folder here)")
    return "not a .py, .ipynb, .zip or tar archive (.tar.gz, .tgz, ...), nor a folder"


def _one_file_wrapper(lone: Path, folder: Path) -> list[str]:
    """A note when the only entry of the input is a folder holding one file, not named as an LMS
    names a student's folder: `HW1/alice.py` is one student's folder (graded as HW1) or the
    class's folder with one upload in it so far (alice), and nothing in it tells which."""
    if parse_name(lone.name).convention:
        return []
    inside = [q for q in lone.iterdir() if _is_candidate(q) and not q.is_symlink()]
    if len(inside) != 1 or not inside[0].is_file():
        return []
    return [f"{safe_text.visible(folder.name)} holds one folder, "
            f"{safe_text.visible(lone.name)}/, with one file in it, "
            f"{safe_text.visible(inside[0].name)}: graded as one student's upload named "
            f"{student_id(lone.name)!r}. If {safe_text.visible(lone.name)}/ is the folder of the "
            f"class's uploads, run the batch on it instead"]


def _named(upload: Upload) -> str:
    """An upload as the instructor knows it: its name, or for a flat export's files the batch
    gathered into a folder of its own, the first of them (the batch's folder is no name of the
    download's)."""
    if not upload.files:
        return safe_text.visible(upload.path.name)
    first = safe_text.visible(Path(upload.files[0]).name)
    more = len(upload.files) - 1
    return first + (f" and {more} more file{'s' if more > 1 else ''}" if more else "")


def _split_students(uploads: Sequence[Upload], layout: Collection[str]) -> list[str]:
    """Notes for files that look like one student's files named in a way no known LMS names
    them: one prefix or one suffix beside a module of the assignment's layout
    (`lee_kim_66666_q1_softmax.py`, `q1_softmax_leekim.py`, ...). They are graded one by one, as
    their names say, but the instructor is told, since a student graded as four is scored 0-15
    four times."""
    by_part: dict[tuple[str, str], list[str]] = {}
    for upload in uploads:
        stem = upload.path.stem if upload.path.is_file() else ""
        for module in layout:
            if stem.endswith(module) and stem[:len(stem) - len(module)].strip("_- "):
                by_part.setdefault(("begin with", stem[:len(stem) - len(module)]),
                                   []).append(upload.student)
            elif stem.startswith(module) and stem[len(module):].strip("_- "):
                by_part.setdefault(("end with", stem[len(module):]), []).append(upload.student)
    return [f"{len(students)} uploads {where} {safe_text.visible(part)} and each is one "
            f"module of the assignment ({', '.join(students)}): each is graded as a student of "
            "its own. If they are one student's files, put them in one folder named after the "
            "student and run the batch again"
            for (where, part), students in sorted(by_part.items()) if len(students) > 1]


def _holds_uploads(folder: Path, layout: Collection[str],
                   functions: Collection[str] = ()) -> str | None:
    """Why the one folder at the top of the input holds the class's uploads (a zip of the
    download folder), or None when it is one student's own folder. Only what the names and the
    code show counts, never how many entries there are (a class may have one upload so far, a
    student several files):
    - a folder named as an LMS names a student's (Moodle's `..._assignsubmission_file_`) is that
      student's; entries named so are students' uploads;
    - a file named as a module of the assignment's `layout` (q1_softmax.py) is a student's;
    - otherwise its entries are put together as one student's files go together: files that
      import one another, a notebook and its export (one stem), and a helper (a .py file that
      defines functions, none of them graded) with the rest. Groups left that share a graded
      function (two solutions), or one that defines none (an empty or broken upload, a folder, a
      zip), are several students' uploads; groups each defining graded functions of their own
      are one student's work split into files;
    - a folder with no code file of its own, only folders and zips, holds uploads; one with
      nothing to grade in it is a wrapper too: it is looked into, and found empty."""
    if parse_name(folder.name).convention:
        return None
    inside = [q for q in folder.iterdir() if _is_candidate(q) and not q.is_symlink()]
    if not inside:
        return "it holds nothing to grade"
    if any(parse_name(q.name).convention for q in inside):
        return "its entries are named as an LMS names students' uploads"
    if any(q.is_file() and q.stem in layout for q in inside):
        return None
    if not any(q.is_file() and q.suffix.lower() in (".py", ".ipynb") for q in inside):
        return "it holds folders and zips and no code of its own"
    groups = _together(inside, functions)
    if len(groups) < 2:
        return None
    graded = [set().union(*(_defines_and_imports(p)[0] & set(functions) for p in group
                            if p.is_file() and p.suffix.lower() in (".py", ".ipynb")))
              for group in groups]
    twice = sum(len(g) for g in graded) > len(set().union(*graded))
    if not twice and all(graded):
        # Each part defines graded functions no other does: one student's work split in files.
        return None
    shown = ", ".join(" + ".join(safe_text.visible(p.name) for p in group) for group in groups[:4])
    return (f"{len(groups)} separate uploads: {shown}{', ...' if len(groups) > 4 else ''}")


def _together(entries: list[Path], functions: Collection[str]) -> list[list[Path]]:
    """`entries` in groups of what one student's files share: one stem (hw1.ipynb, hw1.py), an
    import of one by another, and helpers (.py files whose functions are none of `functions`)
    joined to the rest. Read with the parser, never run."""
    parent = {p: p for p in entries}

    def root(p: Path) -> Path:
        while parent[p] != p:
            p = parent[p]
        return p

    def join(a: Path, b: Path) -> None:
        parent[root(a)] = root(b)

    by_stem: dict[str, Path] = {}
    for path in entries:
        if path.is_file():
            stem = path.stem.lower()
            if stem in by_stem:
                join(path, by_stem[stem])
            by_stem.setdefault(stem, path)
    helpers = []
    graded = {p: _defines_and_imports(p)[0] & set(functions) for p in entries
              if p.is_file() and p.suffix.lower() in (".py", ".ipynb")}
    for path in entries:
        if not (path.is_file() and path.suffix.lower() in (".py", ".ipynb")):
            continue
        defined, imported = _defines_and_imports(path)
        for name in imported:
            other = by_stem.get(name.lower())
            # Not two files that define one graded function: those are two solutions, whatever
            # imports what (`import alice, bob, carol` in one upload made the class one student).
            if other is not None and other != path \
                    and not graded.get(path, set()) & graded.get(other, set()):
                join(path, other)
        if defined and not defined & set(functions) and path.suffix.lower() == ".py":
            helpers.append(path)
    others = [p for p in entries if p not in helpers]
    for helper in helpers:
        if others:
            join(helper, others[0])
    groups: dict[Path, list[Path]] = {}
    for path in entries:
        groups.setdefault(root(path), []).append(path)
    return sorted(groups.values(), key=lambda g: g[0].name)


def _defines_and_imports(path: Path) -> tuple[set[str], set[str]]:
    """The functions a .py file or a notebook defines at its top level, and the modules it
    imports (the first part of each dotted name), read as the worker runs it (source_trees.py):
    a Python 2 file defined nothing here, and a student's later copy of it was graded beside the
    earlier, each function from the first name (probe s59)."""
    defined: set[str] = set()
    imported: set[str] = set()
    for tree in source_trees.trees(path):
        defined |= {node.name for node in tree.body
                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
    return defined, imported


def _without_moodle_extras(entries: list[Path], notes: list[str]) -> list[Path]:
    """Moodle gives each submission plugin of a student a folder (`..._assignsubmission_file_`,
    `..._assignsubmission_onlinetext_`): beside a file submission, the other folders of that
    participant are left out, and said to be, not graded as a second student with no code."""
    with_files = {parse_name(p.name).moodle_participant_id for p in entries
                  if p.is_dir() and "_assignsubmission_file" in p.name.lower()
                  and parse_name(p.name).convention == "moodle"}
    kept = []
    for path in entries:
        parsed = parse_name(path.name)
        if parsed.convention == "moodle" and parsed.moodle_participant_id in with_files \
                and "_assignsubmission_file" not in path.name.lower():
            notes.append(f"left out {safe_text.visible(path.name)}: Moodle's other submission "
                         f"for participant {parsed.moodle_participant_id}, whose files are graded")
            continue
        kept.append(path)
    return kept


_LMS_NAMES = {"canvas": "Canvas", "moodle": "Moodle", "blackboard": "Blackboard",
              "brightspace": "Brightspace"}


def _who(first: UploadName) -> str:
    """How a note names the student of a flat export: by the LMS's id where it has one."""
    lms = _LMS_NAMES[first.convention]
    if first.convention == "canvas":
        return f"Canvas user {first.canvas_user_id} ({safe_text.visible(first.student)})"
    if first.convention == "moodle":
        return f"Moodle participant {first.moodle_participant_id} ({safe_text.visible(first.student)})"
    if first.convention == "blackboard":
        return f"Blackboard user {safe_text.visible(first.blackboard_username)}"
    return f"{lms} student {safe_text.visible(first.student)}"


def _group_folder(files: list[tuple[Path, UploadName]]) -> str:
    """The name of the folder a student's files are gathered into: named as the LMS names that
    student, so it parses to the same identifier and ids (the gradebook keeps them)."""
    first = files[0][1]
    if first.convention == "canvas":
        late = "_LATE" if any(parsed.late for _, parsed in files) else ""
        return (f"{first.original.split('_', 1)[0]}{late}_{first.canvas_user_id}_"
                f"{first.canvas_submission_id}_files")
    match = first.original[: len(first.original) - len(first.filename)]
    if first.convention == "brightspace":
        return match.removesuffix(" - ")
    return match.rstrip("_") + ("_" if first.convention == "moodle" else "")


def _as_handed_in(filename: str, convention: str, layout: Collection[str]) -> str:
    """A file's own name as the student gave it: Canvas names a file handed in again in a later
    submission `q2_sigmoid-1.py`. Only a name of the assignment's layout is given back (a
    student's own `part-2.py` keeps its name)."""
    if convention != "canvas":
        return filename
    stem, dot, suffix = filename.rpartition(".")
    base, dash, number = stem.rpartition("-")
    if dot and dash and number.isdigit() and base in layout:
        return f"{base}.{suffix}"
    return filename


def _lms_groups(entries: list[Path], grouped: Path, notes: list[str],
                layout: Collection[str] = (), functions: Collection[str] = ()
                ) -> tuple[list[Path], dict[Path, tuple[str, ...]]]:
    """`entries` with the files of each student of a flat LMS export (Canvas, Moodle without
    folders, Blackboard, Brightspace: each file named after its student, see grader/uploads.py)
    replaced by one folder under `grouped` holding them under their own names, so that
    q2_neural.py finds q2_sigmoid.py, and one row per student. A name handed in twice keeps the
    later file; of a student's Blackboard attempts, the latest alone is graded (each attempt is a
    whole submission); the .txt receipts Blackboard writes beside each attempt are left out. A
    file of the student's own naming whose graded functions a later file of theirs defines again
    (hw1.py, then hw1_final.py) is an earlier version, left out too. Every choice is said in
    `notes`. Also returns, per folder made, the original paths of its files."""
    shutil.rmtree(grouped, ignore_errors=True)
    shutil.rmtree(grouped.with_name(".canvas-groups"), ignore_errors=True)  # before Moodle & co.
    by_student: dict[tuple[str, str], list[tuple[Path, UploadName]]] = {}
    receipts: list[Path] = []
    for path in entries:
        parsed = parse_name(path.name)
        if parsed.ambiguous == "moodle":
            ids = ", ".join(re.findall(r"_(\d+)_assignsubmission_", path.name, re.IGNORECASE))
            notes.append(f"{safe_text.visible(path.name)} is graded alone, as "
                         f"{parsed.student!r}: its name holds more than one Moodle participant id "
                         f"({ids}), and a student may write one into their full name or their "
                         "file's name; check whose upload it is")
        if parsed.receipt and path.is_file():
            receipts.append(path)
        elif parsed.key and parsed.filename and path.is_file() and _is_candidate(path):
            by_student.setdefault(parsed.key, []).append((path, parsed))
    if receipts:
        notes.append(f"left out {len(receipts)} Blackboard attempt receipt"
                     f"{'s' if len(receipts) > 1 else ''} (the .txt Blackboard writes beside an "
                     f"attempt's files; no code): "
                     + ", ".join(safe_text.visible(p.name) for p in receipts))
    replaced: dict[Path, Path | None] = {path: None for path in receipts}
    made: dict[Path, tuple[str, ...]] = {}
    for files in by_student.values():
        first = files[0][1]
        if first.convention == "blackboard":
            latest = max(parsed.handed_in for _, parsed in files)
            earlier = [(path, parsed) for path, parsed in files if parsed.handed_in != latest]
            if earlier:
                notes.append(f"{_who(first)} made {len({p.handed_in for _, p in files})} "
                             f"attempts: the latest ({latest}) is graded; left out "
                             + ", ".join(safe_text.visible(path.name) for path, _ in earlier))
                for path, _ in earlier:
                    replaced[path] = None
            files = [(path, parsed) for path, parsed in files if parsed.handed_in == latest]
        newest: dict[str, tuple[str, Path]] = {}
        dropped: list[tuple[Path, Path]] = []  # (left out, the later one kept)
        for path, parsed in sorted(files, key=lambda item: item[1].handed_in):
            name = _as_handed_in(parsed.filename, parsed.convention, layout)
            if name in newest:
                dropped.append((newest[name][1], path))
            newest[name] = (parsed.handed_in, path)
        renamed = _renamed_versions(newest, layout, functions)
        for old, new in renamed:
            dropped.append((old, new))
            newest = {name: kept for name, kept in newest.items() if kept[1] != old}
        for old, new in _layout_replaced(newest, layout, functions):
            dropped.append((old, new))
            newest = {name: kept for name, kept in newest.items() if kept[1] != old}
        superseded, unordered = _superseded_by_order(newest, functions)
        for old, new in superseded:
            dropped.append((old, new))
            newest = {name: kept for name, kept in newest.items() if kept[1] != old}
        if unordered and len(newest) > 1:
            notes.append(f"{_who(first)} handed in "
                         f"{', '.join(safe_text.visible(p.name) for p in unordered)} with "
                         "other files and the LMS gives no order between them: the other files "
                         "are graded, not the archive (ask for one upload: the files, or one "
                         "archive of them)")
        if len(files) < 2:
            continue
        # Named after the first file graded: the gradebook's canvas_submission_id sent an
        # instructor to an attachment handed in again later, and left out.
        graded = {path for _, path in newest.values()}
        folder = grouped / _group_folder([item for item in files if item[0] in graded] or files)
        folder.mkdir(parents=True)
        for name, (_, path) in sorted(newest.items()):
            shutil.copyfile(path, folder / name)
        names = ", ".join(safe_text.visible(n) for n in sorted(newest))
        note = (f"{len(newest)} files of {_who(first)} graded as one submission: {names}"
                if len(newest) > 1 else
                f"{_who(first)} handed in {len(files)} files: {names} is graded")
        if dropped:
            note += "; left out " + ", ".join(
                f"{safe_text.visible(old.name)} (handed in again as {safe_text.visible(new.name)}"
                f"{RENAMED if (old, new) in renamed else ''})" for old, new in dropped)
        notes.append(note)
        made[folder] = tuple(str(path) for _, (_, path) in sorted(newest.items()))
        for index, (path, _) in enumerate(files):
            replaced[path] = folder if index == 0 else None
    kept = [replaced.get(path, path) for path in entries]
    return [path for path in kept if path is not None], made


# What the note adds to a file left out for a later one of another name (_renamed_versions).
RENAMED = ", a later file defining its graded functions"


def _account(parsed: UploadName) -> tuple[str, str] | None:
    """The LMS's account an upload's name carries beside a display name the LMS may change: a
    Canvas user id, a Moodle participant id. (A Blackboard name is its username, which no rename
    changes, and which an earlier download's names, read without that download's assignment,
    may give wrongly: `a_smith`'s row went to user `smith`.)"""
    if parsed.convention == "canvas" and parsed.canvas_user_id:
        return ("canvas", parsed.canvas_user_id)
    if parsed.convention == "moodle" and parsed.moodle_participant_id:
        return ("moodle", parsed.moodle_participant_id)
    return None


def _head_of(path: Path, size: int = 4096) -> str:
    """The start of a small text file (a Blackboard receipt), "" when it cannot be read."""
    try:
        with open(path, "rb") as f:
            return f.read(size).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _is_archive(path: Path) -> bool:
    return path.suffix.lower() == ".zip" or bool(archive_names.tar_suffix(path.name))


def _superseded_by_order(newest: Mapping[str, tuple[str, Path]], functions: Collection[str]
                         ) -> tuple[list[tuple[Path, Path]], list[Path]]:
    """Where archives are among one student's files: (earlier, later) pairs of files left out,
    and the archives left ungraded for want of an order. An archive is a whole submission (a
    folder of an archive and anything else grades the other files alone, and of two archives
    neither: `submission.zip`, then Canvas's `submission-1.zip`, scored 0): the last archive
    replaces every file handed in before it; files handed in after it replace it when they
    define a graded function (a resubmission), and are left out when they do not (a helper
    handed in beside it: `utils.py` after the zip scored 0). Only where the LMS says the order
    (Canvas's attachment ids, Brightspace's times) and each file has its own place in it."""
    files = sorted((when, path) for when, path in newest.values())
    whens = [when for when, _ in files]
    archives = [(when, path) for when, path in files if _is_archive(path)]
    if not archives or len(files) < 2:
        return [], []
    if "" in whens or len(set(whens)) != len(whens):
        return [], [path for _, path in archives]
    last_when, last = archives[-1]
    after = [path for when, path in files if when > last_when]
    graded_after = [path for path in after
                    if _defines_and_imports(path)[0] & set(functions) or not functions]
    if graded_after:  # the archives are earlier work
        return [(path, graded_after[-1]) for _, path in archives], []
    return [(path, last) for when, path in files if path != last], []


def _renamed_versions(newest: Mapping[str, tuple[str, Path]], layout: Collection[str],
                      functions: Collection[str]) -> list[tuple[Path, Path]]:
    """(earlier, later) pairs of one student's files where the later one is a resubmission under
    a name of the student's own: neither is one of the assignment's files (`layout`), the later
    defines every graded function the earlier does (at least one) and does not import it. Canvas
    keeps each attachment's name, so hw1.py and hw1_final.py both come down, and the loader
    would grade whichever name sorts first."""
    own = [(when, path) for name, (when, path) in newest.items()
           if name.rpartition(".")[0] not in layout and path.suffix.lower() in (".py", ".ipynb")]
    if len(own) < 2 or not functions:
        return []
    defined = {}
    for _, path in own:
        defined[path] = (source_trees.writes(path, functions), _defines_and_imports(path)[1])
    pairs: list[tuple[Path, Path]] = []
    gone: set[Path] = set()
    ordered = sorted(own, key=lambda item: item[0])
    for n, (when, old) in enumerate(ordered):
        graded = defined[old][0]
        for later_when, new in reversed(ordered[n + 1:]):
            if later_when > when and new not in gone and graded and graded <= defined[new][0] \
                    and Path(parse_name(old.name).filename or old.name).stem \
                    not in defined[new][1]:
                pairs.append((old, new))
                gone.add(old)
                break
    return pairs


def _layout_replaced(newest: Mapping[str, tuple[str, Path]], layout: Collection[str],
                     functions: Collection[str]) -> list[tuple[Path, Path]]:
    """(earlier, later) pairs where one file of the student's own naming, handed in after every
    one of the assignment's files (`layout`) the student handed in, defines every graded
    function they define together: the files handed in one by one, then one complete file (probe
    s59: q1_softmax.py ... then hw1.py, graded on the earlier files, 50 where hw1.py gets 100).
    Functions written, not defined: a later file of the starter's stubs replaced four finished
    files (recheck probe s59, 100 to 0).
    Not where a file of the layout imports the later one: that is a part, not a version."""
    parts = [(when, path) for name, (when, path) in newest.items()
             if name.rpartition(".")[0] in layout and path.suffix.lower() == ".py"]
    own = [(when, path) for name, (when, path) in newest.items()
           if name.rpartition(".")[0] not in layout and path.suffix.lower() in (".py", ".ipynb")]
    if not parts or not own or not functions:
        return []
    wanted: set[str] = set()
    imported: set[str] = set()
    for _, path in parts:
        wanted |= source_trees.writes(path, functions)
        imported |= _defines_and_imports(path)[1]
    last_part = max(when for when, _ in parts)
    for when, new in sorted(own, key=lambda item: item[0], reverse=True):
        stem = Path(parse_name(new.name).filename or new.name).stem
        if when > last_part and wanted and stem not in imported \
                and wanted <= source_trees.writes(new, functions):
            return [(path, new) for _, path in sorted(parts, key=lambda item: item[0])]
    return []


# ---- an outer .zip --------------------------------------------------------------------------
# Beside what extract unpacked: what it could not, as notes for the instructor.
UNREADABLE_NOTES = ".unreadable.json"


UNPACKED_NOTHING = ".not-unpacked.json"  # {upload name: why}: uploads the zip could not give


def not_unpacked(folder: Path, upload: Path) -> str | None:
    """Why `upload`, found in the unpacked class zip `folder`, cannot be graded: a member of it
    (the upload itself, or a file in its folder) was damaged or encrypted. The member stands in
    as an empty file, so that its student is found and graded 0 with this reason."""
    try:
        found = json.loads((folder / UNPACKED_NOTHING).read_text(encoding="utf-8"))
        where = upload.relative_to(folder).as_posix()
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict):
        return None
    return next((str(why) for member, why in found.items()
                 if member == where or str(member).startswith(where + "/")), None)


def unpacking_notes(folder: Path) -> list[str]:
    try:
        return [str(note) for note in json.loads(
            (folder / UNREADABLE_NOTES).read_text(encoding="utf-8"))]
    except (OSError, ValueError):
        return []


def extract(archive: Path, dest: Path) -> Path:
    """Copy the files out of `archive` into `dest` (reused when it holds this very archive).
    Refuses path traversal and symbolic links; caps the members and the bytes actually written."""
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    marker = dest / ".complete"
    if marker.is_file() and marker.read_text() == digest:
        return dest
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BatchError(f"{archive}: not a readable zip file ({exc})") from None
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    unreadable: list[tuple[str, str]] = []
    links: list[str] = []
    guessed: list[str] = []
    with zf:
        try:
            extract_members(zf, tmp, max_members=MAX_UPLOAD_MEMBERS, max_bytes=MAX_UPLOAD_BYTES,
                            unreadable=unreadable, links=links, guessed=guessed,
                            max_member_bytes=UPLOAD_BYTES)
        except ArchiveError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise BatchError(f"{archive}: {exc}") from None
    notes = [f"{safe_text.visible(name)} could not be unpacked from "
             f"{safe_text.visible(archive.name)}: {why}; not graded" for name, why in unreadable]
    notes += [f"ignored {safe_text.visible(name)} in {safe_text.visible(archive.name)}: "
              f"{LINK_WHY}" for name in links]
    if guessed:
        # A zip made by Windows in another language (Shift-JIS, GBK): its names came out as
        # ÄRôcæ_ÿY, and nothing said they might be wrong.
        shown = ", ".join(safe_text.visible(n) for n in guessed[:3])
        many = len(guessed) > 1
        notes.append(f"{len(guessed)} name{'s' if many else ''} in "
                     f"{safe_text.visible(archive.name)} ({shown}{', ...' if len(guessed) > 3 else ''}) "
                     f"{'are' if many else 'is'} not marked as UTF-8 and "
                     f"{'were' if many else 'was'} read in the zip standard's old encoding "
                     f"(cp437); if {'they look' if many else 'it looks'} garbled (a zip made by "
                     "Windows in another language), unpack it with its encoding (unzip -O "
                     "shift_jis, for instance) and run the batch on the folder")
    if notes:
        (tmp / UNREADABLE_NOTES).write_text(json.dumps(notes), encoding="utf-8")
    # A student whose upload the zip could not give still gets a row: 0, and why. An upload
    # that is one member stands in as an empty file of its name; one of several (a folder) is
    # there with its other files, and is refused whole (graded without a file, it would be
    # judged on what is left).
    lost: dict[str, str] = {}
    for name, why in unreadable:
        member = safe_member(name)
        if member is None or not member.parts:
            continue
        lost[member.as_posix()] = f"{name} could not be unpacked from {archive.name}: {why}"
        place = tmp.joinpath(*member.parts)
        if not place.exists():
            place.parent.mkdir(parents=True, exist_ok=True)
            place.write_bytes(b"")
    if lost:
        (tmp / UNPACKED_NOTHING).write_text(json.dumps(lost), encoding="utf-8")
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    (dest / ".complete").write_text(digest)
    return dest
