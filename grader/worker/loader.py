"""Find and import a submission inside the worker: a .py file, a folder, a .zip or a notebook.

Runs next to student code (importing a module runs it), so this module reports what it found and
never judges it.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import functools
import importlib.util
import json
import linecache
import os
import re
import shutil
import signal
import stat
import sys
import tarfile
import time
import traceback
import types
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Collection, NamedTuple

import missing_imports
import notebook_cells
import numpy_aliases
import package_imports
import python2_division
import python2_names
import python2_source
import archive_names
import source_text
import written_defs
import unpack_tar

if TYPE_CHECKING:
    import capture

MAX_ARCHIVE_BYTES = 50 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 2000
IGNORED_PARTS = {"__MACOSX", "__pycache__", ".ipynb_checkpoints"}


class NotPython(Exception):
    """A .py file of the upload that holds another kind of file (a PDF, a zip, an image)."""


class LoadError(Exception):
    """The submission could not be laid out (not importing it: that is reported per module)."""


class DidNotFinish(Exception):
    """A .py file of a multi-file upload whose top level was still running when the grader's
    import deadline stopped an earlier worker (grader/proxy.py names it in `hung`): it is not
    run again, and its error is the statement that was running, so that the other files load
    and a hang costs what a raise costs (probe s59: a sleep at the end of q2_sigmoid.py cost
    softmax, in q1_softmax.py, which never imports it)."""

    def __init__(self, hung: dict) -> None:
        super().__init__(hung)
        self.hung = hung

    def entry(self, module: str) -> dict:
        """The import error of the file left out, as `_error_entry` words a raise at that line."""
        line = self.hung.get("line")
        return {"module": module, "file": str(self.hung.get("file", module)),
                "line": line if isinstance(line, int) else None, "type": "TimeoutError",
                "message": (f"importing {module} did not finish within "
                            f"{float(self.hung.get('seconds', 0)):g} s: this line was still "
                            "running when the grader stopped it (a long loop, or a test left "
                            "at the top level of the file?), so the file was left out and the "
                            "rest of your submission graded without it"),
                "code": str(self.hung.get("code", "")), "in_import": False}


def _safe_extract(archive: Path, dest: Path) -> None:
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise LoadError(f"{archive.name} is not a readable zip file ({exc})") from None
    with zf:
        members = zf.infolist()
        if len(members) > MAX_ARCHIVE_MEMBERS:
            raise LoadError(f"{archive.name} holds {len(members)} files; the limit is {MAX_ARCHIVE_MEMBERS}")
        if sum(m.file_size for m in members) > MAX_ARCHIVE_BYTES:
            raise LoadError(f"{archive.name} unpacks to more than {MAX_ARCHIVE_BYTES // 2**20} MiB")
        root = dest.resolve()
        written: set[Path] = set()
        for member in members:
            name = _member_name(member)
            parts = Path(name).parts
            if member.is_dir() or name.endswith("/") or any(p in IGNORED_PARTS for p in parts):
                continue
            if stat.S_ISLNK(member.external_attr >> 16):  # never followed, nor made a file
                LEFT_OUT.append((name, "a symbolic link"))
                continue
            target = (dest / name).resolve()
            if root not in target.parents:
                raise LoadError(f"{archive.name} has an entry outside its folder: {name!r}")
            if target in written and name not in ZIP_DUPLICATES:
                # A zip updated by appending (Python's zipfile in "a" mode, some LMS re-zips)
                # holds a name twice; the later entry is the update, and is what is graded.
                ZIP_DUPLICATES.append(name)
            written.add(target)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(member) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, zlib.error,
                    OSError) as exc:
                raise LoadError(_unpacking_failed(archive, name, exc)) from None


def _unpack_archive(archive: Path, dest: Path, *, tar: bool) -> None:
    """A zip or a tar upload unpacked, by its name; one whose bytes are the other kind (a zip
    named .tar.gz, a tar named .zip) is unpacked as what it is: "not a tar archive" with
    tarfile's four-line error cut off mid-quote helped no one (probe s54)."""
    try:
        (_extract_tar if tar else _safe_extract)(archive, dest)
    except LoadError:
        try:
            other = (zipfile.is_zipfile(archive) if tar else tarfile.is_tarfile(archive))
        except (OSError, ValueError, EOFError):
            other = False
        if not other:
            raise
        (_safe_extract if tar else _extract_tar)(archive, dest)


def _extract_tar(archive: Path, dest: Path) -> None:
    """A tar upload, unpacked by a zip's rules and limits (unpack_tar.py); what it left out goes
    to the load report as a zip's does."""
    try:
        unpacked = unpack_tar.extract(archive, dest, max_files=MAX_ARCHIVE_MEMBERS,
                                      max_bytes=MAX_ARCHIVE_BYTES, skipped_parts=IGNORED_PARTS)
    except unpack_tar.TarProblem as exc:
        raise LoadError(str(exc)) from None
    LEFT_OUT.extend(unpacked.left_out)
    NOT_CODE.update(unpacked.not_code)
    OVER_LIMITS.extend(unpacked.too_large)
    ZIP_DUPLICATES.extend(unpacked.twice)


def _member_name(member: zipfile.ZipInfo) -> str:
    """A member's path as the zip's maker meant it (the grader's own rules, grader/archive.py):
    a backslash is a folder separator (PowerShell's Compress-Archive writes
    `assignment1\\q2_sigmoid.py`, which unzip and Windows unpack into a folder; read as one
    name, the files could not import each other), and a name not marked as UTF-8 that is valid
    UTF-8 is read so (`José.py`, not `JosÃ©.py`)."""
    name = member.filename
    if not member.flag_bits & 0x800:
        try:
            raw = name.encode("cp437")
            if not raw.isascii():
                name = raw.decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name.replace("\\", "/")


def _unpacking_failed(archive: Path, member: str, exc: BaseException) -> str:
    """Why `member` of the zip could not be unpacked, and what to do."""
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        why = "it is encrypted (a password-protected zip): zip your files again without a password"
    elif isinstance(exc, NotImplementedError):
        why = (f"it is compressed in a way this grader cannot read ({exc}): zip your files again "
               "with your system's standard zip")
    elif isinstance(exc, OSError):
        why = (f"it could not be written ({exc.strerror or exc}; does the zip hold a file and a "
               "folder of the same name?)")
    else:
        why = f"the zip is damaged ({exc}): zip your files again and upload the new zip"
    return f"{archive.name} could not be unpacked at {member!r}: {why}"


def _notebook_to_py(notebook: Path, dest: Path) -> None:
    """The notebook's code cells as `dest` (a .py a person can read) and, beside it, the cells
    file the loader runs cell by cell (notebook_cells.py)."""
    not_utf8: list[dict] = []
    text_defines: list[dict] = []
    language: list[str] = []
    kernel: list = []
    try:
        cells = notebook_cells.read_cells(notebook, not_utf8, text_defines, language, kernel)
    except (notebook_cells.NotebookError, OSError) as exc:
        raise LoadError(_unreadable(notebook, exc)) from None
    except ImportError as exc:  # the grader's environment lacks nbformat or IPython
        raise LoadError(f"notebooks cannot be graded here: {exc}") from None
    OTHER_KERNELS.extend([notebook.name, lang] for lang in language)
    if not cells:
        raise LoadError(f"{notebook.name} has no code cells: there is nothing in it to run or "
                        "grade (was it saved before the code was written?)")
    dest.write_text(notebook_cells.as_script(cells), encoding="utf-8")
    _cells_file(dest).write_text(json.dumps({"notebook": notebook.name, "cells": cells,
                                             "not_utf8": not_utf8,
                                             "text_defines": text_defines,
                                             "python": kernel[0] if kernel else None}),
                                  encoding="utf-8")


def _unreadable(notebook: Path, exc: Exception) -> str:
    """Why a notebook could not be read, in the terms of what the file is: empty, Python code
    saved under a notebook's name, or a notebook that is broken (the reader's error)."""
    try:
        data = notebook.read_bytes()
    except OSError:
        data = None
    if data is not None and not data.strip():
        return (f"{notebook.name} is empty ({len(data)} bytes): it holds no notebook. Save the "
                "notebook in Jupyter and upload the saved file.")
    if data is not None:
        try:
            json.loads(data)
        except (RecursionError, MemoryError):
            return (f"{notebook.name} is not a readable notebook: its JSON is nested too deeply "
                    "or too large to read. Save the notebook in Jupyter and upload the saved file.")
        except ValueError as bad:
            if _python_not_json(data):
                return (f"{notebook.name} is not a notebook: it looks like Python code. If it "
                        f"is a .py file, rename it to {notebook.stem}.py and upload it again.")
            return (f"{notebook.name} is not a readable notebook: it is not valid JSON "
                    f"({str(bad)[:200]}), as a notebook file is. Was it edited by hand, or cut "
                    "short? Save the notebook in Jupyter and upload the saved file.")
        # Valid JSON that the notebook format refuses (a field of the wrong type, cells that are
        # not a list): the reader's own words are kept, after what they mean.
        return (f"{notebook.name} is not a notebook Jupyter can open: its JSON does not follow "
                f"the notebook format (a field missing or of the wrong type; the reader said: "
                f"{exc}). Open it in Jupyter and save it again, or copy its code into a new "
                "notebook, and upload that.")
    return f"{notebook.name} is not a readable notebook ({exc})"


def _python_not_json(data: bytes) -> bool:
    """A file that is not JSON is Python code saved under a notebook's name when Python parses
    it, unless it opens as JSON does: a notebook with a trailing comma is a valid dict expression
    too, and "rename it to .py" graded it 0 with nothing said about the comma (probe s60)."""
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return False
    try:
        ast.parse(data.decode("utf-8-sig"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _look_alike(root: Path, name: str) -> str:
    """" (softmax.py looks like it: ...)" when a file of the upload is named as the missing
    module of the layout is, but for its case, separators, what copying added (_copy_key) or its
    `q1_` (the student renamed q1_softmax.py, and q2_neural.py's `from q1_softmax import softmax`
    found nothing)."""
    wanted = {_copy_key(name), _copy_key(re.sub(r"^[qQ]\d+[_-]?", "", name))}
    whole = _copy_key(name)
    try:
        # Or the name with a word of the student's after it (q2_sigmoid_final.py, q2_sigmoid_v2):
        # graded for its functions, it was never said why the files importing it failed.
        found = sorted(p.name for p in root.glob("*.py") if p.is_file() and p.stem != name
                       and (_copy_key(p.stem) in wanted or (
                           len(whole) >= 4 and _copy_key(p.stem).startswith(whole))))
    except OSError:
        return ""
    if not found:
        return ""
    if len(found) > 1:
        return (f" ({', '.join(found[:-1])} and {found[-1]} look like it: keep one, named "
                f"{name}.py, as the assignment does, for the files that import it)")
    return (f" ({found[0]} looks like it: name it {name}.py, as the assignment does, for "
            "the files that import it)")


# What a browser, a file manager or a second download adds to a file's name: " (1)", "(1) (1)",
# " - Copy", " - Copy (2)", " copy", " copy 2", " 2", a second ".py".
_COPY_SUFFIX = re.compile(r"(\s*\(\d+\)|\s+-\s+copy|\s+copy|\s+\d+|\.py)$", re.IGNORECASE)


def _copy_key(stem: str) -> str:
    """A file name's stem without what copying added, its case and its separators."""
    while True:
        shorter = _COPY_SUFFIX.sub("", stem)
        if shorter == stem or not shorter:
            break
        stem = shorter
    return re.sub(r"[^a-z0-9]", "", stem.lower())


def _renamed_copy(root: Path, name: str) -> Path | None:
    """The one file of the upload that is the layout's module `name` renamed only in ways a
    browser or a desktop does (`q2_sigmoid (1).py`, `Q2_Sigmoid.py`, `q2_sigmoid - Copy.py`,
    `q2_sigmoid 2.py`, `q2_sigmoid.py.py`), or None. Imported under `name`: the files that
    import it then find it, as they do when it is the only file (q2_neural.py's `from
    q2_sigmoid import sigmoid` failed, and a correct upload of four files scored 30)."""
    try:
        found = [p for p in root.glob("*.py") if p.is_file() and p.stem != name
                 and _copy_key(p.stem) == _copy_key(name)]
    except OSError:
        return None
    return found[0] if len(found) == 1 else None


def _only_stubs(path: Path, names: set[str]) -> bool:
    """Whether the file defines some of `names`, and every one of them as the starter leaves it
    (`raise NotImplementedError`, `pass`, or names set to None and returned)."""
    try:
        tree = source_text.tree(source_text.python_source(path.read_bytes())[0])
    except OSError:
        return False
    if tree is None:
        return False
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and n.name in names]
    return bool(defs) and all(_is_stub(d) for d in defs)


def _is_stub(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # its docstring
    for statement in body:
        if isinstance(statement, ast.Raise) and "NotImplementedError" in ast.dump(statement):
            return True
        if isinstance(statement, ast.Pass) or (
                isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)):
            continue
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant) \
                and statement.value.value is None:
            continue
        if isinstance(statement, ast.Return) and (
                statement.value is None or isinstance(statement.value, (ast.Name, ast.Tuple,
                                                                        ast.Constant))):
            continue
        return False
    return True


