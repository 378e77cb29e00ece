"""Release hygiene: what students may read holds no solution, and the distributions are complete.

A copy of the instructor's tree with planted course secrets is released the two ways the README
offers (the student release and the wheel); neither may carry the reference, a correct fixture,
a line of the solution or a secret. The sdist must hold what its tests need, and an installed
grader must build the Gradescope zip."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the test extra installs tomli
    import tomli as tomllib

from conftest import FIXTURES, ROOT
from test_gradescope import autograde_shim, layout, run_autograder, valid

SECRET = f"course-secret-{uuid.uuid4().hex}"


def tracked_files() -> list[str]:
    proc = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:  # an unpacked sdist: no git, take what is there
        return [p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and ".git" not in p.parts]
    return [name for name in proc.stdout.split("\0") if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """The instructor's tree, with a course secret planted where instructors keep such things."""
    dest = tmp_path_factory.mktemp("instructor") / "autograde"
    for name in tracked_files():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / name)
    (dest / ".env").write_text(f"AUTOGRADE_SECRET={SECRET}\n")
    (dest / "course_secret.txt").write_text(SECRET)
    (dest / "reference" / "NOTES.md").write_text(f"seed: {SECRET}\n")
    (dest / "grader" / "packs" / "cs224n_a1" / "secret_seed.txt").write_text(SECRET)
    return dest


def solution_lines() -> set[str]:
    """Lines of the reference that the student template does not have: the solution itself."""
    template = {line.strip() for p in (ROOT / "student_template").glob("*.py")
                for line in p.read_text().splitlines()}
    return {line.strip() for p in (ROOT / "reference").glob("*.py")
            for line in p.read_text().splitlines()
            if len(line.strip()) >= 30 and line.strip() not in template
            and not line.strip().startswith(("#", '"""', "def ", "import ", "from "))}


def solutions() -> set[bytes]:
    files = [*(ROOT / "reference").glob("*.py"), *FIXTURES.glob("correct*.py"),
             *(FIXTURES / "correct_multifile").glob("*.py")]
    return {p.read_bytes() for p in files}


def assert_no_solution_or_secret(files: dict[str, bytes]) -> None:
    assert files
    lines = solution_lines()
    assert lines  # the reference has a solution to look for
    whole = solutions()
    for name, data in files.items():
        parts = name.split("/")
        assert "reference" not in parts and "tests" not in parts and "fixtures" not in parts, name
        assert data not in whole, f"{name} is a copy of a solution"
        assert SECRET.encode() not in data, f"{name} holds the course secret"
        text = data.decode("utf-8", "replace")
        leaked = [line for line in lines if line in text]
        assert not leaked, (name, leaked)


def run_grader(*args: str, cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADE_REFERENCE"}
    env.update(PYTHONPATH=str(pythonpath), AUTOGRADE_SECRET=SECRET)
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


# ---- the student release ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def student(checkout, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("public") / "autograde-student"
    proc = run_grader("student-release", str(out), cwd=checkout, pythonpath=checkout)
    assert proc.returncode == 0, proc.stderr
    assert "no reference" in proc.stdout
    return out


def test_student_release_holds_no_reference_and_no_secret(student):
    files = {p.relative_to(student).as_posix(): p.read_bytes() for p in student.rglob("*") if p.is_file()}
    assert_no_solution_or_secret(files)
    assert {"pyproject.toml", "LICENSE", "README.md", "grader/cli.py",
            "student_template/q2_neural.py"} <= set(files)


def test_student_release_grades_without_a_reference(student, tmp_path):
    report = tmp_path / "r.json"
    proc = run_grader("grade", str(FIXTURES / "correct_summed.py"), "--json", str(report),
                      cwd=tmp_path, pythonpath=student)
    assert proc.returncode == 0, proc.stderr
    import json
    data = json.loads(report.read_text())
    assert data["reference"] is False
    # No solution, yet every value is checked: against the known answers the release ships, on
    # the public inputs (the course secret in the environment is of no use without the reference).
    assert data["inputs"] == {"set": "public", "answers": "known answers",
                              "known_answer_points": 56.55, "instructor_points": 0}
    assert not [c for c in data["checks"] if c["status"] == "skipped"]
    assert data["score"] == data["max_score"] == 100


def test_a_release_carries_the_course_config_its_copy_grades_with(checkout, tmp_path):
    """A course that moves points (or picks a pack's mode) grades with its config; the student's
    copy could not carry one, and told a student 93.75 where the course gave 69.5."""
    config = tmp_path / "course.toml"
    config.write_text("[functions.softmax]\npoints = 20\n")
    out = tmp_path / "release"
    proc = run_grader("student-release", str(out), "--config", str(config), cwd=checkout,
                      pythonpath=checkout)
    assert proc.returncode == 0, proc.stderr
    assert (out / "grader" / "packs" / "cs224n_a1" / "course.toml").read_bytes() == \
        config.read_bytes()
    report = tmp_path / "report.json"
    graded = run_grader("grade", str(FIXTURES / "correct_summed.py"), "--json", str(report),
                        cwd=tmp_path, pythonpath=out)
    assert graded.returncode == 0, graded.stderr
    data = json.loads(report.read_text())
    assert (data["score"], data["max_score"]) == (105, 105)
    assert data["versions"]["config"].startswith("course.toml (sha256 ")
    assert "Graded with the course config course.toml (sha256 " in graded.stdout  # said, too
    bad = tmp_path / "bad.toml"
    bad.write_text("[functions.sofmax]\npoints = 20\n")
    refused = run_grader("student-release", str(tmp_path / "r2"), "--config", str(bad),
                         cwd=checkout, pythonpath=checkout)
    assert refused.returncode == 2 and "has no function sofmax" in refused.stderr
    assert not (tmp_path / "r2").exists()


def test_student_release_builds_a_wheel_students_can_install(student, tmp_path):
    """`pip install git+URL-of-the-student-repository` builds this wheel."""
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path),
                           str(student)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with zipfile.ZipFile(next(tmp_path.glob("*.whl"))) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    assert_no_solution_or_secret(files)
    assert "grader/gradescope/run_autograder" in files and "grader/schemas/report.schema.json" in files


