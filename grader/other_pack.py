"""An upload that looks like another pack's: said before its points, never changing them.

The cbow lecture notebook graded as CS224n scored 0 with no error, and the class overview listed
its softmax among the class's mistakes: nothing said it was the wrong assignment (probe s59). An
upload that defines none, or almost none, of the functions of the pack it is graded with, but
defines several of another installed pack's, is told which pack it looks like and the option
that grades it with that one.

A def counts for a pack when it has the pack's name for the function and the pack's parameter
names: `softmax(z)` is cbow's and pa6's softmax, not CS224n's `softmax(x)`. Read with the parser
in the grading process, never run: a .py file, a notebook, the code files of a folder or of a
.zip (its members read within a budget; a tar archive is opened only in the sandbox, so it is
not read here).
"""
from __future__ import annotations

import ast
import functools
import os
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from grader import archive, misplaced_arguments, source_trees
from grader.packs import Pack, available, read
from grader.packs.manifest import ManifestError
from grader.worker import archive_names

# How many code files of one upload are read, and how many bytes of a zip's members: a
# submission is a few files; a folder of hundreds is no one assignment's.
MOST_FILES = 200
MOST_ZIP_BYTES = 16 * 2**20
# At least this many of another pack's functions, and more than of the pack graded with: one
# shared helper (a relu) is no sign of another assignment.
LEAST_OF_OTHER = 2


def _defs(trees: Iterable[ast.Module], into: dict[str, set[tuple[str, ...]]]) -> None:
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                params = [a.arg for a in (*node.args.posonlyargs, *node.args.args,
                                          *node.args.kwonlyargs)]
                into.setdefault(node.name, set()).add(tuple(params))


def _is_code(relative: str) -> bool:
    parts = relative.split("/")
    return archive_names.is_code(parts[-1]) and not set(parts[:-1]) & set(
        archive_names.JUNK_PARTS) and not parts[-1].startswith("._")


def _folder_trees(folder: Path) -> list[list[ast.Module]]:
    found = []
    for parent, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in archive_names.JUNK_PARTS
                         and d not in archive_names.HISTORY_DIRS
                         and not archive_names.packages_folder(d)
                         and not os.path.islink(os.path.join(parent, d)))
        for name in sorted(files):
            path = Path(parent, name)
            if len(found) < MOST_FILES and _is_code(name) and not path.is_symlink():
                found.append(source_trees.trees(path))
    return found


def _zip_trees(upload: Path) -> list[list[ast.Module]]:
    found = []
    budget = MOST_ZIP_BYTES
    with zipfile.ZipFile(upload) as zf:
        for info in zf.infolist()[:MOST_FILES * 10]:
            name = archive.member_name(info)[0].replace("\\", "/")
            if info.is_dir() or not _is_code(name) or info.file_size > source_trees.MOST_BYTES \
                    or info.file_size > budget or len(found) >= MOST_FILES:
                continue
            try:
                with zf.open(info) as member:
                    data = member.read(source_trees.MOST_BYTES + 1)
            except archive.UNREADABLE:
                continue
            budget -= len(data)
            if len(data) <= source_trees.MOST_BYTES:
                found.append(source_trees.trees_of_bytes(
                    data, notebook=name.lower().endswith(".ipynb")))
    return found


def definitions(upload: Path) -> dict[str, set[tuple[str, ...]]]:
    """Each function name the upload's code defines (at any depth), with the parameter names of
    each def of it; {} for an upload that cannot be read here."""
    upload = Path(upload)
    defs: dict[str, set[tuple[str, ...]]] = {}
    try:
        if upload.is_dir():
            files = _folder_trees(upload)
        elif upload.suffix.lower() == ".zip" and upload.is_file():
            files = _zip_trees(upload)
        elif archive_names.is_code(upload.name) and upload.is_file():
            files = [source_trees.trees(upload)]
        else:
            files = []
    except (OSError, zipfile.BadZipFile, ValueError, RuntimeError, NotImplementedError):
        files = []
    for trees in files:
        _defs(trees, defs)
    return defs


def _graded(pack: Pack) -> dict[str, tuple[str, ...] | None]:
    """The functions a submission to `pack` writes, each with its parameter names (None where
    the manifest's signature is not a call of plain names); a composition is the pack's own."""
    return {spec.name: misplaced_arguments.signature_parameters(spec.signature)
            for spec in pack.functions if spec.name not in pack.composed}


