"""The trust boundary: student code that hangs, crashes or hogs resources costs its own points
and no more, and the grader always produces a report."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import (ALLOW_ROOT_WORKERS, FIXTURES, ROOT, ROOT_WORKERS_HERE, by_function,
                      grade)
from grader.isolation import bwrap_problem

SIGMOID_ONLY = '''
import numpy as np

def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))
'''


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def test_hang_at_import_costs_one_deadline(tmp_path):
    started = time.monotonic()
    report = grade(FIXTURES / "hang_at_import.py", tmp_path, "--import-timeout", "2")
    elapsed = time.monotonic() - started
    assert report["score"] == 0
    assert "did not finish within 2 s" in report["error"]
    assert all("did not finish within 2 s" in c["message"] for c in report["checks"])
    assert report["timings"]["worker_starts"] == 1
    assert elapsed < 30  # 39 checks at one deadline each would take well over a minute
    # One file is the whole upload: nothing is left out of it and imported again.
    assert "left out" not in report["error"]


def _multifile_ending(tmp_path: Path, name: str, endings: dict[str, str]) -> Path:
    """The correct four-file upload, with `endings` (by file) run at the end of its top level,
    as a student's own tests left outside the main guard are."""
    folder = tmp_path / name
    shutil.copytree(FIXTURES / "correct_multifile", folder)
    for file, ending in endings.items():
        path = folder / file
        path.write_text(path.read_text() + ending)
    return folder


def _line_of(folder: Path, file: str, code: str) -> int:
    return (folder / file).read_text().splitlines().index(code) + 1


def test_a_hang_at_the_top_of_one_file_of_several_costs_what_a_raise_costs(tmp_path):
    """Probe s59: q2_sigmoid.py ending in a sleep cost the whole upload (softmax too, in
    q1_softmax.py, which never imports it), while the same file ending in SystemExit cost
    sigmoid's file and what uses it. The hanging file is left out and the rest imported again:
    the two grade alike, and the hang costs one more import deadline."""
    hanging = _multifile_ending(tmp_path, "hanging", {
        "q2_sigmoid.py": "\ntest_sigmoid_basic()\nimport time\ntime.sleep(3600)\n"})
    raising = _multifile_ending(tmp_path, "raising", {
        "q2_sigmoid.py": '\ntest_sigmoid_basic()\nraise SystemExit("done testing")\n'})
    started = time.monotonic()
    hang = grade(hanging, tmp_path / "out_hang", "--import-timeout", "2")
    elapsed = time.monotonic() - started
    exits = grade(raising, tmp_path / "out_raise", "--import-timeout", "2")
    scores = {fn["name"]: fn["score"] for fn in hang["functions"]}
    assert scores == {fn["name"]: fn["score"] for fn in exits["functions"]}
    assert by_function(hang)["softmax"]["score"] == by_function(hang)["softmax"]["max_score"] > 0
    assert scores["sigmoid"] == scores["sigmoid_grad"] == 0
    assert hang["error"] == exits["error"] == ""
    line = _line_of(hanging, "q2_sigmoid.py", "time.sleep(3600)")
    for check in hang["checks"]:
        if check["function"] in ("sigmoid", "sigmoid_grad"):
            assert check["message"].startswith(
                f"{check['function']} could not be loaded: TimeoutError in q2_sigmoid.py, line "
                f"{line}: importing q2_sigmoid.py did not finish within 2 s: this line was still "
                "running when the grader stopped it"), check["message"]
            assert check["message"].endswith("\n    time.sleep(3600)"), check["message"]
        elif check["function"] == "forward_backward_prop":  # q2_neural.py imports sigmoid
            assert check["status"] != "passed"
            assert (f"q2_sigmoid.py could not be imported (TimeoutError in q2_sigmoid.py, line "
                    f"{line})") in check["message"], check["message"]
    assert any(w.startswith("q2_sigmoid.py could not be imported: TimeoutError") and
               "keep tests and experiments under" in w for w in hang["warnings"])
    # One deadline for the import that hung, then one import without the file; no more.
    assert hang["timings"]["worker_starts"] == 2
    assert exits["timings"]["worker_starts"] == 1
    assert elapsed < 45


def test_hangs_in_more_files_than_are_left_out_still_cost_the_upload(tmp_path):
    """At most two files are left out, one import deadline each: a third hang stops the
    grading as a hang always did, and the message names the files left out before it."""
    endless = "\nwhile True:\n    pass\n"
    upload = _multifile_ending(tmp_path, "three_hangs", {
        file: endless for file in ("q2_sigmoid.py", "q2_neural.py", "q3_word2vec.py")})
    started = time.monotonic()
    report = grade(upload, tmp_path / "out", "--import-timeout", "1")
    elapsed = time.monotonic() - started
    assert report["score"] == 0
    assert report["timings"]["worker_starts"] == 3
    sigmoid, neural, word2vec = (_line_of(upload, file, "while True:") for file in (
        "q2_sigmoid.py", "q2_neural.py", "q3_word2vec.py"))
    assert report["error"].startswith(
        f"Importing your submission did not finish within 1 s: q3_word2vec.py, line {word2vec} "
        "(`while True:`) was still running"), report["error"]
    assert report["error"].endswith(
        f"; q2_sigmoid.py (line {sigmoid}) and q2_neural.py (line {neural}) had been left out "
        "already, their imports stopped the same way. Nothing could be graded."), report["error"]
    assert all(c["message"] == report["error"] for c in report["checks"])
    assert elapsed < 45


