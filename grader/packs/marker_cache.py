"""The functions a pack's check files name in their `function` markers, remembered on disk.

Loading a pack reads every check file's markers from its source (grader/packs/manifest.py
_check_markers: nothing of the pack runs to validate it). Parsing the CS224n pack's five check
files is about 50 ms, most of what a grade does before its first check beyond the imports, paid
again by every grade in a fresh process, though the files rarely change. So the names are kept
in the user's cache folder (grader/cache_folder.py), under a digest of the file's bytes and the
Python version: an edited check file is a miss and is parsed again. The file is JSON of names
only; anything unexpected in it is a miss, and names that fail the manifest's checks are read
from the files again before a pack is refused (the cache is only ever a hint). With the cache off
(AUTOGRADE_CACHE_DIR=off), every load parses.
"""
from __future__ import annotations

import ast
import hashlib
import json
import sys
from pathlib import Path

from grader import cache_folder
from grader.cache_folder import folder

FILE_NAME = "markers.json"
FORMAT = 1
MAX_ENTRIES = 256  # the oldest go first (a course's packs have tens of check files)

# In this process: a warm grader (grader/server.py) loads the same pack for every submission.
_seen: dict[str, tuple[str, ...]] = {}


def functions_named(path: Path, fresh: bool = False) -> tuple[str, ...]:
    """The functions the `function` markers in check file `path` name, in order; `fresh`: parsed
    from the file whatever is kept (the names kept are only ever a hint: names that fail the
    manifest's checks are read again before the pack is refused). Raises OSError,
    UnicodeDecodeError or SyntaxError for a file that cannot be read as Python."""
    data = path.read_bytes()
    key = hashlib.blake2b(data + b"\0" + sys.version.encode(), digest_size=16).hexdigest()
    names = None if fresh else _seen.get(key)
    if names is None and not fresh:
        names = _read().get(key)
    if names is None:
        names = parse(data.decode("utf-8"), str(path))
        _remember(key, names)
    _seen[key] = names
    return names


def parse(source: str, filename: str) -> tuple[str, ...]:
    """The names in `mark.function("NAME")` calls of `source`, as Python reads it (a marker in a
    comment or a string is none)."""
    tree = ast.parse(source, filename)
    return tuple(node.args[0].value for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                 and node.func.attr == "function" and isinstance(node.func.value, ast.Attribute)
                 and node.func.value.attr == "mark" and len(node.args) == 1
                 and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str))


def _path() -> Path | None:
    where = folder()
    return None if where is None else where / FILE_NAME


def _read() -> dict[str, tuple[str, ...]]:
    path = _path()
    if path is None:
        return {}
    text = cache_folder.read_text(path)
    if text is None:
        return {}
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            return {}
        return {key: tuple(names) for key, names in data["files"].items()
                if isinstance(key, str) and isinstance(names, list)
                and all(isinstance(n, str) for n in names)}
    except Exception:  # noqa: BLE001 (another format, or no cache file at all: a miss)
        return {}


def _remember(key: str, names: tuple[str, ...]) -> None:
    """Add one file's names to the cache file (two grades adding at once may lose one entry: a
    miss for the next grade, no more)."""
    path = _path()
    if path is None:
        return
    kept = _read()
    kept.pop(key, None)
    kept[key] = names
    entries = list(kept.items())[-MAX_ENTRIES:]
    cache_folder.write_text(path, json.dumps({"format": FORMAT,
                                              "files": {k: list(v) for k, v in entries}}))
