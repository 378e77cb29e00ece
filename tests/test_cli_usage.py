"""What a user meets first: help texts with examples, `--only FUNCTION`, and output paths that cannot
be written (one line, exit status 2, before any grading)."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import time

import pytest

from conftest import FIXTURES, ROOT, grade, run_cli
from grader import selection
from grader.packs import DEFAULT_PACK, load_pack

EXAMPLE = ROOT / "examples" / "submission.py"
FUNCTIONS = [f.name for f in load_pack(DEFAULT_PACK).functions]


# ---- help -------------------------------------------------------------------------------------
def test_top_level_help_is_written_for_users():
    proc = run_cli("--help")
    assert proc.returncode == 0
    assert "thin layer" not in proc.stdout and "grader.session" not in proc.stdout
    assert "numpy" in proc.stdout and "examples:" in proc.stdout
    for command in ("autograde grade ", "autograde batch "):
        assert command in proc.stdout


def test_grade_help_explains_its_argument_and_pack_with_examples():
    out = run_cli("grade", "--help").stdout
    assert "what to grade: a .py file" in out and ".ipynb notebook" in out
    assert "the assignment to grade against" in out
    assert "--only FUNCTION" in out
    assert "examples:" in out and "autograde grade my_submission.py --only softmax" in out


def test_batch_help_lists_every_upload_form_and_naming_convention():
    out = run_cli("batch", "--help").stdout
    for form in ("alice.py", "alice/", "alice.zip", "alice.ipynb", "Jupyter notebook"):
        assert form in out, form
    for convention in ("Canvas: smithjohn_12345_67890_hw1.zip", "smithjohn_LATE_12345_67890",
                       "Moodle: folder \"Jane Doe_4242_assignsubmission_file_\""):
        assert convention in out, convention
    assert "examples:" in out and "autograde batch uploads.zip --out grades/" in out


# ---- --only -----------------------------------------------------------------------------------
def test_only_grades_the_named_functions_with_the_scores_of_a_full_grade(tmp_path):
    full = grade(EXAMPLE, tmp_path / "full")
    part = grade(EXAMPLE, tmp_path / "part", "--only", "forward_backward_prop", "--only", "sigmoid")
    # In the pack's order whatever the order given; their checks alone, scored as in a full grade.
    assert [f["name"] for f in part["functions"]] == ["sigmoid", "forward_backward_prop"]
    by_name = {f["name"]: f for f in full["functions"]}
    assert part["functions"] == [by_name["sigmoid"], by_name["forward_backward_prop"]]
    assert part["score"] == by_name["sigmoid"]["score"] + by_name["forward_backward_prop"]["score"]
    assert part["max_score"] == 45
    assert part["score"] < part["max_score"]  # the example's forward_backward_prop is wrong
    assert {c["function"] for c in part["checks"]} == {"sigmoid", "forward_backward_prop"}
    assert [c for c in full["checks"] if c["function"] in ("sigmoid", "forward_backward_prop")
            ] == part["checks"]
    assert any("not graded: sigmoid_grad, softmax, negSamplingCostAndGradient" in w
               for w in part["warnings"])
    assert "45" in part["_terminal"] and "negSamplingCostAndGradient" not in part["_terminal"].split(
        "Warnings:")[0]


def test_only_never_calls_the_other_functions(tmp_path):
    """A function left out is not run at all: here every other function hangs, and a grade that
    ran their checks would wait out a 20 s deadline per check."""
    source = (FIXTURES / "correct_summed.py").read_text()
    source += "\n\ndef negSamplingCostAndGradient(*args, **kwargs):\n    while True:\n        pass\n"
    path = tmp_path / "hangs.py"
    path.write_text(source)
    started = time.monotonic()
    report = grade(path, tmp_path / "out", "--only", "softmax", "--call-timeout", "20",
                   "--check-timeout", "20")
    assert time.monotonic() - started < 20
    assert report["score"] == report["max_score"] == 15
    assert all(c["status"] == "passed" for c in report["checks"])


def test_a_misspelt_submission_is_answered_with_the_name_beside_it(tmp_path):
    """`autograde grade q3_wordvec.py` beside q3_word2vec.py: the near name is asked about, under
    grade's own usage, not the whole tool's (probe s59)."""
    (tmp_path / "q3_word2vec.py").write_text("x = 1\n")
    proc = run_cli("grade", str(tmp_path / "q3_wordvec.py"))
    assert proc.returncode == 2
    assert f"did you mean {tmp_path / 'q3_word2vec.py'}?" in proc.stderr, proc.stderr
    assert proc.stderr.startswith("usage: autograde grade "), proc.stderr
    far = run_cli("grade", str(tmp_path / "notes.txt"))
    assert far.returncode == 2 and "did you mean" not in far.stderr, far.stderr


def test_several_files_given_to_grade_are_told_to_be_given_as_their_folder(tmp_path):
    """A shell's `autograde grade *.py` gives grade five files: argparse said "unrecognized
    arguments: q2_gradcheck.py ..." (probe s59); the files of one upload are its folder."""
    names = [tmp_path / f"q{n}.py" for n in (1, 2, 3)]
    for name in names:
        name.write_text("x = 1\n")
    proc = run_cli("grade", *map(str, names))
    assert proc.returncode == 2
    assert "grade takes one submission, and 3 were given" in proc.stderr, proc.stderr
    assert f"autograde grade {tmp_path}" in proc.stderr, proc.stderr
    other = run_cli("grade", str(names[0]), "--bogus")
    assert other.returncode == 2, other.stderr
    assert "unrecognized arguments: --bogus" in other.stderr, other.stderr
    assert other.stderr.startswith("usage: autograde grade "), other.stderr


