"""Recipes kept on disk, so that a cold `autograde grade` replays too.

A warm grader (grader/server.py) replays each check from the recipe an earlier submission's
passing run left (grader/replay.py). The public inputs are the same for every submission, so the
recipes are too: a grade keeps its book in the user's cache folder, and the next grade in a fresh
process starts from it instead of from nothing. The verdicts are those of a live run for the same
reasons they are in a warm grader: a recipe is only what a passing run sent, each request is
compared byte for byte, and a check that fails or diverges runs live.

A book is used only where it was made: its file is named by a digest of everything that decides
what a check sends and which examples hypothesis draws (the grader's own code, the pack's files
and settings, the reference's files or, in a student's copy, the known answers' file, the grading
options, the versions of Python, numpy, pytest and hypothesis). Anything else is a miss, never a
wrong replay. Recipes are kept for the public inputs only: inputs drawn from a course secret are
never written to disk.

The file is JSON (known_answers.encode: arrays as dtype, shape and bytes), never pickle; a file
that cannot be read is ignored. A grade whose submission could write the user's files (process
isolation as the user's own uid, or as root with no uid to lease) removes every book when it
ends (grader/grading.py): a book emptied of its examples passed every property check it held.
$AUTOGRADE_CACHE_DIR moves the folder; `off` turns it off.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from grader import __version__, cache_folder
from grader.cache_folder import CACHE_ENV, folder
from grader.replay import Recipe, RecipeBook
from grader.proxy import Request

FORMAT = 1
GRADER_DIR = Path(__file__).resolve().parent


def _digest_files(digest: Any, root: Path) -> None:
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file() or path.suffix == ".pyc":
            continue
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")


def book_path(pack: Any, options: Any, reference_dir: Path | None) -> Path | None:
    """Where the book for grading with `pack`, `options` and this reference (None: a student's
    copy, with the known answers instead) lives; None when such a grade keeps no book (the cache
    is off, secret inputs, neither a reference nor known answers)."""
    where = folder()
    if where is None or options.input_set.is_secret:
        return None
    answers = b""
    if reference_dir is None:  # the known answers stand in for the reference, and name the book
        path = options.known_answers or pack.known_answers
        if path is None:
            return None
        try:
            answers = Path(path).read_bytes()
        except OSError:  # the grade says the answers could not be read; nothing to keep
            return None
    import hypothesis
    import numpy
    import pytest

    digest = hashlib.sha256()
    digest.update(json.dumps([FORMAT, __version__, sys.version, numpy.__version__,
                              pytest.__version__, hypothesis.__version__, repr(pack),
                              repr(dataclasses.replace(options, reference_dir=None))]).encode())
    for root in (GRADER_DIR, Path(pack.checks_dir).parent, reference_dir):
        if root is None:
            digest.update(b"\x1eknown answers\0" + answers)
            continue
        digest.update(b"\x1e" + str(Path(root).name).encode())
        if Path(root).is_dir():
            _digest_files(digest, Path(root))
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in pack.name)
    return where / f"recipes-{name}-{digest.hexdigest()[:24]}.json"


# ---- a book as JSON -----------------------------------------------------------------------------
def _request_data(request: Request) -> dict:
    return {"function": request.function, "node": request.node, "echo_args": request.echo_args,
            "count_lines": request.count_lines,
            "blobs": [base64.b64encode(b).decode("ascii") for b in request.blobs]}


def _request(data: dict) -> Request:
    return Request(str(data["function"]), data["node"],
                   tuple(base64.b64decode(b) for b in data["blobs"]), bool(data["echo_args"]),
                   bool(data.get("count_lines", False)))


def to_json(book: RecipeBook) -> str:
    """The recipes whose examples keep as plain data and come back the same; others are left
    out (their checks then run live, and leave their recipe in the book in memory only)."""
    from grader import known_answers

    recipes = {}
    for check, recipe in sorted(book.recipes.items()):
        try:
            examples = None
            if recipe.examples is not None:
                examples = [known_answers.encode(e) for e in recipe.examples]
                again = [known_answers.encode(known_answers.decode(e)) for e in examples]
                if json.dumps(again, sort_keys=True) != json.dumps(examples, sort_keys=True):
                    continue
            recipes[check] = {"requests": [_request_data(r) for r in recipe.requests],
                              "examples": examples}
        except Exception:  # noqa: BLE001 (an example that is not plain data: not kept)
            continue
    return json.dumps({"format": FORMAT, "recipes": recipes}, sort_keys=True,
                      separators=(",", ":"))


def from_json(text: str) -> dict[str, Recipe]:
    from grader import known_answers

    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("not a recipe book of this format")
    recipes = {}
    for check, entry in data["recipes"].items():
        examples = entry["examples"]
        recipes[str(check)] = Recipe(
            tuple(_request(r) for r in entry["requests"]),
            None if examples is None else tuple(known_answers.decode(e) for e in examples))
    return recipes


# ---- load and keep --------------------------------------------------------------------------------
def load(path: Path | None, book: RecipeBook) -> None:
    """Add the recipes kept at `path` to `book` (those it has win); nothing if it cannot."""
    if path is None:
        return
    text = cache_folder.read_text(path)
    if text is None:
        return
    try:
        kept = from_json(text)
    except Exception:  # noqa: BLE001 (from elsewhere, or not a book at all: a miss)
        return
    for check, recipe in kept.items():
        book.recipes.setdefault(check, recipe)
    book.kept = set(book.recipes)


def keep(path: Path | None, book: RecipeBook) -> None:
    """Write to `path` the recipes `book` learnt since it was loaded or last kept, with those the
    file holds now; nothing when it learnt none. The file's, not those the book was loaded with:
    a grade that loaded a book some other grade's submission had rewritten (process isolation,
    beside it) would otherwise write it back after that grade removed it."""
    if path is None:
        return
    learnt = {check: recipe for check, recipe in book.recipes.items() if check not in book.kept}
    if not learnt:
        return
    on_disk = RecipeBook()
    load(path, on_disk)
    on_disk.recipes.update(learnt)
    if cache_folder.write_text(path, to_json(on_disk)):
        book.kept = set(book.recipes)


__all__ = ["CACHE_ENV", "book_path", "folder", "from_json", "keep", "load", "to_json"]
