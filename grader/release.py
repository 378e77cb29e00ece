"""What a distribution of the grader holds: the files behind the Gradescope zip's `autograde/`, and
the student release (`autograde student-release OUT`), a tree students may read.

Both start from the installed `grader` package, so they work from a source checkout and from a
pip-installed grader alike. The project files that pip needs to install the grader again
(pyproject.toml, README.md, LICENSE) come from the checkout beside the package when there is one,
else they are written from the installed distribution's metadata.

The student release is an allowlist: the grader package, the project files, a student README,
the pack's `student_template/` and, for a pack outside the package, the pack itself in `pack/`
(manifest, checks, its own modules, support files, known answers; never its reference). Nothing else of the instructor's tree is copied, so a reference solution,
the tests' correct fixtures or a course secret kept anywhere in it cannot come along; and before
anything is written the release is checked for a copy of the reference it refuses to ship.
"""
from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import grader
from grader.packs import BUILTIN_PACKS, Pack
from grader.packs.manifest import MANIFEST

DIST_NAME = "autograde-numpy-nn"
PACKAGE_DIR = Path(grader.__file__).resolve().parent
SOURCE_ROOT = PACKAGE_DIR.parent
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE")
IGNORED = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".DS_Store"}
# Files whose line endings are normalised to LF wherever they are packed: a checkout made with
# core.autocrlf=true has CRLF, and bash stops at `set -o pipefail\r` ("invalid option name").
TEXT_SUFFIXES = {".py", ".sh", ".ini", ".j2", ".json", ".toml", ".md", ".txt", ".cfg", ".xsd", ".yml",
                 ".yaml", ".html", ".css"}
TEXT_NAMES = {"run_autograder", "LICENSE"}
MARKER = ".autograde-student-release"


class ReleaseError(Exception):
    """A distribution cannot be made as asked (reported without a traceback)."""


def is_text(name: str) -> bool:
    path = Path(name)
    return path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES


def as_lf(name: str, data: bytes) -> bytes:
    """The bytes to ship for file `name`: text files with LF line endings, anything else as is."""
    return data.replace(b"\r\n", b"\n") if is_text(name) else data


def files_under(folder: Path) -> list[Path]:
    """Every file under `folder`, sorted, without caches, editor and macOS leftovers."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and p.suffix != ".pyc"
                  and not IGNORED.intersection(p.relative_to(folder).parts))


# What the wheel ships besides Python modules: pyproject.toml's package-data, relative to grader/
# (tests/test_release.py keeps the two lists equal).
PACKAGE_DATA = ("grading-pytest.ini", "gradescope/setup.sh", "gradescope/run_autograder",
                "schemas/*.json", "render/templates/*.j2", "packs/*/known_answers.json",
                "packs/*/pack.toml", "packs/*/course.toml", "packs/release_default.txt")


def package_files(package: Path = PACKAGE_DIR) -> dict[str, Path]:
    """The grader package's files, by their path in a source tree (`grader/...`): its modules and
    declared package data, as the wheel has them. Anything else lying in the folder (a course's
    secret seed, notes, a solution dropped there) is not the package's and is never shipped."""
    shipped = {}
    for path in files_under(package):
        rel = path.relative_to(package)
        if path.suffix == ".py" or any(rel.match(pattern) for pattern in PACKAGE_DATA):
            shipped[f"grader/{rel.as_posix()}"] = path
    return shipped


def _checkout(source: Path) -> bool:
    """Whether `source` is this project's source checkout (not, say, site-packages)."""
    pyproject = source / "pyproject.toml"
    return (all((source / name).is_file() for name in PROJECT_FILES)
            and f'name = "{DIST_NAME}"' in pyproject.read_text(encoding="utf-8"))


def project_files(source: Path = SOURCE_ROOT, package: Path = PACKAGE_DIR) -> dict[str, bytes]:
    """pyproject.toml, README.md and LICENSE: the checkout's, or rebuilt from the installed metadata."""
    if _checkout(source):
        return {name: (source / name).read_bytes() for name in PROJECT_FILES}
    try:
        dist = importlib.metadata.distribution(DIST_NAME)
    except importlib.metadata.PackageNotFoundError:
        raise ReleaseError(f"{package} is neither in a source checkout of autograde nor an installed "
                           f"{DIST_NAME}: cannot tell what to package") from None
    return _from_metadata(dist, package)


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"  # a JSON string is a TOML string