def _notebook_python(path: Path) -> int | None:
    """The Python a notebook's metadata says it ran in (python2_division.notebook_python), from
    the cells file beside the module made of it; None for a plain .py."""
    try:
        return json.loads(_cells_file(path).read_text(encoding="utf-8")).get("python")
    except (OSError, ValueError, AttributeError):
        return None


def _cells_file(module_file: Path) -> Path:
    """The cells file beside a module. Named after its stem, unless that would pass the 255
    bytes a file name may have: a file whose own name fits (a stem of 235 bytes and more, an
    LMS's prefix on 80 CJK letters) then got 0, its cells file's name refused by the system."""
    name = module_file.stem + notebook_cells.CELLS_SUFFIX
    if len(os.fsencode(name)) > 250:
        stem = os.fsencode(module_file.stem)
        name = f".long-{zlib.crc32(stem):08x}-{len(stem)}{notebook_cells.CELLS_SUFFIX}"
    return module_file.with_name(name)


def lay_out(submission: Path, scratch: Path, layout: tuple[str, ...] | list[str] = (),
            functions: tuple[str, ...] | list[str] = ()) -> Path:
    """Copy the submission into scratch/submission and return the folder whose .py files to import.
    `layout` and `functions`: the module names of the assignment's files and the graded functions,
    which pick the folder to grade when the upload holds its code in several (a whole
    repository, a backup copy beside the real one, a helper script beside the assignment's
    folder)."""
    dest = scratch / "submission"
    dest.mkdir(parents=True, exist_ok=True)
    UPLOAD_TOP[:] = [dest.resolve()]
    BESIDE_ARCHIVE.clear()
    if submission.is_dir():
        shutil.copytree(submission, dest, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(*IGNORED_PARTS, "*.pyc"))
    # A suffix in capitals (gina.PY, saved so on Windows) is the same kind of file; the module
    # is imported under its name with the suffix Python looks for.
    elif submission.suffix.lower() == ".zip":
        _unpack_archive(submission, dest, tar=False)
    elif archive_names.tar_suffix(submission.name):
        _unpack_archive(submission, dest, tar=True)
    elif submission.suffix.lower() == ".ipynb":
        _notebook_to_py(submission, dest / (submission.stem + ".py"))
    elif submission.suffix.lower() == ".py":
        shutil.copy(submission, dest / (submission.stem + ".py"))
    else:
        inner = Path(submission.stem).suffix.lower()  # hw1.py.txt: Notepad's "Save as" adds .txt
        rename = (f" It looks like a {inner} file saved with {submission.suffix} added: rename it "
                  f"{submission.stem}." if inner in (".py", ".ipynb", ".zip") else "")
        if submission.suffix.lower() in OTHER_ARCHIVES:
            rename = f" {_as_other_kind(submission.name)}"
        raise LoadError(f"{submission.name}: expected a .py file, a folder, a .zip or a tar "
                        f"archive (.tar.gz, .tgz, ...) of either, or a .ipynb notebook.{rename}")
    _lower_code_suffixes(dest)
    root = _code_folder(dest, tuple(layout), tuple(functions))
    inner = sorted(p for p in root.iterdir()
                   if p.is_file() and (p.suffix.lower() == ".zip"
                                       or archive_names.tar_suffix(p.name)))
    holds_code = bool(list(root.glob("*.py")) or list(root.glob("*.ipynb")))
    if not holds_code and len(inner) == 1:
        # A zip of a zip (zipped twice over), or a tar in a zip: its one archive is the upload,
        # one level deep only.
        unpacked = root / (inner[0].name + ".unpacked")
        mark = _records_mark()
        _unpack_archive(inner[0], unpacked, tar=bool(archive_names.tar_suffix(inner[0].name)))
        _name_records_since(mark, inner[0].relative_to(dest).as_posix())
        _lower_code_suffixes(unpacked)
        root = _code_folder(unpacked, tuple(layout), tuple(functions))
    elif holds_code and inner:
        root = _archives_beside_code(inner, root, dest, tuple(layout), tuple(functions))
    if root != dest and GRADED_FOLDER.get("others"):
        GRADED_FOLDER["folder"] = root.relative_to(dest).as_posix()
        GRADED_FOLDER["others"] = [p.relative_to(dest).as_posix() + ("/" if p.is_dir() else "")
                                   for p in GRADED_FOLDER["others"]]
    if submission.is_dir() or submission.suffix.lower() == ".zip" \
            or archive_names.tar_suffix(submission.name):
        _notebooks_as_modules(root, tuple(functions))
    _exports_as_notebooks(root)
    if not list(root.glob("*.py")):
        zips = ", ".join([p.name for p in sorted(root.rglob("*"))
                          if p.is_file() and (p.suffix.lower() == ".zip"
                                              or archive_names.tar_suffix(p.name))][:3])
        raise LoadError("the submission holds no Python file (.py) and no notebook (.ipynb)"
                        + (f"; it holds {zips}: upload the files themselves, or one zip of them"
                           if zips else "") + _kinds_not_read(root))
    return root


# Archives the grader cannot open, by suffix: what a student is told to upload instead.
OTHER_ARCHIVES = {".rar": "a RAR archive", ".7z": "a 7-Zip archive"}
ACCEPTED_ARCHIVES = "a .zip or a tar archive (.tar.gz, .tgz, ...)"


def _as_other_kind(name: str) -> str:
    """Why a file called `name` is not read, and what to do, when it says ("" otherwise): an
    archive of a kind the grader cannot open, or code saved with a suffix added (hw1.py.txt:
    Notepad's "Save as" adds .txt)."""
    suffix = Path(name).suffix
    if suffix.lower() in OTHER_ARCHIVES:
        return (f"{name} is {OTHER_ARCHIVES[suffix.lower()]}, which the grader cannot open: "
                f"upload {ACCEPTED_ARCHIVES} of your files instead, or the files themselves.")
    inner = Path(Path(name).stem).suffix.lower()
    if inner in (".py", ".ipynb", ".zip") and suffix:
        return (f"{name} looks like a {inner} file saved with {suffix} added: rename it "
                f"{Path(name).stem}.")
    return ""


def _kinds_not_read(root: Path, shown: int = 3) -> str:
    """"; hw1.py.txt looks like ...": the advice of _as_other_kind for the files of an upload that
    holds no code ("" when none of its files is such), so a folder upload is told what a
    single file upload is."""
    advice = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and _as_other_kind(path.name):
            advice.append(_as_other_kind(path.name))
        if len(advice) == shown:
            break
    return "; " + " ".join(advice) if advice else ""


def _lower_code_suffixes(folder: Path) -> None:
    """Give the upload's code files the suffix Python looks for: a suffix in capitals (hw1.PY,
    q1.Ipynb, saved so on Windows) is the same kind of file, as a single file upload's is; in a
    folder or an archive they were no code at all and the upload scored 0 (probe s58). A name
    whose lower-case spelling the upload also holds is left as it is (the two are not merged)."""
    for path in sorted(folder.rglob("*"), reverse=True):
        lowered = path.suffix.lower()
        if lowered in (".py", ".ipynb") and path.suffix != lowered and path.is_file() \
                and not path.is_symlink() and not path.with_suffix(lowered).exists():
            path.rename(path.with_suffix(lowered))


def _archives_beside_code(archives: list[Path], root: Path, dest: Path,
                          layout: tuple[str, ...], functions: tuple[str, ...]) -> Path:
    """The folder to grade when `root` holds archives beside its code (assignment1.zip with a
    scratch.py or a draft notebook, several files picked in an LMS's upload dialog): a lone
    archive is opened into a folder of its name, one level deep and within an upload archive's
    limits, and _code_folder chooses between it and the files beside it (the place that writes
    the graded functions wins); the report says which was graded. Unopened, the archive was
    named nowhere and the scratch file scored 0 for the whole assignment (probe s58)."""
    names = [a.relative_to(dest).as_posix() for a in archives]
    if len(archives) > 1:
        ARCHIVES_BESIDE.append({"archives": names, "opened": False,
                                "why": "the upload holds more than one archive"})
        return root
    archive = archives[0]
    unpacked = root / (archive.name + ".unpacked")
    mark = _records_mark()
    try:
        _unpack_archive(archive, unpacked, tar=bool(archive_names.tar_suffix(archive.name)))
    except LoadError as exc:  # the files beside it are still graded; the archive is named
        shutil.rmtree(unpacked, ignore_errors=True)
        _drop_records_since(mark)
        ARCHIVES_BESIDE.append({"archives": names, "opened": False, "why": str(exc)})
        return root
    _lower_code_suffixes(unpacked)
    if not any(p.is_file() for pattern in ("*.py", "*.ipynb") for p in unpacked.rglob(pattern)):
        # An archive of data (a corpus, word vectors), which the code beside it reads as the file
        # it is: left as it was (made a folder of its name, the code that opens it failed: 100 to
        # 0, recheck probe s58).
        shutil.rmtree(unpacked, ignore_errors=True)
        _drop_records_since(mark)
        return root
    _name_records_since(mark, names[0])
    kept = archive.read_bytes()  # put back below if the code beside it is graded instead
    archive.unlink()  # its folder takes its name: the report names assignment1.zip/
    unpacked = unpacked.rename(archive)
    # Chosen again with the archive's folder below `root`; a choice made above `root` (the
    # repository's other folders) is still said.
    above = dict(GRADED_FOLDER)
    GRADED_FOLDER.clear()
    graded = _code_folder(root, layout, functions, top=dest)
    if above.get("others"):
        GRADED_FOLDER.setdefault("files", above.get("files", []))
        GRADED_FOLDER["others"] = GRADED_FOLDER.get("others", []) + above["others"]
    inside = graded == unpacked or unpacked in graded.parents
    if inside:
        BESIDE_ARCHIVE.update(folder=root, archive=names[0])
    else:
        ARCHIVES_BESIDE.append({"archives": names, "opened": True, "graded": False,
                                "beside": sorted(p.name for pattern in ("*.py", "*.ipynb")
                                                 for p in root.glob(pattern) if p.is_file())})
        # The code beside it is graded, and may read the archive: it is the file it was again.
        shutil.rmtree(unpacked, ignore_errors=True)
        archive.write_bytes(kept)
        _drop_records_since(mark)
    return graded


# What unpacking an archive records (below: LEFT_OUT, ZIP_DUPLICATES, OVER_LIMITS, NOT_CODE),
# as it stood before: how long each list was, and the not-code folders already named.
_RecordsMark = tuple[int, int, int, frozenset]


def _records_mark() -> _RecordsMark:
    return len(LEFT_OUT), len(ZIP_DUPLICATES), len(OVER_LIMITS), frozenset(NOT_CODE)


def _name_records_since(mark: _RecordsMark, archive: str) -> None:
    """What unpacking `archive` (its path in the upload) recorded since `mark`, named as the
    archive's ("sl.zip/q1_softmax.py"): an archive inside the upload names its entries from its
    own top, and "q1_softmax.py was left out: it is a symbolic link" was said of a link inside
    sl.zip beside the student's own q1_softmax.py, which was graded (recheck probe s58)."""
    left, twice, over, folders = mark
    LEFT_OUT[left:] = [(f"{archive}/{name}", what) for name, what in LEFT_OUT[left:]]
    ZIP_DUPLICATES[twice:] = [f"{archive}/{name}" for name in ZIP_DUPLICATES[twice:]]
    OVER_LIMITS[over:] = [(f"{archive}/{name}", size) for name, size in OVER_LIMITS[over:]]
    for prefix in sorted(set(NOT_CODE) - folders):
        NOT_CODE[f"{archive}/{prefix}"] = NOT_CODE.pop(prefix)