def test_unknown_only_is_a_usage_error_that_lists_the_functions():
    for command in (("grade", str(EXAMPLE)), ("batch", str(ROOT / "examples"), "--out", "unused")):
        proc = run_cli(*command, "--only", "softmax", "--only", "Softmax")
        assert proc.returncode == 2, proc.stderr
        assert "--only Softmax" in proc.stderr and "Traceback" not in proc.stderr
        assert ", ".join(FUNCTIONS) in proc.stderr
    assert not (ROOT / "unused").exists()


def test_selection_validates_and_orders():
    pack = load_pack(DEFAULT_PACK)
    assert selection.validate(pack, ["softmax", "sigmoid", "softmax"]) == ("sigmoid", "softmax")
    with pytest.raises(selection.UnknownFunction, match="sigmoid, sigmoid_grad, softmax"):
        selection.validate(pack, ["sigmoid", "sofmax"])
    assert selection.current() is None
    with selection.selected({"softmax"}):
        assert selection.current() == {"softmax"}
    assert selection.current() is None


def test_batch_passes_only_through_and_regrades_when_the_choice_changes(tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    shutil.copy(EXAMPLE, uploads / "bob.py")
    out = tmp_path / "out"
    proc = run_cli("batch", str(uploads), "--out", str(out), "--only", "softmax")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "reports" / "bob.json").read_text())
    assert [f["name"] for f in report["functions"]] == ["softmax"]
    assert report["upload"]["only"] == ["softmax"]
    # Every function keeps its column where a full run puts it (scripts read columns by
    # position); those not graded are empty.
    header, row = (out / "gradebook.csv").read_text().splitlines()[:2]
    assert header.split(",")[3:9] == [*FUNCTIONS, "error"], header
    assert row.split(",")[3:8] == ["", "", "15", "", ""], row
    again = run_cli("batch", str(uploads), "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert "bob: " in again.stderr and "(regraded: other functions (--only))" in again.stderr
    report = json.loads((out / "reports" / "bob.json").read_text())
    assert [f["name"] for f in report["functions"]] == FUNCTIONS


# ---- output paths -----------------------------------------------------------------------------
@pytest.mark.parametrize("option", ["--json", "--html", "--junit"])
def test_unwritable_output_is_one_line_and_status_2_before_grading(tmp_path, option):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    other = tmp_path / "fine.json"
    started = time.monotonic()
    proc = run_cli("grade", str(EXAMPLE), "--json", str(other), option, str(blocker / "report"),
                   "--fail-under", "100") if option != "--json" else run_cli(
                   "grade", str(EXAMPLE), option, str(blocker / "report"), "--fail-under", "100")
    assert proc.returncode == 2  # not 1: that is --fail-under's
    line, = proc.stderr.strip().splitlines()
    assert line == f"autograde grade: cannot write {option} {blocker / 'report'}: {blocker} is not a folder"
    assert not other.exists() and proc.stdout == ""  # nothing graded, nothing half written
    assert time.monotonic() - started < 20


def test_an_existing_folder_is_no_report_file(tmp_path):
    proc = run_cli("grade", str(EXAMPLE), "--html", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"autograde grade: cannot write --html {tmp_path}: it is a folder"


def test_a_name_too_long_for_the_file_system_is_one_line(tmp_path):
    """An OSError from looking the name up (ENAMETOOLONG) was a traceback with status 1."""
    long_name = tmp_path / ("r" * 300 + ".json")
    proc = run_cli("grade", str(EXAMPLE), "--json", str(long_name))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"autograde grade: cannot write --json {long_name}: File name too long"


def test_a_report_may_not_replace_the_submission_another_report_or_go_to_a_dash(tmp_path):
    """`--json` given the student's own file overwrote their code with the report, exit 0 (probe
    s53); two reports given one path kept the last; `--json -` wrote a file named "-". Each is
    refused before grading, in one line; a new report inside a folder upload is fine."""
    upload = tmp_path / "hw1.py"
    upload.write_text(EXAMPLE.read_text())
    before = upload.read_bytes()
    cases = {("--json", str(upload)): f"cannot write --json {upload}: it is the submission being "
                                      "graded: a report there would replace its code",
             ("--json", str(tmp_path / "r.out"), "--html", str(tmp_path / "r.out")):
                 f"cannot write --html {tmp_path / 'r.out'}: --json writes there too; give each "
                 "report a path of its own",
             ("--json", "-"): "cannot write --json -: '-' would be a file of that name: give a "
                              "file, or /dev/stdout"}
    for args, said in cases.items():
        proc = run_cli("grade", str(upload), *args, env={"AUTOGRADE_CACHE_DIR": "off"})
        assert proc.returncode == 2 and proc.stderr.strip() == f"autograde grade: {said}", proc
    assert upload.read_bytes() == before and not (tmp_path / "-").exists()
    folder = tmp_path / "assignment"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / "submission.py")
    fine = run_cli("grade", str(folder), "--json", str(folder / "report.json"))
    assert fine.returncode == 0 and json.loads((folder / "report.json").read_text())["score"] > 0


def test_a_report_goes_through_a_pipe_or_a_link_and_leaves_it_as_it_was(tmp_path):
    """Reports are written to a new file renamed over the old: given a FIFO (`--json >(jq .)`,
    `--json /dev/stdout` as root), that replaced it with a regular file, which turned root's
    /dev/stdout into one and left the pipe's reader waiting forever; given a link, it replaced
    the link. A pipe or device is written through; a link's file is written, the link kept."""
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    real = tmp_path / "kept" / "real.html"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "report.html"
    link.symlink_to(real)
    read: list[str] = []
    reader = threading.Thread(target=lambda: read.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    proc = run_cli("grade", str(EXAMPLE), "--json", str(fifo), "--html", str(link))
    reader.join(timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(read[0])["score"] == 43
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "<html" in real.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept", "report.fifo", "report.html"]
    dangling = tmp_path / "junit.xml"
    dangling.symlink_to(tmp_path / "kept" / "junit-target.xml")  # to no file yet, as `>` makes
    proc = run_cli("grade", str(EXAMPLE), "--junit", str(dangling))
    assert proc.returncode == 0, proc.stderr
    assert dangling.is_symlink() and "<testsuite" in (tmp_path / "kept" / "junit-target.xml").read_text()


def test_a_reference_named_on_the_command_line_must_be_there(tmp_path):
    """`--reference /nonexistent` graded anyway (exit 0), against the known answers, the
    secret unused, saying only that the reference "lacks" every function."""
    (tmp_path / "notes.txt").write_text("")
    for given, why in ((tmp_path / "missing", "no such folder"),
                       (tmp_path / "notes.txt", "a file, not a folder")):
        proc = run_cli("grade", str(EXAMPLE), "--reference", str(given))
        assert proc.returncode == 2 and proc.stdout == "", proc.stderr
        assert f"--reference {given}: {why}" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("library, suffix", [("numpy", ".py"), ("hypothesis", ".py"),
                                             ("numpy", ".pyc")])
def test_a_students_file_named_as_a_library_on_pythonpath_is_named(tmp_path, library, suffix):
    """`export PYTHONPATH=~/assignment1` with a numpy.py or hypothesis.py of the student's in
    it: the grader's own imports took it, and the run ended in a traceback from deep inside."""
    (tmp_path / f"{library}{suffix}").write_bytes(b"x = 1\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "AUTOGRADE_CACHE_DIR": "off"}
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(EXAMPLE)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.stderr.strip() == (
        f"autograde: cannot start: {tmp_path / library}{suffix} stands in for the library "
        f"{library}: "
        "a file of that name in a folder on PYTHONPATH (or in the current folder, for `python -m "
        "grader`) is imported instead. Rename it, or take its folder out of PYTHONPATH")


@pytest.mark.parametrize("library", ["numpy", "hypothesis"])
def test_a_folder_named_as_a_library_that_breaks_the_start_is_named(tmp_path, library):
    """A package folder (`numpy/__init__.py`) on PYTHONPATH that fails to load: a raw traceback,
    exit 1 (probe s53). Once loading the grader fails, a library found outside the interpreter's
    own folders is named, in one line."""
    (tmp_path / library).mkdir()
    (tmp_path / library / "__init__.py").write_text("raise ImportError('not the real one')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "AUTOGRADE_CACHE_DIR": "off"}
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(EXAMPLE)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.stderr.strip() == (
        f"autograde: cannot start: {tmp_path / library} stands in for the library {library} "
        "(loading it failed: ImportError: not the real one). Rename that folder, or take its "
        "parent out of PYTHONPATH")


def test_a_report_onto_standard_output_is_all_that_goes_there():
    """`--json /dev/stdout | jq .` (the README's own example) failed: the terminal report
    followed the JSON on stdout. It goes to stderr when a report is written to stdout."""
    env = {**os.environ, "AUTOGRADE_CACHE_DIR": "off"}
    env.pop("AUTOGRADE_SECRET", None)
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(EXAMPLE), "--json",
                           "/dev/stdout"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["score"] == 43
    assert "total" in proc.stderr and "43 / 100" in proc.stderr


def test_batch_out_that_cannot_be_written_is_one_line(tmp_path):
    dangling = tmp_path / "grades"
    dangling.symlink_to(tmp_path / "nowhere")  # mkdir refused it: a FileExistsError traceback
    proc = run_cli("batch", str(ROOT / "examples"), "--out", str(dangling))
    assert proc.returncode == 2 and proc.stderr.strip() == (
        f"autograde batch: cannot write --out {dangling}: it is a link to {tmp_path / 'nowhere'}, "
        "which does not exist")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for out in (blocker, blocker / "grades"):
        proc = run_cli("batch", str(ROOT / "examples"), "--out", str(out))
        assert proc.returncode == 2
        line, = proc.stderr.strip().splitlines()
        assert line.startswith(f"autograde batch: cannot write --out {out}: ")


@pytest.mark.parametrize("command", ["grade", "batch", "gradescope", "gradescope-zip",
                                     "student-release"])
def test_every_command_a_pipeline_runs_says_its_exit_statuses_in_its_help(command):
    """gradescope, gradescope-zip and student-release had neither a description nor an exit
    status line in --help, where the README documents them: an LMS script's author reads --help."""
    proc = run_cli(command, "--help")
    assert proc.returncode == 0, proc.stderr
    said = " ".join(proc.stdout.split())
    assert "exit status" in said and "2 " in said, said[-400:]


def test_a_terminal_that_cannot_show_a_character_gets_a_question_mark_not_a_crash(tmp_path):
    """Standard output in cp1252 (Windows, redirected): a sigma in what a submission raised made
    the terminal report a UnicodeEncodeError, exit 70 (probe s53)."""
    upload = tmp_path / "hw1.py"
    upload.write_text('def sigmoid(x):\n    raise ValueError("\u03c3 is not ready")\n',
                      encoding="utf-8")
    proc = run_cli("grade", str(upload), "--only", "sigmoid",
                   env={"PYTHONIOENCODING": "cp1252", "AUTOGRADE_CACHE_DIR": "off"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "raised ValueError: ? is not ready" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
