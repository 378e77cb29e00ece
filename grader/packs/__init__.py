"""Assignment packs: what an assignment requires, where it lives, its reference, and its checks.

A pack is a folder: a manifest (`pack.toml`, read by grader/packs/manifest.py), `checks/` (pytest
files), and optionally `reference/`, `student_template/`, `support/` (files placed beside the
submission) and `known_answers.json`. The engine knows nothing else about an assignment: adding a
course's assignment means writing such a folder, anywhere, and grading with `--pack PATH`.

Packs are found by name among the built-in ones (folders of this package), then the installed
ones: each subfolder of the folders in $AUTOGRADE_PACKS, and each entry point of the group
`autograde.packs` (a module whose folder holds a pack.toml).
"""
from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from grader.packs.manifest import MANIFEST, ManifestError, read
from grader.packs.model import DEADLINE_KEYS, FunctionSpec, Pack

_HERE = Path(__file__).resolve().parent
# Those this install has: a student release carries only the pack it grades (grader/release.py).
BUILTIN_PACKS = {name: folder for name, folder in (
    ("cs224n-a1", _HERE / "cs224n_a1"), ("cbow", _HERE / "cbow"), ("pa6", _HERE / "pa6"),
    ("onelayer", _HERE / "onelayer")) if (folder / "pack.toml").is_file()}
# A student release of one built-in pack makes it the default (grader/release.py writes this file
# beside this module): its students run `autograde grade cbow.ipynb` as their README says, and a
# notebook graded as the CS224n assignment got 0 ("sigmoid was not found") without a word of
# --pack.
RELEASE_DEFAULT = "release_default.txt"


def _default_pack() -> str:
    try:
        name = (_HERE / RELEASE_DEFAULT).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return "cs224n-a1"
    return name if name in BUILTIN_PACKS else "cs224n-a1"


DEFAULT_PACK = _default_pack()
PACKS_ENV = "AUTOGRADE_PACKS"
ENTRY_POINT_GROUP = "autograde.packs"


class UnknownPack(ManifestError, KeyError):
    """No pack of that name or path. (A KeyError too: what load_pack raised before packs were
    folders.)"""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class Found:
    """A pack that can be named: where it is and where it was found."""

    name: str
    folder: Path
    source: str  # "built-in", "$AUTOGRADE_PACKS" or "entry point PACKAGE"


def _installed() -> list[Found]:
    found = []
    for entry in filter(None, os.environ.get(PACKS_ENV, "").split(os.pathsep)):
        folder = Path(entry).expanduser()
        candidates = [folder] if (folder / MANIFEST).is_file() else (
            sorted(p for p in folder.iterdir() if (p / MANIFEST).is_file()) if folder.is_dir() else [])
        found += [Found(p.name, p.resolve(), f"${PACKS_ENV}") for p in candidates]
    # Imported here: it loads the email, zipfile and socket modules, which a grade with a
    # built-in pack (locate) never needs.
    import importlib.metadata
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        spec = importlib.util.find_spec(entry.value)
        if spec is not None and spec.origin:
            folder = Path(spec.origin).parent
            if (folder / MANIFEST).is_file():
                found.append(Found(entry.name, folder, f"entry point {entry.value}"))
    return found


def available() -> list[Found]:
    """Every pack that can be named, built-in first; a name already taken is shadowed."""
    found = [Found(name, folder, "built-in") for name, folder in sorted(BUILTIN_PACKS.items())]
    return found + _installed()


# Where an install that carries no built-in pack keeps the one it grades (grader/release.PACK_DIR):
# the Gradescope image ($AUTOGRADE_PREFIX/pack, as setup.sh puts it), and the unpacked zip or
# student release (pack/ beside autograde/grader/, beside grader/, or in the folder run from).
PACK_FOLDER = "pack"
PREFIX_ENV, DEFAULT_PREFIX = "AUTOGRADE_PREFIX", "/opt/autograde"