def _drop_records_since(mark: _RecordsMark) -> None:
    """Forget what unpacking an archive beside code recorded since `mark`, when its code is not
    the one graded: the archive stays the file it is (or was never opened), so nothing was left
    out of it, and its notes would speak of entries the grade never needed."""
    left, twice, over, folders = mark
    del LEFT_OUT[left:], ZIP_DUPLICATES[twice:], OVER_LIMITS[over:]
    for prefix in set(NOT_CODE) - folders:
        del NOT_CODE[prefix]


def support_beside(root: Path, support: Path, names: list[str]) -> None:
    """Link the course's support data (files and folders that are not Python modules) into the
    folder that holds the code, where the student's machine has them beside their files: the
    worker runs from that folder, so `open("scale.txt")` and `open("data/...")` find them. A name
    the upload holds itself stays the student's. Modules are not linked: they are imported from
    the support folder on sys.path, and a linked .py would pass for the student's own file."""
    for name in names:
        source, target = support / name, root / name
        if (source.suffix in (".py", ".ipynb") and source.is_file()) or not source.exists() \
                or target.exists() or target.is_symlink():
            continue
        target.symlink_to(os.path.relpath(source, root), target_is_directory=source.is_dir())


def _code_folder(root: Path, layout: tuple[str, ...] = (),
                 functions: tuple[str, ...] = (), top: Path | None = None) -> Path:
    """The folder that holds the code: `root` if it holds any of the assignment's; the folder
    inside an archive of one folder (common when zipping from a file manager); and where the
    code sits in several folders (a whole repository: assignment1/ to assignment3/; a backup
    copy beside the real one; a helper script at the top beside the assignment's folder), the one
    folder that defines most of the graded functions (`functions`, read off the text, never
    run), then holds most of the assignment's files (`layout`), or, with none of either, the only
    folder with code. Two such folders that tie are refused with their names: which one is the
    student's is not the grader's guess. Code at the top is graded unless a folder below
    `_beats` it. `top`: the upload's own folder, which the names said are relative to (`root`
    unless given)."""
    top = top or root
    while not _holds_code(root):
        subdirs = _subfolders(root)
        if len(subdirs) != 1:
            return _one_of(root, top, layout, functions) if subdirs else root
        root = subdirs[0]
    if functions and _subfolders(root):
        below = _one_of(root, top, layout, functions, beat=_score(root, layout, functions))
        if below != root:
            return below
    return root


def _beats(below: tuple[int, int], top: tuple[int, int]) -> bool:
    """Whether a folder below the upload's top, scored `below` by _score, is graded in place of
    the code at the top, scored `top`. A top that is none of the assignment's (a setup script, a
    utils.py) loses to any folder that is. A top that defines some graded functions loses only
    to a folder that both defines more of them and holds more of the assignment's files: a
    scratch.py or a notebook trying out sigmoid beside assignment1/ hid the whole assignment
    (a real repository scored 15 for its 100; probe s57), while a hw1.py that defines every
    function stays graded beside the starter's folder, which defines them all as well. A top
    that writes none of the functions (the starter's files, as handed out) loses to any folder
    that writes some: a complete solution/ beside them scored 0, unnamed (recheck probe s57)."""
    if top == (0, 0):
        return below != (0, 0)
    if top[0] == 0:
        return below[0] > 0
    return below[0] > top[0] and below[1] > top[1]


# How deep and how wide _one_of looks for code below an upload's top: a repository's assignment
# folders, each with its own folders; never a walk over a whole home folder someone zipped.
CODE_SEARCH_DEPTH = 3
CODE_SEARCH_FOLDERS = 2000
# How much of each file _score reads to find the graded functions' definitions, and how many.
SCORE_BYTES = 2 * 2**20
# A notebook's saved outputs (a plot is megabytes of base64) come before the cells after them:
# cut at 2 MiB, a notebook whose first cell drew a 3 MB image showed no def and lost to the
# starter's folder beside it (recheck probe s57).
NOTEBOOK_SCORE_BYTES = 32 * 2**20
SCORE_FILES = 200


def _holds_code(folder: Path) -> bool:
    return any(p.is_file() for pattern in ("*.py", "*.ipynb") for p in folder.glob(pattern))


def _subfolders(folder: Path) -> list[Path]:
    return sorted(d for d in folder.iterdir() if d.is_dir() and not d.is_symlink()
                  and d.name not in IGNORED_PARTS and not d.name.startswith("."))


def _score(folder: Path, layout: tuple[str, ...], functions: tuple[str, ...]) -> tuple[int, int]:
    """(how many graded functions the folder's files define, how many of the assignment's files
    it holds, by name in any case): read off the text, so a notebook's defs count too."""
    files = sorted(p for pattern in ("*.py", "*.ipynb") for p in folder.glob(pattern)
                   if p.is_file())[:SCORE_FILES]
    defined: set[str] = set()
    if functions:
        for path in files:
            defined.update(_defs_read(path, functions)[1])
    stems = {p.stem.lower() for p in files}
    return len(defined), sum(1 for name in layout if name.lower() in stems)


def _defs_read(path: Path, functions: tuple[str, ...]) -> tuple[set[str], set[str]]:
    """(the graded `functions` the file, a notebook's cells, defines, those it writes: `_written`),
    read off its text, never run; nothing for a file that cannot be read."""
    if not functions:
        return set(), set()
    pattern = re.compile(r"\bdef\s+(" + "|".join(map(re.escape, functions)) + r")\s*\(")
    try:
        with open(path, "rb") as handle:
            text = handle.read(NOTEBOOK_SCORE_BYTES if path.suffix.lower() == ".ipynb"
                               else SCORE_BYTES).decode("utf-8", "replace")
    except OSError:
        return set(), set()
    chunks = _code_chunks(path, text)
    defined = {match.group(1) for chunk in chunks for match in pattern.finditer(chunk)}
    return defined, _written(chunks, functions, pattern)


def _code_chunks(path: Path, text: str) -> list[str]:
    """The code of a file read by _score: a notebook's code cells one by one (a magic in one
    does not keep the others from parsing), else the text as it is."""
    if path.suffix.lower() != ".ipynb":
        return [text]
    try:
        cells = json.loads(text).get("cells")
        return ["".join(c["source"]) if isinstance(c["source"], list) else str(c["source"])
                for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
    except (ValueError, AttributeError, TypeError, KeyError):
        return [text]  # cut short at SCORE_BYTES, or not a notebook: its text as it is


def _written(chunks: list[str], functions: tuple[str, ...], pattern: re.Pattern) -> set[str]:
    """The graded functions a file (its code, a notebook's cells one by one) writes with a body
    of its own (written_defs.py): a folder of the starter's files beside a student's notebook or
    hw1.py that is not finished must not win for defining them all (probe s57: a hw1.py with two
    functions done lost to the starter, 25 to 0), nor a backup whose word2vec is still the
    starter's (probe s59). Code Python 3 cannot parse even as Python 2 (magics, a syntax error)
    is read by its text."""
    trees, found = [], set()
    for chunk in chunks:
        tree = _parsed(chunk)
        if tree is None:
            found |= _written_by_text(chunk, pattern)
        else:
            trees.append(tree)
    return found | written_defs.written(trees, functions)


def _parsed(code: str) -> ast.Module | None:
    """The code's syntax tree, as Python 3 or as the Python 2 it may be (the 2017 starter's print
    statements), or None."""
    for source in (code, None):
        try:
            if source is None:
                source = python2_source.python3_source(code)[0]
            return ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):  # nested past the parser
            continue
    return None


def _written_by_text(code: str, pattern: re.Pattern) -> set[str]:
    """_written for code that does not parse: each def's text runs to the next line that starts
    at the left margin, and one with a line `raise NotImplementedError` is not written (one
    commented out, `# raise NotImplementedError`, is what finishing the starter leaves: a real
    repository's finished assignment1/ counted as none of the work)."""
    found = set()
    for match in pattern.finditer(code):
        rest = code[match.end():]
        end = re.search(r"\n(?=\S)", rest)
        if not _RAISES_NOT_IMPLEMENTED.search(rest[:end.start()] if end else rest):
            found.add(match.group(1))
    return found


# NotImplemented too: the starter's misspelling (written_defs.py).
_RAISES_NOT_IMPLEMENTED = re.compile(r"^[ \t]*raise[ \t]+NotImplemented(?:Error)?\b", re.M)


def _one_of(start: Path, top: Path, layout: tuple[str, ...], functions: tuple[str, ...],
            beat: tuple[int, int] | None = None) -> Path:
    """Of the folders below `start` that hold code, the one to grade (see _code_folder); `top`
    is the upload's own folder, which the names said are relative to. `beat`: the score of the
    code `start` holds itself, which is graded unless a folder below `_beats` it; once one
    does, the folders below are chosen between as if `start` held none (a tie is refused)."""
    found: list[Path] = []
    level, seen = [start], 0
    for _ in range(CODE_SEARCH_DEPTH):
        deeper = []
        for folder in level:
            for sub in _subfolders(folder):
                seen += 1
                if seen > CODE_SEARCH_FOLDERS:
                    break
                (found if _holds_code(sub) else deeper).append(sub)
        level = deeper
    if not found:
        return start
    scores = {f: _score(f, layout, functions) for f in found}
    best = max(scores.values())
    chosen = [f for f in found if scores[f] == best]
    if beat is not None and not _beats(best, beat):
        return start
    if len(chosen) > 1:
        named = ", ".join(f"{f.relative_to(top).as_posix()}/" for f in chosen[:4]) \
            + (f" and {len(chosen) - 4} more" if len(chosen) > 4 else "")
        what = ("the assignment's code" if best != (0, 0) else "code (.py or .ipynb files)")
        raise LoadError(f"{_top_code(start, top, beat)}, and "
                        f"{what} in {len(chosen)} folders alike: {named}. Upload the one folder "
                        "to grade, with all of the assignment's files in it (or those files "
                        "themselves)")
    graded = chosen[0]
    # The files at the top first: the warning names the first few, and a scratch file there that
    # defines a graded function matters more than a repository's assignment2/ to assignment9/.
    GRADED_FOLDER["others"] = sorted(
        p for pattern in ("*.py", "*.ipynb") for p in start.glob(pattern) if p.is_file()) + sorted(
        {start / f.relative_to(start).parts[0] for f in found}
        - {start / graded.relative_to(start).parts[0]})
    GRADED_FOLDER["files"] = [p.name for p in sorted(graded.iterdir())
                              if p.is_file() and p.stem.lower() in {n.lower() for n in layout}]
    return graded


def _top_code(start: Path, top: Path, beat: tuple[int, int] | None) -> str:
    """What the code at `start` is, for the refusal of folders that tie: said to be none of the
    assignment's, it was false of a scratch.py that tries out sigmoid."""
    if not beat or beat == (0, 0):
        return "the submission holds no Python file of the assignment at its top"
    files = sorted(p.relative_to(top).as_posix() for pattern in ("*.py", "*.ipynb")
                   for p in start.glob(pattern) if p.is_file())
    shown = ", ".join(files[:4]) + (f" and {len(files) - 4} more" if len(files) > 4 else "")
    return (f"the code at the submission's top ({shown}) defines fewer of the assignment's "
            "functions than its folders")


# What lay_out found about a folder's or a zip's notebooks, for import_submission's report: a
# worker lays out and imports one submission, once.
FOLDER_NOTEBOOKS: dict[str, list] = {"unreadable": [], "shadowed": []}
# What lay_out left out of a zip: (entry, what it is).
LEFT_OUT: list[tuple[str, str]] = []
# Names a zip holds more than once (the later entry is the one unpacked).
ZIP_DUPLICATES: list[str] = []
# The folders a tar upload held that are no one's code, left out as the grader leaves a zip's
# ({"prefix/": what it is}; the grader finds a zip's itself, before its limits).
NOT_CODE: dict[str, str] = {}
# Notebooks saved with a kernel of another language than Python: [notebook, language].
OTHER_KERNELS: list[list[str]] = []
# And the files that are not code it left out to be within a zip's limits: (name, size).
OVER_LIMITS: list[tuple[str, int]] = []
# The folder lay_out picked where the upload holds code in several ("folder", relative to the
# upload; "files", the assignment's files it holds; "others", the top folders not graded).
GRADED_FOLDER: dict[str, Any] = {}
# Archives an upload holds beside its code ({"archives": names, "opened": bool, "why": why not,
# "graded": whether its code was graded, "beside": the files graded instead}).
ARCHIVES_BESIDE: list[dict[str, Any]] = []
# Where the code graded is an archive's beside other files: {"folder": the folder holding the
# archive, "archive": its name in the upload}; its .py files are importable by the archive's code.
BESIDE_ARCHIVE: dict[str, Any] = {}
# The upload's own top folder, as lay_out copied it (one path).
UPLOAD_TOP: list[Path] = []


