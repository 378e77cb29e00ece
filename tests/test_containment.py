"""grader/containment.py finds and kills every process a worker started: those that left its process
group and its process tree, that ignore signals, that hold its pipes open. Without the uid drop
(a student's own machine): by cgroup where the grader may create one, by subreaper otherwise."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
import time

import pytest

from grader import containment

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")

# Double fork into a new session, ignore signals, hold stdout (the pipe to us); print the
# detached grandchild's pid first, then the worker exits as a worker killed from outside would.
ESCAPE = textwrap.dedent("""
    import os, signal, sys, time
    r, w = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
                signal.signal(sig, signal.SIG_IGN)
            os.write(w, str(os.getpid()).encode())
            time.sleep(600)
        os._exit(0)
    os.close(w)
    print(os.read(r, 20).decode(), flush=True)
    time.sleep(600)
""")


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def escape_and_kill(box: containment.Containment, exited: bool = False) -> tuple[int, float]:
    """`exited`: tell kill the worker ended by itself and was collected, as a worker told to quit
    is (grader/proxy.py), which lets it skip waiting when nothing was left behind."""
    worker = subprocess.Popen([sys.executable, "-c", ESCAPE], stdout=subprocess.PIPE,
                              start_new_session=True, preexec_fn=box.preexec())
    box.started(worker.pid)
    grandchild = int(worker.stdout.readline())
    assert alive(grandchild)
    t0 = time.monotonic()
    os.killpg(worker.pid, 9)  # what the grader did before: misses the new session
    worker.wait()
    assert alive(grandchild), "the detached child should have outlived its process group"
    box.kill(exited=exited)
    worker.stdout.read()  # end of file: nobody holds the pipe any more
    worker.stdout.close()
    elapsed = time.monotonic() - t0
    box.release()
    for _ in range(50):
        if not alive(grandchild):
            break
        time.sleep(0.02)
    return grandchild, elapsed


@pytest.mark.parametrize("exited", [False, True], ids=["killed", "ended_by_itself"])
def test_cgroup_kills_a_detached_child_that_holds_the_pipe(exited):
    box = containment.Containment()
    if box.cgroup is None:
        box.release()
        pytest.skip(f"no cgroup here: {box.notes}")
    path = box.cgroup.path
    grandchild, elapsed = escape_and_kill(box, exited)
    assert not alive(grandchild)
    assert elapsed < 2
    assert not path.exists(), "the worker's cgroup is removed"


@pytest.mark.parametrize("exited", [False, True], ids=["killed", "ended_by_itself"])
def test_subreaper_kills_it_without_a_cgroup(monkeypatch, exited):
    monkeypatch.setattr(containment.Cgroup, "create", classmethod(lambda cls, m, p: (None, ["none"])))
    box = containment.Containment()
    assert containment.become_subreaper()
    grandchild, elapsed = escape_and_kill(box, exited)
    assert not alive(grandchild)
    assert elapsed < 2


def test_descendants_walks_the_tree():
    parent = subprocess.Popen([sys.executable, "-c",
                               "import subprocess, sys, time; "
                               "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
                               "print('ok', flush=True); time.sleep(60)"], stdout=subprocess.PIPE)
    try:
        parent.stdout.readline()
        below = containment.descendants(parent.pid)
        assert len(below) == 1
    finally:
        parent.stdout.close()
        for pid in containment.descendants(parent.pid) + [parent.pid]:
            os.kill(pid, 9)
        parent.wait()


# Three children touch 96 MiB each, at once: 288 MiB in all, each under any per-process limit.
HOG = textwrap.dedent("""
    import os, time
    kids = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            block = bytearray(96 * 2**20)
            for i in range(0, len(block), 4096):
                block[i] = 1
            time.sleep(2)
            os._exit(0)
        kids.append(pid)
    print(sorted(os.waitstatus_to_exitcode(os.waitpid(k, 0)[1]) for k in kids), flush=True)
