"""A course's config file (`autograde.toml` beside the uploads, or `--config FILE`): the points,
visibility, deadlines and mode of one course's run of a pack, changed without editing the pack.

    visibility = "after_due_date"      # every check's default
    mode = "exact"                     # one of the pack's [modes] (`autograde packs` lists them)
    [functions.softmax]
    points = 20                        # this function's points (its checks share them as before)
    visibility = "hidden"              # its checks' visibility, over the checks' own markers
    [deadlines]
    check_seconds = 30                 # grader/proxy.Limits' fields, in seconds

What is not named keeps the pack's value. The grade's report names the config it applied
(`versions.config`).
"""
from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from grader.packs import manifest
from grader.packs.manifest import ManifestError, tomllib
from grader.packs.model import Pack

CONFIG_NAME = "autograde.toml"
TOP_KEYS = {"pack", "visibility", "functions", "deadlines", "mode"}
FUNCTION_KEYS = {"points", "visibility"}


def _fail(where: Path, text: str) -> ManifestError:
    return ManifestError(f"course config {where}: {text}")


def read(path: Path) -> dict:
    path = Path(path)
    try:
        # utf-8-sig: Windows Notepad saves with a byte-order mark, which TOML refuses as
        # "Invalid statement (at line 1, column 1)".
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, f"is not valid TOML ({exc})") from None


def describe(path: Path) -> str:
    """How a report names the config: its file name and the start of its content's digest (the
    same on every machine, unlike its path)."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    return f"{Path(path).name} (sha256 {digest})"


def apply(pack: Pack, path: Path) -> Pack:
    """`pack` with the course config at `path` applied. Raises ManifestError naming the file and
    what in it is wrong (an unknown key or function, a bad number or visibility)."""
    try:
        return _apply(pack, Path(path))
    except ManifestError as exc:
        # The manifest's own checks name the file alone: say which kind of file it is.
        text = str(exc)
        raise ManifestError(text if text.startswith("course config") else
                            f"course config {text}") from None


def _apply(pack: Pack, path: Path) -> Pack:
    data = read(path)
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise _fail(path, f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(TOP_KEYS))})")
    if "pack" in data and data["pack"] != pack.name:
        raise _fail(path, f"is for the pack {data['pack']!r}, not {pack.name!r}")
    default = pack.default_visibility
    if "visibility" in data:
        default = manifest._visibility(data["visibility"], "visibility", path)
    table = data.get("functions", {})
    if not isinstance(table, dict):
        raise _fail(path, "[functions] must hold one table per function: [functions.softmax]")
    names = [f.name for f in pack.functions]
    for name, entry in table.items():
        if name not in names:
            raise _fail(path, f"[functions.{name}]: the pack {pack.name} has no function {name} "
                              f"(its functions: {', '.join(names)})")
        if not isinstance(entry, dict):
            raise _fail(path, f"[functions.{name}] must be a table")
        extra = sorted(set(entry) - FUNCTION_KEYS)
        if extra:
            raise _fail(path, f"[functions.{name}]: unknown key(s) {', '.join(extra)} (known: "
                              f"{', '.join(sorted(FUNCTION_KEYS))})")
    functions = []
    forced = dict(pack.forced_visibility)
    for spec in pack.functions:
        entry = table.get(spec.name, {})
        changes: dict = {}
        if "points" in entry:
            changes["points"] = manifest._number(entry["points"],
                                                 f"[functions.{spec.name}] points", path)
        if "visibility" in entry:
            forced[spec.name] = manifest._visibility(
                entry["visibility"], f"[functions.{spec.name}] visibility", path)
        functions.append(dataclasses.replace(spec, **changes))
    deadlines_table = data.get("deadlines", {})
    if not isinstance(deadlines_table, dict):
        raise _fail(path, "[deadlines] must be a table")
    deadlines = manifest.deadlines(deadlines_table, path)
    total = sum(f.points for f in functions)
    if "mode" in data:
        try:
            pack = pack.with_mode(data["mode"] if isinstance(data["mode"], str) else repr(data["mode"]))
        except ValueError as exc:
            raise _fail(path, f"mode: {exc}") from None
    return dataclasses.replace(
        pack, functions=tuple(functions), default_visibility=default,
        forced_visibility=forced, deadlines={**pack.deadlines, **deadlines},
        total_points=total if pack.total_points is not None else None,
        config=describe(path))


def beside(uploads: Path) -> Path | None:
    """The course config a batch finds beside its uploads: in the uploads folder, or beside
    the .zip of them."""
    uploads = Path(uploads)
    folder = uploads if uploads.is_dir() else uploads.parent
    found = folder / CONFIG_NAME
    return found if found.is_file() else None
