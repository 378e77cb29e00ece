"""Uid leases (grader/uid_lease.py) never collide between graders on one machine, whatever their
/tmp, never take a uid some process runs as, and refuse a range a real account shares."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT
from grader import uid_lease

pytestmark = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                                reason="only root leases uids")
SMALL = range(61900, 61904)

# A grader in a mount namespace of its own, with private /tmp and /run/lock (PrivateTmp, a
# nested sandbox): it leases a uid, says which, and holds it until its stdin closes.
HOLDER = textwrap.dedent(f"""
    import sys
    sys.path.insert(0, {str(ROOT)!r})
    from grader import uid_lease
    lease = uid_lease.UidLease(range({SMALL.start}, {SMALL.stop}))
    print(lease.uid, flush=True)
    sys.stdin.read()
    lease.release()
""")


def test_a_grader_with_another_tmp_and_run_never_gets_the_same_uid():
    if shutil.which("unshare") is None:
        pytest.skip("util-linux unshare is not installed")
    script = ("mount -t tmpfs none /tmp && mount -t tmpfs none /run/lock && "
              f"exec {sys.executable} -c \"$0\"")
    other = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                              HOLDER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        theirs = int(other.stdout.readline())
        ours = uid_lease.UidLease(SMALL)
        try:
            assert ours.uid != theirs
        finally:
            ours.release()
    finally:
        other.stdin.close()
        other.stdout.close()
        other.wait(timeout=10)


# A submission under process isolation (another worker's uid, not root) binding every lease
# name of the range and holding them.
SQUATTER = textwrap.dedent(f"""
    import socket, sys
    held = []
    for uid in range({SMALL.start}, {SMALL.stop}):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind("\\0autograde-uid-%d" % uid)
        held.append(s)
    print("bound", flush=True)
    sys.stdin.read()