def _matches(defs: dict[str, set[tuple[str, ...]]], graded: dict[str, tuple[str, ...] | None]
             ) -> list[str]:
    """The functions of `graded` that `defs` define with the pack's parameter names, in the
    pack's order."""
    return [name for name, params in graded.items() if name in defs
            and (params is None or params in defs[name])]


@functools.lru_cache(maxsize=None)
def _installed(folder: str) -> Pack | None:
    try:
        return read(Path(folder))
    except (ManifestError, OSError):
        return None


def other_packs(pack: Pack) -> list[tuple[str, Pack]]:
    """The installed packs other than `pack`, each with the name --pack takes for it."""
    found = []
    own = Path(pack.root).resolve() if pack.root is not None else None
    for entry in available():
        if entry.name == pack.name or (own is not None and entry.folder.resolve() == own):
            continue
        other = _installed(str(entry.folder))
        if other is not None and other.name != pack.name:
            found.append((entry.name, other))
    return found


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _kind(upload: Path) -> str:
    if upload.suffix.lower() == ".ipynb":
        return "notebook"
    return "file" if upload.suffix.lower() == ".py" else "upload"


def warning(pack: Pack, upload: Path, others: Sequence[tuple[str, Pack]] | None = None) -> str:
    """The warning for an upload that looks like another pack's ("" when it does not): the pack
    it looks like (or the packs, when several fit as well), what it defines of it, and the
    --pack that grades it so. `others`: the packs to compare with (default: every other
    installed pack)."""
    defs = definitions(upload)
    if not defs:
        return ""
    own = _graded(pack)
    # The defs with this pack's own parameters are its functions whatever else they fit: most
    # uploads stop here, before any other pack is read.
    if not own or len(_matches(defs, own)) > len(own) // 4:
        return ""
    candidates = []
    for name, other in (other_packs(pack) if others is None else others):
        theirs = _matches(defs, _graded(other))
        if len(theirs) >= LEAST_OF_OTHER:
            candidates.append((name, other, theirs))
    if not candidates:
        return ""
    # A def of one of `pack`'s functions counts for it unless another pack's parameters fit it
    # and `pack`'s do not: the cbow notebook's softmax(z) is no attempt at CS224n's softmax(x).
    claimed = {fn for _, _, theirs in candidates for fn in theirs}
    mine = [fn for fn, params in own.items() if fn in defs
            and (params is None or params in defs[fn] or fn not in claimed)]
    if len(mine) > len(own) // 4:
        return ""
    most = max(len(theirs) for _, _, theirs in candidates)
    best = [(name, other, theirs) for name, other, theirs in candidates
            if len(theirs) == most and most > len(mine)]
    if not best:
        return ""
    return _said(pack, Path(upload), best, mine)


def _said(pack: Pack, upload: Path, best: Sequence[tuple[str, Pack, list[str]]],
          mine: Sequence[str]) -> str:
    """The warning: the pack (or packs, equally fitting) the upload looks like, the option that
    grades it so, and what it defines of theirs and of `pack`'s."""
    own = _graded(pack)
    here = (f"{'none' if not mine else len(mine)} of the {len(own)} graded here"
            + (f" ({_and(mine)})" if mine else ""))
    kind = _kind(upload)
    if len(best) == 1:
        name, other, theirs = best[0]
        return (f"this looks like the {name} pack's {kind}, not {pack.name}'s: grade it with "
                f"--pack {name}. It defines {len(theirs)} of {name}'s {len(_graded(other))} "
                f"graded functions ({_and(theirs)}) with {name}'s parameters, and {here}; the "
                f"points below are {pack.name}'s.")
    names = [name for name, _, _ in best]
    defined = list(dict.fromkeys(fn for _, _, theirs in best for fn in theirs))
    return (f"this looks like the {kind} of another pack than {pack.name} "
            f"({' or '.join(names)}): grade it with "
            f"{' or '.join(f'--pack {n}' for n in names)}. It defines {_and(defined)}, "
            f"graded functions of the {_and(names)} packs, with their parameters, and {here}; "
            f"the points below are {pack.name}'s.")


__all__ = ["definitions", "other_packs", "warning"]