def test_student_release_refuses_a_copy_of_the_reference(checkout, tmp_path):
    planted = tmp_path / "tree"
    shutil.copytree(checkout, planted)
    shutil.copy(planted / "reference" / "q2_neural.py", planted / "grader" / "packs" / "q2_neural.py")
    proc = run_grader("student-release", str(tmp_path / "out"), cwd=planted, pythonpath=planted)
    assert proc.returncode == 2 and "q2_neural.py is a copy of the reference" in proc.stderr
    assert "usage:" not in proc.stderr  # the command was right: what it would ship is not
    assert not (tmp_path / "out").exists()


def test_student_release_never_clears_a_folder_it_did_not_write(student, tmp_path):
    mine = tmp_path / "repo"
    mine.mkdir()
    (mine / "keep.txt").write_text("x")
    proc = run_grader("student-release", str(mine), cwd=tmp_path, pythonpath=ROOT)
    assert proc.returncode == 2 and (mine / "keep.txt").exists()
    # its own release is replaced in place, a clone's .git kept
    (student / ".git").mkdir(exist_ok=True)
    (student / "stale.py").write_text("")
    proc = run_grader("student-release", str(student), cwd=tmp_path, pythonpath=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert (student / ".git").is_dir() and not (student / "stale.py").exists()


# ---- the wheel and the sdist ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dists(checkout, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out),
                           str(checkout)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


def test_wheel_holds_no_reference_and_no_secret_but_all_package_data(dists):
    with zipfile.ZipFile(dists["wheel"]) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    assert_no_solution_or_secret(files)
    names = set(files)
    for rel in ("grader/gradescope/setup.sh", "grader/gradescope/run_autograder",
                "grader/schemas/report.schema.json", "grader/schemas/gradescope-results.schema.json",
                "grader/grading-pytest.ini", "grader/render/templates/report.html.j2"):
        assert rel in names, rel
    meta = next(v for k, v in files.items() if k.endswith(".dist-info/METADATA")).decode()
    assert "License-Expression: MIT" in meta and "Project-URL: Source," in meta
    for minor in (10, 11, 12, 13):
        assert f"Classifier: Programming Language :: Python :: 3.{minor}" in meta
    assert any(k.endswith(".dist-info/licenses/LICENSE") for k in names)


def test_twine_check_passes(dists):
    proc = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dists.values())],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sdist_holds_what_its_tests_need(dists):
    with tarfile.open(dists["sdist"]) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    needed = {"LICENSE", "pyproject.toml", "README.md", "Dockerfile", ".dockerignore", ".ci/run",
              "tests/conftest.py", "tests/junit-10.xsd", "tests/fixtures/attacks.py",
              "tests/fixtures/submissions/correct_summed.py", "examples/submission.py",
              "student_template/q1_softmax.py", "reference/q3_word2vec.py",
              "grader/gradescope/run_autograder", "grader/schemas/report.schema.json"}
    assert needed <= names, needed - names
    assert {n for n in tracked_files() if n.startswith("tests/test_")} <= names
    # planted secrets outside the tracked sources stay out
    assert not {".env", "course_secret.txt", "reference/NOTES.md",
                "grader/packs/cs224n_a1/secret_seed.txt"} & names


