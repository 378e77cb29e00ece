"""Every tool works for every pack (#13 point 5): a pack outside the package, like the one
tests/test_packs.py builds, plus a check whose examples are a dataclass of the pack's own module,
run end to end through the CLI by gradescope-zip (and the zip's run_autograder), student-release,
known-answers, batch (course config, resume, overview, gradebook), Dask, JUnit, HTML, student mode
and the course secret; and the built-in pack where a tool used to assume it."""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import CLI, ROOT, run_cli
from test_gradescope import autograde_shim, layout, valid
from test_packs import CORRECT, OFF_A_LITTLE, make_pack

from grader import known_answers as ka
from grader.packs import load_pack

SECRET = "tiny-course-secret-0123456789"

# A case of the pack's own, drawn by hypothesis: the known answers keep it by its class's name.
CASES = """\
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


@dataclass(frozen=True)
class Case:
    x: np.ndarray
    scale: float


def cases():
    return st.builds(Case, hnp.arrays(np.float64, st.integers(1, 5), elements=st.floats(-5, 5)),
                     st.floats(0.5, 2.0))
"""

CASE_CHECK = """\
import numpy as np
import pytest
from hypothesis import given

from grader.checks_api import as_array, call_text, expect_close
from tiny_cases import cases


@pytest.mark.function("relu")
@pytest.mark.points(2)
@given(case=cases())
def test_relu_on_cases(student, reference, case):
    x = case.x * case.scale
    call = call_text("relu", x)
    expect_close(as_array(student(x), call, x.shape), np.asarray(reference.relu(x)), call=call,
                 rtol=0, atol=1e-9)
"""

WRONG_RELU = "import numpy as np\n\ndef relu(x):\n    return x\n\ndef scaled_sum(x):\n    return np.sum(x) * 3.0\n"


def run(*args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items()
            if k not in ("AUTOGRADE_REFERENCE", "AUTOGRADE_SECRET", "AUTOGRADE_PACKS")}
    return CLI.run(list(args), {**full, **(env or {})}, cwd, 300)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """The outside pack, with its known answers made by `autograde known-answers --pack PATH`."""
    folder = make_pack(tmp_path_factory.mktemp("course") / "tiny")
    (folder / "tiny_cases.py").write_text(CASES)
    (folder / "checks" / "test_cases.py").write_text(CASE_CHECK)
    made = run("known-answers", "--pack", str(folder), "--out", str(folder / "known_answers.json"))
    assert made.returncode == 0, made.stderr
    assert '"case":"tiny_cases:Case"' in (folder / "known_answers.json").read_text()
    return folder


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir()
    (folder / "alice.py").write_text(CORRECT)
    (folder / "bob.py").write_text(WRONG_RELU)
    return folder


def gradebook(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((out / "gradebook.csv").read_text().splitlines()))


def scores(report: dict) -> dict[str, float]:
    return {f["name"]: f["score"] for f in report["functions"]}


# ---- known answers: the pack's own classes, and nothing else -----------------------------------
def test_known_answers_check_decodes_the_packs_own_cases(tiny: Path) -> None:
    """`--check` decodes every example a student's copy will run on, as classes of the pack's
    own module, which nothing imported before (the grader never imports a pack's modules)."""
    done = run("known-answers", "--pack", str(tiny), "--check")
    assert done.returncode == 0, done.stderr
    assert "tiny_cases" not in sys.modules
    answers = ka.KnownAnswers.load(tiny / "known_answers.json", tiny)
    examples = [e for entry in answers.checks.values() for e in entry.decoded_examples()]
    assert examples and all(type(e["case"]).__name__ == "Case" for e in examples)
    assert type(examples[0]["case"]).__module__ == "tiny_cases"
    sys.modules.pop("tiny_cases", None)