def _helpers_beside(root: Path, taken: Collection[str]) -> dict[str, Path]:
    """The .py files beside the archive whose code is graded, by module name, that the
    archive's code may import as if they were in it: a helper the student uploaded beside their
    final.zip (mathutil.py) is where the archive's files were on their machine, and its import
    failed with "neither in your upload nor installed" (recheck probe s58). Never a name the
    assignment's layout or the archive itself uses (`taken`): the starter's q1_softmax.py beside
    it stays out of the grade."""
    folder = BESIDE_ARCHIVE.get("folder")
    if not isinstance(folder, Path) or not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.glob("*.py")):
        if path.is_file() and not path.is_symlink() and path.stem.isidentifier() \
                and path.stem not in taken and path.stem not in sys.modules \
                and not (root / path.name).exists():
            found[path.stem] = path
    return found


def _files_elsewhere(root: Path, limit: int = 2000) -> dict[str, str]:
    """The upload's .py files outside the folder graded, by module name: their paths in the
    upload (the shallowest of a name), for a missing import's message. mathutil.py at the top
    beside the graded assignment1/ was said to be "neither in your upload nor installed"."""
    top = UPLOAD_TOP[0] if UPLOAD_TOP else None
    if top is None or root == top or top not in root.parents:
        return {}
    found: dict[str, str] = {}
    for count, path in enumerate(sorted(top.rglob("*.py"), key=lambda p: (len(p.parts), p))):
        if count >= limit:
            break
        if root in path.parents or not path.is_file() or path.is_symlink() \
                or any(part in IGNORED_PARTS for part in path.relative_to(top).parts):
            continue
        found.setdefault(path.stem, path.relative_to(top).as_posix())
    return found


def _writes_what_is_stubbed(notebook: Path, module_file: Path,
                            functions: tuple[str, ...]) -> bool:
    """Whether the notebook writes a graded function that the .py of its name defines only as
    the starter's stub. A function the .py writes, or lacks, leaves the .py graded as before."""
    defined, written = _defs_read(module_file, functions)
    return bool(_defs_read(notebook, functions)[1] & (defined - written))


def _exports_as_notebooks(root: Path) -> None:
    """A notebook downloaded as a .py (`# In[3]:` marks, magics as get_ipython() calls), or kept
    as one in the percent format (jupytext's, VS Code's `# %%` cells) or jupytext's light format
    (its header says so), runs as the notebook does: cell by cell, its magics and shell escapes
    skipped and named, an error in one cell not the end of the others. Run as a plain file, its first get_ipython() line, or its first
    failing cell, would stop the whole file."""
    for path in sorted(root.glob("*.py")):
        if _cells_file(path).exists() or not path.is_file():
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if (b"get_ipython()" not in data and b"# In[" not in data and b"%%" not in data
                and b"format_name: light" not in data) or source_text.binary_kind(data):
            continue
        text, not_utf8 = source_text.python_source(data)
        as_module = False
        if notebook_cells.is_notebook_export(text):
            cells = notebook_cells.export_cells(text)
        elif notebook_cells.is_percent_script(text):
            cells = notebook_cells.percent_cells(text)
            as_module = not notebook_cells.is_jupytext_notebook(text)
        elif notebook_cells.is_light_notebook(text):
            # jupytext's default .py: cells between blank lines, no mark above most of them.
            cells = notebook_cells.light_cells(text)
        else:
            continue
        if cells:
            _cells_file(path).write_text(json.dumps({"notebook": path.name, "cells": cells,
                                                     "not_utf8": not_utf8, "text_defines": [],
                                                     "export": True, "module": as_module}),
                                         encoding="utf-8")


def _notebooks_as_modules(root: Path, functions: tuple[str, ...] = ()) -> None:
    """A folder's (or zip's) notebooks, each made a module as a notebook uploaded alone is: a
    notebook course's students zip their notebook, or hand it in beside a helper .py. A .py of
    the same name wins (it may be the notebook exported; the report says which was graded),
    unless it holds only the starter's stub of a graded function (`functions`) the notebook
    writes: the CBOW template ships cbow.ipynb and cbow.py side by side, and a notebook filled
    in beside the untouched cbow.py scored 0 (probe s60). The notebook then runs too, as a
    module of its own, and each function is graded where it is written. A notebook that
    cannot be read fails the submission only when nothing else in it can run."""
    notebooks = sorted(p for p in root.glob("*.ipynb") if p.is_file())
    for notebook in notebooks:
        module_file = root / (notebook.stem + ".py")
        if module_file.exists():
            alongside = root / (notebook.name + ".py")  # not an identifier: loaded privately
            if alongside.exists() or not _writes_what_is_stubbed(notebook, module_file,
                                                                 functions):
                FOLDER_NOTEBOOKS["shadowed"].append([notebook.name, module_file.name])
                continue
            module_file = alongside
        try:
            _notebook_to_py(notebook, module_file)
        except LoadError as exc:
            module_file.unlink(missing_ok=True)
            FOLDER_NOTEBOOKS["unreadable"].append({
                "module": notebook.name, "file": notebook.name, "line": None,
                "type": "NotebookError", "message": str(exc), "code": ""})
    if FOLDER_NOTEBOOKS["unreadable"] and not list(root.glob("*.py")):
        raise LoadError(FOLDER_NOTEBOOKS["unreadable"][0]["message"])


class _MessageTooSlow(BaseException):
    """Raised by the timer that bounds an exception's message (_message_of)."""


# An exception's message is the submission's code (its __str__, an argument's): this long, and
# it is left out, so that a message that never ends costs the message, not the whole import (an
# __str__ looping forever made a right notebook 0, "a long training loop" named).
MESSAGE_SECONDS = 1.0


def _message_of(exc: BaseException) -> str:
    if not hasattr(signal, "setitimer"):
        try:
            return str(exc)
        except BaseException:
            return "<the exception's message could not be printed>"

    def late(signum, frame) -> None:
        raise _MessageTooSlow
    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, late)
    outer, _ = signal.setitimer(signal.ITIMER_REAL, MESSAGE_SECONDS)
    try:
        text = str(exc)
        return text if isinstance(text, str) else "<the exception's message could not be printed>"
    except _MessageTooSlow:
        return (f"<the exception's message was not printed: its __str__ ran for "
                f"{MESSAGE_SECONDS:g} s without returning>")
    except BaseException:
        return "<the exception's message could not be printed>"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer > 0:  # the import's own timer, running down meanwhile
            signal.setitimer(signal.ITIMER_REAL,
                             max(outer - (time.monotonic() - started), 0.001))


def _error_entry(exc: BaseException, root: Path, module_file: Path) -> dict:
    """Where importing `module_file` failed ("file" may be another module it imports)."""
    rel = module_file.name
    if isinstance(exc, DidNotFinish):
        return exc.entry(rel)
    if isinstance(exc, SyntaxError):
        where = Path(exc.filename).name if exc.filename else rel
        return {"module": rel, "file": where, "line": exc.lineno, "type": type(exc).__name__,
                "message": str(exc.msg), "code": (exc.text or "").strip()}
    # "<frozen _sitebuiltins>" (exit()'s own frame) and "<string>" name no file: resolved, they
    # read as files of the submission's folder, and the report blamed line 26 of a frozen module.
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename and not f.filename.startswith("<")
              and Path(f.filename).resolve().is_relative_to(root.resolve())]
    last = frames[-1] if frames else None
    text = _message_of(exc)
    if isinstance(exc, SystemExit):
        # exit() carries None, which printed as the message "None".
        code = exc.code
        shown = repr(code)[:200] if isinstance(code, (int, str)) else text[:200]
        text = "exit() or sys.exit() was called" + (
            "" if code is None or not shown.strip() else f" with {shown}")
    # The file's own top-level statement that raised: an import statement, or code run at import
    # (a test call, a training run), which the report advises to put under the main guard.
    top = next((f for f in frames if f.name == "<module>"), None)
    in_import = bool(top and re.match(r"(import|from)\s", (top.line or "").lstrip()))
    error = {"module": rel, "file": Path(last.filename).name if last else rel,
             "line": last.lineno if last else None,
             "type": type(exc).__name__, "message": text[:500],
             "code": (last.line or "") if last else "", "in_import": in_import}
    if top is not None and last is not None and top is not last and not in_import \
            and top.filename == last.filename and top.lineno:
        # A test of the student's own, called at the top of the file, raised inside: the call is
        # the line to put under the main guard, not the assert it stopped at (probe s59).
        error["run_at"] = {"line": top.lineno, "code": (top.line or "").strip()[:80]}
    return error


def _first_line(source: str) -> str:
    """How a cell begins: its first line, never a cell's mark (notebook_cells.first_code_line)."""
    return notebook_cells.first_code_line(source.splitlines())


def _top_level_statement(frame: types.FrameType | None, root: Path) -> dict | None:
    """Where the import of a .py file of the submission is: the innermost such file being run
    (a file imports another) and the top-level statement of it that is running, named by its
    first line (a loop's `for` line, whichever line of its body the moment fell on)."""
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if frame.f_code.co_name == "<module>" and path.suffix == ".py" and path.parent == root:
            break
        frame = frame.f_back
    if frame is None:
        return None
    line = frame.f_lineno
    source, _ = source_text.python_source(path.read_bytes())
    # Parsed as it ran (Python 2 statements rewritten, line for line); quoted as written.
    for node in ast.parse(python2_source.python3_source(source)[0], str(path)).body:
        if node.lineno <= line <= (node.end_lineno or node.lineno):
            code = source.splitlines()[node.lineno - 1].strip()[:80]
            return {"file": path.name, "line": node.lineno, "code": code}
    return None


class Unavailable:
    """Stands in for a name that a file of the submission imports from a sibling that could not
    provide it (the sibling failed to import, is not in the upload, or lacks the name). Importing
    it succeeds, so one broken function does not take down every file that imports its module;
    calling it raises, saying why, so only the code that really uses it fails."""

    def __init__(self, name: str, why: str) -> None:
        self.name, self.why = name, why

    def __call__(self, *args, **kwargs):
        raise ImportError(f"{self.name} is not available: {self.why}")

    def __repr__(self) -> str:
        return f"<{self.name}: not available>"


def _own_definition(attr: str, frame: types.FrameType | None):
    """The function or class the importing code (`frame`, running `from q1_softmax import
    softmax`) has already defined under that name itself, if any.

    Students hand in the original files pasted into one (`cat q1_softmax.py q2_sigmoid.py ... >
    hw1.py`, or one notebook cell per file): each part keeps its `from q1_softmax import softmax`
    after the definition it names. Python would stop there with an ImportError; a stand-in bound
    over the file's own softmax would make the grader report softmax missing. Handing back the
    file's own definition is what the student meant, and changes nothing else: a name the file
    does not define (or got from elsewhere) still gets the stand-in."""
    if frame is None or not missing_imports.defined_here(attr, frame.f_globals):
        return None
    return frame.f_globals[attr]


# Each `from M import *` that ran where M is a module of the layout the upload lacks:
# {"module", "file", "line"}. It imports nothing, and a NameError after it most likely follows
# from it (a notebook's `from q2_sigmoid import *`, then `test_sigmoid_basic()`): the report
# names the missing file, not only the NameError.
STAR_IMPORTS_OF_ABSENT: list[dict] = []