# ---- an installed grader builds the Gradescope zip ----------------------------------------------------------
@pytest.fixture(scope="module")
def installed(dists, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site-packages")
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
                           "--target", str(target), str(dists["wheel"])],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert not (target / "reference").exists() and not (target / "pyproject.toml").exists()
    return target


def test_installed_grader_needs_reference_for_the_zip(installed, tmp_path):
    proc = run_grader("gradescope-zip", str(tmp_path / "a.zip"), cwd=tmp_path, pythonpath=installed)
    assert proc.returncode == 2 and "--reference" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "a.zip").exists()


def test_installed_graders_release_ships_a_template_only_when_it_has_one(installed, tmp_path):
    """Installed with pip, the grader has no student_template/: its release had none, and its
    README told students to start from it. Now it says so, and --template ships one."""
    bare = tmp_path / "bare"
    proc = run_grader("student-release", str(bare), "--reference", str(ROOT / "reference"),
                      cwd=tmp_path, pythonpath=installed)
    assert proc.returncode == 0, proc.stderr
    assert "no student template here" in proc.stderr and "--template DIR" in proc.stderr
    assert not (bare / "student_template").exists()
    assert "student_template" not in (bare / "README.md").read_text(encoding="utf-8")
    full = tmp_path / "full"
    proc = run_grader("student-release", str(full), "--reference", str(ROOT / "reference"),
                      "--template", str(ROOT / "student_template"), cwd=tmp_path,
                      pythonpath=installed)
    assert proc.returncode == 0 and "no student template" not in proc.stderr, proc.stderr
    assert (full / "student_template" / "q1_softmax.py").is_file()
    assert "`student_template/` is what you start from" in (full / "README.md").read_text(
        encoding="utf-8")
    # Its course config must reach the wheel `pip install .` builds: listed by the installed
    # files only, it did not, and the students' copy graded with the pack's own points.
    config = tmp_path / "course.toml"
    config.write_text("[functions.softmax]\npoints = 20\n")
    configured = tmp_path / "configured"
    proc = run_grader("student-release", str(configured), "--reference", str(ROOT / "reference"),
                      "--config", str(config), cwd=tmp_path, pythonpath=installed)
    assert proc.returncode == 0, proc.stderr
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(wheels),
                            str(configured)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    with zipfile.ZipFile(next(wheels.glob("*.whl"))) as zf:
        assert zf.read("grader/packs/cs224n_a1/course.toml") == config.read_bytes()


def _requirements(lines: list[str]) -> dict:
    from packaging.requirements import Requirement

    parsed = [Requirement(line) for line in lines]
    return {r.name: (r.specifier, r.marker and str(r.marker)) for r in parsed}