@pytest.mark.parametrize("name", [
    "json:JSONDecoder",                          # a module outside the pack's folder
    "tiny_inputs:np.ndarray",                    # a class the pack's module imports, not its own
    "grader.packs.cs224n_a1.inputs:NetCase",     # another pack's
    "tiny_inputs:arrays",                        # not a class
    "../evil:Case", "tiny_missing:Case",         # not a module of the folder
])
def test_known_answers_name_only_the_packs_own_classes(tiny: Path, name: str) -> None:
    classes = ka.PackClasses(tiny)
    data = {"case": name, "fields": {}}
    with pytest.raises(ka.KnownAnswersError):
        ka.decode(data, classes)
    sys.modules.pop("tiny_inputs", None)


def test_a_tampered_known_answers_file_fails_the_check_in_one_line(tiny: Path,
                                                                   tmp_path: Path) -> None:
    copy = tmp_path / "tiny"
    shutil.copytree(tiny, copy)
    path = copy / "known_answers.json"
    path.write_text(path.read_text().replace('"tiny_cases:Case"', '"subprocess:Popen"', 1))
    done = run("known-answers", "--pack", str(copy), "--check")
    assert done.returncode == 1
    assert "subprocess:Popen, which is not a class of the pack's own modules" in done.stderr
    assert "Traceback" not in done.stderr


def test_known_answers_made_before_a_check_was_added_fail_the_check(tiny: Path,
                                                                     tmp_path: Path) -> None:
    """A check added after the file was made asks the reference and has no answers: `--check`
    said the file held (a student's copy then counted that check 0, "checked by your
    instructor's grader"), and so did the audit. A check removed since is said too."""
    copy = tmp_path / "tiny"
    shutil.copytree(tiny, copy)
    added = copy / "checks" / "test_tiny.py"
    added.write_text(added.read_text() + (
        "\n\n@pytest.mark.function(\"relu\")\n@pytest.mark.points(1)\n"
        "def test_relu_matches_reference_again(student, reference):\n"
        "    x = np.array([3.0, -3.0])\n"
        "    expect_close(as_array(student(x), 'relu', x.shape), reference.relu(x), call='relu',"
        " rtol=0, atol=1e-9)\n"))
    done = run("known-answers", "--pack", str(copy), "--check")
    assert done.returncode == 1, done.stderr
    assert ("1 check(s) ask the reference and have no known answers "
            "(test_tiny.py::test_relu_matches_reference_again)") in done.stderr
    (copy / "checks" / "test_cases.py").unlink()
    done = run("known-answers", "--pack", str(copy), "--check")
    assert "no longer ask the reference (test_cases.py::" in done.stderr, done.stderr


# ---- grade: JUnit, HTML, student mode, the course secret ---------------------------------------
def test_grade_views_student_mode_and_secret_with_an_outside_pack(tiny: Path,
                                                                  tmp_path: Path) -> None:
    wrong = tmp_path / "layers.py"
    wrong.write_text(WRONG_RELU)
    out = {kind: tmp_path / f"r.{kind}" for kind in ("json", "html", "xml")}
    done = run("grade", str(wrong), "--pack", str(tiny), "--json", str(out["json"]),
               "--html", str(out["html"]), "--junit", str(out["xml"]), "--secret", SECRET)
    assert done.returncode == 0, done.stderr
    report = json.loads(out["json"].read_text())
    assert report["versions"]["pack"] == "tiny-layers"
    assert report["inputs"] == {"set": "secret", "answers": "reference"}
    assert scores(report) == {"relu": 0, "scaled_sum": 6}
    page = out["html"].read_text()
    assert "pack tiny-layers" in page and "relu on cases" in page and SECRET not in page
    junit = out["xml"].read_text()
    assert 'name="autograde: 6 / 10 points"' in junit
    assert 'classname="relu" name="relu_on_cases"' in junit and 'classname="scaled_sum"' in junit
    # The secret draws other inputs: the failing example differs from the public one.
    public = tmp_path / "public.json"
    assert run("grade", str(wrong), "--pack", str(tiny), "--json", str(public)).returncode == 0
    assert json.loads(public.read_text())["inputs"]["set"] == "public"
    # A student's copy: no reference, the pack's known answers decide, the secret goes unused.
    student = tmp_path / "student.json"
    done = run("grade", str(wrong), "--pack", str(tiny), "--no-reference", "--json", str(student),
               env={"AUTOGRADE_SECRET": SECRET})
    assert done.returncode == 0, done.stderr
    report = json.loads(student.read_text())
    assert report["inputs"]["set"] == "public" and report["inputs"]["answers"] == "known answers"
    assert report["inputs"]["instructor_points"] == 0
    assert scores(report) == {"relu": 0, "scaled_sum": 6}
    assert any("course secret was not used" in w for w in report["warnings"])


