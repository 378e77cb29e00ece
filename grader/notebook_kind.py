"""What a file named .ipynb that is no notebook really is, from its bytes, for the one sentence an
unreadable upload gets.

The worker's loader says a notebook is "not valid JSON ... Was it edited by hand, or cut short?"
of any file that is not JSON, and quotes nbformat's own exception of JSON that is not a notebook
("ValidationError: Notebook could not be converted from version 1 to version 2", "AttributeError:
'list' object has no attribute 'get'"). A zip, a gzip, a saved web page and a Git LFS pointer are
common uploads under a notebook's name, each with its own remedy (probe s62). The grader reads
the upload's own bytes (data, never run) and says what the file is, where it can tell.
"""
from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from grader import archive

# Enough for every signature below, and for the JSON of a file that is no notebook (such files
# are small; a larger one keeps the loader's words).
READ_LIMIT = 1 << 20

# The loader's sentences for a notebook it could not read (grader/worker/loader.py _unreadable).
_UNREADABLE = re.compile(r"^(?P<name>[^\n]+?\.ipynb) is not (?:a readable notebook: it is not "
                         r"valid JSON|a notebook Jupyter can open: its JSON does not follow)",
                         re.IGNORECASE)


def what_it_is(name: str, data: bytes, whole: bool = True) -> str | None:
    """The sentence for an unreadable notebook `name` whose first bytes are `data` (all of them
    when `whole`), or None where they are none of the kinds below (the loader's words stand)."""
    stem = name[:-len(".ipynb")] if name.lower().endswith(".ipynb") else name
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return (f"{name} is not a notebook: it is a zip archive with a notebook's name. If your "
                f"notebook is inside it, rename the file to {stem}.zip and upload that, or unzip "
                "it and upload the .ipynb it holds.")
    if data.startswith(b"\x1f\x8b"):
        return (f"{name} is not a notebook: it is gzip-compressed data with a notebook's name. "
                f"Rename it to {stem}.ipynb.gz, uncompress it (gunzip, or an archive tool) and "
                "upload the .ipynb that comes out.")
    if re.match(rb"(?i)<!doctype html|<html|<head|<meta", start):
        return (f"{name} is not a notebook: it is a web page (HTML), as a browser saves a page "
                "that shows a notebook (GitHub, nbviewer, Colab). Download the notebook file "
                "itself: on GitHub, open the notebook and use Raw or Download raw file; in "
                "Jupyter or Colab, File > Download > .ipynb. Upload that file.")
    if start.startswith(b"version https://git-lfs.github.com/spec/"):
        return (f"{name} is not a notebook: it is a Git LFS pointer, the small text file Git "
                "keeps in place of a file stored with Git LFS whose content was never "
                "downloaded. Run `git lfs pull` in your repository (or download the file from "
                "the repository's web page) and upload the real notebook.")
    if whole:
        return _json_not_a_notebook(name, data)
    return None


def _json_not_a_notebook(name: str, data: bytes) -> str | None:
    """The sentence for valid JSON that is not a notebook at all: no object, or an object
    without the `nbformat` field. An object that has it, with a field of the wrong type, is a
    broken notebook: the loader's words stand."""
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError, MemoryError):
        return None
    if isinstance(value, dict):
        if "nbformat" in value:
            return None
        missing = [f"`{key}`" for key in ("cells", "nbformat") if key not in value]
        what = f"an object without the {' and '.join(missing)} field{'s' * (len(missing) > 1)}"
    else:
        what = {list: "a list", str: "a string", bool: "true or false", type(None): "null"}.get(
            type(value), "a number")
    return (f"{name} is not a notebook: it holds valid JSON, but {what}, where a notebook is an "
            "object with its list of `cells` and its `nbformat` version. Upload the notebook "
            "file Jupyter saved (File > Download > .ipynb in Jupyter or Colab).")


def reworded(fatal: str, upload: Path) -> str:
    """The worker's reason an upload could not be read, with an unreadable notebook said for what
    it is where its bytes tell (the worker's words otherwise)."""
    found = _UNREADABLE.match(fatal)
    if not found:
        return fatal
    name = found.group("name")
    read = _bytes_of(upload, name)
    if read is None:
        return fatal
    data, whole = read
    return what_it_is(name, data, whole) or fatal


def _bytes_of(upload: Path, name: str) -> tuple[bytes, bool] | None:
    """The first READ_LIMIT bytes of the notebook `name` of the upload (a file, a folder, a .zip)
    and whether they are all of it; None where it is not one file found there."""
    try:
        if upload.is_file() and upload.suffix.lower() == ".zip":
            with zipfile.ZipFile(upload) as zf:
                members = [m for m in zf.infolist() if not m.is_dir()
                           and archive.member_name(m)[0].replace("\\", "/").rsplit("/", 1)[-1]
                           == name]
                if len(members) != 1:
                    return None
                with zf.open(members[0]) as member:
                    data = member.read(READ_LIMIT + 1)
        else:
            if upload.is_file():
                paths = [upload] if upload.suffix.lower() == ".ipynb" else []
            else:
                paths = [p for p in upload.rglob(name) if p.is_file() and not p.is_symlink()]
            if len(paths) != 1:
                return None
            with paths[0].open("rb") as file:
                data = file.read(READ_LIMIT + 1)
    except (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError, ValueError):
        return None
    return data[:READ_LIMIT], len(data) <= READ_LIMIT