def test_a_hang_beside_files_that_write_no_graded_function_costs_one_deadline(tmp_path):
    """A whole hw1.py that hangs at its top level beside a train.py that writes none of the
    graded functions: leaving hw1.py out cannot grade anything, so it is not left out (recheck
    probe s59: three deadlines, then "the rest of your submission graded without it" beside
    "nothing could be graded")."""
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "hw1.py").write_text((FIXTURES / "correct_summed.py").read_text()
                                   + "\nwhile True:\n    pass\n")
    (upload / "train.py").write_text("from hw1 import *\n\n\ndef train(steps):\n"
                                     "    return [softmax(x) for x in steps]\n")
    report = grade(upload, tmp_path / "out", "--import-timeout", "1")
    assert report["score"] == 0
    assert report["timings"]["worker_starts"] == 1, report["timings"]
    assert "graded without it" not in report["error"], report["error"]
    assert report["error"].startswith("Importing your submission did not finish within 1 s: "
                                      "hw1.py"), report["error"]


def test_an_import_deadline_past_a_checks_backstop_still_costs_one_deadline(tmp_path):
    """The CBOW course's advice, --import-timeout 60, is past the backstop pytest-timeout puts on
    one check (twice the check's deadline plus 30 s): the first check was stopped mid-import, and
    each later check started the import again and was stopped the same way (42 checks, 35 min)."""
    report = grade(FIXTURES / "hang_at_import.py", tmp_path, "--check-timeout", "0.1",
                   "--import-timeout", "31")  # a backstop of 30.2 s once, then 61.2 s
    assert report["score"] == 0
    assert report["timings"]["worker_starts"] == 1
    assert all("did not finish within 31 s" in c["message"] for c in report["checks"])
    assert not any("grader problem" in w for w in report["warnings"])


def test_memory_bomb_is_a_memory_error_not_a_dead_grader(tmp_path):
    sub = write(tmp_path, "bomb.py", SIGMOID_ONLY + '''
def softmax(x):
    hog = np.ones((2 ** 31,))  # 16 GiB, over the worker's address-space limit
    return hog
''')
    report = grade(sub, tmp_path / "out")
    fns = by_function(report)
    assert fns["softmax"]["score"] == 0
    assert fns["sigmoid"]["score"] == fns["sigmoid"]["max_score"]
    assert any("MemoryError" in c["message"] for c in report["checks"] if c["function"] == "softmax")
    assert report["isolation"]["limits"]["address_space"] > 0


def test_whole_submission_deadline_stops_a_slow_submission(tmp_path):
    sub = write(tmp_path, "slow.py", SIGMOID_ONLY + '''
import time

def softmax(x):
    time.sleep(0.5)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
''')
    started = time.monotonic()
    report = grade(sub, tmp_path / "out", "--submission-timeout", "4")
    assert time.monotonic() - started < 60
    statuses = {c["status"] for c in report["checks"] if c["function"] == "softmax"}
    assert "timeout" in statuses
    assert any("used up its 4 s" in c["message"] for c in report["checks"])


def test_a_worker_slow_at_every_check_still_ends_at_the_submission_deadline(tmp_path):
    """The submission's deadline was looked at only as a call began: a worker that took its time
    at every check's start or end (here each fork sleeps 8 s before it answers) cost every later
    check that time again, or a fresh worker and its deadline, and a grade ran past 400 s
    against a deadline of 300 (probe s61: os._exit replaced). No wait lasts past the deadline,
    and no check begins after it."""
    sub = write(tmp_path, "slow_forks.py", SIGMOID_ONLY + """
import os, time
os.register_at_fork(after_in_child=lambda: time.sleep(8))
""")
    started = time.monotonic()
    report = grade(sub, tmp_path / "out", "--only", "sigmoid", "--submission-timeout", "5")
    assert time.monotonic() - started < 25  # 5 checks at 8 s each took over 40
    checks = report["checks"]
    assert checks and all(c["status"] == "timeout" for c in checks), checks
    assert all(c["message"] == "sigmoid stopped: the submission used up its 5 s in total; the "
               "remaining checks were not run." for c in checks), [c["message"] for c in checks]


def test_string_hashes_and_draws_at_import_are_the_same_in_every_grade(tmp_path):
    """The worker ran with -I, which ignores the PYTHONHASHSEED=0 its environment holds: a set of
    strings' order, and an answer that followed it, changed from grade to grade, while the
    environment the submission saw claimed the seed was 0; and nothing seeded the random
    generators before the import (probe s61)."""
    sub = write(tmp_path, "ordered.py", SIGMOID_ONLY.replace("1.0 / (1.0", "_scale / (1.0") + """
import os, random
_order = list({"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"})
_scale = 1.0 if _order[0] == "alpha" else 1.01
print("hash", hash("a"), os.environ.get("PYTHONHASHSEED"))
print("draws", random.random(), np.random.rand())
print("order", _order)
""")
    seeded = subprocess.run([sys.executable, "-c", "print(hash('a'))"], capture_output=True,
                            text=True, env={**os.environ, "PYTHONHASHSEED": "0"}, check=True)
    first = grade(sub, tmp_path / "one", "--only", "sigmoid")
    second = grade(sub, tmp_path / "two", "--only", "sigmoid")
    assert first["import_output"] == second["import_output"], (first["import_output"],
                                                               second["import_output"])
    assert f"hash {seeded.stdout.strip()} 0\n" in first["import_output"]
    assert [c["status"] for c in first["checks"]] == [c["status"] for c in second["checks"]]


def test_monkeypatching_numpy_in_one_check_does_not_leak_into_others(tmp_path):
    sub = write(tmp_path, "patcher.py", SIGMOID_ONLY + '''
def softmax(x):
    np.exp = lambda z: z * 0  # sabotage every later user of np.exp in this process
    return x
''')
    report = grade(sub, tmp_path / "out")
    fns = by_function(report)
    assert fns["softmax"]["score"] == 0
    assert fns["sigmoid"]["score"] == fns["sigmoid"]["max_score"]


def test_spawn_path_without_fork_grades_the_same(tmp_path):
    forked = grade(FIXTURES / "correct_multifile", tmp_path / "fork")
    spawned = grade(FIXTURES / "correct_multifile", tmp_path / "spawn", "--no-fork")
    assert spawned["score"] == forked["score"] == 100
    assert [c["status"] for c in spawned["checks"]] == [c["status"] for c in forked["checks"]]
    assert any("fork" in u for u in spawned["isolation"]["unavailable"])
    assert spawned["isolation"]["fork_per_check"] is False