class StandInModule(types.ModuleType):
    """Takes the place of a module of the submission's layout that could not be imported: every
    public name it is asked for is an Unavailable, unless the importing file defines it itself.
    `absent`: the upload has no file of that name (rather than one that failed)."""

    def __init__(self, name: str, why: str, absent: bool = False) -> None:
        super().__init__(name)
        self.__why, self.__absent = why, absent

    def __getattr__(self, attr: str):
        if attr == "__all__" and self.__absent:
            # `from M import *` asks for __all__ first; its caller is the import statement.
            _note_star_import(self.__name__, sys._getframe(1))
        if attr.startswith("__"):
            raise AttributeError(attr)
        # The caller of __getattr__ is the code running the import statement.
        return _own_definition(attr, sys._getframe(1)) or Unavailable(attr, self.__why)


def _note_star_import(module: str, frame: types.FrameType) -> None:
    # Only a file's (or cell's) own top level runs `import *`; once per module and place.
    if frame.f_code.co_name != "<module>":
        return
    entry = {"module": module, "file": frame.f_code.co_filename, "line": frame.f_lineno}
    if not any(e["module"] == module and e["file"] == entry["file"]
               for e in STAR_IMPORTS_OF_ABSENT):
        STAR_IMPORTS_OF_ABSENT.append(entry)


def _after_star_import(exc: BaseException, files: Collection[str]) -> str | None:
    """The module of the layout the upload lacks whose `from M import *` ran last in one of
    `files` (a file, or a notebook's cells so far) before `exc`, a NameError: what it most
    likely follows from (a notebook imports, then tests what it imported). None for any other
    error."""
    if not isinstance(exc, NameError) or a_typo(exc):
        return None
    return next((e["module"] for e in reversed(STAR_IMPORTS_OF_ABSENT) if e["file"] in files),
                None)


def a_typo(exc: NameError) -> bool:
    """Whether the name a NameError did not find is a near spelling of one its code had (its
    globals, its locals, the builtins): `softmx` beside softmax is the student's typo, not what
    a star import of a missing file would have given (recheck probe s57)."""
    name = getattr(exc, "name", None)
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if not isinstance(name, str) or tb is None:
        return False
    frame = tb.tb_frame
    known = [k for k in (*frame.f_globals, *frame.f_locals, *dir(builtins))
             if isinstance(k, str) and not k.startswith("__")]
    return bool(_standard_library("difflib").get_close_matches(name, known, n=1, cutoff=0.8))


def _missing_names(module_name: str, graded: set[str]):
    """A module-level __getattr__ (PEP 562) for a student module: a graded function that the file
    does not define is an Unavailable when a sibling imports it (or that sibling's own definition,
    see _own_definition), not an ImportError that would cost the sibling's own functions."""

    def __getattr__(attr: str):
        if attr in graded:
            return (_own_definition(attr, sys._getframe(1))
                    or Unavailable(attr, f"{module_name}.py does not define {attr}"))
        raise AttributeError(f"module {module_name!r} has no attribute {attr!r}")

    return __getattr__


class _LayoutImporter:
    """Imports the submission's own modules, whoever asks for them (the loader, or a student file's
    `from q2_sigmoid import sigmoid`): a module that fails becomes a StandInModule and its error is
    recorded once, where it happened."""

    def __init__(self, root: Path, names: set[str], graded: set[str],
                 on_cell: Callable[[dict], None] | None = None,
                 budget: "notebook_cells.Budget | None" = None,
                 output: "capture.BoundedText | None" = None,
                 hung: Collection[dict] = ()) -> None:
        self.root, self.names, self.graded = root, names, graded
        self.budget = budget
        # The .py files an earlier worker's import deadline stopped in, by name: not run again.
        self.hung = {str(entry.get("file")): entry for entry in hung}
        self.output = output  # what the import prints, as the report will show it
        self.errors: list[dict] = []
        self.ran: set[Path] = set()  # the files of the submission run so far
        # Markdown and raw cells of the notebooks run that hold a def: {"notebook", "cell",
        # "kind", "defines"} (notebook_cells.read_cells).
        self.text_defines: list[dict] = []
        self.skipped: list[dict] = []  # what notebooks' magics and shell escapes did not run
        # The cells of each notebook run that define a graded function at their top level:
        # {function: [(notebook, cell), ...]}, in the order they ran.
        self.cell_defs: dict[str, list[tuple[str, int]]] = {}
        self.cell_counts: dict[tuple[str, int], int | None] = {}
        self.unlisted: list[str] = []  # notebooks that skipped more than `skipped` lists
        # Files and cells read as Python 2 (worker/python2_source.py): {"where", "forms", "tabs"}.
        self.python2_rewrites: list[dict] = []
        self.not_utf8: list[dict] = []  # files read with bytes that are not UTF-8 (source_text.py)
        self.on_cell = on_cell or (lambda info: None)
        # How far up each .py file's relative imports of the upload's modules go (by file name).
        self.relative: dict[str, int] = {}
        # Modules of the layout imported from a renamed copy (_renamed_copy): {module: (the copy,
        # the starter's file it was imported in place of, or None)}.
        self.renamed: dict[str, tuple[str, str | None]] = {}
        # Helpers beside the archive whose code is graded (_helpers_beside): {module: file}.
        self.beside: dict[str, Path] = {}

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname not in self.names:
            return None
        # The upload's file; else one the submission wrote into its working folder while it ran
        # (a notebook's `%%writefile q1_softmax.py`, which Jupyter would import from there).
        renamed = _renamed_copy(self.root, fullname)
        for folder in (self.root, Path.cwd()):
            file = folder / f"{fullname}.py"
            if file.is_file():
                # The starter's file beside the student's own, downloaded again under another
                # name: the other files import the finished one (they imported the stub, and a
                # correct upload scored 30).
                if folder == self.root and renamed is not None \
                        and _only_stubs(file, self.graded) \
                        and not _only_stubs(renamed, self.graded):
                    self.renamed[fullname] = (renamed.name, file.name)
                    return importlib.util.spec_from_file_location(fullname, renamed, loader=self)
                return importlib.util.spec_from_file_location(fullname, file, loader=self)
        if fullname in self.beside:
            return importlib.util.spec_from_file_location(fullname, self.beside[fullname],
                                                          loader=self)
        if renamed is not None:
            self.renamed[fullname] = (renamed.name, None)
            return importlib.util.spec_from_file_location(fullname, renamed, loader=self)
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        name = module.__name__
        if getattr(module, "__file__", None) is None:
            sys.modules[name] = StandInModule(
                name, f"{name}.py is not in your submission{_look_alike(self.root, name)}",
                absent=True)
            return
        file = Path(module.__file__)
        try:
            if _cells_file(file).is_file():
                self.run_notebook(module, file)
            else:
                # A .py file is one unit (unlike a notebook's cells): a top level that never
                # ends is a hang, which the grader's import deadline reports.
                self.run_file(module, file)
        except BaseException as exc:  # SystemExit at import time is a load error too
            entry = _error_entry(exc, file.parent, file)
            follows = _after_star_import(exc, {str(file)})
            if follows:
                entry["after_star_import"] = follows
            self.errors.append(entry)
            where = f", line {entry['line']}" if entry.get("line") else ""
            sys.modules[name] = StandInModule(
                name, f"{name}.py could not be imported ({entry['type']} in {entry['file']}{where})")
            return
        if "__getattr__" not in module.__dict__:
            module.__getattr__ = _missing_names(name, self.graded)

    def _writing_elsewhere(self, running: str) -> int:
        """How many other .py files of the folder write a graded function: leaving the running
        file out can only help if one does (recheck probe s59: a hw1.py hanging beside a
        train.py cost three import deadlines, then said the rest was graded without it)."""
        count = 0
        for path in sorted(self.root.glob("*.py"))[:SCORE_FILES]:
            if path.name == running or path.name in self.hung:
                continue
            try:
                tree = _parsed(path.read_bytes()[:SCORE_BYTES].decode("utf-8", "replace"))
            except OSError:
                continue
            if tree is not None and written_defs.written([tree], self.graded):
                count += 1
        return count

    def run_file(self, module: types.ModuleType, file: Path) -> None:
        """Run a .py file of the submission in `module`. Shortly before the import deadline the
        grader hears which top-level statement is running, for its message if the deadline
        passes, and whether the upload holds other .py files, which may load without this one."""
        if file.name in self.hung and file.parent == self.root:
            raise DidNotFinish(self.hung[file.name])
        self.ran.add(file)
        data = file.read_bytes()
        kind = source_text.binary_kind(data)
        if kind:
            raise NotPython(f"this is {kind} saved under a .py name, not Python code: upload "
                            "your .py file itself")
        source, not_utf8 = source_text.python_source(data)
        if not_utf8:
            self.not_utf8.append({"file": file.name, "notebook": None, "bytes": not_utf8})
        source, forms, tabs = python2_source.python3_source(source)
        if forms or tabs:
            self.python2_rewrites.append({"where": file.name, "forms": forms, "tabs": tabs})
        code = missing_imports.compile_guarded(source, str(file))
        if self.relative.get(file.name):  # `from .q1_softmax import softmax` (package_imports)
            module.__dict__["__package__"] = package_imports.package_for(self.relative[file.name])

        def where(frame) -> None:
            found = _top_level_statement(frame, self.root)
            if found:
                self.on_cell({**found, "others": self._writing_elsewhere(found["file"])})
        with self.budget.watching(where) if self.budget else contextlib.nullcontext():
            exec(code, module.__dict__)

    def run_notebook(self, module: types.ModuleType, file: Path) -> None:
        """Run a notebook's cells (written beside `file` by lay_out) in `module`, one by one. A
        cell's error is recorded with the cell's number and the next cell runs: a notebook never
        fails as a whole, so one broken exploratory cell does not erase the functions defined in
        the others."""
        self.ran.add(file)
        data = json.loads(_cells_file(file).read_text(encoding="utf-8"))
        notebook = str(data["notebook"])
        if data.get("not_utf8"):
            self.not_utf8.append({"file": notebook, "notebook": notebook,
                                  "bytes": data["not_utf8"]})
        # The worker has no display: matplotlib's default would look for a GUI backend. Agg
        # draws in memory, so plt.plot and plt.show in a cell work and show nothing.
        os.environ["MPLBACKEND"] = "Agg"

        def cell_file(number: int) -> Path:
            # A script export's cells run at the lines of the .py uploaded (export_cells).
            return self.root / (notebook if data.get("export") else f"{notebook}, cell {number}")

        marks: dict[int, tuple[int, int, int]] = {}

        def on_cell(info: dict) -> None:
            if self.output is not None and not info.get("interrupted"):  # before it runs
                marks[info["cell"]] = self.output.mark()
            self.on_cell({"notebook": notebook, **info})

        def on_error(cell: dict, exc: BaseException) -> None:
            entry = _error_entry(exc, self.root, cell_file(cell["cell"]))
            if isinstance(exc, notebook_cells.CellStopped):
                # The alarm lands wherever the loop happens to be: the line it was on would
                # change from run to run. The cell, and how it begins, do not. Nor may what it
                # printed: how far it got is the machine's speed, so it is not shown.
                entry.update(file=cell_file(cell["cell"]).name, line=None, code="",
                             first_line=_first_line(cell["original"]))
                if self.output is not None and cell["cell"] in marks:
                    self.output.rewind(marks[cell["cell"]])
                    self.output.write(f"[{notebook}, cell {cell['cell']} was stopped: what it "
                                      "printed is not shown, since how far it got differs from "
                                      "run to run]\n")
            entry.update(notebook=notebook, cell=cell["cell"], defines=cell.get("defines", []))
            follows = _after_star_import(exc, {str(cell_file(c["cell"])) for c in data["cells"]})
            if follows:
                entry["after_star_import"] = follows
            if cell.get("run"):  # raised inside a `%run file.py`: the cell itself ran on
                entry["run"] = cell["run"]
            self.errors.append(entry)

        # Jupyter runs every cell as the main program: `if __name__ == "__main__": main()` at
        # the end of a notebook runs there, so it runs here. (A .py file stays a module, one of
        # VS Code's `# %%` cells too: its main block is what the student kept from running when
        # it is imported, an interactive loop, a training run; probe s54.)
        name = module.__dict__.get("__name__")
        if not data.get("module"):
            module.__dict__["__name__"] = "__main__"
        try:
            shell = notebook_cells.run_cells(
                data["cells"], module.__dict__, lambda number: str(cell_file(number)),
                on_cell, on_error, self.budget)
        finally:
            module.__dict__["__name__"] = name
        for cell in data["cells"]:
            # A cell that did not compile defined nothing, in any session: it is not one of the
            # definitions whose order the report weighs (probe s60).
            defined = (set() if cell["cell"] in shell.not_compiled
                       else _cell_defines(notebook_cells.python_run(cell)))
            for name in sorted(defined & self.graded):
                self.cell_defs.setdefault(name, []).append((notebook, int(cell["cell"])))
            if "count" in cell:  # a .ipynb's saved In [n] (an export's cells have none)
                self.cell_counts[(notebook, int(cell["cell"]))] = cell["count"]
        self.skipped += [{"notebook": notebook, **entry} for entry in shell.skipped]
        self.text_defines += [{"notebook": notebook, **entry}
                              for entry in data.get("text_defines", [])]
        self.python2_rewrites += [
            {"where": f"{notebook}, cell {entry['cell']}", "forms": entry["forms"],
             "tabs": entry["tabs"]} for entry in shell.python2_rewrites]
        if shell.unlisted:
            self.unlisted.append(notebook)