# ---- batch: course config, resume, overview, gradebook -----------------------------------------
def test_batch_with_an_outside_pack_config_resume_and_overview(tiny: Path, uploads: Path,
                                                               tmp_path: Path) -> None:
    (uploads / "autograde.toml").write_text("[functions.relu]\npoints = 8\n")
    out = tmp_path / "grades"
    args = ("batch", str(uploads), "--out", str(out), "--pack", str(tiny), "--jobs", "1",
            "--secret", SECRET)
    done = run(*args)
    assert done.returncode == 0, done.stderr
    assert "course config" in done.stderr
    rows = {r["submission"]: r for r in gradebook(out)}
    assert {s: (float(r["score"]), float(r["max_score"]), float(r["relu"]))
            for s, r in rows.items()} == {"alice": (14, 14, 8), "bob": (6, 14, 0)}
    assert {r["inputs"] for r in rows.values()} == {"secret"}
    for student in ("alice", "bob"):
        report = json.loads((out / "reports" / f"{student}.json").read_text())
        assert report["versions"]["pack"] == "tiny-layers"
        assert report["versions"]["config"].startswith("autograde.toml (sha256 ")
        assert (out / "reports" / f"{student}.html").is_file()
    overview = (out / "index.html").read_text()
    assert "<h1>Class overview: tiny-layers</h1>" in overview and "relu_on_cases" in overview
    # Resumed: nothing to grade again, every row kept.
    again = run(*args)
    assert again.returncode == 0, again.stderr
    assert "2 of 2 already graded" in again.stderr
    assert len(gradebook(out)) == 2