def _from_metadata(dist: importlib.metadata.Distribution, package: Path) -> dict[str, bytes]:
    meta = dist.metadata
    # An extra's requirements stay out: the image needs the grader, not its test tools.
    requires = [r for r in (dist.requires or []) if "extra ==" not in r]
    # The patterns too, not only the files this install has: a release's course config
    # (packs/*/course.toml) is written after, and left out of its wheel it was never applied.
    data = sorted({rel.removeprefix("grader/") for rel in package_files(package)
                   if not rel.endswith(".py")} | set(PACKAGE_DATA))
    license_text = dist.read_text("licenses/LICENSE") or dist.read_text("LICENSE") or ""
    if not license_text:
        raise ReleaseError(f"the installed {DIST_NAME} carries no LICENSE file")
    pyproject = "\n".join([
        "# Written by autograde from the installed distribution's metadata.",
        "[build-system]",
        'requires = ["setuptools>=77"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f"name = {json.dumps(meta['Name'])}",
        f"version = {json.dumps(meta['Version'])}",
        f"description = {json.dumps(meta['Summary'] or '')}",
        'readme = "README.md"',
        f"requires-python = {json.dumps(meta['Requires-Python'] or '>=3.10')}",
        f"license = {json.dumps(meta['License-Expression'] or 'MIT')}",
        'license-files = ["LICENSE"]',
        f"dependencies = {_toml_list(requires)}",
        "",
        "[project.scripts]",
        'autograde = "grader.cli:main"',
        "",
        "[tool.setuptools.packages.find]",
        'include = ["grader*"]',
        "",
        "[tool.setuptools.package-data]",
        f"grader = {_toml_list(data)}",
        "",
    ])
    readme = meta.get_payload() or f"# {meta['Name']}\n\n{meta['Summary'] or ''}\n"
    return {"pyproject.toml": pyproject.encode(), "README.md": readme.encode(),
            "LICENSE": license_text.encode()}


# ---- a pack, as a distribution ships it --------------------------------------------------------
PACK_DIR = "pack"  # where the zip and the student release put a pack that is not built in
# Keys of a manifest that name paths: a shipped pack keeps its files at their default names.
_PATH_KEYS = ("reference", "student_template", "support", "known_answers")


def is_builtin(pack: Pack) -> bool:
    """Whether `pack` is one of the grader package's own: it ships with the package, by name."""
    return pack.root is not None and any(pack.root == Path(folder).resolve()
                                         for folder in BUILTIN_PACKS.values())


def _shipped_manifest(text: str) -> str:
    """The manifest with its top-level path keys taken out: the shipped copy keeps checks,
    support/ and known_answers.json at their default places beside it, and names no reference
    or template (neither ships with it)."""
    lines = text.splitlines(keepends=True)
    out, top = [], True
    for line in lines:
        if line.lstrip().startswith("["):
            top = False
        if top and re.match(rf"\s*({'|'.join(_PATH_KEYS)})\s*=", line):
            continue
        out.append(line)
    return "".join(out)


def pack_members(pack: Pack) -> dict[str, bytes]:
    """What of a pack ships with it, by path relative to the shipped folder: its manifest,
    checks, own modules and other files, support/ and known_answers.json (wherever the manifest
    keeps them), never its reference or student template, nor hidden files (a course
    repository's .git). Text files have LF line endings."""
    if pack.root is None:
        raise ReleaseError(f"the pack {pack.name} has no folder to ship")
    root = Path(pack.root).resolve()
    left_out = [p.resolve() for p in (pack.default_reference, pack.student_template,
                                      pack.support_dir, pack.known_answers) if p is not None]
    left_out.append(root / "reference")
    members: dict[str, bytes] = {}
    for path in files_under(root):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or any(
                path.resolve() == p or p in path.resolve().parents for p in left_out):
            continue
        members[rel.as_posix()] = path.read_bytes()
    members[MANIFEST] = _shipped_manifest(
        (root / MANIFEST).read_text(encoding="utf-8")).encode("utf-8")
    if pack.support_dir is not None:
        for path in files_under(pack.support_dir):
            members[f"support/{path.relative_to(pack.support_dir).as_posix()}"] = path.read_bytes()
    if pack.known_answers is not None and Path(pack.known_answers).is_file():
        members["known_answers.json"] = Path(pack.known_answers).read_bytes()
    return {name: as_lf(name, data) for name, data in sorted(members.items())}