def test_output_is_bounded_and_marked_as_cut(tmp_path):
    sub = write(tmp_path, "chatty.py", '''
import numpy as np
print("hello from import")

def sigmoid(x):
    print("z" * 1_000_000)
    return 1.0 / (1.0 + np.exp(-x))
''')
    report = grade(sub, tmp_path / "out")
    assert by_function(report)["sigmoid"]["score"] == by_function(report)["sigmoid"]["max_score"]
    outputs = [c["output"] for c in report["checks"] if c["function"] == "sigmoid"]
    assert all(len(o) < 10_000 for o in outputs)
    assert any("not shown" in o or "output cut" in o for o in outputs)
    assert report["import_output"].strip() == "hello from import"


def test_a_numpy_warning_names_numpy_not_where_the_grader_installed_it(tmp_path):
    """A warning raised inside numpy's own code says so: "numpy: RuntimeWarning: ...", never the
    grader's machine's site-packages (a path the report's sandbox line says the worker has no
    view of), nor numpy's file, line and code, which change with its version (fromnumeric.py:83
    on numpy 2.4, :86 on 2.2, numpy/core/ on 1.x: the same upload's report differed)."""
    import numpy
    sub = write(tmp_path, "overflows.py", '''
import numpy as np

def softmax(x):
    np.sum(np.full(3, 3e38, dtype=np.float32))  # overflows inside numpy's reduce
    return np.exp(x)
''')
    report = grade(sub, tmp_path / "out", "--only", "softmax")
    printed = "".join(c["output"] for c in report["checks"])
    assert "numpy: RuntimeWarning: overflow" in printed, printed
    assert "fromnumeric" not in printed and "ufunc.reduce" not in printed, printed
    assert str(Path(numpy.__file__).parents[1]) not in printed


def test_student_exception_shows_student_frames_only(tmp_path):
    sub = write(tmp_path, "raiser.py", SIGMOID_ONLY + '''
def helper(x):
    return x.nosuchattribute

def softmax(x):
    return helper(x)
''')
    report = grade(sub, tmp_path / "out")
    message = next(c["message"] for c in report["checks"] if c["function"] == "softmax")
    assert "AttributeError" in message
    assert "raiser.py, line 11, in softmax" in message and "raiser.py, line 8, in helper" in message
    assert "grader" not in message and "site-packages" not in message


def test_a_check_whose_code_closes_the_workers_pipes_is_told_so_and_costs_only_its_function(
        tmp_path):
    """Code that closes every descriptor it did not open cuts its check's fork off from the
    grader: the fork's answers cannot be sent. The check says what probably happened, not that
    the code called exit, and the other functions, graded by other forks, keep their points."""
    sub = write(tmp_path, "closer.py", SIGMOID_ONLY + '''
import os

def softmax(x):
    os.closerange(3, 4096)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
''')
    report = grade(sub, tmp_path / "out")
    fns = by_function(report)
    assert fns["softmax"]["score"] == 0
    assert fns["sigmoid"]["score"] == fns["sigmoid"]["max_score"]
    messages = [c["message"] for c in report["checks"] if c["function"] == "softmax"]
    assert messages and all(
        "softmax could no longer reach the grader (exit status 121: does your code close or "
        "replace file descriptors it did not open, with os.close, os.closerange or os.dup2?)" in m
        for m in messages), messages


@pytest.mark.parametrize("how", [
    "os.closerange(3, 4096)",
    "fd = os.open(os.devnull, os.O_WRONLY)\nfor i in range(3, 64):\n    try:\n"
    "        os.dup2(fd, i)\n    except OSError:\n        pass",
], ids=["closed", "replaced"])
def test_a_submission_that_cuts_the_workers_pipes_at_import_is_told_so_without_a_traceback(
        tmp_path, how):
    """The worker's own reply then fails. Its traceback is the grader's, never shown: the report
    says what the submission probably did, and nothing else."""
    sub = write(tmp_path, "cutter.py", SIGMOID_ONLY + "\nimport os\n" + how + "\n")
    report = grade(sub, tmp_path / "out")
    assert report["score"] == 0
    assert report["error"] == (
        "Importing your submission could no longer reach the grader (exit status 121: does your "
        "code close or replace file descriptors it did not open, with os.close, os.closerange or "
        "os.dup2?); nothing could be graded.")
    shown = report["_terminal"] + report["_stderr"] + "".join(c["message"] for c in report["checks"])
    assert "Traceback" not in shown and "main.py" not in shown and "autograde/worker" not in shown


BROKE = ("broke the grader's worker (exit status 122: does your code replace functions of Python "
         "or numpy that the worker uses too, such as random.seed or json.dumps, or use up the "
         "memory? If not, please tell your instructor)")


def test_a_submission_that_breaks_what_the_worker_uses_is_told_so_not_that_it_called_exit(
        tmp_path):
    """Replacing random.seed at import breaks the worker's own reseeding before every call, and
    replacing gc.freeze its start: the submission's doing, and the report says what it probably
    did, with no traceback of the worker's."""
    seeds = write(tmp_path, "seeds.py", SIGMOID_ONLY + "\nimport random\nrandom.seed = None\n")
    freezes = write(tmp_path, "freezes.py", SIGMOID_ONLY + "\nimport gc\ngc.freeze = None\n")
    report = grade(seeds, tmp_path / "seeds")
    messages = [c["message"] for c in report["checks"] if c["function"] == "sigmoid"]
    assert messages and all(m == f"sigmoid {BROKE}." or m.startswith(f"sigmoid {BROKE}")
                            for m in messages), messages
    report = grade(freezes, tmp_path / "freezes")
    assert report["error"] == f"Importing your submission {BROKE}; nothing could be graded."
    assert "Traceback" not in report["_terminal"] + report["_stderr"] + report["error"]


