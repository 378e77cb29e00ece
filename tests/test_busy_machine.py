"""A busy machine is not the submission's time: a deadline that passes while the worker's processes
waited for a CPU is stretched by that wait (grader/cpu_wait.py), so the same upload gets the same
grade beside other work; an endless loop still ends."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from conftest import FIXTURES, by_function, grade
from grader import containment, cpu_wait

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")

# Spinners that each take a session of their own, as other users' programs do: several per CPU.
SPINNERS = 2 * (os.cpu_count() or 1)

SLOW_IMPORT = """

import time as _t
_end = _t.process_time() + 0.6
while _t.process_time() < _end:  # 0.6 s of CPU at import, nothing more
    pass
"""

ENDLESS_IMPORT = """

while True:
    pass
"""


@pytest.fixture
def busy_machine():
    """Spinners that each have a cgroup of their own where the grader's workers get one (as other
    graders' workers and other users' sessions do): spinners left in the tests' cgroup counted as
    one share beside the worker's, which then waited for a CPU some 0.05 s in 0.75 s, and the
    checks below passed without any deadline being stretched."""
    spinners = []
    for _ in range(SPINNERS):
        group = containment.Containment()
        spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"],
                                   start_new_session=True, preexec_fn=group.preexec())
        group.started(spinner.pid)
        spinners.append((spinner, group))
    time.sleep(0.3)
    try:
        yield
    finally:
        for spinner, group in spinners:
            os.killpg(spinner.pid, signal.SIGKILL)
            spinner.wait()
            group.kill(exited=True)
            group.release()


def test_a_spinning_process_on_a_busy_machine_waited_for_a_cpu(busy_machine):
    since = time.monotonic()
    child = subprocess.Popen([sys.executable, "-c",
                              "import time\nend = time.time() + 1\nwhile time.time() < end: pass"])
    time.sleep(0.8)
    try:
        assert cpu_wait.waited(child.pid, since) > 0.2  # several spinners per CPU
        assert cpu_wait.waited(child.pid, time.monotonic() + 5) == 0.0  # started before then
    finally:
        child.kill()
        child.wait()


# A call that spins beside children of its own that spin too, at the lowest priority (they wait
# nearly all the time and take next to nothing from it) or at its own; and, for comparison, the
# same call alone, run at the same time, so both meet whatever else loads the machine.
SELF_MADE_LOAD = """
import os, signal, time
children = []
for _ in range({n}):
    pid = os.fork()
    if pid == 0:
        os.nice({nice})
        while True:
            pass
    children.append(pid)
end = time.time() + 3
while time.time() < end:
    pass
for pid in children:
    os.kill(pid, signal.SIGKILL)
"""


@pytest.mark.parametrize("nice", [19, 0])
def test_the_submissions_own_processes_are_not_the_machines_load(nice):
    """Twelve niced spinners below a timed call piled up some 12 s of wait a second, and the sum
    over the worker's processes stretched a 0.5 s deadline to its 5 s cap: a gradient by finite
    differences passed as backpropagation. The load a submission makes itself stretches nothing
    beyond what the same call alone waits on this machine now."""
    since = time.monotonic()
    started = [subprocess.Popen([sys.executable, "-c", SELF_MADE_LOAD.format(n=n, nice=nice)],
                                start_new_session=True) for n in (3 * SPINNERS, 0)]
    attack, alone = started
    try:
        deadline = time.monotonic() + 5
        while len(containment.descendants(attack.pid)) < 3 * SPINNERS \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.5)
        assert len(containment.descendants(attack.pid)) == 3 * SPINNERS
        stretched, machine = cpu_wait.waited(attack.pid, since), cpu_wait.waited(alone.pid, since)
        # (the children alone waited seconds: what the sum over the processes counted)
        assert stretched < machine + 0.3, (stretched, machine)
    finally:
        for process in started:
            os.killpg(process.pid, signal.SIGKILL)  # its spinners with it
            process.wait()


# The same with threads: the calling thread at the lowest priority, threads of its own process
# multiplying matrices beside it (numpy lets go of the GIL there).
SELF_MADE_THREAD_LOAD = """
import os, threading, time
import numpy as np
a = np.ones((300, 300))
def spin():
    while True:
        a @ a
if {n}:
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
for _ in range({n}):
    threading.Thread(target=spin, daemon=True).start()
end = time.time() + 30  # (killed once read)
while time.time() < end:
    pass
"""


def test_the_submissions_own_threads_cpu_is_taken_off_the_calling_threads_wait():
    """A call that niced its own thread and left threads spinning beside it: the wait read was
    that thread's alone, and nothing of the other threads' CPU was taken off it, so 1-2 s of work
    passed the 0.5 s timed check (hostile probe s61). The threads' CPU time is read apart."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    attack = subprocess.Popen([sys.executable, "-c", SELF_MADE_THREAD_LOAD.format(n=2)], env=env)
    try:
        deadline = time.monotonic() + 20  # (a loaded machine gives the threads little at first)
        on_cpu, _, _, threads = cpu_wait._times(attack.pid)
        while threads <= 0.2 and time.monotonic() < deadline:
            time.sleep(0.25)
            on_cpu, _, _, threads = cpu_wait._times(attack.pid)
        assert threads > 0.2 and threads > on_cpu / 4, (on_cpu, threads)
    finally:
        attack.kill()
        attack.wait()