# ---- the student release -------------------------------------------------------------------------
STUDENT_README = """\
# autograde: check your CS224n assignment 1 before you submit

This is the student copy of the course's grader. It holds no reference solution, only its known
answers: the expected outputs on the public inputs the checks draw. Every check runs, and values
are compared with those answers, so what loses points here loses points in your instructor's
grader too.{secret} Checks of a function against itself (a gradient against your own cost, rows
summing to 1) count only once its values are right.

```bash
python3 -m venv ~/autograde-env && . ~/autograde-env/bin/activate   # on Windows: py -m venv, then Scripts/activate
python -m pip install .                   # or: pip install "autograde-numpy-nn @ git+URL-OF-THIS-REPOSITORY"
autograde grade my_submission.py          # one file with all the functions
autograde grade assignment1/              # the original layout: q1_softmax.py, q2_sigmoid.py, ...
autograde grade my_submission.py --html report.html
```

{template}Python 3.10 to 3.13, on Linux, macOS or Windows.
"""
# Said only of a release made with the course secret the class is graded with (probe s61: said
# of every release, a class graded on the public inputs was told its answers could not carry over).
SECRET_SENTENCE = (" Your instructor grades on other inputs, drawn from a course secret, so only "
                   "a real implementation earns the points there.")
CS224N_TEMPLATE = ("`student_template/` is what you start from: every function raises "
                   "NotImplementedError.\n")


# The student README of a pack other than CS224n's: how to grade with the pack the release holds.
PACK_README = """\
# autograde: check your work on {title} before you submit

This is the student copy of the course's grader. It holds no reference solution, only its known
answers (when the course made them): the expected outputs on the public inputs the checks draw.
Values are compared with those answers, so what loses points here loses points in your
instructor's grader too.{secret}

```bash
python3 -m venv ~/autograde-env && . ~/autograde-env/bin/activate   # on Windows: py -m venv, then Scripts/activate
python -m pip install .                   # in a clone of this repository
autograde grade {upload} --pack {pack}
autograde grade {upload} --pack {pack} --html report.html
```

`{pack}` is the assignment: its checks, the course's support files and the known answers.
{template}Python 3.10 to 3.13, on Linux, macOS or Windows.
"""


def _readme(pack: Pack | None, with_template: bool, secret: bool = False) -> str:
    """The release's README; it names student_template/ only when the release holds one, and
    the course secret only when the class is graded on inputs drawn from one (`secret`)."""
    said = SECRET_SENTENCE if secret else ""
    if pack is None or (is_builtin(pack) and pack.name == "cs224n-a1"):
        return STUDENT_README.format(template=CS224N_TEMPLATE if with_template else "",
                                     secret=said)
    where = pack.name if is_builtin(pack) else f"{PACK_DIR}/"
    template = "`student_template/` is what you start from.\n" if with_template else ""
    return PACK_README.format(title=pack.title, pack=where, template=template,
                              upload=_upload_example(pack), secret=said)


def _upload_example(pack: Pack) -> str:
    """What a student of the pack hands in, for the README's commands: its notebook when the
    course is a notebook (named by the manifest, or the template's), else a .py file."""
    named = [f.notebook for f in pack.functions if f.notebook]
    if named:
        return named[0]
    template = pack.student_template
    notebooks = sorted(template.glob("*.ipynb")) if template is not None and template.is_dir() \
        else []
    return notebooks[0].name if notebooks else "my_submission.py"


def template_folder(pack: Pack | None, source: Path = SOURCE_ROOT,
                    explicit: Path | None = None) -> Path | None:
    """The student template a release ships: `explicit` (--template), else the pack's (the
    checkout's top-level student_template/ for CS224n); None when there is none here (an
    installed grader carries no template)."""
    if explicit is not None:
        return Path(explicit)
    found = source / "student_template" if pack is None else pack.student_template
    return found if found is not None and Path(found).is_dir() else None


