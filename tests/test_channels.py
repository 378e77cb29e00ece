"""No channel between two submissions: what one leaves in the kernel keyring, System V IPC,
/dev/shm, an abstract Unix socket or any writable place, another cannot find, whether they are
graded one after the other or at the same time. The sandbox closes every channel; process
isolation closes the keyring (the seccomp filter) and leaves the others open, as the README says."""
from __future__ import annotations

import os
import subprocess

import pytest

from conftest import FIXTURES, by_function, grade, grade_many
from grader.isolation import bwrap_problem

HOLD = 4  # seconds the writer keeps its marks alive, and the reader looks for them

COMMON = '''
import ctypes, glob, os, socket, time
MARK = "__MARK__"
KEY = int(MARK[1:], 16)  # a System V IPC key
libc = ctypes.CDLL(None, use_errno=True)
PLACES = ["/tmp", "/var/tmp", "/dev/shm", "/run/lock", os.path.expanduser("~"), "..", "/sandbox/.."]
'''

WRITER = COMMON + '''
def leave_marks():
    mark = MARK.encode()
    libc.syscall(248, b"user", ("autograde-" + MARK).encode(), mark, len(mark), -3)  # session
    libc.syscall(248, b"user", ("autograde-" + MARK).encode(), mark, len(mark), -4)  # user
    libc.shmget(KEY, 4096, 0o1666)
    libc.msgget(KEY, 0o1666)
    libc.semget(KEY, 1, 0o1666)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind("\\0autograde-" + MARK)
        server.listen()
    except OSError:
        pass
    for place in PLACES:
        try:
            with open(os.path.join(place, "autograde-" + MARK), "w") as out:
                out.write(MARK)
        except OSError:
            pass
    return server


# Marked and held once, as the file is imported: nothing a check leaves outlives it (the worker
# puts its folders back between checks), so a check cannot know whether one before it held.
SERVER = leave_marks()
time.sleep(__HOLD__)


def sigmoid(x):
    leave_marks()
    return None
'''

READER = COMMON + '''
def look():
    found = []
    name = ("autograde-" + MARK).encode()
    for ring in (-3, -4):
        if libc.syscall(250, 10, ring, b"user", name, 0) >= 0:  # KEYCTL_SEARCH
            found.append(f"keyring {ring}")
    for what, get in (("shm", lambda: libc.shmget(KEY, 0, 0)), ("msg", lambda: libc.msgget(KEY, 0)),
                      ("sem", lambda: libc.semget(KEY, 0, 0))):
        if get() >= 0:
            found.append("System V " + what)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect("\\0autograde-" + MARK)
        found.append("abstract socket")
    except OSError:
        pass
    finally:
        client.close()
    for place in PLACES + ["/tmp/autograde-worker-*", "../*", "/sandbox/../*"]:
        if glob.glob(os.path.join(place, "autograde-" + MARK)):
            found.append("file in " + place)
    return found


def look_a_while():
    until = time.monotonic() + __HOLD__
    found = look()
    while not found and time.monotonic() < until:
        time.sleep(0.2)
        found = look()
    return found


FOUND_AT_IMPORT = look_a_while()  # once, as the file is imported (see the writer)


def sigmoid(x):
    raise ValueError(f"found {sorted(set(FOUND_AT_IMPORT + look()))}")
'''


def pair(tmp_path, mark: str):
    base = (FIXTURES / "correct_summed.py").read_text()
    paths = {}
    for name, code in (("writer", WRITER), ("reader", READER)):
        path = tmp_path / f"{name}.py"
        path.write_text(base + code.replace("__MARK__", mark).replace("__HOLD__", str(HOLD)))
        paths[name] = path
    return paths


def found_by(report: dict) -> str:
    messages = [c["message"] for c in report["checks"] if c["function"] == "sigmoid"]
    return next(m for m in messages if "found [" in m).split("found ", 1)[1].split("]")[0] + "]"


ARGS = ("--call-timeout", str(HOLD + 4), "--check-timeout", str(HOLD + 6))


def cleanup(mark: str) -> None:
    """Remove what a writer graded without the sandbox left on this machine."""
    key = hex(int(mark[1:], 16))
    subprocess.run(["ipcrm", "-M", key, "-Q", key, "-S", key], capture_output=True)
    for place in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        try:
            os.unlink(os.path.join(place, "autograde-" + mark))
        except OSError:
            pass


@pytest.mark.skipif(bwrap_problem() is not None, reason=f"no sandbox here: {bwrap_problem()}")
def test_sandbox_closes_every_channel_in_turn_and_at_once(tmp_path):
    mark = "m" + os.urandom(3).hex()
    try:
        paths = pair(tmp_path, mark)
        writer = grade(paths["writer"], tmp_path / "turn-w", "--isolation", "sandbox", *ARGS)
        assert by_function(writer)["sigmoid"]["score"] == 0
        reader = grade(paths["reader"], tmp_path / "turn-r", "--isolation", "sandbox", *ARGS)
        assert found_by(reader) == "[]"
        both = grade_many(paths, tmp_path / "once", "--isolation", "sandbox", *ARGS)
        assert found_by(both["reader"]) == "[]"
    finally:
        cleanup(mark)


def test_process_isolation_closes_the_keyring(tmp_path):
    mark = "m" + os.urandom(3).hex()
    try:
        paths = pair(tmp_path, mark)
        grade(paths["writer"], tmp_path / "w", "--isolation", "process", *ARGS)
        reader = grade(paths["reader"], tmp_path / "r", "--isolation", "process", *ARGS)
        found = found_by(reader)
        assert "keyring" not in found
        assert "System V shm" in found, "the channels the README says stay open are open"
    finally:
        cleanup(mark)


# A process of the submission that starts a session of its own takes a CPU share of its own from
# the kernel's scheduler (autogroup): a fleet of them starves the submission graded beside it into
# its deadlines. The seccomp filter refuses setsid, in the sandbox and under process isolation.
LEAVES_ITS_SESSION = '''
def sigmoid(x):
    import os
    try:
        os.setsid()
    except PermissionError:
        return 1.0 / (1.0 + np.exp(-x))
    return "left the worker's session"
'''


@pytest.mark.parametrize("isolation", ["sandbox", "process"])
def test_no_process_of_a_submission_starts_a_session_of_its_own(tmp_path, isolation):
    if isolation == "sandbox" and bwrap_problem() is not None:
        pytest.skip(f"no sandbox here: {bwrap_problem()}")
    path = tmp_path / "session.py"
    path.write_text((FIXTURES / "correct_summed.py").read_text() + LEAVES_ITS_SESSION)
    report = grade(path, tmp_path / "out", "--isolation", isolation)
    assert report["isolation"]["mode"] == isolation
    assert by_function(report)["sigmoid"]["score"] == by_function(report)["sigmoid"]["max_score"]