def test_other_threads_cpu_is_read_from_the_process_and_the_waits_from_the_thread():
    tick = 1 / os.sysconf("SC_CLK_TCK")
    stat = "12 (a name (with) parens) R " + " ".join(["0"] * 10) + f" {round(2.5 / tick)} " \
        f"{round(0.5 / tick)} {round(0.25 / tick)} 0" + " 0" * 30
    on_cpu, waiting, reaped, threads = cpu_wait.parse("1000000000 2000000000 57\n", stat)
    assert (on_cpu, waiting, reaped) == (1.0, 2.0, 0.25)
    assert threads == pytest.approx(2.0 - tick)
    alone = cpu_wait.parse("1000000000 2000000000 57\n", stat.replace(
        f" {round(2.5 / tick)} {round(0.5 / tick)} ", f" {round(1.0 / tick)} 0 "))
    assert alone[3] == 0.0


def test_a_sleeping_process_waits_for_no_cpu(busy_machine):
    since = time.monotonic()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3)"])
    time.sleep(1.2)  # past its start, which does wait for a CPU on a busy machine
    try:
        before = cpu_wait.waited(child.pid, since)
        time.sleep(1)
        assert cpu_wait.waited(child.pid, since) - before < 0.05
    finally:
        child.kill()
        child.wait()


def test_an_import_slowed_only_by_the_machines_load_is_graded(tmp_path, busy_machine):
    """0.6 s of CPU against a deadline of 1 s: on a machine this busy it takes longer than 1 s of
    wall time, nearly all of it spent waiting for a CPU."""
    path = tmp_path / "slow_import.py"
    path.write_text((FIXTURES / "correct_summed.py").read_text() + SLOW_IMPORT)
    report = grade(path, tmp_path / "out", "--import-timeout", "1", "--only", "sigmoid_grad")
    assert not report["error"], report["error"]
    assert by_function(report)["sigmoid_grad"]["score"] == 5
    timings = report["timings"]
    if sys.platform.startswith("linux"):  # the deadline was stretched, not merely met
        assert timings["import_seconds"] > 1 and timings["import_waited_seconds"] > 0.3, timings


def test_the_workers_own_start_is_not_the_imports_time(tmp_path):
    """The import deadline counts from the worker's word that the submission's code starts: the
    interpreter, numpy and unpacking the upload (0.15 s here, over a second on a cold disk) are
    the grader's. Counted as the student's, an upload zipped with 1,900 saved parameter files
    timed out on 0.3 s of import at a 0.45 s deadline, and in CI a 1 s deadline on 0.6 s of
    import failed before a line of the upload had run ("is there an endless loop?")."""
    upload = tmp_path / "upload.zip"
    with zipfile.ZipFile(upload, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("hw/q2.py", (FIXTURES / "correct_summed.py").read_text()
                         + SLOW_IMPORT.replace("0.6", "0.3"))
        for i in range(1900):
            archive.writestr(f"hw/saved/params_{i}.npy", os.urandom(4096))
    report = grade(upload, tmp_path / "out", "--import-timeout", "0.45", "--only", "sigmoid_grad")
    assert not report["error"], report["error"]
    timings = report["timings"]  # (wall time, less what a loaded machine made it wait)
    assert 0.3 <= timings["import_seconds"] - timings["import_waited_seconds"] < 0.45, timings


def test_the_import_is_timed_by_the_workers_own_stamps_not_when_the_grader_reads_them(
        tmp_path, monkeypatch):
    """The grader's reader thread may run late (a loaded machine, the grader busy collecting its
    checks): an import of 0.3 CPU-s once measured 0.25 s, and its deadline gained as much. Here
    the reader takes 0.5 s to read the worker's "importing" frame: the import still measures
    its 0.3 s, from the worker's own stamps."""
    from grader import proxy
    real = proxy.wire.read_frame

    def late_with_importing(stream):
        header, blobs = real(stream)
        if header.get("event") == "importing":
            time.sleep(0.5)
        return header, blobs

    monkeypatch.setattr(proxy.wire, "read_frame", late_with_importing)
    path = tmp_path / "slow.py"
    path.write_text((FIXTURES / "correct_summed.py").read_text() + SLOW_IMPORT.replace("0.6", "0.3"))
    submission = proxy.Submission(path, {"sigmoid": "sigmoid"}, isolation_mode="process",
                                  limits=proxy.Limits(import_seconds=5))
    try:
        assert submission.ensure_loaded()["functions"]["sigmoid"]["found"]
    finally:
        submission.close()
    timing = submission.import_timing
    assert 0.3 <= timing["import_seconds"] - timing["import_waited_seconds"] < 0.5, timing


def test_an_endless_import_still_ends_on_a_busy_machine(tmp_path, busy_machine):
    path = tmp_path / "endless.py"
    path.write_text((FIXTURES / "correct_summed.py").read_text() + ENDLESS_IMPORT)
    report = grade(path, tmp_path / "out", "--import-timeout", "1", "--only", "sigmoid_grad")
    assert report["score"] == 0
    assert "did not finish within 1 s" in report["error"]


def test_a_notebook_cell_slowed_only_by_the_machines_load_is_not_stopped(tmp_path, busy_machine):
    """The worker stops a cell still running at 70% of the import deadline; on its own clock
    (grader/worker/own_clock.py), which leaves out the time spent waiting for a CPU. Here the cell
    that burns 0.6 s of CPU also defines every function: stopped, it would leave none."""
    source = SLOW_IMPORT.strip() + "\n\n" + (FIXTURES / "correct_summed.py").read_text()
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                "cells": [{"cell_type": "code", "id": "c1", "metadata": {}, "execution_count": None,
                           "outputs": [], "source": source}]}
    path = tmp_path / "slow_cell.ipynb"
    path.write_text(json.dumps(notebook))
    report = grade(path, tmp_path / "out", "--import-timeout", "2.5", "--only", "sigmoid_grad")
    assert not report["error"], report["error"]
    assert by_function(report)["sigmoid_grad"]["score"] == 5