@pytest.mark.parametrize("replaced", [
    "os._exit = lambda code=0: None",
    "os.fork = lambda: 0",
    "os.waitpid = lambda pid, options: (pid, 0)",
    "time.monotonic = lambda: 0.0",
], ids=["_exit", "fork", "waitpid", "monotonic"])
def test_a_submission_that_replaces_what_the_worker_calls_in_os_scores_what_its_code_earns(
        tmp_path, replaced):
    """The worker called os._exit, os.fork, os.waitpid and time.monotonic through their modules,
    so a submission's replacement at import reached it: a check's fork whose os._exit returned
    went on reading the worker's pipe beside its parent, and a correct upload's grade ran past
    every deadline with no report (probe s61); a fork that returned 0 ended the worker at every
    check's end. The worker keeps its own copies: the submission's code is graded, in one
    worker."""
    sub = write(tmp_path, "tamper.py", SIGMOID_ONLY + "\nimport os, time\n" + replaced + "\n")
    started = time.monotonic()
    report = grade(sub, tmp_path / "out", "--only", "sigmoid", "--submission-timeout", "60")
    assert time.monotonic() - started < 60
    sigmoid = by_function(report)["sigmoid"]
    assert sigmoid["score"] == sigmoid["max_score"] > 0, report["checks"]
    assert report["error"] == ""
    assert report["timings"]["worker_starts"] == 1
    # Stamped by the worker's own clock: a stopped clock made the import take -0.2 s.
    assert report["timings"]["import_seconds"] > 0


def test_a_submission_that_replaces_sys_settrace_still_has_its_lines_counted(tmp_path):
    """The check that a softmax is vectorised counts the lines a call runs with sys.settrace;
    replaced by a no-op at import, it counted none, and a softmax looping over the rows read as
    vectorised."""
    from test_vectorized_softmax import LOOPING_UPLOAD_SOFTMAX
    sub = write(tmp_path, "untraced.py", SIGMOID_ONLY + """
import sys
sys.settrace = lambda tracer: None

""" + LOOPING_UPLOAD_SOFTMAX)
    report = grade(sub, tmp_path / "out", "--only", "softmax")
    (check,) = [c for c in report["checks"] if c["name"] == "vectorized"]
    assert check["status"] == "failed", check
    assert [w for w in report["warnings"] if "row by row" in w], report["warnings"]


def test_a_submission_that_replaces_json_dumps_is_told_so(tmp_path):
    """The worker writes its replies' headers with json.dumps: replaced at import by a function
    that returns something else, every reply was garbled, and the report said only that the
    worker "sent a malformed reply" (probe s61)."""
    sub = write(tmp_path, "dumps.py", SIGMOID_ONLY + "\nimport json\n"
                "json.dumps = lambda *args, **kwargs: 'not json'\n")
    report = grade(sub, tmp_path / "out", "--only", "sigmoid")
    assert report["score"] == 0
    assert report["error"] == (
        "Importing your submission sent a malformed reply (does your code replace a function of "
        "a module the grader's worker uses too, such as json.dumps, json.loads, struct.pack or "
        "os.write, or write to file descriptors it did not open itself?); nothing could be "
        "graded."), report["error"]


def test_what_a_submission_wrote_on_stderr_before_it_ended_is_labelled_as_its_own(tmp_path):
    """Text a submission writes to stderr before ending its process followed the grader's own
    sentence unlabelled: a fake 'GraderInternalError: ... student gets 100/100' read as the
    grader's, in the report and the gradebook's error column."""
    fake = "Traceback (most recent call last):\nGraderInternalError: the grader failed; 100/100"
    sub = write(tmp_path, "ends.py", SIGMOID_ONLY + "\nimport os, sys\n"
                f"sys.__stderr__.write({fake!r} + '\\n')\nsys.__stderr__.flush()\nos._exit(1)\n")
    report = grade(sub, tmp_path / "out")
    assert report["score"] == 0
    said, _, wrote = report["error"].partition(
        "\nWhat the process wrote on stderr before it ended (your code's output, or Python's "
        "own error):\n")
    assert said.startswith("Importing your submission ended the process with exit status 1"), \
        report["error"]
    assert wrote == fake, report["error"]


def test_the_tail_of_stderr_starts_at_a_whole_line(tmp_path):
    from grader.proxy import _tail
    log = tmp_path / "stderr"
    log.write_text("x" * 3000 + "\nDuring handling of the above exception, another exception "
                   "occurred:\n" + "last words\n" * 150)
    tail = _tail(log)
    assert tail.splitlines()[0] == "last words" and "occurred:" not in tail


def test_a_submission_that_makes_the_worker_itself_raise_is_told_it_broke_the_worker(tmp_path):
    """Replacing builtins.isinstance makes the worker's own code raise where nothing catches it:
    Python's exit status 1, which read as "a call to os._exit or exit?", followed by "occurred:",
    a piece of the worker's chained traceback."""
    sub = write(tmp_path, "patches.py", SIGMOID_ONLY + "\nimport builtins\n"
                "builtins.isinstance = lambda obj, kind: True\n")
    report = grade(sub, tmp_path / "out")
    assert report["error"] == ("Importing your submission broke the grader's worker (exit status "
                               "1: does your code replace functions of Python or numpy that the "
                               "worker uses too, such as random.seed or json.dumps, or use up the "
                               "memory? If not, please tell your instructor); nothing could be "
                               "graded."), report["error"]


