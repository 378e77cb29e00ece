"""Read a pack's manifest (`pack.toml`) into a Pack, with errors that say what and where.

The manifest is the whole of what the engine knows about an assignment: its functions (name,
signature, points, the module or notebook they live in, who sees their checks), tolerances,
deadlines and the folders beside it; the graded compositions (a function entry with `uses`: a
training loop built from the listed functions, which the submission does not define itself);
the functions a function calls in the handout's template (`calls`: a failure of one of those is
named on the caller's failures); the course's training script (`training_script`, read by
`autograde audit`). Validation is by hand so that every mistake an instructor
can make in it is reported as one sentence naming the file, never as a traceback.
"""
from __future__ import annotations

import difflib
import math
import re
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the backport of the same parser
    import tomli as tomllib

from grader import tolerances as grader_tolerances
from grader.model import VISIBILITIES
from grader.packs import marker_cache
from grader.packs.model import DEADLINE_KEYS, FunctionSpec, Pack

MANIFEST = "pack.toml"
TOP_KEYS = {"name", "title", "total_points", "visibility", "provided_modules",
            "provided_functions", "reference",
            "student_template", "known_answers", "support", "functions", "tolerances",
            "deadlines", "modes", "training_script"}
FUNCTION_KEYS = {"name", "signature", "points", "home", "notebook", "visibility", "uses", "calls"}
# Names the worker's scratch folder already uses: a support file there would be overwritten.
RESERVED_SUPPORT = {"upload", "submission", "worker-stderr.txt"}


class ManifestError(ValueError):
    """A pack that cannot be used; the message names the manifest and what is wrong in it."""


def _fail(where: Path, text: str) -> ManifestError:
    return ManifestError(f"{where}: {text}")