def import_submission(root: Path, wanted: dict[str, str], shim_xrange: bool,
                      layout: list[str] | tuple[str, ...] = (), shim_numpy: bool = True,
                      on_cell: Callable[[dict], None] | None = None,
                      budget: "notebook_cells.Budget | None" = None,
                      output: "capture.BoundedText | None" = None,
                      hung: Collection[dict] = ()) -> tuple[dict, dict]:
    """Import the .py files under root; return (functions by name, load report).

    `wanted` maps each required function to the module it normally lives in (q1_softmax, ...);
    `layout` names further modules of the original layout that students' files import (files the
    course provides). A module of the submission that fails to import is recorded and stands in as
    a StandInModule, so the files that import it still load and only what uses it fails.
    `on_cell` hears of each notebook cell before it runs ({"notebook", "cell", "of", "first_line"});
    `budget` is the time a notebook's cells have (notebook_cells.Budget); `output`, where the
    import's prints go, loses what a cell that was stopped printed; `hung`, the .py files an
    earlier import did not finish ({"file", "line", "code", "seconds"}), which are not run.
    """
    if shim_xrange:
        builtins.xrange = range  # type: ignore[attr-defined]
        python2_names.install()
    if shim_numpy:
        import numpy
        numpy_aliases.install(numpy)
    numpy_aliases.convert_like_the_newest()
    missing_imports.install()
    sys.path.insert(0, str(root))
    # Run from the folder that holds the code, as the student did (`python q2_sigmoid.py` in the
    # assignment's folder; Jupyter starts a notebook's kernel in the notebook's folder): a file
    # read by a relative path, such as data/ uploaded beside the code, is found where it was.
    # The folder is the worker's own copy, inside its scratch space.
    os.chdir(root)
    files = sorted(root.glob("*.py"))
    preferred = [m for m in dict.fromkeys(wanted.values())]
    order = ([root / f"{m}.py" for m in preferred if (root / f"{m}.py").exists()]
             + [f for f in files if f.stem not in preferred])
    # The submission's own module names, and the layout's, are imported by the layout importer;
    # a file named like a module the worker already holds (numpy.py, random.py) is not importable
    # by that name and is loaded under a private one.
    importable = {f.stem for f in files if f.stem.isidentifier() and f.stem not in sys.modules}
    helpers = _helpers_beside(root, importable | set(preferred) | set(layout))
    importer = _LayoutImporter(root, importable | (set(preferred) | set(layout)) - set(sys.modules),
                               set(wanted), on_cell, budget, output, hung)
    importer.beside = helpers
    importer.names |= set(helpers)
    elsewhere = _files_elsewhere(root)
    missing_imports.elsewhere.clear()
    missing_imports.elsewhere.update(
        {name: (place, root.relative_to(UPLOAD_TOP[0]).as_posix())
         for name, place in elsewhere.items() if name not in helpers})
    missing_imports.own_modules.clear()
    missing_imports.imported_names.clear()
    missing_imports.bound_names.clear()
    missing_imports.own_modules.update({f.stem for f in files if f.stem.isidentifier()},
                                       helpers)
    sys.meta_path.insert(0, importer)
    through = package_imports.scan(
        ((path.name, source) for path in files for _, source in _sources(path)),
        importer.names, source_text.tree)
    importer.relative = through.relative
    if through.packages:
        sys.meta_path.append(package_imports.Finder(through.packages, importer.names))
    modules: list[types.ModuleType] = []
    pending = list(order)

    def run(paths: list[Path]) -> None:
        for path in paths:
            pending.remove(path)
            if path.stem in importer.names:
                module = importlib.import_module(path.stem)
            else:
                module = _load_privately(path, importer)
            if module is not None and not isinstance(module, StandInModule):
                modules.append(module)
        # Searched in the order of `order`, whichever ran first.
        modules.sort(key=lambda module: next(
            (i for i, path in enumerate(order) if str(path) == getattr(module, "__file__", None)),
            len(order)))

    def missing(finished: bool = False) -> set[str]:
        """The functions no module run so far defines (with `finished`, none defines other than
        as the template leaves it)."""
        return {fn for fn in wanted if not any(_defines(m, fn) and not (
            finished and _unfinished(vars(m)[fn])) for m in modules)}

    # The files of the assignment's layout first; then, only while a function is still missing,
    # the files that write it (a def, an assignment), then the files that may otherwise bind it
    # (an import of it, `from hw1 import *`, a source that does not parse), and as a last resort
    # every other file. A whole assignment folder holds the course's own scripts (q3_run.py
    # trains word vectors for hours at its top level): a file no graded function needs is never
    # run, so it cannot hang or break a grade. Beside a hw1.py that writes every function, a
    # q3_run.py doing `from hw1 import *` is such a file: chosen in one pass with hw1.py, it
    # waited out the import deadline, and the student was warned about it (probe s61).
    # A function found only as the template leaves it (`loss = None; return loss`) is looked for
    # in the files that `def` it too: the CBOW course repeats its functions from one lecture
    # notebook to the next, an exercise's blank in one and finished in a later one. Not in a
    # file that only may bind it (q3_run.py's `from q3_word2vec import *`, which trains for
    # hours): an unfinished function runs no more of a folder than a finished one. Only the last
    # resort, running every file, waits for a function that is missing outright.
    def writes(path: Path) -> bool:
        absent = missing()
        return (bool(absent) and _writes_one_of(path, absent)) or bool(
            (missing(True) - absent) & (_top_level_defs(path) or set()))

    def may_finish(path: Path) -> bool:
        absent = missing()
        return bool(absent) and _may_bind(path, absent)

    # Nobody answers input() while the files load: the statement asking is skipped, as one
    # needing a missing module is (missing_imports.no_input). A graded call's input() meets
    # the closed stdin, as before.
    answering = builtins.input
    builtins.input = missing_imports.no_input
    try:
        run([path for path in pending if path.stem in preferred])
        for choose, finished in ((writes, True), (may_finish, True),
                                 (lambda path: True, False)):
            # A file a graded one imported has run already: it joins the files searched, in order.
            run([path for path in pending if path in importer.ran])
            if missing(finished):
                run([path for path in pending if choose(path)])
        run([path for path in pending if path in importer.ran])
        if missing():
            # A notebook that wrote the assignment's files with %%writefile and never imported
            # them: Run All leaves them beside it, as a folder upload holds them, so they are the
            # submission's files too.
            written = [path for path in sorted(root.glob("*.py")) if path not in order
                       and path.stem in preferred and path.stem in importer.names]
            order += written
            pending += written
            run(written)
    finally:
        builtins.input = answering
    uses_xrange: list[str] = []
    uses_numpy_aliases: list[dict] = []
    uses_python2_names: list[dict] = []
    python2_divisions: list[dict] = []
    python2_evidence = {entry["where"]: _python2_evidence(entry)
                        for entry in importer.python2_rewrites}
    for path in (path for path in order if path in importer.ran):
        sources = _sources(path)
        xrange_from, names_from = len(uses_xrange), len(uses_python2_names)
        for where, source in sources:  # each file or cell parsed once for the scans
            # A name the source never spells needs no walk of its tree (seconds for a cell of
            # a hundred thousand lines).
            scans = {scan for scan, spelled in _SPELLED.items() if spelled.search(source)}
            tree = source_text.tree(source) if scans else None
            if tree is None:
                continue  # nothing to look for, or a syntax error (running it reported that)
            if "xrange" in scans and _reads_xrange(tree):
                uses_xrange.append(where)
            if "numpy" in scans:
                uses_numpy_aliases += [{"where": where, "line": line, "name": name} for name, line
                                       in numpy_aliases.uses(source, str(path), tree)]
            if "python2" in scans:
                uses_python2_names += [{"where": where, "line": line, "name": name} for name, line
                                       in python2_names.uses(source, str(path), tree)]
        # What makes each of its files or cells Python 2: its syntax first, then the names
        # this file's scans above found.
        evidence = {**{where: "xrange" for where in uses_xrange[xrange_from:]},
                    **{use["where"]: use["name"]
                       for use in reversed(uses_python2_names[names_from:])}}
        evidence.update((where, python2_evidence[where]) for where, _ in sources
                        if where in python2_evidence)
        python2_divisions += python2_division.floored_divisions(sources, evidence,
                                                                _notebook_python(path))

    found: dict = {}
    report_functions: dict = {}
    for fn, home in wanted.items():
        candidates = sorted(modules, key=lambda m: m.__name__ != home)
        # A name bound only by an import that failed (`from q1_softmx import softmax`, a module
        # not installed) is no copy of the function: a file that writes it comes first.
        defining = sorted((m for m in candidates if _defines(m, fn)),
                          key=lambda m: _failed_import(vars(m)[fn]))
        # The first finished copy; the first copy when none is.
        hit = next((m for m in defining if not _failed_import(vars(m)[fn])
                    and not _unfinished(vars(m)[fn])), defining[0] if defining else None)
        unfinished = _passed_over(fn, defining[:defining.index(hit)]) if hit is not None else []
        if hit is None:
            report_functions[fn] = {"found": False, "file": None, "problem": "missing"}
            # Hints only: whatever the submission's objects do when read (a metaclass whose
            # __dict__ raises broke the worker, and a 58/100 notebook scored 0; recheck probe),
            # no hint is all it costs.
            try:
                near = _near_names(fn, modules, others=set(wanted))
            except Exception:  # noqa: BLE001
                near = []
            if near:
                report_functions[fn]["near"] = near[0]
            if len(near) > 1:  # equally near: the student picks the one meant (probe s60)
                report_functions[fn].update(near_also=near[1:MAX_NEAR_NAMES],
                                            near_count=len(near))
            try:
                method_of = _method_of(fn, modules)
            except Exception:  # noqa: BLE001
                method_of = None
            if method_of:
                report_functions[fn]["method_of"] = method_of
        elif not callable(vars(hit)[fn]):
            value = vars(hit)[fn]
            kind = type(value)
            report_functions[fn] = {
                "found": False, "file": Path(hit.__file__).name, "problem": "not a function",
                "is": kind.__qualname__ if kind.__module__ == "builtins"
                else f"{kind.__module__}.{kind.__qualname__}",
                "set_at": _last_assignment(Path(hit.__file__), fn)}
        else:
            found[fn] = vars(hit)[fn]
            report_functions[fn] = {"found": True, "file": Path(hit.__file__).name, "problem": None}
            shown = _shown_name(Path(hit.__file__))
            if shown != Path(hit.__file__).name:
                report_functions[fn]["file_shown"] = shown
            also = [name for name in _other_definitions(fn, hit, candidates)
                    if name not in dict(unfinished)] + [
                _shown_name(path) for path in pending if fn in (_top_level_defs(path) or ())]
            if also:
                report_functions[fn]["also_in"] = also
            if unfinished:
                report_functions[fn]["unfinished_in"] = unfinished
            cells = _defining_cells(found[fn], importer.cell_defs.get(fn, []),
                                    importer.cell_counts)
            if cells:
                cells["template"] = _copy_problem(found[fn]) == "template"
                report_functions[fn]["cells"] = cells
            if _copy_problem(found[fn]) == "ignores its arguments":
                report_functions[fn]["ignores_arguments"] = _globals_read(found[fn])
            else:
                unused = _unused_parameters(found[fn])
                read = _globals_read(found[fn]) if unused else []
                if read:
                    report_functions[fn]["unused_parameters"] = {"unused": unused,
                                                                 "globals": read}
            report_functions[fn].update(_positional_parameters(found[fn]))
    report = {"functions": report_functions,
              "errors": FOLDER_NOTEBOOKS["unreadable"] + importer.errors,
              "shadowed_notebooks": FOLDER_NOTEBOOKS["shadowed"], "left_out": LEFT_OUT,
              "zip_duplicates": ZIP_DUPLICATES, "not_code": NOT_CODE,
              "over_limits": OVER_LIMITS, "other_kernels": OTHER_KERNELS,
              "graded_folder": GRADED_FOLDER, "archives_beside": ARCHIVES_BESIDE,
              "files": [p.name for p in order], "uses_xrange": uses_xrange,
              # Run cell by cell (a notebook, or a notebook downloaded as a .py): printing is
              # what its cells do, not a stray test at the top of a file.
              "run_as_cells": [p.name for p in order if _cells_file(p).exists()],
              "empty_files": [p.name for p in order if _is_blank(p)],
              "uses_numpy_aliases": uses_numpy_aliases, "python2_rewrites": importer.python2_rewrites,
              "uses_python2_names": uses_python2_names, "python2_divisions": python2_divisions,
              "skipped": importer.skipped, "skipped_unlisted": importer.unlisted,
              "text_cells": importer.text_defines,
              "not_utf8": importer.not_utf8,
              "imported_as": [{"file": file, "module": module, "instead_of": stub}
                              for module, (file, stub) in sorted(importer.renamed.items())],
              "imported_beside": [{"file": path.name, "archive": str(BESIDE_ARCHIVE["archive"])}
                                  for path in importer.beside.values() if path in importer.ran],
              "missing_modules": [{**entry, "file": Path(entry["file"]).name,
                                   **_found_elsewhere(entry["module"])}
                                  for entry in missing_imports.noted],
              "star_imports_of_absent": [{**entry, "file": Path(entry["file"]).name}
                                         for entry in STAR_IMPORTS_OF_ABSENT],
              "skipped_calls_beyond": missing_imports.skipped_beyond[0],
              "skipped_calls": [{**entry, "file": Path(entry["file"]).name}
                                for entry in missing_imports.skipped_calls]}
    return found, report