def student_members(source: Path = SOURCE_ROOT, package: Path = PACKAGE_DIR,
                    pack: Pack | None = None, template: Path | None = None,
                    config: Path | None = None, secret: bool = False) -> dict[str, bytes]:
    """Name in the student release -> its bytes (text with LF line endings). `template` (None:
    template_folder's) is the student template, and a pack outside the package ships as the
    folder pack/ (grader/release.pack_members). `config`, the course config, ships in the pack's
    folder as its default (packs.SHIPPED_CONFIG), so the student's copy grades as the course
    does."""
    members = dict(project_files(source, package))
    others = other_builtin_packs(pack, package)
    for rel, path in package_files(package).items():
        if not any(path.is_relative_to(folder) for folder in others):
            members[rel] = path.read_bytes()
    template = template_folder(pack, source, template)
    inside = Path(template).resolve() if template is not None else None
    other_templates = [t for t in (Path(o).resolve() for o in _other_templates(pack))
                       if inside is not None and t != inside and t.is_relative_to(inside)]
    for path in files_under(template) if template is not None else ():
        if not any(path.resolve().is_relative_to(t) for t in other_templates):
            members[f"student_template/{path.relative_to(template).as_posix()}"] = path.read_bytes()
    members["README.md"] = _readme(pack, any(n.startswith("student_template/")
                                             for n in members), secret).encode()
    if config is not None:
        members[_config_member(pack, package)] = Path(config).read_bytes()
        members["README.md"] += (b"\nThis copy grades with your course's config (its points, "
                                 b"visibility, deadlines and mode), as your instructor's grader "
                                 b"does.\n")
    if pack is not None and not is_builtin(pack):
        for name, data in pack_members(pack).items():
            members[f"{PACK_DIR}/{name}"] = data
    from grader.packs import BUILTIN_PACKS, RELEASE_DEFAULT
    if pack is not None and is_builtin(pack) and pack.name in BUILTIN_PACKS:
        # `autograde grade` in this copy grades this pack unless told otherwise.
        members[f"grader/packs/{RELEASE_DEFAULT}"] = pack.name.encode() + b"\n"
    return {name: as_lf(name, data) for name, data in members.items()}


def other_builtin_packs(pack: Pack | None, package: Path) -> list[Path]:
    """The built-in packs' folders a student release of `pack` leaves out: every one but its own
    (all of them for a pack outside the package). Their code holds what their own checks
    compute, and one course's helpers are another's answers: onelayer's forward pass and
    gradients, PA6's softmax, CBOW's sigmoid, copied out of a CS224n release, scored 60 of
    its 100 points (probe s55). An autograder.zip leaves them out too: their hints quote lines
    of their own solutions (probe s58)."""
    if pack is None:
        return []
    keep = pack.name if is_builtin(pack) else None
    return [(package / "packs" / Path(folder).name).resolve()
            for name, folder in BUILTIN_PACKS.items() if name != keep]


def _other_templates(pack: Pack | None) -> list[Path]:
    """The other built-in packs' student templates, which may sit inside this pack's (the
    checkout's student_template/ holds cbow/, onelayer/ and pa6/)."""
    if pack is None:
        return []
    from grader.packs import load_pack
    found = []
    for name in BUILTIN_PACKS:
        if name == pack.name:
            continue
        try:
            other = load_pack(name).student_template
        except Exception:  # noqa: BLE001 (a pack this install lacks has no template to leave out)
            continue
        if other is not None:
            found.append(Path(other))
    return found


def copies_of_the_reference(copied: list[tuple[str, tuple[str, ...]]]) -> str:
    """What leaks() found, as a sentence: "a.py is a copy of the reference", "a.py, b.py are
    copies of the reference", "c.py holds the reference's relu (as the reference writes it, ...)"."""
    whole = [name for name, functions in copied if not functions]
    parts = []
    if whole:
        parts.append(f"{', '.join(whole)} {'are copies' if len(whole) > 1 else 'is a copy'} of "
                     "the reference")
    for name, functions in copied:
        if functions:
            parts.append(f"{name} holds the reference's {', '.join(functions)} (as the reference "
                         f"writes {'them' if len(functions) > 1 else 'it'}, comments and "
                         "docstrings aside)")
    return "; ".join(parts)


def leaks(members: dict[str, bytes], reference: Path | None,
          template: Path | None = None) -> list[tuple[str, tuple[str, ...]]]:
    """The members that are a copy of a reference file (byte for byte, whatever the line endings:
    no functions named), or that define functions of the reference as the reference does (a copy
    with a comment added, a helper file made from the solution: those functions). What the
    student template gives too (the handout's own helpers) is no leak; `template`, else the
    members under student_template/."""
    if reference is None:
        return []
    files = files_under(reference)
    solution = {as_lf(p.name, p.read_bytes()) for p in files}
    bodies: dict[str, str] = {}
    for path in files:
        if path.suffix == ".py":
            bodies.update({key: name for name, key in _function_bodies(path.read_bytes()).items()})
    given = [path.read_bytes() for path in files_under(template)
             if path.suffix == ".py"] if template is not None else \
        [data for name, data in members.items()
         if name.startswith("student_template/") and name.endswith(".py")]
    for data in given:
        for key in _function_bodies(data).values():
            bodies.pop(key, None)
    found: list[tuple[str, tuple[str, ...]]] = []
    for name, data in sorted(members.items()):
        if data in solution:
            found.append((name, ()))
        elif name.endswith(".py") and bodies and not name.startswith("student_template/") \
                and not _is_graders_own(name):
            same = tuple(sorted({bodies[key] for key in _function_bodies(data).values()
                                 if key in bodies}))
            if same:
                found.append((name, same))
    return found