def read(folder: Path) -> Pack:
    """The pack whose manifest is `folder`/pack.toml (or `folder` itself, a .toml file)."""
    folder = Path(folder)
    path = folder if folder.suffix == ".toml" else folder / MANIFEST
    if not path.is_file():
        raise ManifestError(f"{folder}: not a pack (no {MANIFEST})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, f"is not valid TOML ({exc})") from None
    return from_data(data, path)


def _string(data: dict, key: str, where: Path, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise _fail(where, f"`{key}` is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"`{key}` must be a non-empty string, got {value!r}")
    return value


def _number(value: Any, what: str, where: Path, *, positive: bool = True) -> float:
    """`value`, unchanged (10 points stay the int 10 in reports), once it is a usable number."""
    # bool is an int to Python, never a number of points or seconds to an instructor
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(where, f"{what} must be a number, got {value!r}")
    if positive and value <= 0:
        raise _fail(where, f"{what} must be more than 0, got {value!r}")
    return value


def _visibility(value: Any, what: str, where: Path) -> str:
    if value not in VISIBILITIES:
        raise _fail(where, f"{what} {value!r} is not one of {', '.join(VISIBILITIES)}")
    return str(value)


def _function(entry: Any, index: int, where: Path) -> FunctionSpec:
    if not isinstance(entry, dict):
        raise _fail(where, f"[[functions]] entry {index} is not a table")
    name = entry.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise _fail(where, f"[[functions]] entry {index}: `name` must be a Python identifier, "
                           f"got {name!r}")
    unknown = sorted(set(entry) - FUNCTION_KEYS)
    if unknown:
        raise _fail(where, f"function {name}: unknown key(s) {', '.join(unknown)} (known: "
                           f"{', '.join(sorted(FUNCTION_KEYS))})")
    if "points" not in entry:
        raise _fail(where, f"function {name}: `points` is required")
    points = _number(entry["points"], f"function {name}: points", where)
    home, notebook = entry.get("home"), entry.get("notebook")
    if (home is None) == (notebook is None):
        raise _fail(where, f"function {name}: give exactly one of `home` (the module it lives in, "
                           "e.g. \"q2_sigmoid\") and `notebook` (e.g. \"assignment1.ipynb\")")
    if notebook is not None:
        if not isinstance(notebook, str) or not notebook.endswith(".ipynb") \
                or not Path(notebook).stem.isidentifier() or Path(notebook).name != notebook:
            raise _fail(where, f"function {name}: `notebook` must be a file name like "
                               f"\"assignment1.ipynb\", got {notebook!r}")
        home = Path(notebook).stem  # the worker imports a notebook as the module of its stem
    elif not isinstance(home, str) or not home.isidentifier():
        raise _fail(where, f"function {name}: `home` must be a module name like \"q2_sigmoid\", "
                           f"got {home!r}")
    signature = entry.get("signature", "")
    if not isinstance(signature, str):
        raise _fail(where, f"function {name}: `signature` must be a string, got {signature!r}")
    visibility = entry.get("visibility")
    if visibility is not None:
        visibility = _visibility(visibility, f"function {name}: visibility", where)
    uses = entry.get("uses", [])
    if not isinstance(uses, list) or not all(isinstance(u, str) and u.isidentifier() for u in uses):
        raise _fail(where, f"function {name}: `uses` must be a list of the functions its checks "
                           f"call (a graded composition, such as a training loop), got {uses!r}")
    calls = entry.get("calls", [])
    if not isinstance(calls, list) or not all(isinstance(c, str) and c.isidentifier() for c in calls):
        raise _fail(where, f"function {name}: `calls` must be a list of the graded functions it "
                           f"calls in the handout's template, got {calls!r}")
    return FunctionSpec(name, points, home, signature, visibility=visibility,
                        notebook=notebook or "", uses=tuple(uses), calls=tuple(calls))


def _table(data: dict, key: str, where: Path) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise _fail(where, f"[{key}] must be a table")
    return value


def deadlines(table: dict, where: Path) -> dict[str, float]:
    """Validated [deadlines] (manifest or course config): seconds by name."""
    unknown = sorted(set(table) - set(DEADLINE_KEYS))
    if unknown:
        raise _fail(where, f"[deadlines]: unknown key(s) {', '.join(unknown)} (known: "
                           f"{', '.join(DEADLINE_KEYS)})")
    return {key: _number(value, f"[deadlines] {key}", where) for key, value in table.items()}


def _modes(data: dict, where: Path) -> tuple[dict[str, str], str]:
    """[modes]: `default = "NAME"` and one table per mode with its `description`."""
    table = _table(data, "modes", where)
    if not table:
        return {}, ""
    default = table.get("default")
    modes: dict[str, str] = {}
    for name, entry in table.items():
        if name == "default":
            continue
        if not isinstance(entry, dict) or not name.isidentifier():
            raise _fail(where, f"[modes]: {name!r} must be a table [modes.NAME] with a "
                               "`description`, NAME a Python identifier")
        unknown = sorted(set(entry) - {"description"})
        if unknown:
            raise _fail(where, f"[modes.{name}]: unknown key(s) {', '.join(unknown)} (known: "
                               "description)")
        description = _string(entry, "description", where, required=True)
        modes[name] = " ".join(description.split())
    if not modes:
        raise _fail(where, "[modes] lists no mode: add [modes.NAME] tables, or leave [modes] out")
    if default not in modes:
        raise _fail(where, f"[modes]: `default` must name one of the modes ({', '.join(modes)}), "
                           f"got {default!r}")
    return modes, default


def _folder(data: dict, key: str, base: Path, where: Path, *, strict: bool) -> Path | None:
    """The folder `key` names (relative to the manifest; by default its own name), or None.
    A reference or template that is not there is normal (a student's copy ships neither);
    `strict`: a folder the manifest names must exist."""
    given = _string(data, key, where)
    path = (base / (given or key)).resolve()
    if path.is_dir():
        return path
    if strict and given is not None:
        raise _fail(where, f"`{key}` names {given}, which is not a folder")
    return None


def from_data(data: dict, where: Path) -> Pack:
    base = where.parent.resolve()
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise _fail(where, f"unknown key(s) {', '.join(unknown)} (known: "
                           f"{', '.join(sorted(TOP_KEYS))})")
    name = _string(data, "name", where, required=True)
    title = _string(data, "title", where, required=True)
    entries = data.get("functions")
    if not isinstance(entries, list) or not entries:
        raise _fail(where, "no [[functions]]: a pack grades at least one function")
    functions = tuple(_function(entry, i + 1, where) for i, entry in enumerate(entries))
    seen: set[str] = set()
    for spec in functions:
        if spec.name in seen:
            raise _fail(where, f"function {spec.name} is listed twice")
        seen.add(spec.name)
    plain = {f.name for f in functions if not f.uses}
    for spec in functions:
        # A composition of compositions would need the engine to follow a chain; none needs it.
        odd = [u for u in spec.uses if u not in plain]
        if odd:
            raise _fail(where, f"function {spec.name}: `uses` names {', '.join(odd)}, which "
                               "is not a function the manifest lists (without `uses` of its own)")
    for spec in functions:
        odd = [c for c in spec.calls if c not in plain or c == spec.name]
        if odd:
            raise _fail(where, f"function {spec.name}: `calls` names {', '.join(odd)}, which is "
                               "not another function of the submission the manifest lists")
    if "total_points" in data:
        total = _number(data["total_points"], "total_points", where)
        listed = sum(f.points for f in functions)
        if not math.isclose(listed, total, rel_tol=0, abs_tol=1e-9):
            raise _fail(where, f"the functions' points add up to {listed:g}, not total_points = "
                               f"{total:g} ({', '.join(f'{f.name} {f.points:g}' for f in functions)})")
    visibility = _visibility(data.get("visibility", "visible"), "visibility", where)
    provided = data.get("provided_modules", [])
    if not isinstance(provided, list) or not all(isinstance(m, str) and m.isidentifier()
                                                 for m in provided):
        raise _fail(where, f"`provided_modules` must be a list of module names, got {provided!r}")
    given = _table(data, "provided_functions", where)
    odd = [f"{k} = {v!r}" for k, v in given.items()
           if not (k.isidentifier() and isinstance(v, str) and v.endswith((".py", ".ipynb")))]
    if odd:
        raise _fail(where, "[provided_functions] maps a function's name to the starter file that "
                           f"holds it (getNegativeSamples = \"q3_word2vec.py\"), got {', '.join(odd)}")
    tolerances = _table(data, "tolerances", where)
    for key, value in tolerances.items():
        if not key.isidentifier() or key.upper() != key:
            raise _fail(where, f"[tolerances]: {key!r} is not an UPPER_CASE name (checks read "
                               "it as tol.NAME)")
        _number(value, f"[tolerances] {key}", where)
    checks = base / "checks"
    if not checks.is_dir():
        raise _fail(where, "no checks/ folder beside the manifest")
    support = _folder(data, "support", base, where, strict=True)
    _tolerances_read(tolerances, checks, [base, *([support] if support else [])], where)
    if support is not None:
        clash = sorted(p.name for p in support.iterdir() if p.name in RESERVED_SUPPORT)
        if clash:
            raise _fail(where, f"support file(s) {', '.join(clash)}: these names are the "
                               "worker's own; rename them")
    known = _string(data, "known_answers", where)
    script = _string(data, "training_script", where)
    if script is not None and not (base / script).is_file():
        raise _fail(where, f"`training_script` names {script}, which is not a file")
    modes, mode = _modes(data, where)
    _check_markers(checks, {f.name for f in functions}, where)
    return Pack(
        name=name, title=title, functions=functions, checks_dir=checks,
        default_reference=_folder(data, "reference", base, where, strict=False),
        reference_named=(base / named_reference).resolve()
        if (named_reference := _string(data, "reference", where)) else None,
        default_visibility=visibility, provided_modules=tuple(provided),
        provided_functions=dict(given),
        # Named: made later by `autograde known-answers --out`; unnamed: only if it is there.
        known_answers=(base / known) if known else _existing(base / "known_answers.json"),
        root=base, student_template=_folder(data, "student_template", base, where,
                                                         strict=False),
        support_dir=support,
        tolerances={k: float(v) for k, v in tolerances.items()},
        deadlines=deadlines(_table(data, "deadlines", where), where),
        total_points=float(data["total_points"]) if "total_points" in data else None,
        modes=modes, mode=mode,
        training_script=(base / script).resolve() if script is not None else None)


# How a check reads a tolerance: `tol.NAME` (grader.tolerances imported as tol, as the README's
# worked check does) or `tolerances.NAME`.
_TOLERANCE_READ = re.compile(r"\btol(?:erances)?\.([A-Z][A-Z0-9_]*)\b")


def _tolerances_read(table: dict, checks: Path, modules: list[Path], where: Path) -> None:
    """Each name of [tolerances] is the grader's (grader/tolerances.py) or one the pack's own
    code reads: a misspelt REFERENCE_ATOLL defined a tolerance nothing read, and the override
    meant for REFERENCE_ATOL silently never applied (probe s61). Read from the checks (all of
    them) and the pack's own modules (the folder's and support/'s top level), only when the
    table holds a name that is not the grader's."""
    own = [key for key in table if key not in grader_tolerances.DEFAULTS]
    if not own:
        return
    sources = [*checks.rglob("*.py"), *(p for folder in modules for p in folder.glob("*.py"))]
    unread = set(own)
    read: set[str] = set()
    for path in sources:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        unread -= {key for key in unread if re.search(rf"\b{key}\b", text)}
        read.update(_TOLERANCE_READ.findall(text))
    if not unread:
        return
    key = sorted(unread)[0]
    near = difflib.get_close_matches(key, sorted({*grader_tolerances.DEFAULTS, *read} - {key}),
                                     n=1, cutoff=0.8)
    raise _fail(where, f"[tolerances]: {key} is not a tolerance of the grader's "
                       "(grader/tolerances.py), and no check or module of the pack reads it "
                       f"(tol.{key}), so it would change nothing"
                       + (f" (did you mean {near[0]}?)" if near else ""))


def _existing(path: Path) -> Path | None:
    return path if path.is_file() else None


def _check_markers(checks: Path, known: set[str], where: Path, fresh: bool = False) -> None:
    """Each check names, in a `function` marker, a function the manifest lists; every listed
    function has a check. Read from the source (nothing of the pack runs to validate it), so a
    misspelt name is reported when the pack loads, not as a failed grading session. Names kept in
    the cache folder (grader/packs/marker_cache.py) that fail are read from the files again
    before the pack is refused."""
    named: dict[str, str] = {}
    for path in sorted(checks.rglob("test_*.py")):
        try:
            functions = marker_cache.functions_named(path, fresh=fresh)
        except (OSError, UnicodeDecodeError, SyntaxError) as exc:
            raise _fail(where, f"check file {path.relative_to(checks.parent)} cannot be read "
                               f"({exc})") from None
        for function in functions:
            named.setdefault(function, path.name)
    unknown = sorted((function, file) for function, file in named.items() if function not in known)
    unchecked = sorted(known - set(named))
    if (unknown or unchecked) and not fresh:
        return _check_markers(checks, known, where, fresh=True)
    for function, file in unknown:
        raise _fail(where, f"checks/{file} checks function {function!r}, which the manifest "
                           f"does not list (listed: {', '.join(sorted(known))})")
    if unchecked:
        raise _fail(where, f"no check in checks/ grades {', '.join(unchecked)} "
                           "(@pytest.mark.function(NAME))")