def _found_elsewhere(module: str) -> dict[str, str]:
    """{"elsewhere": where in the upload the missing module's file is, "graded_folder": the
    folder graded, which lacks it}, or {} when the upload holds no such file."""
    found = missing_imports.elsewhere.get(str(module).split(".")[0])
    return {"elsewhere": found[0], "graded_folder": found[1]} if found else {}


# A def at a cell's top level (DEFINES also finds methods and nested functions).
TOP_LEVEL_DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)", re.MULTILINE)


def _cell_defines(source: str) -> set[str]:
    """The functions a cell defines when it runs: a def, a `name = lambda ...` or a
    `name = other_function` (`softmax = softmax_v2`, `softmax = utils.softmax`) at its top
    level, also inside an if, try, with or loop there (`if True: def softmax...`), never a
    method or a nested function. Read off the text where the cell does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set(TOP_LEVEL_DEF.findall(source))
    found: set[str] = set()
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.add(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value,
                                                         (ast.Lambda, ast.Name, ast.Attribute)):
            found.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif not isinstance(node, ast.ClassDef):
            for field in ("body", "orelse", "finalbody"):
                todo.extend(n for n in getattr(node, field, ()) if isinstance(n, ast.stmt))
            for handler in getattr(node, "handlers", ()):
                todo.extend(handler.body)
    return found


def _defining_cells(function: Callable, cells: list[tuple[str, int]],
                    counts: dict[tuple[str, int], int | None] | None = None) -> dict | None:
    """Where a notebook defines a graded function in more than one cell: {"notebook", "cells",
    "graded"}, the cell whose definition is graded (the last one that ran, as in a kernel run top
    to bottom; None when the graded function is not one of them), and "counts", each of those
    cells' saved In [n] (None: never run in the student's session), where the notebook saved
    them: the definition the student's own session last ran may be another one."""
    if len(cells) < 2 or len({notebook for notebook, _ in cells}) != 1:
        return None
    where = re.search(r", cell (\d+)$", str(getattr(getattr(function, "__code__", None),
                                                     "co_filename", "")))
    numbers = [number for _, number in cells]
    graded = int(where[1]) if where and int(where[1]) in numbers else None
    found = {"notebook": cells[0][0], "cells": numbers, "graded": graded}
    if counts and all(cell in counts for cell in cells):
        found["counts"] = [counts[cell] for cell in cells]
    return found


def _other_definitions(fn: str, hit, candidates: list) -> list[str]:
    """The other files that hold a function of this name that is not the graded one: a stale
    copy the student may think is graded. A file that imports the graded function (q2_neural.py's
    `from q2_sigmoid import sigmoid`) holds the same object and is not named; each other object
    is named once, by the first file that holds it. A copy written exactly alike (the same
    code, another file) is no stale copy either: whichever is graded, the grade is the same.
    A notebook is named as the student saved it (hw.ipynb), not as the module made of it."""
    graded = vars(hit)[fn]
    seen = {id(graded)}
    files = []
    for module in candidates:
        value = vars(module).get(fn)
        if value is None or _failed_import(value) or not callable(value):
            continue
        if id(value) not in seen and not _written_alike(value, graded):
            seen.add(id(value))
            files.append(_shown_name(Path(module.__file__)))
    return files


def _failed_import(value: object) -> bool:
    """What a name is bound to when the import that named it failed: a sibling that could not
    provide it (Unavailable), or a module not installed (missing_imports.Missing). No definition:
    q2_neural.py's misspelt `from q1_softmx import softmax` was said to define another softmax
    than q1_softmax.py's, "an old copy" to remove (probe s61)."""
    return isinstance(value, (Unavailable, missing_imports.Missing))


def _written_alike(a, b) -> bool:
    """Two plain functions whose code is the same, wherever each was written (the file and line
    numbers aside). Only code objects are compared: nothing of the student's runs."""
    if type(a) is not types.FunctionType or type(b) is not types.FunctionType:
        return False
    if not (_plain(a.__defaults__) and _plain(b.__defaults__)):
        return False  # defaults compared only when they are plain values
    return _code_key(a.__code__) == _code_key(b.__code__) and a.__defaults__ == b.__defaults__


def _plain(values) -> bool:
    return values is None or all(type(v) in (int, float, str, bool, type(None)) for v in values)


def _code_key(code: types.CodeType) -> tuple:
    return (code.co_code, code.co_names, code.co_varnames, code.co_argcount,
            tuple(_code_key(c) if type(c) is types.CodeType else (type(c).__name__, repr(c))
                  for c in code.co_consts))


def _shown_name(path: Path) -> str:
    """The file's name as uploaded: a module made of a notebook is named by the notebook."""
    cells = _cells_file(path)
    if cells.is_file():
        try:
            return str(json.loads(cells.read_text(encoding="utf-8"))["notebook"])
        except (OSError, ValueError, KeyError):
            pass
    return path.name


def _last_assignment(path: Path, name: str) -> str | None:
    """Where the file's (or a notebook's cells') top level last assigns to `name`: "hw.ipynb,
    cell 14, line 2". A later cell's `softmax = softmax(z)` leaves the name holding an array."""
    found = None
    for where, source in _sources(path):
        tree = source_text.tree(source)
        for node in (tree.body if tree is not None else ()):
            targets = [*getattr(node, "targets", ()), getattr(node, "target", None)]
            if any(isinstance(n, ast.Name) and n.id == name for target in targets
                   if isinstance(target, ast.AST) for n in ast.walk(target)):
                found = f"{where}, line {node.lineno}"
    return found


def _is_blank(path: Path) -> bool:
    try:
        return path.stat().st_size < 1_000_000 and not path.read_bytes().strip()
    except OSError:
        return False


def _defines(module: types.ModuleType, fn: str) -> bool:
    return fn in vars(module) and not isinstance(vars(module)[fn], Unavailable)


def _unfinished(function: object) -> bool:
    """A copy not to grade while another copy of the function is finished: the starter's stub
    (`_stub_kind`), or one `_copy_problem` names. The 2017 starter's softmax has lines of its own
    before its `raise NotImplementedError`: beside a hw1.py that writes every function, the
    starter's files as handed out scored 15 of 100, graded on their stubs (probe s60)."""
    return bool(_stub_kind(function) or _copy_problem(function))


def _stub_kind(function: object) -> str:
    """How the function's def is the starter's stub (written_defs.stub_kind), read against the
    names its file binds; "" for one that is written, or whose source cannot be read."""
    node = _definition(function)
    if node is None:
        return ""
    file = function.__globals__.get("__file__")  # type: ignore[attr-defined]
    names, star = _names_of_file(file) if isinstance(file, str) else (set(), True)
    return written_defs.stub_kind(node, names, star)


@functools.lru_cache(maxsize=None)
def _names_of_file(file: str) -> tuple[set[str], bool]:
    """written_defs.file_names of a module's file, a notebook's cells together."""
    trees = [source_text.tree(source) for _, source in _sources(Path(file))]
    return written_defs.file_names([tree for tree in trees if tree is not None])


def _passed_over(fn: str, modules: list[types.ModuleType]) -> list[tuple[str, str]]:
    """(file, why) for each copy of `fn` passed over for the one graded (see `_unfinished`), once
    a copy: q2_neural.py's `from q2_sigmoid import sigmoid` holds q2_sigmoid.py's, and is not
    named again. `why`: a `_stub_kind`, else a `_copy_problem`."""
    named: dict[int, tuple[str, str]] = {}
    for module in modules:
        function = vars(module)[fn]
        if id(function) not in named:
            named[id(function)] = (_shown_name(Path(module.__file__)),
                                   _stub_kind(function) or _copy_problem(function))
    return list(named.values())


def _copy_problem(function: object) -> str:
    """"template": a function as an exercise's template leaves it, a body of nothing but its
    docstring, `pass`, `raise NotImplementedError`, names set to None (`loss = None`) and a return
    of None or of those names. "ignores its arguments": a body that never reads one of its
    parameters (it computes from the notebook's variables). "" otherwise, and where the source
    cannot be read. Read from the source (linecache holds a notebook cell's), never called."""
    node = _definition(function)
    if node is None:
        return ""
    if written_defs.is_template(node):
        return "template"
    parameters = _parameters(node)
    read = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    if parameters and not parameters & read:
        return "ignores its arguments"
    return ""


def _unused_parameters(function: object) -> list[str]:
    """The parameters a function's body never reads, in their order (none where the source
    cannot be read, or the body reads `locals()` or `vars()`, which may read them all)."""
    node = _definition(function)
    if node is None:
        return []
    read = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    if read & {"locals", "vars", "eval", "exec"}:
        return []
    arguments = node.args
    ordered = [a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs]
    return [name for name in ordered if name not in read and not name.startswith("_")]


_CO_VARARGS = 0x04  # inspect.CO_VARARGS, without importing inspect into every worker


def _positional_parameters(function: object) -> dict:
    """{"parameters": the names a plain function's arguments bind by position, in order,
    "required_parameters": how many have no default}: the grader compares them with the
    assignment's signature (a course's later file with the same names in another order). Empty
    for anything else, or one that takes *args (any call fits it)."""
    if type(function) is not types.FunctionType:
        return {}
    code = function.__code__
    if code.co_flags & _CO_VARARGS or code.co_argcount > 32:
        return {}
    names = [str(name)[:100] for name in code.co_varnames[:code.co_argcount]]
    defaults = function.__defaults__
    required = code.co_argcount - (len(defaults) if isinstance(defaults, tuple) else 0)
    # after a bare * (f(a, b, *, K=10)): named, never bound by position, as the grader passes K
    keyword_only = [str(name)[:100] for name in
                    code.co_varnames[code.co_argcount:code.co_argcount + code.co_kwonlyargcount]]
    return {"parameters": names, "required_parameters": max(required, 0),
            **({"keyword_only_parameters": keyword_only[:32]} if keyword_only else {})}


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    arguments = node.args
    names = [a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs]
    names += [a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None]
    return set(names)