""")


def test_memory_is_bounded_over_all_processes_where_a_cgroup_allows():
    box = containment.Containment(memory=200 * 2**20, processes=64)
    try:
        if any(note.startswith("memory") for note in box.notes) or (
                box.cgroup is None and not box.extra):
            pytest.skip(f"no memory cgroup here: {box.notes}")
        done = subprocess.run([sys.executable, "-c", HOG], capture_output=True, text=True,
                              timeout=60, preexec_fn=box.preexec())
        codes = ast.literal_eval(done.stdout.strip())
        assert -9 in codes, f"one child was killed for memory: {codes}"
    finally:
        box.kill()
        box.release()


CPU_LINE = "import sys; print(next(l for l in open('/proc/self/cgroup').read().splitlines() " \
           "if 'cpu' in l.split(':')[1].split(',') or l.startswith('0::')))"


def test_a_workers_processes_share_one_cpu_share_where_a_cgroup_allows():
    """However many processes a submission starts, they get one CPU share together, so the
    submission graded beside it is not starved into its deadlines (grader/containment.py)."""
    box = containment.Containment()
    try:
        if any(note.startswith("cpu") for note in box.notes) or (
                box.cgroup is None and not box.extra):
            pytest.skip(f"no cpu cgroup here: {box.notes}")
        inside = subprocess.run([sys.executable, "-c", CPU_LINE], capture_output=True, text=True,
                                timeout=60, preexec_fn=box.preexec()).stdout
        outside = subprocess.run([sys.executable, "-c", CPU_LINE], capture_output=True,
                                 text=True, timeout=60).stdout
        assert "autograde-" in inside and inside != outside, (inside, outside)
    finally:
        box.kill()
        box.release()


def test_a_worker_launched_through_its_cgroups_is_inside_them_with_all_it_starts():
    """Containment.launch joins the cgroups in a shell that then execs the command, so the grader
    starts its worker without a function between fork and exec (vfork: no copy of the grader's
    page tables): the command and what it starts are inside, as with the function before."""
    box = containment.Containment()
    try:
        if box.cgroup is None and not box.extra:
            pytest.skip(f"no cgroup here: {box.notes}")
        child = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {CPU_LINE!r}])"
        argv, preexec = box.launch([sys.executable, "-c", CPU_LINE + "; " + child])
        assert preexec is None and argv[0] == containment.JOINING_SHELL
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        outside = subprocess.run([sys.executable, "-c", CPU_LINE], capture_output=True,
                                 text=True, timeout=60).stdout
        lines = done.stdout.splitlines()
        assert done.returncode == 0, done.stderr
        assert len(lines) == 2 and lines[0] == lines[1], lines
        assert "autograde-" in lines[0] and lines[0] != outside.strip(), (lines, outside)
    finally:
        box.kill()
        box.release()


def test_a_cgroup_the_launcher_cannot_join_stops_the_command_before_it_runs(tmp_path):
    box = containment.Containment()
    try:
        if box.cgroup is None:
            pytest.skip(f"no cgroup v2 here: {box.notes}")
        real = box.cgroup.path
        box.cgroup.path = tmp_path / "gone"
        marker = tmp_path / "ran"
        argv, _ = box.launch([sys.executable, "-c", f"open({str(marker)!r}, 'w')"])
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        box.cgroup.path = real
        assert done.returncode == 125 and not marker.exists()
        assert f"could not join the cgroup {tmp_path / 'gone' / 'cgroup.procs'}" in done.stderr
    finally:
        box.kill()
        box.release()


def test_a_launch_with_more_to_do_between_fork_and_exec_keeps_the_function():
    """The drop to another uid (process isolation) must follow the join in the same process, and
    only a function between fork and exec can do it: the command is then left as it is."""
    box = containment.Containment()
    try:
        called = []
        argv, preexec = box.launch(["/bin/true"], then=lambda: called.append(1))
        assert argv == ["/bin/true"] and preexec is not None
    finally:
        box.release()