# ---- Gradescope --------------------------------------------------------------------------------
def test_gradescope_zip_ships_an_outside_pack_and_grades_with_it(tiny: Path,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "autograder.zip"
    done = run("gradescope-zip", str(out), "--pack", str(tiny), "--secret", SECRET)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert {"pack/pack.toml", "pack/checks/test_tiny.py", "pack/checks/test_cases.py",
                "pack/tiny_inputs.py", "pack/tiny_cases.py", "pack/support/course_utils.py",
                "pack/support/scale.txt", "pack/known_answers.json", "reference/layers.py",
                "secret", "setup.sh", "run_autograder"} <= names
        assert not [n for n in names if n.startswith(("pack/reference", "pack/student_template"))]
        assert "pack-name" not in names
        manifest = zf.read("pack/pack.toml").decode()
        assert 'name = "tiny-layers"' in manifest
        zf.extractall(tmp_path / "source")
    source = tmp_path / "source"
    (source / "run_autograder").chmod(0o755)
    shim = autograde_shim(tmp_path / "bin", pythonpath=source / "autograde")
    results = {}
    for name, text in (("correct", CORRECT), ("wrong", WRONG_RELU)):
        upload = tmp_path / "up" / name / "layers.py"
        upload.parent.mkdir(parents=True)
        upload.write_text(text)
        root = layout(tmp_path / name, [upload])
        env = {"PATH": f"{shim}:/usr/bin:/bin", "HOME": str(root), "AUTOGRADE_ROOT": str(root),
               "AUTOGRADE_PREFIX": str(root / "installed"),
               "AUTOGRADE_REFERENCE": str(source / "reference"),
               "AUTOGRADE_PACK": str(source / "pack"),
               "AUTOGRADE_SECRET_FILE": str(source / "secret")}
        proc = subprocess.run([str(source / "run_autograder")], capture_output=True, text=True,
                              env=env, cwd="/", timeout=300)
        assert proc.returncode == 0, proc.stderr
        results[name] = valid(json.loads((root / "results" / "results.json").read_text()))
        assert "graded WITHOUT the reference" not in proc.stdout
    assert results["correct"]["score"] == 10
    assert results["wrong"]["score"] == 6
    tests = {t["name"].split(":")[0] for t in results["correct"]["tests"]}
    assert tests == {"relu", "scaled_sum"}


def test_gradescope_zip_names_a_builtin_pack(tmp_path: Path) -> None:
    out = tmp_path / "autograder.zip"
    assert run("gradescope-zip", str(out)).returncode == 0
    with zipfile.ZipFile(out) as zf:
        assert zf.read("pack-name") == b"cs224n-a1\n"
        assert not [n for n in zf.namelist() if n.startswith("pack/")]
    # setup.sh puts what the zip names where run_autograder finds it.
    setup = (ROOT / "grader" / "gradescope" / "setup.sh").read_text()
    assert 'install -m 0644 "$SOURCE/pack-name" "$PREFIX/pack-name"' in setup
    assert 'cp -R "$SOURCE/pack" "$PREFIX/pack"' in setup
    script = (ROOT / "grader" / "gradescope" / "run_autograder").read_text()
    assert "PACK=\"$(tr -d '[:space:]' < \"$PREFIX/pack-name\")\"" in script and 'PACK="$PREFIX/pack"' in script


def test_gradescope_zip_refuses_a_pack_holding_a_copy_of_the_reference(tiny: Path,
                                                                       tmp_path: Path) -> None:
    copy = tmp_path / "tiny"
    shutil.copytree(tiny, copy)
    shutil.copy(copy / "reference" / "layers.py", copy / "solution_layers.py")
    done = run("gradescope-zip", str(tmp_path / "a.zip"), "--pack", str(copy))
    assert done.returncode == 2 and "solution_layers.py is a copy of the reference" in done.stderr
    assert not (tmp_path / "a.zip").exists()


def test_a_pack_file_holding_the_references_functions_is_refused_however_it_is_dressed(
        tiny: Path, tmp_path: Path) -> None:
    """A byte copy was refused and the same file with a comment added shipped ("no reference"),
    in support/, which also sits beside every submission while it is graded. A file defining a
    reference function as the reference does (comments, spacing and docstrings aside) is refused
    by both the student release and the Gradescope zip; what the student template gives too (the
    handout's own helpers) is not the solution and ships."""
    dressed = tmp_path / "dressed"
    shutil.copytree(tiny, dressed)
    text = (dressed / "reference" / "layers.py").read_text()
    (dressed / "support" / "helpers_for_the_course.py").write_text(
        "# helpers for the course\n" + text.replace("def relu(x):\n",
                                                     'def relu(x):\n    """Rectify."""\n'))
    release = run("student-release", str(tmp_path / "release"), "--pack", str(dressed))
    assert release.returncode == 2, release.stderr
    assert ("pack/support/helpers_for_the_course.py holds the reference's relu, scaled_sum"
            in release.stderr), release.stderr
    assert not (tmp_path / "release").exists()
    zipped = run("gradescope-zip", str(tmp_path / "a.zip"), "--pack", str(dressed))
    assert zipped.returncode == 2 and "holds the reference's relu" in zipped.stderr, zipped.stderr
    # The handout's helper, written alike in the template and the reference, is no leak.
    given = tmp_path / "given"
    shutil.copytree(tiny, given)
    helper = ("\n\ndef normalise_rows(x):\n    norms = np.sqrt(np.sum(x * x, axis=1, keepdims=True))"
              "\n    return x / np.maximum(norms, 1e-12)\n")
    for sub in ("reference", "student_template"):
        with open(given / sub / "layers.py", "a") as file:
            file.write(helper)
    (given / "support" / "handout_helpers.py").write_text("import numpy as np" + helper)
    shipped = run("student-release", str(tmp_path / "shipped"), "--pack", str(given))
    assert shipped.returncode == 0, shipped.stderr
    zipped = run("gradescope-zip", str(tmp_path / "b.zip"), "--pack", str(given))
    assert zipped.returncode == 0, zipped.stderr


def test_a_reference_without_a_graded_function_is_refused_by_audit_and_the_release(
        tiny: Path, tmp_path: Path) -> None:
    """audit said "the grader itself failed ... a bug in the grader" (exit 70, the reason only in
    a crash file) and student-release wrote a release, where a batch refuses such a reference in
    one line: the three now say the same."""
    broken = tmp_path / "broken"
    shutil.copytree(tiny, broken)
    reference = broken / "reference" / "layers.py"
    reference.write_text(reference.read_text().split("def scaled_sum")[0])
    said = "the reference at "
    audit = run("audit", "--pack", str(broken))
    assert audit.returncode == 2, audit.stderr
    assert said in audit.stderr and "lacks scaled_sum" in audit.stderr, audit.stderr
    assert "bug in the grader" not in audit.stderr and "Traceback" not in audit.stderr
    release = run("student-release", str(tmp_path / "release"), "--pack", str(broken))
    assert release.returncode == 2 and "lacks scaled_sum" in release.stderr, release.stderr
    assert not (tmp_path / "release").exists()


def test_a_release_whose_checks_need_the_reference_is_refused(tiny: Path, tmp_path: Path) -> None:
    """A check that imports the reference by a path of the instructor's tree collects there
    (audit, grade and the release's own checks all passed) and in no student's copy, where every
    grade then exited 2 ("No module named 'layers_solution'"). The release collects the pack it
    ships, alone, in a fresh interpreter, and refuses."""
    shortcut = tmp_path / "shortcut"
    shutil.copytree(tiny, shortcut)
    (shortcut / "reference" / "layers_solution.py").write_text(
        "import numpy as np\n\n\ndef relu(x):\n    return np.maximum(x, 0.0)\n")
    check = shortcut / "checks" / "test_tiny.py"
    check.write_text("import os, sys\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), "
                     "'..', 'reference'))\nimport layers_solution\n" + check.read_text())
    assert run("audit", "--pack", str(shortcut)).returncode == 0
    release = run("student-release", str(tmp_path / "release"), "--pack", str(shortcut))
    assert release.returncode == 2, release.stderr
    assert "no student's copy could grade" in release.stderr, release.stderr
    assert "layers_solution" in release.stderr, release.stderr
    assert not (tmp_path / "release").exists()


# ---- the student release -----------------------------------------------------------------------
def test_student_release_of_an_outside_pack_grades_with_its_known_answers(tiny: Path,
                                                                          tmp_path: Path) -> None:
    out = tmp_path / "release"
    done = run("student-release", str(out), "--pack", str(tiny))
    assert done.returncode == 0, done.stderr
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"pack/pack.toml", "pack/checks/test_cases.py", "pack/tiny_cases.py",
            "pack/support/scale.txt", "pack/known_answers.json", "student_template/layers.py",
            "grader/cli.py", "README.md"} <= files
    assert not [f for f in files if "reference" in f.split("/")]
    solution = (tiny / "reference" / "layers.py").read_bytes()
    assert not [f for f in files if (out / f).read_bytes() == solution]
    assert (out / "student_template" / "layers.py").read_text() == \
        (tiny / "student_template" / "layers.py").read_text()
    readme = (out / "README.md").read_text()
    assert "A tiny pack: relu and a scaled sum" in readme and "--pack pack/" in readme
    assert "CS224n" not in readme
    # A student grades from the release's folder with its grader, pack and known answers.
    for text, expected in ((CORRECT, 10), (OFF_A_LITTLE, 2)):
        sub = tmp_path / f"sub{expected}" / "layers.py"
        sub.parent.mkdir()
        sub.write_text(text)
        report = tmp_path / f"r{expected}.json"
        done = run("grade", str(sub), "--pack", "pack/", "--json", str(report), cwd=out,
                   env={"PYTHONPATH": str(out), "AUTOGRADE_SECRET": SECRET})
        assert done.returncode == 0, done.stderr
        data = json.loads(report.read_text())
        assert data["reference"] is False and data["inputs"]["answers"] == "known answers"
        assert data["score"] == expected and data["versions"]["pack"] == "tiny-layers"