""")


def test_lease_names_squatted_by_a_process_not_root_stop_no_lease():
    """Probe s56: a submission graded under process isolation bound every lease name (again as
    each was freed), and every other grade of the class started meanwhile failed with "no free
    uid in the worker range". Only root leases uids, so a name held by no root process stops
    nothing; one a root process holds (a grader with another /run and /tmp) still does (above)."""
    python = "/usr/bin/python3"  # one a uid of no account may run (not the venv's, under /root)
    if not os.access(python, os.X_OK):
        pytest.skip(f"{python} is not installed")
    squatter = subprocess.Popen([python, "-c", SQUATTER], user=SMALL.stop + 500,
                                group=SMALL.stop + 500, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
    try:
        assert squatter.stdout.readline().strip() == "bound"
        assert uid_lease.names_held_without_root() >= set(SMALL)
        lease = uid_lease.UidLease(SMALL)
        try:
            assert lease.uid in SMALL
            assert squatter.poll() is None, "a process of another uid is left alone"
        finally:
            lease.release()
    finally:
        squatter.stdin.close()
        squatter.stdout.close()
        squatter.wait(timeout=10)


def test_a_uid_some_process_runs_as_is_skipped_not_killed():
    sleeper = subprocess.Popen(["sleep", "30"], user=SMALL.start, group=SMALL.start)
    try:
        lease = uid_lease.UidLease(SMALL)
        try:
            assert lease.uid != SMALL.start
            assert sleeper.poll() is None, "the other process was left alone"
        finally:
            lease.release()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_release_kills_a_process_of_the_uid_acting_as_another():
    """A process whose real uid is the lease's, its effective uid another: /proc shows its folder
    as the other's, and only its status (the real uid) tells that it is the worker's."""
    lease = uid_lease.UidLease(SMALL)
    other = SMALL.stop
    hidden = subprocess.Popen(["sleep", "30"], preexec_fn=lambda: (
        os.setgroups([]), os.setresgid(lease.uid, other, other),
        os.setresuid(lease.uid, other, other)))
    try:
        assert os.stat(f"/proc/{hidden.pid}").st_uid == other
        assert (hidden.pid, lease.uid) in set(uid_lease.real_uids())
        lease.release()
        assert hidden.wait(timeout=10) == -9
    finally:
        lease.release()
        hidden.kill()
        hidden.wait()


def test_two_leases_in_one_process_differ():
    a = uid_lease.UidLease(SMALL)
    b = uid_lease.UidLease(SMALL)
    try:
        assert a.uid != b.uid
    finally:
        a.release()
        b.release()


def test_a_range_holding_a_real_account_is_refused():
    problem = uid_lease.range_problem(range(0, 10))
    assert problem and "'root' (0)" in problem and "refuses" in problem
    with pytest.raises(uid_lease.UidsUnavailable, match="root"):
        uid_lease.UidLease(range(0, 10))
    assert uid_lease.range_problem(uid_lease.UID_RANGE) is None


def test_the_cli_says_why_it_refuses_the_range(tmp_path):
    # The range is a module constant: moved by a wrapper that imports the CLI after changing it.
    wrapper = tmp_path / "run.py"
    wrapper.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from grader import uid_lease
        uid_lease.UID_RANGE = range(0, 100)
        from grader.cli import main
        sys.exit(main(sys.argv[1:]))
    """))
    sub = ROOT / "tests" / "fixtures" / "submissions" / "correct_summed.py"
    proc = subprocess.run([sys.executable, str(wrapper), "grade", str(sub), "--isolation", "process"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert "holds the uid of the account 'root' (0)" in proc.stderr


# What a worker under process isolation can leave outside its scratch folder: files in the
# machine's shared folders, and System V IPC objects (ctypes: Python has no call for them).
LEAVES = textwrap.dedent("""
    import ctypes, os, sys
    mark = sys.argv[1]
    libc = ctypes.CDLL(None, use_errno=True)
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        with open(f"{folder}/{mark}", "w") as f:
            f.write("for the next student")
    os.mkdir(f"/tmp/{mark}-dir")
    IPC_CREAT, IPC_PRIVATE = 0o1000, 0
    ids = [libc.shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0o600),
           libc.msgget(IPC_PRIVATE, IPC_CREAT | 0o600),
           libc.semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600)]
    print(*ids, flush=True)
""")


def test_a_process_isolation_lease_takes_what_its_uid_left_in_shared_places_with_it(tmp_path):
    """Probe s56: files in /tmp, /var/tmp and /dev/shm, and System V shared memory, message
    queues and semaphores, outlived a process-isolated worker, owned by a uid the next student's
    worker may lease (a channel between students, and memory no bound counted). They go with the
    lease; the worker's scratch folder is left to the grader, and nobody else's is touched."""
    from grader import uid_leftovers

    python = "/usr/bin/python3"
    if not os.access(python, os.X_OK):
        pytest.skip(f"{python} is not installed")
    lease = uid_lease.UidLease(SMALL)
    mark = f"autograde-test-leftover-{os.getpid()}"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    os.chown(scratch, lease.uid, lease.uid)
    lease.shares_the_machine, lease.keep = True, (scratch,)
    theirs = Path("/tmp") / f"{mark}-root"
    theirs.write_text("the grader's own")
    try:
        made = subprocess.run([python, "-c", LEAVES, mark], user=lease.uid, group=lease.uid,
                              capture_output=True, text=True, check=True)
        ids = [int(i) for i in made.stdout.split()]
        assert all(i >= 0 for i in ids), made.stdout
        tables = [("shm", "shmid"), ("msg", "msqid"), ("sem", "semid")]
        assert [i in uid_leftovers._owned_ids(t, c, lease.uid) for (t, c), i in zip(tables, ids)] \
            == [True] * 3
        lease.release()
        for folder in ("/tmp", "/var/tmp", "/dev/shm"):
            assert not (Path(folder) / mark).exists()
        assert not Path(f"/tmp/{mark}-dir").exists()
        assert [i in uid_leftovers._owned_ids(t, c, lease.uid) for (t, c), i in zip(tables, ids)] \
            == [False] * 3
        assert scratch.is_dir() and theirs.is_file()
    finally:
        lease.release()
        theirs.unlink()
        for folder in ("/tmp", "/var/tmp", "/dev/shm"):
            (Path(folder) / mark).unlink(missing_ok=True)
