"""Find and import a submission inside the worker: a .py file, a folder, a .zip or a notebook.

Runs next to student code (importing a module runs it), so this module reports what it found and
never judges it.
"""
from __future__ import annotations

import builtins
import importlib.util
import json
import os
import shutil
import sys
import traceback
import types
import zipfile
from pathlib import Path

MAX_ARCHIVE_BYTES = 50 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 2000
IGNORED_PARTS = {"__MACOSX", "__pycache__", ".ipynb_checkpoints"}


class LoadError(Exception):
    """The submission could not be laid out (not importing it: that is reported per module)."""


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
        for member in members:
            parts = Path(member.filename).parts
            if member.is_dir() or any(p in IGNORED_PARTS for p in parts):
                continue
            target = (dest / member.filename).resolve()
            if root not in target.parents:
                raise LoadError(f"{archive.name} has an entry outside its folder: {member.filename!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)


def _notebook_to_py(notebook: Path, dest: Path) -> None:
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (ValueError, OSError, AttributeError) as exc:
        raise LoadError(f"{notebook.name} is not a readable notebook ({exc})") from None
    lines: list[str] = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        for line in source.splitlines():
            # IPython magics and shell escapes are not Python; keep line numbers stable.
            lines.append("pass  # " + line if line.lstrip().startswith(("%", "!")) else line)
        lines.append("")
    dest.write_text("\n".join(lines), encoding="utf-8")


def lay_out(submission: Path, scratch: Path) -> Path:
    """Copy the submission into scratch/submission and return the folder whose .py files to import."""
    dest = scratch / "submission"
    dest.mkdir(parents=True, exist_ok=True)
    if submission.is_dir():
        shutil.copytree(submission, dest, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(*IGNORED_PARTS, "*.pyc"))
    elif submission.suffix == ".zip":
        _safe_extract(submission, dest)
    elif submission.suffix == ".ipynb":
        _notebook_to_py(submission, dest / (submission.stem + ".py"))
    elif submission.suffix == ".py":
        shutil.copy(submission, dest / submission.name)
    else:
        raise LoadError(f"{submission.name}: expected a .py file, a folder, a .zip or a .ipynb notebook")
    root = dest
    # An archive of one folder (common when zipping from a file manager): look inside it.
    while not list(root.glob("*.py")):
        subdirs = [d for d in root.iterdir() if d.is_dir() and d.name not in IGNORED_PARTS]
        if len(subdirs) != 1:
            break
        root = subdirs[0]
    if not list(root.glob("*.py")):
        raise LoadError("the submission holds no Python file (.py)")
    return root


def _names_used(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names_used(const)
    return names


def _error_entry(exc: BaseException, root: Path, module_file: Path) -> dict:
    """Where importing `module_file` failed ("file" may be another module it imports)."""
    rel = module_file.name
    if isinstance(exc, SyntaxError):
        where = Path(exc.filename).name if exc.filename else rel
        return {"module": rel, "file": where, "line": exc.lineno, "type": type(exc).__name__,
                "message": str(exc.msg), "code": (exc.text or "").strip()}
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename and Path(f.filename).resolve().is_relative_to(root.resolve())]
    last = frames[-1] if frames else None
    try:
        text = str(exc)
    except BaseException:
        text = "<the exception's message could not be printed>"
    return {"module": rel, "file": Path(last.filename).name if last else rel,
            "line": last.lineno if last else None,
            "type": type(exc).__name__, "message": text[:500], "code": (last.line or "") if last else ""}


def import_submission(root: Path, wanted: dict[str, str], shim_xrange: bool) -> tuple[dict, dict]:
    """Import the .py files under root; return (functions by name, load report).

    `wanted` maps each required function to the module it normally lives in (q1_softmax, ...).
    """
    if shim_xrange:
        builtins.xrange = range  # type: ignore[attr-defined]
    sys.path.insert(0, str(root))
    files = sorted(root.glob("*.py"))
    preferred = [m for m in dict.fromkeys(wanted.values())]
    order = ([root / f"{m}.py" for m in preferred if (root / f"{m}.py").exists()]
             + [f for f in files if f.stem not in preferred])
    modules: list[types.ModuleType] = []
    errors: list[dict] = []
    uses_xrange: list[str] = []
    for path in order:
        name = path.stem if path.stem.isidentifier() else "student_module"
        try:
            source = path.read_text(encoding="utf-8", errors="replace")
            if "xrange" in _names_used(compile(source, str(path), "exec")):
                uses_xrange.append(path.name)
            if name in sys.modules and getattr(sys.modules[name], "__file__", None) == str(path):
                modules.append(sys.modules[name])  # already imported by a sibling
                continue
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            modules.append(module)
        except BaseException as exc:  # SystemExit at import time is a load error too
            sys.modules.pop(name, None)
            errors.append(_error_entry(exc, root, path))

    found: dict = {}
    report_functions: dict = {}
    for fn, home in wanted.items():
        candidates = sorted(modules, key=lambda m: m.__name__ != home)
        hit = next((m for m in candidates if fn in vars(m)), None)
        if hit is None:
            report_functions[fn] = {"found": False, "file": None, "problem": "missing"}
        elif not callable(vars(hit)[fn]):
            report_functions[fn] = {"found": False, "file": Path(hit.__file__).name,
                                    "problem": "not a function"}
        else:
            found[fn] = vars(hit)[fn]
            report_functions[fn] = {"found": True, "file": Path(hit.__file__).name, "problem": None}
    report = {"functions": report_functions, "errors": errors,
              "files": [p.name for p in order], "uses_xrange": uses_xrange}
    return found, report