def test_student_release_of_a_notebook_pack_ships_the_notebook(tmp_path: Path) -> None:
    folder = make_pack(tmp_path / "nb")
    shutil.rmtree(folder / "student_template")
    (folder / "student_template").mkdir()
    (folder / "student_template" / "hw1.ipynb").write_text('{"cells": [], "nbformat": 4, '
                                                           '"nbformat_minor": 5, "metadata": {}}')
    out = tmp_path / "release"
    done = run("student-release", str(out), "--pack", str(folder))
    assert done.returncode == 0, done.stderr
    assert (out / "student_template" / "hw1.ipynb").is_file()
    assert not (out / "student_template" / "layers.py").exists()


# ---- what a pack ships, whatever its manifest names --------------------------------------------
def test_a_pack_whose_manifest_keeps_files_elsewhere_ships_them_at_their_default_places(
        tmp_path: Path) -> None:
    from grader import release
    folder = make_pack(tmp_path / "p")
    shared = tmp_path / "shared-support"
    (folder / "support").rename(shared)
    (folder / ".git").mkdir()
    (folder / ".git" / "config").write_text("secret")
    text = (folder / "pack.toml").read_text()
    (folder / "pack.toml").write_text(
        text.replace('provided_modules = []', 'provided_modules = []\nsupport = "../shared-support"'
                     '\nreference = "reference"'))
    members = release.pack_members(load_pack(str(folder)))
    assert "support/course_utils.py" in members and "support/scale.txt" in members
    assert not [n for n in members if n.startswith((".git", "reference/", "student_template/"))]
    shipped = tmp_path / "shipped"
    for name, data in members.items():
        (shipped / name).parent.mkdir(parents=True, exist_ok=True)
        (shipped / name).write_bytes(data)
    pack = load_pack(str(shipped))
    assert pack.support_dir == (shipped / "support").resolve() and pack.default_reference is None