def folders_here() -> list[Path]:
    """The pack folders of this install that no name reaches: `autograde grade` without
    --pack there found none, and said "known: " with an empty list (recheck probe s58)."""
    candidates = [Path(os.environ.get(PREFIX_ENV) or DEFAULT_PREFIX) / PACK_FOLDER,
                  _HERE.parents[2] / PACK_FOLDER, _HERE.parents[1] / PACK_FOLDER,
                  Path.cwd() / PACK_FOLDER]
    named = {found.folder.resolve() for found in available()}
    here: dict[Path, Path] = {}
    for folder in candidates:
        try:
            if (folder / MANIFEST).is_file() and folder.resolve() not in named:
                here.setdefault(folder.resolve(), folder.resolve())
        except OSError:  # a folder that cannot be read holds no pack we can use
            continue
    return list(here.values())


def how_to_name(folders: list[Path]) -> str:
    """What to give --pack: the pack folders here, or how to name one."""
    if len(folders) == 1:
        return f"the pack folder here is {folders[0]}: give it with --pack {folders[0]}"
    if folders:
        return (f"the pack folders here are {', '.join(str(f) for f in folders)}: give one with "
                f"--pack, e.g. --pack {folders[0]}")
    return ("give a pack's folder with --pack FOLDER, or list folders of packs in "
            f"${PACKS_ENV}")


def _looks_like_path(name: str) -> bool:
    return os.sep in name or "/" in name or name.endswith(".toml") or name in (".", "..")


def locate(name_or_path: str) -> Path:
    """The folder of the pack `name_or_path` names. Raises UnknownPack."""
    # Built-in names first: looking through every installed distribution's entry points costs
    # a grade more than a tenth of a second, and a built-in name shadows them anyway.
    if name_or_path in BUILTIN_PACKS:
        return BUILTIN_PACKS[name_or_path]
    for found in available():
        if found.name == name_or_path:
            return found.folder
    path = Path(name_or_path).expanduser()
    if _looks_like_path(name_or_path) or path.is_dir():
        folder = path.parent if path.suffix == ".toml" else path
        if not (folder / MANIFEST).is_file():
            raise UnknownPack(f"--pack {name_or_path}: no {MANIFEST} in {folder}")
        return folder.resolve()
    # An installed pack is named by its folder; its manifest's name (what reports show) names it
    # too, where that is no other pack's folder name.
    named = [found for found in _installed() if _manifest_name(found.folder) == name_or_path]
    if len(named) == 1:
        return named[0].folder
    if named:
        raise UnknownPack(f"--pack {name_or_path}: the manifests of {len(named)} installed packs "
                          f"give that name (folders {', '.join(f.name for f in named)}): name "
                          "one by its folder")
    names = ", ".join(dict.fromkeys(f.name for f in available()))
    if not names:  # an install that carries only its own pack, in a folder (a release, a zip)
        raise UnknownPack(f"unknown assignment pack {name_or_path!r}: this install has no "
                          f"built-in or installed pack; {how_to_name(folders_here())}")
    raise UnknownPack(f"unknown assignment pack {name_or_path!r}; known: {names} (or give the "
                      f"path of a pack's folder)")


def _manifest_name(folder: Path) -> str | None:
    """The `name` a pack's manifest gives, or None where it cannot be read."""
    from grader.packs.manifest import tomllib  # tomli on Python 3.10
    try:
        name = tomllib.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("name")
    except (OSError, ValueError):
        return None
    return name if isinstance(name, str) else None


def load_pack(name: str | Path = DEFAULT_PACK, config: Path | None = None) -> Pack:
    """The pack a name (built-in or installed) or a folder's path names, read from its manifest,
    with the course config at `config` applied. Raises ManifestError (UnknownPack when there is
    no such pack) with a one-line message."""
    pack = read(locate(str(name)))
    if config is None and pack.root is not None:
        # A student release carries the course's config here (`student-release --config`), so
        # the student's copy grades with the points and mode the instructor's does.
        shipped = Path(pack.root) / SHIPPED_CONFIG
        config = shipped if shipped.is_file() else None
    if config is not None:
        from grader.packs import course_config
        pack = course_config.apply(pack, Path(config))
    return pack


# The course config a pack folder carries as its default (written by `student-release --config`).
SHIPPED_CONFIG = "course.toml"


__all__ = ["BUILTIN_PACKS", "DEADLINE_KEYS", "DEFAULT_PACK", "Found", "FunctionSpec", "RELEASE_DEFAULT",
           "ManifestError", "Pack", "SHIPPED_CONFIG", "UnknownPack", "available", "load_pack",
           "locate"]