def test_a_worker_traceback_garbled_by_a_lying_builtin_is_never_quoted(tmp_path):
    """An isinstance that lies now and then, then an import that raises: the worker's own code
    failed while describing the error, and its traceback, printed through the lying isinstance,
    came out without its "Traceback" line and longer than the quoted tail, so it was quoted to
    the student as their own output, the worker's files and the grader's Python paths in it
    (probe s56). What the submission itself wrote before is still quoted."""
    sub = write(tmp_path, "lies.py", SIGMOID_ONLY + "\nimport builtins, sys\n"
                "sys.__stderr__.write('my own words\\n'); sys.__stderr__.flush()\n"
                "_real, _n = builtins.isinstance, [0]\n"
                "def _lie(obj, cls):\n    _n[0] += 1\n"
                "    return True if _n[0] % 7 == 0 else _real(obj, cls)\n"
                "builtins.isinstance = _lie\nraise ValueError('after the lie')\n")
    report = grade(sub, tmp_path / "out", "--only", "sigmoid")
    assert report["error"].startswith(f"Importing your submission {BROKE}; nothing could be "
                                      "graded."), report["error"]
    assert report["error"].endswith("\nmy own words"), report["error"]
    shown = report["_terminal"] + report["_stderr"] + report["error"]
    assert not [w for w in ('File "', "Traceback", "loader.py", "main.py", "autograde/worker",
                            "python3.", "TypeError") if w in shown], shown
    # ... nor when the submission also replaced os.write, through which the worker writes the
    # mark (recheck probe, s56).
    sub.write_text(sub.read_text().replace(
        "builtins.isinstance = _lie",
        "import os\n_w = os.write\nos.write = lambda fd, data: len(data) if fd == 2 and "
        "b'autograde' in bytes(data) else _w(fd, data)\nbuiltins.isinstance = _lie"))
    report = grade(sub, tmp_path / "out2", "--only", "sigmoid")
    shown = report["_terminal"] + report["_stderr"] + report["error"]
    assert report["error"].startswith(f"Importing your submission {BROKE}"), report["error"]
    assert not [w for w in ('File "', "Traceback", "loader.py", "main.py", "autograde/worker",
                            "python3.", "TypeError") if w in shown], shown


def test_the_workers_own_tracebacks_are_left_out_of_what_it_wrote():
    from grader import isolation
    from grader.proxy import _without_worker_tracebacks

    worker = (f'Traceback (most recent call last):\n  File "{isolation.SANDBOX_WORKER_DIR}/main.py", '
              'line 350, in <module>\n    main()\nOSError: [Errno 9] Bad file descriptor')
    students = ('Traceback (most recent call last):\n  File "/sandbox/submission/hw.py", line 3, in '
                'run\n    go()\nValueError: their own thread')
    text = "\n".join(["printed from C", worker,
                      "During handling of the above exception, another exception occurred:",
                      students, "Fatal Python error: Aborted"])
    assert _without_worker_tracebacks(text) == "\n".join(
        ["printed from C", students, "Fatal Python error: Aborted"])
    local = worker.replace(isolation.SANDBOX_WORKER_DIR, str(isolation.WORKER_DIR))
    assert _without_worker_tracebacks(local) == ""


def test_a_function_that_terminates_itself_is_not_said_to_be_stopped_from_outside(tmp_path):
    sub = write(tmp_path, "terminated.py", SIGMOID_ONLY + '''
import os
import signal

def softmax(x):
    os.kill(os.getpid(), signal.SIGTERM)
''')
    report = grade(sub, tmp_path / "out", "--only", "softmax")
    messages = {c["message"] for c in report["checks"]}
    assert messages and all("was stopped by SIGTERM: sent by your code (os.kill, os.killpg) or "
                            "from outside" in m for m in messages), messages


@pytest.mark.parametrize("mode", ["process", "sandbox"])
def test_a_worker_killed_by_a_signal_is_described_as_killed(tmp_path, mode):
    """A worker that dies of SIGKILL (the kernel's OOM killer, or a stop from outside) is not a
    call to exit: under bubblewrap it shows as exit status 137 (128 + 9), as from a shell."""
    if mode == "sandbox" and bwrap_problem() is not None:
        pytest.skip(f"the sandbox cannot run here: {bwrap_problem()}")
    sub = write(tmp_path, "killed.py", SIGMOID_ONLY + '''
import os
import signal

def softmax(x):
    os.kill(os.getpid(), signal.SIGKILL)
''')
    report = grade(sub, tmp_path / "out", "--no-fork", "--isolation", mode)
    assert report["isolation"]["mode"] == mode
    fns = by_function(report)
    assert fns["softmax"]["score"] == 0
    assert fns["sigmoid"]["score"] == fns["sigmoid"]["max_score"]
    messages = [c["message"] for c in report["checks"] if c["function"] == "softmax"]
    assert messages and all("was killed by SIGKILL (signal 9): out of memory, or stopped from "
                            "outside" in m for m in messages), messages
    assert not any("exit status" in m or "os._exit" in m for m in messages)


def test_a_detached_child_holding_the_pipe_neither_hangs_nor_survives_a_grade(tmp_path):
    """`autograde grade` (not only batch) ends within its deadlines in process isolation, where no
    PID namespace kills the child for us; before the fix it waited as long as the child lived."""
    from fixtures.attacks import ATTACKS, materialize
    from test_attacks import survivors

    mark = "m" + os.urandom(3).hex()
    for name in ("detached_holds_reply_pipe", "kill_worker_keep_pipe"):
        attack = next(a for a in ATTACKS if a.name == name)
        started = time.monotonic()
        report = grade(materialize(attack, tmp_path / "up", mark=mark), tmp_path / name,
                       "--isolation", "process", "--call-timeout", "1", "--check-timeout", "2")
        assert time.monotonic() - started < 60
        assert by_function(report)[attack.functions[0]]["score"] == 0
        assert report["score"] > 0
        assert survivors(mark) == []


@pytest.mark.parametrize("mode", ["process", "sandbox"])
def test_a_worker_ends_by_itself_when_the_grade_is_done(tmp_path, mode):
    """Told to quit, the worker ends on its own and is collected by its parent, sandbox
    included: nothing is left for the grader to kill, and the worker's CPU time reaches the
    grader's process tree (a killed sandbox's never did, so a batch's CPU-seconds missed it)."""
    if mode == "sandbox" and bwrap_problem() is not None:
        pytest.skip(f"the sandbox cannot run here: {bwrap_problem()}")
    from grader.packs import DEFAULT_PACK, load_pack
    from grader.proxy import Submission

    submission = Submission(FIXTURES / "correct_summed.py", load_pack(DEFAULT_PACK).homes,
                            isolation_mode=mode)
    before = os.times()
    try:
        submission.begin_check("check", "sigmoid")
        assert submission.call("sigmoid", 0.0).value == 0.5
        submission.end_check()
        process = submission._proc
    finally:
        submission.close()
    after = os.times()
    assert process.exited
    worker_cpu = (after.children_user + after.children_system
                  - before.children_user - before.children_system)
    assert worker_cpu > 0.05  # Python and numpy starting, at the least


