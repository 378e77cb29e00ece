"""Grading inside an LMS: Gradescope's autograder contract, and the autograder.zip to upload there.

`gradescope` is what the image's run_autograder calls for each submission: grade ROOT/submission,
write ROOT/results/results.json (render.gradescope), print the full report on stdout (which
Gradescope shows to instructors only). A results.json is written whatever happens to the
submission: an empty upload or a grader failure gives score 0 and a message a student can act on,
never a traceback. A reference that is there but cannot be used (session.ReferenceUnusable) is
raised instead, for the command line to refuse as a missing secret is refused.

`gradescope_zip` packs what an instructor uploads: setup.sh and run_autograder at the top (as
Gradescope requires), the grader's source in autograde/, the pack (its name, or for a pack outside
the package its folder in pack/) and the reference solution in reference/ (setup.sh moves it to a
root-only folder when Gradescope builds the image). It works from a source
checkout and from an installed grader alike (grader/release.py: the scripts are package data in
grader/gradescope/), and writes text files with LF line endings whatever the checkout.
"""
from __future__ import annotations

import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path
from typing import Any, TextIO

from grader import reference as reference_mod
from grader import release
from grader.packs import BUILTIN_PACKS, DEFAULT_PACK, Pack, load_pack
from grader.render import gradescope as gradescope_view
from grader.isolation import IsolationUnavailable, RootWorkerRefused, refusing_root_workers
from grader.worker import archive_names
from grader.render import json_report, terminal
from grader.session import Options, ReferenceUnusable, grade

DEFAULT_ROOT = Path("/autograder")
ROOT_ENV = "AUTOGRADE_ROOT"
SOURCE_ROOT = release.SOURCE_ROOT
# The scripts at the top of an instructor's zip: package data, so an installed grader has them.
ZIP_SCRIPTS = {"setup.sh": "gradescope/setup.sh", "run_autograder": "gradescope/run_autograder"}
ZIP_PROJECT_FILES = release.PROJECT_FILES
IGNORED = release.IGNORED
SINGLE_FILE_KINDS = (".zip", ".ipynb", *archive_names.TAR_SUFFIXES)
SECRET_MEMBER = "secret"  # the course secret in autograder.zip; setup.sh moves it out of reach
PACK_NAME_MEMBER = "pack-name"  # the built-in pack the zip grades with (else the folder pack/)
CONFIG_DIR = "course-config"  # the course config the zip grades with, under its own file name
MODE_MEMBER = "mode"  # the pack's mode the zip grades in (--mode)
ISOLATION_MEMBER = "isolation"  # the isolation the zip grades in (--isolation sandbox: or none)
ISOLATION_ENV = "AUTOGRADE_ISOLATION"  # run_autograder's and `autograde gradescope`'s default

# What the files grading ignores are, as an upload holding nothing else is told.
_IGNORED_KINDS = {".DS_Store": "macOS metadata", "__MACOSX": "macOS metadata",
                  "__pycache__": "Python's compiled files", ".ipynb_checkpoints": "Jupyter's "
                  "checkpoints"}


def _only_ignored(folder: Path | None) -> str:
    """What an upload of ignored files alone holds ("macOS metadata (.DS_Store, __MACOSX/)"), or
    "" when it holds no file at all: told "the upload holds no files", a student whose upload was
    .DS_Store and __MACOSX/._q1_softmax.py saw two files there (probe s58)."""
    found: dict[str, list[str]] = {}
    if folder is not None and folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            part = next((p for p in path.relative_to(folder).parts if p in IGNORED), None)
            if part is None:
                continue
            names = found.setdefault(_IGNORED_KINDS.get(part, "files never graded"), [])
            shown = part if part == path.name else f"{part}/"
            names += [] if shown in names else [shown]
    return " and ".join(f"{kind} ({', '.join(names)})" for kind, names in found.items())


def nothing_submitted(pack: Pack, folder: Path | None = None) -> str:
    """What an empty upload (`folder`, which holds no file to grade) is told: what it holds, and
    the files the pack's layout expects."""
    notebooks = list(dict.fromkeys(f.notebook for f in pack.functions if f.notebook))
    files = ", ".join(notebooks or [f"{home}.py" for home in dict.fromkeys(
        f.home for f in pack.functions)])
    ignored = _only_ignored(folder)
    held = (f"the upload holds only {ignored}, nothing to grade" if ignored
            else "the upload holds no files")
    return (f"Nothing was submitted: {held}. Upload your files ({files}, or "
            "one .py file with every function), a .zip of them, or a notebook (.ipynb).")
NO_SANDBOX = ("The autograder is set up to grade only in its sandbox, and the sandbox could not "
              "start on this machine, so nothing was graded. This is not a problem with your "
              "submission: please tell your instructor. Your score is 0 until the submission is "
              "regraded.")