def test_installed_grader_builds_a_zip_that_grades(installed, tmp_path):
    out = tmp_path / "autograder.zip"
    proc = run_grader("gradescope-zip", str(out), "--reference", str(ROOT / "reference"),
                      cwd=tmp_path, pythonpath=installed)
    assert proc.returncode == 0, proc.stderr
    source = tmp_path / "source"
    with zipfile.ZipFile(out) as zf:
        zf.extractall(source)
    pyproject = tomllib.loads((source / "autograde" / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "autograde-numpy-nn"
    real = tomllib.loads((ROOT / "pyproject.toml").read_text())
    # The same requirements, however the installed metadata orders each one's specifiers.
    assert _requirements(pyproject["project"]["dependencies"]) == \
        _requirements(real["project"]["dependencies"])
    data = set(pyproject["tool"]["setuptools"]["package-data"]["grader"])
    assert {"gradescope/setup.sh", "gradescope/run_autograder", "schemas/report.schema.json",
            "render/templates/report.html.j2", "grading-pytest.ini"} <= data
    assert (source / "autograde" / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()
    assert (source / "setup.sh").read_bytes() == (ROOT / "grader/gradescope/setup.sh").read_bytes()
    (source / "run_autograder").chmod(0o755)
    shim = autograde_shim(tmp_path / "bin", pythonpath=source / "autograde")
    root = layout(tmp_path / "autograder", [ROOT / "examples" / "submission.py"])
    _, results = run_autograder(root, path=str(shim), reference=source / "reference",
                                script=source / "run_autograder")
    valid(results)
    failed = {t["name"].split(":")[0] for t in results["tests"] if t["status"] == "failed"}
    assert failed == {"forward_backward_prop", "negSamplingCostAndGradient"}


def test_release_ships_exactly_the_declared_package_data():
    from grader import release
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    data = pyproject["tool"]["setuptools"]["package-data"]
    declared = {*data["grader"], *(f"render/{p}" for p in data["grader.render"])}
    assert declared == set(release.PACKAGE_DATA)


def test_readme_ci_recipes_install_the_student_release():
    """No recipe has students install from the instructor's repository, which holds the reference."""
    import re
    text = (ROOT / "README.md").read_text()
    recipes = text[text.index("### GitHub Classroom, GitLab and other CI"):text.index("## The JSON report")]
    installs = re.findall(r"pip install \"autograde-numpy-nn @ ([^\"]+)\"", recipes)
    assert len(installs) == 2 and all(url.endswith("/autograde-student") for url in installs)
    assert "autograde student-release" in recipes


def test_a_notebook_courses_release_readme_grades_the_notebook():
    """The release README of a notebook course told students to grade `my_submission.py`."""
    from grader import release
    from grader.packs import load_pack
    text = release._readme(load_pack("cbow"), True)
    assert "autograde grade cbow.ipynb --pack cbow\n" in text, text
    assert "my_submission.py" not in text


def test_a_release_of_another_pack_grades_that_pack_by_default(tmp_path):
    """A cbow student ran `autograde grade cbow.ipynb` in the cbow release and got 0: graded as
    the CS224n assignment ("sigmoid was not found"), with no word of --pack."""
    import subprocess
    import sys

    from grader import release
    from grader.packs import load_pack
    for pack, expected in (("cbow", "cbow"), ("cs224n-a1", "cs224n-a1"), ("onelayer", "onelayer")):
        members = release.student_members(pack=load_pack(pack))
        out = tmp_path / pack
        for name, data in members.items():
            if name.startswith("grader/"):
                (out / name).parent.mkdir(parents=True, exist_ok=True)
                (out / name).write_bytes(data)
        said = subprocess.run([sys.executable, "-I", "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                               "import grader.packs as p; print(p.DEFAULT_PACK, p.__file__)", str(out)],
                              capture_output=True, text=True, check=True).stdout.split()
        assert said[0] == expected and said[1].startswith(str(out)), said


def test_a_release_carries_only_the_pack_it_grades():
    """A CS224n release shipped every built-in pack, and their code holds what their checks
    compute: onelayer's forward pass and gradients, PA6's softmax and CBOW's sigmoid, copied into
    a file, scored forward_backward_prop 35/35, softmax 15/15 and sigmoid 10/10 (probe s55). Its
    student_template/ also held the other courses' templates."""
    from grader import release
    from grader.packs import BUILTIN_PACKS, load_pack
    folders = {name: Path(folder).name for name, folder in BUILTIN_PACKS.items()}
    for pack in BUILTIN_PACKS:
        names = set(release.student_members(pack=load_pack(pack)))
        shipped = {n.split("/")[2] for n in names
                   if n.startswith("grader/packs/") and n.count("/") > 2}
        assert shipped == {folders[pack]}, (pack, shipped)
        templates = {n.split("/")[1] for n in names if n.startswith("student_template/")}
        assert not templates & {"cbow", "onelayer", "pa6"}, (pack, templates)
        assert templates, pack


def test_the_release_readme_names_a_course_secret_only_when_there_is_one(tmp_path):
    """A release made without a course secret told students "Your instructor grades on other
    inputs, drawn from a course secret" (probe s61): a class graded on the public inputs was told
    its answers could not carry over. The secret (never shipped) is taken as the grading
    commands take it: --secret, --secret-file, $AUTOGRADE_SECRET."""
    from conftest import run_cli  # which passes on no $AUTOGRADE_SECRET of the caller's
    plain, secret = tmp_path / "plain", tmp_path / "secret"
    made = run_cli("student-release", str(plain), "--pack", "onelayer")
    assert made.returncode == 0, made.stderr
    text = (plain / "README.md").read_text()
    assert "course secret" not in text and "other inputs" not in text, text
    assert "what loses points here loses points in your\ninstructor's grader too.\n" in text, text
    made = run_cli("student-release", str(secret), "--pack", "onelayer",
                   env={"AUTOGRADE_SECRET": "a course secret of the test, long enough"})
    assert made.returncode == 0, made.stderr
    text = (secret / "README.md").read_text()
    assert ("Your instructor grades on other inputs, drawn from a course secret, so only a real "
            "implementation earns the points there.") in " ".join(text.split()), text
    assert "a course secret of the test" not in "".join(
        p.read_text(errors="replace") for p in secret.rglob("*") if p.is_file())