def test_the_workers_modules_are_compiled_once_where_bytecode_may_be_written(tmp_path):
    """An editable install never compiles grader/worker, and the worker cannot (read-only in the
    sandbox): the grader does, as a wheel's installer would, unless told not to write bytecode."""
    from grader.isolation import WORKER_DIR
    folder = tmp_path / "worker"
    shutil.copytree(WORKER_DIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    script = ("import sys; from pathlib import Path; from grader.isolation import ensure_bytecode; "
              f"ensure_bytecode(Path({str(folder)!r}))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-B", "-c", script], check=True, env=env, cwd=ROOT)
    assert not (folder / "__pycache__").exists()  # -B: told not to write bytecode
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=ROOT)
    compiled = {p.name.split(".")[0] for p in (folder / "__pycache__").iterdir()}
    assert {p.stem for p in folder.glob("*.py")} <= compiled
    assert {"loader", "wire", "python2_source"} <= compiled
    stamps = {p: p.stat().st_mtime_ns for p in (folder / "__pycache__").iterdir()}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=ROOT)
    assert stamps == {p: p.stat().st_mtime_ns for p in (folder / "__pycache__").iterdir()}


def test_the_sandbox_probe_binds_only_what_a_worker_sees_and_survives_a_passing_failure(monkeypatch):
    """The probe once bound all of `/`: every mount point of the machine remounted, and another
    grade's scratch coming or going meanwhile failed it, which dropped that grade to process
    isolation (as root). It binds the system folders the worker sees, and one failed try that the
    next one contradicts is not taken as the machine's answer."""
    from grader import isolation

    if not sys.platform.startswith("linux") or shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is Linux-only and not installed here")
    calls: list[list[str]] = []
    real_run = subprocess.run

    def flaky_run(argv, **kwargs):
        calls.append(list(argv))
        if len(calls) == 1:
            return subprocess.CompletedProcess(argv, 1, b"", b"bwrap: Can't bind mount /oldroot/")
        return real_run(argv, **kwargs)

    monkeypatch.setattr(isolation.subprocess, "run", flaky_run)
    isolation.bwrap_problem.cache_clear()
    try:
        assert isolation.bwrap_problem() is None
    finally:
        isolation.bwrap_problem.cache_clear()
    assert len(calls) == 2
    pairs = list(zip(calls[0], calls[0][1:], calls[0][2:]))
    assert ("--ro-bind", "/", "/") not in pairs
    assert "/usr" in calls[0]


def test_a_fresh_worker_that_fails_to_import_costs_the_checks_after_it_only(tmp_path):
    """The first import works; a check kills its worker, and the next worker's import hangs: the
    report is no "nothing could be graded", and the checks it could not run say why."""
    flag = tmp_path / "imported-once"
    path = tmp_path / "second_import_hangs.py"
    path.write_text((FIXTURES / "correct_summed.py").read_text() + textwrap.dedent(f"""
        import os, signal
        if os.path.exists({str(flag)!r}):
            while True:
                pass
        open({str(flag)!r}, "w").close()

        def sigmoid_grad(s):
            os.kill(os.getppid(), signal.SIGKILL)  # the worker this check was forked from
        """))
    report = grade(path, tmp_path / "out", "--isolation", "process", "--import-timeout", "2")
    assert report["error"] == "", report["error"]
    assert by_function(report)["sigmoid"]["score"] == 10
    later = [c["message"] for c in report["checks"]
             if c["function"] in ("softmax", "negSamplingCostAndGradient")]
    assert later and all("Importing your submission again, for a fresh worker, did not finish "
                         "within 2 s" in m and "The checks still to run could not be." in m
                         for m in later), later


def test_what_keeps_the_interpreter_from_other_users_is_named_where_it_is(tmp_path):
    """A venv's python3 is a world-readable link into a private home (/root/.pyenv/...): the
    report named the link as unreadable, and a user checking it found nothing wrong."""
    import tempfile
    from grader.isolation import _unreadable_by_others
    base = Path(tempfile.mkdtemp())  # pytest's own folders are private to their user
    base.chmod(0o755)
    if _unreadable_by_others(base) is not None:
        pytest.skip(f"the temporary folder is private here ({_unreadable_by_others(base)})")
    tmp_path = base
    private = tmp_path / "home"
    (private / "bin").mkdir(parents=True)
    target = private / "bin" / "python3.11"
    target.write_text("")
    target.chmod(0o755)
    private.chmod(0o700)
    link = tmp_path / "venv-python3"
    link.symlink_to(target)
    try:
        assert _unreadable_by_others(link) == f"{private} is drwx------"
        private.chmod(0o755)
        assert _unreadable_by_others(link) is None
        target.chmod(0o700)
        assert _unreadable_by_others(link) == f"{target} is -rwx------"
    finally:
        private.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap to stand in front of")