# A function body at least this long (as ast.dump writes it) is the reference's own work when
# another file has it: shorter ones are `pass`, `return x`, `raise NotImplementedError`.
SOLUTION_BODY_CHARS = 120


def _function_bodies(source: bytes) -> dict[str, str]:
    """Each top-level function's name -> its parameters and body as ast.dump writes them,
    without its docstring, so that comments, spacing and a changed docstring do not tell a
    copy apart. Source that does not parse has none."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    found = {}
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]
        key = ast.dump(node.args) + ast.dump(ast.Module(body=body, type_ignores=[]))
        if len(key) >= SOLUTION_BODY_CHARS + len(ast.dump(node.args)):
            found[node.name] = key
    return found


def _is_graders_own(name: str) -> bool:
    """The grader package's own modules (its built-in packs' checks and support included), which
    ship in every release: the instructor's pack is what may hold a copy."""
    return name.startswith("grader/")


def shipped_pack_problems(members: dict[str, bytes], package: Path = PACKAGE_DIR) -> list[str]:
    """Why the pack/ a release ships cannot collect its checks where students have it: alone,
    without the reference beside it, in a fresh interpreter (a check that imports the reference
    by a path of the instructor's tree collects here, where an earlier import is still loaded).
    Empty when it can, or when the release ships no pack/ (a built-in pack)."""
    shipped = {name: data for name, data in members.items() if name.startswith(f"{PACK_DIR}/")}
    if not shipped:
        return []
    with tempfile.TemporaryDirectory(prefix="autograde-release-check-") as folder:
        for name, data in shipped.items():
            target = Path(folder) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        script = ("import sys\nfrom grader import session\nfrom grader.packs import load_pack\n"
                  "print('\\n'.join(session.checks_problems(load_pack(sys.argv[1]))))")
        # This grader (a checkout run in place, or an install), and nothing of the instructor's
        # working folder: the copy is collected from a folder of its own.
        path = [str(package.parent)] + [p for p in os.environ.get("PYTHONPATH", "").split(
            os.pathsep) if p]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
        done = subprocess.run([sys.executable, "-c", script, str(Path(folder) / PACK_DIR)],
                              cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        return [f"collecting its checks failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}"]
    return [line for line in done.stdout.splitlines() if line.strip()]


def _config_member(pack: Pack | None, package: Path) -> str:
    """Where a shipped course config goes: the built-in pack's folder in the package, or the
    shipped pack/ folder of one outside it."""
    from grader.packs import DEFAULT_PACK, SHIPPED_CONFIG, load_pack
    chosen = pack if pack is not None else load_pack(DEFAULT_PACK, None)
    if not is_builtin(chosen):
        return f"{PACK_DIR}/{SHIPPED_CONFIG}"
    return f"grader/{Path(chosen.root).resolve().relative_to(package.resolve()).as_posix()}/" \
           f"{SHIPPED_CONFIG}"


def student_release(*, out: Path, reference: Path | None = None, pack: Pack | None = None,
                    source: Path = SOURCE_ROOT, package: Path = PACKAGE_DIR,
                    template: Path | None = None, config: Path | None = None,
                    secret: bool = False) -> list[str]:
    """Write the student release of `pack` into `out` (new, empty, or a previous student release,
    whose files are replaced; a `.git` folder in it is kept) and return the names written.
    `secret`: the class is graded on inputs drawn from a course secret (never shipped)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ReleaseError(f"{out} is a file, not a folder")
    present = {p.name for p in out.iterdir()} - {".git"} if out.is_dir() else set()
    if present and MARKER not in present:
        # Never clear a folder this command did not write (it could be the instructor's repository).
        raise ReleaseError(f"{out} is not empty and is not a student release: give a new folder")
    members = student_members(source, package, pack, template, config, secret)
    copied = leaks(members, reference)
    if copied:
        raise ReleaseError(f"refusing to release: {copies_of_the_reference(copied)}")
    problems = shipped_pack_problems(members, package)
    if problems:
        raise ReleaseError("refusing to release: the pack as it ships (pack/, without its "
                           "reference) cannot run its checks, so no student's copy could grade:"
                           "\n" + "\n".join(f"  - {p}" for p in problems))
    out.mkdir(parents=True, exist_ok=True)
    for child in out.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    members[MARKER] = (b"Written by `autograde student-release`: everything here but .git is "
                       b"replaced on the next release.\n")
    for name, data in sorted(members.items()):
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        if name.endswith(("setup.sh", "run_autograder")):
            target.chmod(0o755)
    return sorted(members)