def _definition(function: object) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The `def` of a plain function, parsed from its source; None where it cannot be read."""
    if type(function) is not types.FunctionType:
        return None
    code = function.__code__
    if code in _DEFINITIONS:
        return _DEFINITIONS[code]
    _DEFINITIONS[code] = None
    lines = linecache.getlines(code.co_filename)[code.co_firstlineno - 1:]
    # The def alone, up to the next line that starts a top-level statement; else (a docstring's
    # line at the margin ends that too soon) the rest of the file, which parses where the def
    # is at its top level.
    for end in (next((i for i, line in enumerate(lines[1:], 1)
                      if line[:1] not in ("", " ", "\t", "\n", "\r", "#", "@")), len(lines)),
                len(lines)):
        try:
            tree = ast.parse("".join(lines[:end]))
        except (SyntaxError, ValueError):
            continue
        if tree.body and isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)) \
                and tree.body[0].name == code.co_name:
            _DEFINITIONS[code] = tree.body[0]
            break
    return _DEFINITIONS[code]


# Each function's parsed def, by code object: the load asks after every graded function several
# times while it decides which files to run.
_DEFINITIONS: dict[types.CodeType, ast.FunctionDef | ast.AsyncFunctionDef | None] = {}


def _globals_read(function: types.FunctionType) -> list[str]:
    """The module-level variables (not functions, classes or modules) a function reads."""
    node = _definition(function)
    if node is None:
        return []
    assigned = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
                and isinstance(n.ctx, ast.Store)} | _parameters(node)
    # A name the body calls is meant as a function, whatever it holds now (`relu` after a cell's
    # `relu = relu(z1)`): not a variable read in a parameter's place.
    called = {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call)
              and isinstance(n.func, ast.Name)}
    names = dict.fromkeys(n.id for n in ast.walk(node) if isinstance(n, ast.Name)
                          and isinstance(n.ctx, ast.Load) and n.id not in assigned | called)
    space = function.__globals__
    return [name for name in names if name in space and not isinstance(
        space[name], (types.FunctionType, types.ModuleType, type, types.BuiltinFunctionType))
        and not callable(space[name])]


def _may_bind(path: Path, names: set[str]) -> bool:
    """Whether running the file may give one of `names` a value at its top level. Read from the
    source, not run: True where it cannot be told (a syntax error, `from x import *`)."""
    read = _top_level_bindings(path)
    return read is None or read.opaque or bool(read.bound & names)


def _writes_one_of(path: Path, names: set[str]) -> bool:
    """Whether the file gives one of `names` a value of its own at its top level: a def, a class,
    an assignment (`softmax = lambda x: ...`), not only an import of it (an experiments.py's
    `from hw1 import softmax`, a q3_run.py's `from hw1 import *`). A file that does not parse
    writes what its text has a `def` of at the start of a line: run, its error is reported."""
    read = _top_level_bindings(path)
    return read is not None and bool(read.written & names)


def _top_level_defs(path: Path) -> set[str] | None:
    """The functions a file (or a notebook's cells) defines with `def` at its top level (of a
    source that does not parse, the `def`s its text begins a line with)."""
    read = _top_level_bindings(path)
    return read.defs if read is not None else None


class _Bindings(NamedTuple):
    """What a file's top level binds, read off its source (every code cell of a notebook)."""
    bound: set[str]  # every name it may bind, by import too
    written: set[str]  # the names it binds other than by an import statement
    defs: set[str]  # the names it binds with `def`
    opaque: bool  # it may bind any name: `from x import *`, or a source that does not parse


@functools.lru_cache(maxsize=None)
def _top_level_bindings(path: Path) -> _Bindings | None:
    """The names the file's top level binds, the top level including the bodies of its if, try,
    with and loop statements; None for a file that cannot be read (running it reports that).
    One walk of the statements the loader parses anyway (package_imports.scan), never into a
    def or class body."""
    read = _Bindings(set(), set(), set(), False)
    opaque = False

    def visit(body: list[ast.stmt]) -> None:
        nonlocal opaque
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                opaque = opaque or any(alias.name == "*" for alias in node.names)
                read.bound.update(alias.asname or alias.name.split(".")[0]
                                  for alias in node.names if alias.name != "*")
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                read.defs.add(node.name)
            names = _names_bound_by(node)
            read.bound.update(names)
            read.written.update(names)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            blocks = [getattr(node, field, None) for field in ("body", "orelse", "finalbody")]
            blocks += [case.body for case in (*getattr(node, "handlers", ()),
                                              *getattr(node, "cases", ()))]
            for block in blocks:
                if isinstance(block, list):
                    visit(block)

    sources = _sources(path)
    if not sources:
        return None
    for _, source in sources:
        tree = source_text.tree(source)
        if tree is None:
            opaque = True
            found = set(TOP_LEVEL_DEF.findall(source))
            read.defs.update(found)
            read.bound.update(found)
            read.written.update(found)
        else:
            visit(tree.body)
    return read._replace(opaque=opaque)


def _names_bound_by(node: ast.stmt) -> set[str]:
    """The names a statement other than an import binds by itself (not in its body)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if not isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor,
                             ast.With, ast.AsyncWith)):
        return set()
    targets = [*getattr(node, "targets", ()), getattr(node, "target", None),
               *(item.optional_vars for item in getattr(node, "items", ()))]
    return {n.id for target in targets if target is not None
            for n in ast.walk(target) if isinstance(n, ast.Name)}


def _sources(path: Path) -> list[tuple[str, str]]:
    """The file's source, or each cell's of a notebook, by the name the student knows
    ("hw.ipynb, cell 6": one cell's syntax error must not hide what another uses). Nothing
    for an unreadable file: running it reports that."""
    try:
        if _cells_file(path).is_file():
            data = json.loads(_cells_file(path).read_text(encoding="utf-8"))
            return [(f"{data['notebook']}, cell {c['cell']}", _as_run(str(c["source"])))
                    for c in data["cells"]]
        return [(path.name, _as_run(source_text.python_source(path.read_bytes())[0]))]
    except BaseException:
        return []


def _python2_evidence(rewritten: dict) -> str:
    """What made a file or cell Python 2 (python2_rewrites' entry): its first form rewritten
    (python2_source.FORMS: "print"), or "tabs"."""
    forms = rewritten.get("forms") or {}
    return next((form for form in python2_source.FORMS if forms.get(form)), "tabs")


def _as_run(source: str) -> str:
    """The source as it runs: Python 2 source read as Python 3 (worker/python2_source.py)."""
    return python2_source.python3_source(source)[0]


# What a source must spell for each scan to find anything in it.
_SPELLED = {
    "xrange": re.compile(r"\bxrange\b"),
    "numpy": re.compile(r"\b(?:%s)\b" % "|".join(map(re.escape, [*numpy_aliases.EXPIRED,
                                                                   "set_printoptions"]))),
    "python2": re.compile(r"\b(?:%s)\b" % "|".join(
        map(re.escape, [*python2_names.BUILTINS, *python2_names.MODULES,
                        *{name for _, name in python2_names.ATTRIBUTES}]))),
}


def _standard_library(name: str, needs: tuple[str, ...] = ("heapq", "_heapq")) -> types.ModuleType:
    """A module of Python's own library (and `needs`, what it imports that the worker has not),
    imported when the submission's folder is already on sys.path: with that folder off the path,
    the layout's finder off sys.meta_path and any module of the upload's under those names set
    aside meanwhile, so that an upload's
    difflib.py or heapq.py is not run as the grader's (probe s56: the near-name hint vanished).
    The upload's modules are put back: its code still imports its own."""
    private = f"_autograde_{name}"
    if private in sys.modules:
        return sys.modules[private]
    import importlib  # noqa: PLC0415
    names = (name, *needs)
    saved_path, saved_finders = sys.path[:], sys.meta_path[:]
    saved = {n: sys.modules.pop(n) for n in names if n in sys.modules}
    library = os.path.dirname(os.__file__)
    sys.path[:] = [entry for entry in sys.path if entry.startswith(library)]
    # Python's own finders only: the layout's finder maps names to the upload's files.
    sys.meta_path[:] = [finder for finder in sys.meta_path if getattr(
        finder if isinstance(finder, type) else type(finder), "__module__", "").startswith(
        "_frozen_importlib")]
    try:
        module = importlib.import_module(name)
    finally:
        sys.path[:], sys.meta_path[:] = saved_path, saved_finders
        for n in names:
            sys.modules.pop(n, None)
        sys.modules.update(saved)
    sys.modules[private] = module
    return module


# Of the names equally near a missing function, how many the report carries.
MAX_NEAR_NAMES = 20


def _near_names(wanted: str, modules: list, others: Collection[str] = ()) -> list[str]:
    """The functions the submission wrote under a name close to `wanted`, all those equally
    close (negSamplingCostAndGradient01 to 09 for negSamplingCostAndGradient: naming one of
    them picked it for the student, probe s60): the same letters in another case or spelling
    (ReLU for relu, crossEntropyLoss for cross_entropy_loss), or a near-miss
    (context_word_to_vector for context_words_to_vector). Only public functions the
    submission's own modules define, never what they import, nor (`others`) the other functions
    the pack grades: sigmoid_grad is no spelling of a missing sigmoid."""
    difflib = _standard_library("difflib")

    def squeezed(name: str) -> str:
        return name.replace("_", "").lower()
    # Defined in the module's own namespace, whatever its __name__: a notebook's cells run as
    # __main__ (as Jupyter runs them), so their functions' __module__ names no student module.
    # Nor the others spelt otherwise: sigmoidGrad is the student's sigmoid_grad, not a sigmoid.
    taken = {squeezed(other) for other in others if other != wanted}
    names = sorted({name for m in modules for name, value in vars(m).items()
                    if isinstance(value, types.FunctionType)
                    and getattr(value, "__globals__", None) is vars(m) and name != wanted
                    and squeezed(name) not in taken
                    and name.isidentifier()
                    and not name.startswith("_")})  # _softmax: a helper, not a misspelling
    same = [n for n in names if squeezed(n) == squeezed(wanted)]
    if same:
        return same
    ratios = {n: difflib.SequenceMatcher(None, n, wanted).ratio() for n in names}
    best = max(ratios.values(), default=0.0)
    if best >= 0.85:
        return [n for n in names if ratios[n] == best]
    # The name spelt out or cut short (forward_propagation for forward_prop, cross_entropy for
    # cross_entropy_loss): too far apart for the ratio above, yet one word of the other's.
    # Not a name that only begins with it (softmaxCostAndGradient for softmax): most of the
    # longer name must be the shorter one. And a name of the student's that adds a word of its
    # own is a helper of theirs (forward_prop_check beside a missing forward_prop), not it.
    def extends(short: str, long: str) -> bool:
        return len(short) >= 6 and long.startswith(short) and len(short) >= 0.6 * len(long)

    def adds_a_word(name: str) -> bool:
        rest = name[len(wanted):] if name.lower().startswith(wanted.lower()) else ""
        return rest[:1] == "_" or rest[:1].isupper()
    longer = [n for n in names
              if (extends(squeezed(wanted), squeezed(n)) and not adds_a_word(n))
              or extends(squeezed(n), squeezed(wanted))]
    return longer if len(longer) == 1 else []


def _method_of(wanted: str, modules: list) -> str | None:
    """The class of the submission's own whose method is named `wanted` (a network written as a
    class, its forward_prop a method): the grader calls a function at the module's top level."""
    # A class's own namespace, read past any metaclass that overrides __dict__.
    namespace_of = type.__dict__["__dict__"].__get__
    for m in modules:
        for name, value in list(vars(m).items()):
            if not isinstance(value, type) or name.startswith("_") or not name.isidentifier():
                continue
            method = namespace_of(value).get(wanted)
            if type(method) in (staticmethod, classmethod):
                method = method.__func__
            if type(method) is types.FunctionType and method.__globals__ is vars(m):
                return name
    return None


def _reads_xrange(tree: ast.Module) -> bool:
    """Whether the source names xrange (the shim's name) anywhere."""
    return any(isinstance(node, ast.Name) and node.id == "xrange" for node in ast.walk(tree))


def _load_privately(path: Path, importer: _LayoutImporter) -> types.ModuleType | None:
    """A file no sibling can import by name (its name is not an identifier, or is taken)."""
    name = "student_" + "".join(c if c.isalnum() else "_" for c in path.stem)
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        if _cells_file(path).is_file():
            importer.run_notebook(module, path)
        else:
            importer.run_file(module, path)
        return module
    except BaseException as exc:  # SystemExit at import time is a load error too
        sys.modules.pop(name, None)
        importer.errors.append(_error_entry(exc, importer.root, path))
        return None