NOT_AS_ROOT = ("The autograder could not run your code with the limited rights it gives "
               "submissions on this machine, so nothing was graded. This is not a problem with "
               "your submission: please tell your instructor. Your score is 0 until the "
               "submission is regraded.")
GRADER_FAILED = ("The autograder itself failed while grading this submission ({kind}). This is not "
                 "a problem with your code as far as we can tell: please tell your instructor, who "
                 "can see the details. Your score is 0 until the submission is regraded.")


class LmsError(Exception):
    """The command cannot do its job as asked (a usage problem, reported without a traceback)."""


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and not IGNORED.intersection(p.relative_to(folder).parts))


def graded_path(folder: Path) -> Path | None:
    """What to grade in an LMS's submission folder: the folder itself, or the one .zip or notebook
    it holds when it holds no .py file; None when nothing was submitted."""
    files = _files(folder)
    if not files:
        return None
    if not any(f.suffix.lower() == ".py" for f in files):  # hw1.PY is a .py file too
        singles = [f for f in files if f.parent == folder
                   and f.name.lower().endswith(SINGLE_FILE_KINDS)]
        if len(singles) == 1:
            return singles[0]
    return folder


def gradescope(*, root: Path = DEFAULT_ROOT, pack: Pack | None = None,
               options: Options = Options(), stdout: TextIO | None = None) -> dict[str, Any]:
    """Grade ROOT/submission and write ROOT/results/results.json; return what was written."""
    stdout = stdout or sys.stdout
    started = time.monotonic()
    root = Path(root)
    results_path = root / "results" / "results.json"
    pack = pack or load_pack(DEFAULT_PACK)
    target = graded_path(root / "submission")
    if target is None:
        data = gradescope_view.not_graded(nothing_submitted(pack, root / "submission"),
                                          execution_time=time.monotonic() - started)
        print(f"autograde: {root / 'submission'} holds no file to grade; wrote score 0",
              file=stdout)
    else:
        try:
            with refusing_root_workers():
                result = grade(pack, target, options)
        except RootWorkerRefused as exc:
            print(f"autograde: nothing graded: {exc}. Install the grader with a Python every "
                  "user can read (the system's python3, as Gradescope's image and the "
                  "Dockerfile have), or let bubblewrap run (the sandbox gives the worker a uid "
                  "of its own however the interpreter is installed)", file=stdout)
            data = gradescope_view.not_graded(NOT_AS_ROOT, execution_time=time.monotonic() - started)
        except IsolationUnavailable as exc:  # --isolation sandbox, and the image has none
            print(f"autograde: nothing graded: {exc} (the image's container must let bubblewrap "
                  "make namespaces, or grade with --isolation auto)", file=stdout)
            data = gradescope_view.not_graded(NO_SANDBOX, execution_time=time.monotonic() - started)
        except ReferenceUnusable:
            # The instructor's to fix, and said as `grade` says it (exit 2): run_autograder
            # then tells the student the autograder could not start.
            raise
        except Exception as exc:  # the grader's own failure: the student still gets a result
            print(f"autograde: grading {target} failed:", file=stdout)
            traceback.print_exc(file=stdout)
            data = gradescope_view.not_graded(GRADER_FAILED.format(kind=type(exc).__name__),
                                              execution_time=time.monotonic() - started)
        else:
            data = gradescope_view.results(result, execution_time=time.monotonic() - started)
            print(terminal.render(result, verbose=True), file=stdout)
            if not result.reference:
                print("autograde: WARNING: graded WITHOUT the reference solution: values were "
                      "compared with the pack's known answers on the public inputs (any course "
                      "secret unused), and checks they do not cover count 0. Set "
                      "AUTOGRADE_REFERENCE or --reference.", file=stdout)
    json_report.write_text(results_path, gradescope_view.dumps(data))
    print(f"autograde: wrote {results_path} (score {data['score']:g})", file=stdout)
    return data