def test_a_sandbox_that_refuses_one_of_the_workers_namespaces_is_no_sandbox(tmp_path):
    """A container allowing pid and net namespaces but not IPC passed the probe (pid and net
    only), and every worker then died at its start: correct uploads 0, "a call to os._exit?".
    The probe asks for every namespace the worker's launch does."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text(
        '#!/bin/sh\ncase " $* " in *" --unshare-ipc "*) '
        'echo "bwrap: unshare failed: Operation not permitted" >&2; exit 1;; esac\n'
        f'exec {shutil.which("bwrap")} "$@"\n')
    (fake / "bwrap").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "AUTOGRADE_CACHE_DIR": "off"}
    env.pop("AUTOGRADE_SECRET", None)
    refused = subprocess.run([sys.executable, "-m", "grader", "grade",
                              str(FIXTURES / "correct_summed.py"), "--isolation", "sandbox"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2, refused.stdout[-2000:]
    assert "bwrap: unshare failed: Operation not permitted" in refused.stderr
    fallback = subprocess.run([sys.executable, "-m", "grader", "grade",
                               str(FIXTURES / "correct_summed.py"), *ALLOW_ROOT_WORKERS],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert fallback.returncode == 0 and "total                         100 / 100" in fallback.stdout
    assert "NO sandbox" in fallback.stdout


def test_the_submission_loads_and_runs_with_the_garbage_collector_on(tmp_path):
    """The worker loads numpy with the collector off (grader/worker/main.py); a submission that
    builds cyclic garbage while it loads or in its calls (a notebook's training loop) must find
    it on, or its memory grows without bound."""
    from grader.packs import DEFAULT_PACK, load_pack
    from grader.proxy import Submission

    path = write(tmp_path, "sub.py", """
        import gc
        AT_IMPORT = gc.isenabled()

        def sigmoid(x):
            return [float(AT_IMPORT), float(gc.isenabled())]
    """)
    submission = Submission(path, load_pack(DEFAULT_PACK).homes, isolation_mode="process")
    try:
        submission.begin_check("check", "sigmoid")
        assert submission.call("sigmoid", 0.0).value == [1.0, 1.0]
        submission.end_check()
    finally:
        submission.close()


def test_an_answer_too_large_is_that_calls_error_and_the_calls_before_it_are_answered(tmp_path):
    """The worker bounds an answer's arrays before copying them, call by call: the call whose
    answer passes 256 MiB gets an error that says what it returned (its bytes, dtype and
    shape), the calls of the same request before it keep their answers. (The whole request's
    answers were once refused together, "message of 400000302 bytes is over the 268435456-byte
    limit", after the worker had touched 1.2 GB copying them.)"""
    from grader.packs import DEFAULT_PACK, load_pack
    from grader.proxy import StudentError, Submission

    path = tmp_path / "huge.py"
    path.write_text("import numpy as np\n\ndef sigmoid(x):\n"
                    "    return np.ones(50_000_000) if x > 1 else 1 / (1 + np.exp(-x))\n")
    submission = Submission(path, load_pack(DEFAULT_PACK).homes, isolation_mode="process")
    try:
        submission.begin_check("check", "sigmoid")
        with pytest.raises(StudentError) as refused:
            submission.call_many("sigmoid", [(0.0,), (2.0,), (0.0,)])
        assert refused.value.call == (2.0,)
        assert refused.value.describe() == (
            "sigmoid returned 400,000,000 bytes (a float64 array of shape (50000000,)), more "
            "than the 256 MiB the grader takes from one request.")
        submission.end_check()
        submission.begin_check("again", "sigmoid")
        assert [r.value for r in submission.call_many("sigmoid", [(0.0,), (0.0,)])] == [0.5, 0.5]
        submission.end_check()
    finally:
        submission.close()


# ---- student code never runs as root unless asked for -------------------------------------------
def _as_root_without_a_drop(monkeypatch) -> None:
    """This process as root with no bubblewrap and an interpreter other users cannot read (a
    pyenv Python under a /root of mode 0700): a worker outside the sandbox would run as root."""
    from grader import isolation
    monkeypatch.setattr(isolation.os, "geteuid", lambda: 0)
    missing = "bubblewrap is not installed (Debian/Ubuntu: apt install bubblewrap)"
    monkeypatch.setattr(isolation, "bwrap_problem", lambda: missing)
    private = Path(sys.executable)
    monkeypatch.setattr(isolation, "_unreadable_by_others",
                        lambda path: "/root is drwx------" if path == private else None)


def _said_once(err: str, command: str, no_sandbox: str = "bubblewrap is not installed") -> str:
    lines = [line for line in err.splitlines() if "would run as root" in line]
    assert len(lines) == 1 and lines[0].startswith(f"autograde {command}: "), err
    line = lines[0]
    for why in (no_sandbox, "the interpreter cannot be read by other users "
                "(/root is drwx------)", "read the reference", "apt install bubblewrap",
                "--isolation sandbox", "python3 -m venv from /usr/bin/python3", "chmod",
                "a user other than root", "--allow-root-workers"):
        assert why in line, (why, line)
    return line


@pytest.mark.parametrize("isolation", [[], ["--isolation", "process"]])
def test_batch_and_grade_refuse_to_run_student_code_as_root(tmp_path, monkeypatch, capsys,
                                                            isolation):
    """As root, with no sandbox and an interpreter other users could not read, every worker of
    a batch ran as root: one upload SIGKILLed every other student's worker (each scored 0) and
    printed the reference into its own feedback (probe s62), and the only word came after the
    class was graded. Refused before anything is graded (exit 2, one line), as `gradescope` is."""
    import signal
    from grader import cli
    _as_root_without_a_drop(monkeypatch)
    uploads, out = tmp_path / "uploads", tmp_path / "out"
    uploads.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", uploads / "alice.py")
    sigterm = signal.getsignal(signal.SIGTERM)  # the batch command takes it over
    try:
        assert cli.main(["batch", str(uploads), "--out", str(out), *isolation]) == 2
    finally:
        signal.signal(signal.SIGTERM, sigterm)
    no_sandbox = "process isolation was asked for" if isolation else "bubblewrap is not installed"
    line = _said_once(capsys.readouterr().err, "batch", no_sandbox)
    assert "nothing graded" in line
    assert not (out / "reports").exists()
    # `grade` with the reference to protect (a source checkout's): refused the same way.
    assert cli.main(["grade", str(FIXTURES / "correct_summed.py"), "--json",
                     str(tmp_path / "r.json"), *isolation]) == 2
    _said_once(capsys.readouterr().err, "grade", no_sandbox)
    assert not (tmp_path / "r.json").exists()


@pytest.mark.skipif(not ROOT_WORKERS_HERE,
                    reason="needs a grader run as root whose Python other users cannot read")
def test_allow_root_workers_grades_as_root_and_says_so(tmp_path):
    """What the refusal above stands for, on a machine where it is true (root, a pyenv under
    /root), without bubblewrap as the probe had it: a PATH holding every program but bwrap.
    --allow-root-workers grades, and the batch's closing warning says it ran as root."""
    fake = tmp_path / "bin"
    fake.mkdir()
    for program in Path("/usr/bin").iterdir():
        if program.name != "bwrap":
            (fake / program.name).symlink_to(program)
    env = {**os.environ, "PATH": f"{fake}:/usr/local/bin:/usr/sbin:/sbin",
           "AUTOGRADE_CACHE_DIR": "off"}
    env.pop("AUTOGRADE_SECRET", None)
    env.pop("AUTOGRADE_REFERENCE", None)
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", uploads / "alice.py")

    def batch(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "grader", "batch", str(uploads), "--out",
                               str(tmp_path / "out"), "--only", "sigmoid", *extra], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=300)

    refused = batch()
    assert refused.returncode == 2, refused.stderr
    assert "nothing graded" in _said_once(refused.stderr, "batch")
    assert not (tmp_path / "out" / "reports").exists()
    allowed = batch("--allow-root-workers")
    assert allowed.returncode == 0, allowed.stderr
    assert "1/1 alice: 10/10" in allowed.stderr, allowed.stderr
    assert "1 of them ran AS ROOT (--allow-root-workers)" in allowed.stderr, allowed.stderr
    graded = subprocess.run([sys.executable, "-m", "grader", "grade", str(uploads / "alice.py"),
                             "--only", "sigmoid", "--allow-root-workers"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert graded.returncode == 0, graded.stderr
    assert "student code ran AS ROOT" in graded.stdout


def test_a_class_whose_names_raise_is_the_functions_failure_not_the_workers(tmp_path):
    """A metaclass whose __getattribute__ raises on __name__, __qualname__ and __module__: raised,
    the worker's own description of it raised (exit status 122, "broke the grader's worker ...
    please tell your instructor"); returned, its type name became that call's own error
    ("sigmoid_grad raised KeyboardInterrupt: __module__"). Both are the student's function's
    failure, named by the class's own name (probe s62)."""
    path = write(tmp_path, "meta.py", """
        class _Meta(type):
            def __getattribute__(cls, name):
                if name in ("__name__", "__qualname__", "__module__"):
                    raise KeyboardInterrupt(name)
                return type.__getattribute__(cls, name)

        class Odd(Exception, metaclass=_Meta):
            pass

        class OddResult(metaclass=_Meta):
            pass

        def sigmoid(x):
            raise Odd("odd exception")

        def sigmoid_grad(s):
            return OddResult()
    """)
    report = grade(path, tmp_path / "out", "--only", "sigmoid", "--only", "sigmoid_grad")
    said = {c["function"] + "/" + c["name"]: c["message"] for c in report["checks"]}
    assert said["sigmoid/known_values"].startswith("sigmoid raised Odd: odd exception"), said
    assert "the result is a meta.OddResult" in said["sigmoid_grad/known_values"], said
    for message in said.values():
        assert "worker" not in message and "instructor" not in message, message
        assert "KeyboardInterrupt" not in message, message


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_stopped_process_is_seen_below_what_started_it():
    """stopped_worker finds the worker below a launcher whose own command line ends as the
    worker's does (bubblewrap's), and sees its check's fork stopped, but not another child (the
    worker stops its leftovers itself before it kills them)."""
    from grader import stopped_worker
    body = ("import os, signal, sys, time\n"
            "if os.fork() == 0:\n    os.kill(os.getpid(), signal.SIGSTOP)\n    os._exit(0)\n"
            "time.sleep(30)\n")
    command = [sys.executable, "-c", body]
    launcher = subprocess.Popen([sys.executable, "-c", "import subprocess, sys; "
                                 "subprocess.run(sys.argv[1:])", *command])
    try:
        deadline, worker = time.monotonic() + 30, None
        while worker is None and time.monotonic() < deadline:
            worker = stopped_worker.worker_pid(launcher.pid, command)
            time.sleep(0.05)
        assert worker is not None and worker != launcher.pid
        children: list[int] = []
        while not children and time.monotonic() < deadline:
            children = stopped_worker.children_of(worker)
            time.sleep(0.05)
        fork = children[0]  # in no PID namespace of its own: as it sees itself
        while not stopped_worker.stopped(worker, fork) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert stopped_worker.stopped(worker, fork)
        assert not stopped_worker.stopped(worker)  # a child not named: the worker's to stop
        assert not stopped_worker.stopped(worker, fork + 1_000_000)
    finally:
        for pid in ([worker, *stopped_worker.children_of(worker)] if worker else []):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        launcher.kill()
        launcher.wait()


def test_a_check_that_stops_its_worker_fails_at_once_and_is_told_why(tmp_path):
    """`os.kill(os.getppid(), SIGSTOP)` in a check's fork stops the worker, which then neither
    answers nor dies: each check waited out a whole deadline (about 11 s) before the worker was
    replaced, and nothing said why (a correct upload took 194 s; probe s62)."""
    path = write(tmp_path, "stops.py", SIGMOID_ONLY + '''
import os, signal
_sigmoid = sigmoid

def sigmoid(x):
    os.kill(os.getppid(), signal.SIGSTOP)
    return _sigmoid(x)
''')
    report = grade(path, tmp_path / "out", "--only", "sigmoid", "--import-timeout", "20")
    calls = [c for c in report["checks"] if c["function"] == "sigmoid" and c["status"] != "passed"]
    assert calls, report["checks"]
    for check in calls:
        assert "sigmoid stopped its own process (SIGSTOP" in check["message"], check
    # Each stop costs a fresh worker, not the 20 s deadline.
    assert report["timings"]["total_seconds"] < 20 * len(calls) / 2, report["timings"]