# ---- Dask: the pack and the course config travel inside each task -------------------------------
def test_dask_batch_grades_an_outside_pack_the_workers_have_no_copy_of(tiny: Path, uploads: Path,
                                                                       tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    from grader import task as task_mod
    from grader.uploads import Upload

    (uploads / "autograde.toml").write_text("[functions.relu]\npoints = 8\n")
    gone = tmp_path / "gone"
    shutil.copytree(tiny, gone)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        local = run("batch", str(uploads), "--out", str(tmp_path / "local"), "--pack", str(tiny),
                    "--jobs", "1")
        remote = run("batch", str(uploads), "--out", str(tmp_path / "dask"), "--pack", str(tiny),
                     "--dask", cluster.scheduler_address)
        assert local.returncode == 0 and remote.returncode == 0, remote.stderr
        columns = ("submission", "score", "max_score", "relu", "scaled_sum", "error")
        assert [[r[c] for c in columns] for r in gradebook(tmp_path / "dask")] == \
            [[r[c] for c in columns] for r in gradebook(tmp_path / "local")] == \
            [["alice", "14", "14", "8", "6", ""], ["bob", "6", "14", "0", "6", ""]]
        # A task built here, then the pack and the config removed from this machine's disk: the
        # worker grades with what the task carries.
        config = uploads / "autograde.toml"
        task = task_mod.pack_upload(
            Upload("alice", uploads / "alice.py"),
            reference=task_mod.pack_reference(gone / "reference"), pack=str(gone),
            wall_seconds=120, pack_files=task_mod.pack_pack(load_pack(str(gone))),
            config=(config.name, config.read_bytes()))
        shutil.rmtree(gone)
        config.unlink()
        with distributed.Client(cluster, set_as_default=False) as client:
            outcome = client.submit(task_mod.run_task, task, pure=False).result()
    report = json.loads(outcome.report_json)
    assert outcome.graded, report.get("error")
    assert (report["score"], report["max_score"]) == (14, 14)
    assert report["versions"]["pack"] == "tiny-layers"
    assert report["versions"]["config"].startswith("autograde.toml (sha256 ")


def test_a_builtin_pack_travels_by_name() -> None:
    from grader import task as task_mod
    assert task_mod.pack_pack(load_pack("cs224n-a1")) is None