# ---- the autograder.zip ------------------------------------------------------------------------
def _zip_entry(zf: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # the same bytes on every build
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    zf.writestr(info, data)


def zip_members(*, reference: Path, source: Path = SOURCE_ROOT,
                package: Path = release.PACKAGE_DIR, secret: bytes | None = None,
                pack: Pack | None = None, config: Path | None = None,
                mode: str | None = None,
                isolation: str | None = None) -> dict[str, tuple[bytes, bool]]:
    """Name in the zip -> (its bytes, executable). Text files have LF line endings. `secret`, the
    course secret, travels as `secret` (setup.sh makes it root-only, as the reference). The pack
    travels as `pack-name` (a built-in pack: the grader package holds it) or as the folder
    `pack/` (any other: its manifest, checks, modules, support files and known answers, never
    its reference); setup.sh installs either where run_autograder passes it as --pack. A course
    config travels under its own name in `course-config/` (reports name it by name and digest),
    a mode as `mode`, an isolation as `isolation`; run_autograder passes them as --config,
    --mode and --isolation."""
    members: dict[str, tuple[bytes, bool]] = {}
    if pack is not None and release.is_builtin(pack):
        members[PACK_NAME_MEMBER] = (f"{pack.name}\n".encode(), False)
    elif pack is not None:
        for name, data in release.pack_members(pack).items():
            members[f"{release.PACK_DIR}/{name}"] = (data, False)
    for name, rel in ZIP_SCRIPTS.items():
        members[name] = ((package / rel).read_bytes(), True)
    for name, data in release.project_files(source, package).items():
        members[f"autograde/{name}"] = (data, False)
    # Another built-in pack's hints quote its solution; a pack outside the package may import a
    # built-in pack's helpers (the README's pack guide says its checks can), so its zip keeps them
    # (recheck probe s58: every grade of such a pack failed in the image without them).
    other_packs = (release.other_builtin_packs(pack, package)
                   if pack is not None and release.is_builtin(pack) else [])
    for rel, path in release.package_files(package).items():
        if not any(path.resolve().is_relative_to(other) for other in other_packs):
            members[f"autograde/{rel}"] = (path.read_bytes(), False)
    others = _other_references(pack, Path(reference))
    for path in release.files_under(reference):
        if any(path.resolve().is_relative_to(other) for other in others):
            continue
        members[f"reference/{path.relative_to(reference).as_posix()}"] = (path.read_bytes(), False)
    if secret is not None:
        members[SECRET_MEMBER] = (secret, False)
    if config is not None:
        members[f"{CONFIG_DIR}/{Path(config).name}"] = (Path(config).read_bytes(), False)
    if mode is not None:
        members[MODE_MEMBER] = (f"{mode}\n".encode(), False)
    if isolation is not None:
        members[ISOLATION_MEMBER] = (f"{isolation}\n".encode(), False)
    return {name: (release.as_lf(name, data), executable)
            for name, (data, executable) in members.items()}


def _other_references(pack: Pack | None, reference: Path) -> list[Path]:
    """The built-in packs' reference folders nested inside `reference`, other than `pack`'s own:
    a checkout keeps them under the CS224n pack's reference/ (reference/onelayer, ...), and a zip
    for one assignment has no business carrying another's solutions."""
    own = reference.resolve()
    found = []
    for name in BUILTIN_PACKS:
        if pack is not None and name == pack.name:
            continue
        other = load_pack(name).default_reference
        # An installed grader's packs have no reference of their own to compare with: a
        # checkout's reference/ given as --reference still holds theirs, under their names.
        candidates = [own / name] + ([Path(other).resolve()] if other is not None else [])
        candidates += [own / Path(other).name] if other is not None else []
        for candidate in candidates:
            if candidate != own and candidate.is_relative_to(own) and candidate.is_dir() \
                    and candidate not in found:
                found.append(candidate)
    return found


def gradescope_zip(*, out: Path, reference: Path | None = None, pack: Pack | None = None,
                   source: Path = SOURCE_ROOT, secret: bytes | None = None,
                   config: Path | None = None, mode: str | None = None,
                   isolation: str | None = None) -> list[str]:
    """Write the autograder.zip an instructor uploads to Gradescope; return its member names."""
    pack = pack or load_pack(DEFAULT_PACK)
    ref_dir = reference_mod.locate(pack, reference)
    if ref_dir is None:
        named = reference_mod.missing_named(pack)
        raise LmsError((f"{named}: " if named else "no reference solution found beside the "
                        "grader: ") + f"pass --reference DIR or set {reference_mod.REFERENCE_ENV} "
                       "(the zip must carry it)")
    try:
        reference_mod.load(pack, ref_dir)  # ship only a reference that loads and is complete
    except (reference_mod.ReferenceError, OSError, SyntaxError, ImportError) as exc:
        raise LmsError(f"the reference at {ref_dir} is not usable: {exc}") from None
    try:
        members = zip_members(reference=Path(ref_dir), source=source, secret=secret, pack=pack,
                              config=config, mode=mode, isolation=isolation)
    except release.ReleaseError as exc:
        raise LmsError(str(exc)) from None
    # The pack's files are readable in the image: none of them may be the solution.
    copied = release.leaks({n: d for n, (d, _) in members.items()
                            if n.startswith(f"{release.PACK_DIR}/")}, Path(ref_dir),
                           release.template_folder(pack))
    if copied:
        raise LmsError(f"refusing to ship the pack: {release.copies_of_the_reference(copied)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", delete=False) as tmp:
        tmp_path = Path(tmp.name)
    try:
        with zipfile.ZipFile(tmp_path, "w") as zf:
            for name in sorted(members):
                data, executable = members[name]
                _zip_entry(zf, name, data, executable)
        tmp_path.replace(out)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return sorted(members)
