"""A grader killed outright leaves its scratch folder and cgroups behind; the graders after it
remove them, and never what a live grader still uses (grader/leftovers.py)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ALLOW_ROOT_WORKERS, FIXTURES, RECIPES, ROOT
from grader import containment, scratch_dirs

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="flock and /proc")


def _grader(tmp: Path, submission: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(tmp), "AUTOGRADE_CACHE_DIR": str(RECIPES)}
    env.pop("AUTOGRADE_SECRET", None)
    return subprocess.Popen([sys.executable, "-m", "grader", "grade", str(submission), *extra],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=_ctrl_c_heard)


def _ctrl_c_heard() -> None:
    """A suite started in the background (`nohup ... &`) has SIGINT ignored, and a child that
    starts so keeps ignoring it, as `nohup` means: the grader here hears Ctrl-C as a terminal's
    foreground process does."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _ended(proc: subprocess.Popen, timeout: float = 60) -> bytes:
    """What it wrote on stderr once it ended; killed if it does not end in time."""
    try:
        return proc.communicate(timeout=timeout)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def _scratch(tmp: Path) -> list[str]:
    return sorted(n for n in os.listdir(tmp) if n.startswith("autograde-worker-"))


def _mounted_under(tmp: Path) -> list[str]:
    with open("/proc/mounts") as mounts:
        return [line.split()[1] for line in mounts if line.split()[1].startswith(str(tmp) + "/")]


def test_a_killed_graders_scratch_is_removed_by_the_next_and_a_live_ones_is_not(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    # Importing this submission never ends: its worker and scratch folder live until killed.
    first = _grader(tmp, FIXTURES / "hang_at_import.py", "--import-timeout", "60")
    try:
        deadline = time.monotonic() + 60
        while not any(n.endswith(".owner") for n in _scratch(tmp)) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the upload copied in, the worker importing it
        live = _scratch(tmp)
        assert any(n.endswith(".owner") for n in live), first.stderr.read().decode()
        # A sweep while the grader lives takes nothing away.
        assert scratch_dirs.sweep(tmp) == [] and _scratch(tmp) == live
    finally:
        first.kill()  # SIGKILL: no cleanup of its own
        first.communicate()
    assert _scratch(tmp) == live  # what it left

    second = _grader(tmp, FIXTURES / "correct_summed.py")
    err = _ended(second, timeout=300)
    assert second.returncode == 0, err.decode()
    assert _scratch(tmp) == [] and _mounted_under(tmp) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_an_interrupted_grade_writes_no_report_and_leaves_no_scratch(tmp_path, sig):
    """Stopped while the submission imports: exit 130, said on stderr, no report (it used to
    write 0 / 0 "grader problem" and exit 0, the worker's tmpfs left mounted)."""
    tmp, report = tmp_path / "tmp", tmp_path / "report.json"
    tmp.mkdir()
    proc = _grader(tmp, FIXTURES / "hang_at_import.py", "--import-timeout", "60",
                   "--json", str(report))
    try:
        deadline = time.monotonic() + 60
        while not any(n.endswith(".owner") for n in _scratch(tmp)) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # into the import, waiting for the worker
    finally:
        proc.send_signal(sig)
        err = _ended(proc)
    assert proc.returncode == 130, err.decode()
    assert err.decode().strip() == "autograde grade: interrupted; no report was written"
    assert not report.exists()
    assert _scratch(tmp) == [] and _mounted_under(tmp) == []


@pytest.mark.parametrize("kept", [False, True], ids=["pytest.main", "kept session"])
def test_an_interrupt_while_pytest_collects_kills_the_importing_worker_at_once(monkeypatch, kept):
    """The worker starts importing while pytest collects the checks (in pytest.main, or as a
    session to keep is made: grader/kept_session.py). A Ctrl-C or `kill` there (pytest's
    session ends before any check waited for the import) made closing the submission wait for
    the import: a grader sent SIGTERM on a loaded machine went on for the whole import deadline
    (60 s here), until the suite's test above gave up on it."""
    from grader import kept_session, session
    from grader.packs import load_pack
    from grader.proxy import Limits

    workers: list = []
    kept_session.close_all()
    monkeypatch.setattr(kept_session, "ENABLED", kept)

    def interrupted_while_collecting(args, plugins=None):
        plugins = plugins() if callable(plugins) else plugins
        state = next(p for p in plugins if isinstance(p, session._Installer)).state
        deadline = time.monotonic() + 30
        while state.submission._launched is None and time.monotonic() < deadline:
            time.sleep(0.05)
        workers.append(state.submission._launched[0])
        time.sleep(1.0)  # the submission's import has begun and will not end
        raise KeyboardInterrupt

    if kept:
        monkeypatch.setattr(kept_session, "_Session", interrupted_while_collecting)
    else:
        monkeypatch.setattr(session.pytest, "main", interrupted_while_collecting)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        session.grade(load_pack(), FIXTURES / "hang_at_import.py",
                      session.Options(reference_dir=ROOT / "reference", isolation="process",
                                      limits=Limits(import_seconds=60)))
    assert time.monotonic() - started < 20
    assert workers and workers[0].popen.poll() is not None  # the worker is gone


def test_an_interrupted_audit_says_so_in_one_line_and_leaves_no_scratch(tmp_path):
    """Every command, not only grade and batch: Ctrl-C ends it with a line, not a traceback."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    said = tmp_path / "stdout.txt"
    with open(said, "wb") as stdout:
        proc = subprocess.Popen([sys.executable, "-m", "grader", "audit"], cwd=ROOT, env=env,
                                stdout=stdout, stderr=subprocess.PIPE, preexec_fn=_ctrl_c_heard)
    try:
        deadline = time.monotonic() + 60
        while not any(n.endswith(".owner") for n in _scratch(tmp)) and time.monotonic() < deadline:
            time.sleep(0.01)
        ended_first = proc.poll() is not None
    finally:
        proc.send_signal(signal.SIGINT)
        err = _ended(proc)
    # (A CI run saw exit 1 with nothing on stderr: what the audit printed says whether it had
    # ended, and why, before the interrupt.)
    assert proc.returncode == 130, (ended_first, err.decode(), said.read_text()[-3000:])
    assert err.decode().strip() == "autograde audit: interrupted"
    assert _scratch(tmp) == [] and _mounted_under(tmp) == []


def test_an_interrupted_batch_leaves_no_scratch_behind(tmp_path):
    """Ctrl-C (or SIGTERM) in a batch kills its graders outright; the batch removes their scratch
    folders itself before it ends, not at the next grade."""
    tmp, uploads, out = tmp_path / "tmp", tmp_path / "uploads", tmp_path / "out"
    tmp.mkdir()
    uploads.mkdir()
    for name in ("alice", "bob", "carol"):  # each one hangs at import until stopped
        (uploads / f"{name}.py").write_bytes((FIXTURES / "hang_at_import.py").read_bytes())
    env = {**os.environ, "TMPDIR": str(tmp), "AUTOGRADE_CACHE_DIR": str(RECIPES)}
    proc = subprocess.Popen([sys.executable, "-m", "grader", "batch", str(uploads), "--out",
                             str(out), "--jobs", "2", "--import-timeout", "60"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while sum(n.endswith(".owner") for n in _scratch(tmp)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        at_work = sum(n.endswith(".owner") for n in _scratch(tmp))
    finally:
        proc.send_signal(signal.SIGTERM)
        err = _ended(proc)
    assert at_work == 2  # two graders at work when it was stopped
    assert proc.returncode == 130, err.decode()
    assert _scratch(tmp) == [] and _mounted_under(tmp) == []


LEAVES_A_CHILD = """import os, time
if os.fork() == 0:
    if os.fork() == 0:
        with open({pids!r} + "/" + str(os.getpid()), "w"):
            pass
        time.sleep(120)
    os._exit(0)
time.sleep(60)
"""


def test_an_interrupted_process_isolation_batch_leaves_no_process_of_a_submission(tmp_path):
    """Under process isolation a worker runs in a session of its own: SIGTERM to the batch killed
    its graders' sessions, and the submission's children ran on (probe s56: 5 to 25 processes
    after each stop). The worker cgroups of the dead graders are swept with what runs in them."""
    homes = [containment._cgroup2_home()[0]] + [containment._cgroup1_home(c)
                                                 for c in ("memory", "pids", "cpu")]
    if all(home is None for home in homes):
        pytest.skip("no cgroup the grader may make workers' in")
    uploads, out, pids = tmp_path / "uploads", tmp_path / "out", tmp_path / "pids"
    uploads.mkdir()
    pids.mkdir()
    pids.chmod(0o777)  # a worker dropped to a uid of its own writes there too
    for name in ("alice", "bob"):
        (uploads / f"{name}.py").write_text(LEAVES_A_CHILD.format(pids=str(pids)))
    env = {**os.environ, "AUTOGRADE_CACHE_DIR": str(RECIPES)}
    proc = subprocess.Popen([sys.executable, "-m", "grader", "batch", str(uploads), "--out",
                             str(out), "--jobs", "2", "--isolation", "process",
                             "--import-timeout", "60", *ALLOW_ROOT_WORKERS],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while len(os.listdir(pids)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        children = [int(name) for name in os.listdir(pids)]
    finally:
        proc.send_signal(signal.SIGTERM)
        err = _ended(proc)
    assert len(children) == 2, err.decode()
    assert proc.returncode == 130, err.decode()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_running(pid) for pid in children):
        time.sleep(0.05)
    assert not [pid for pid in children if _running(pid)]


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_batch_killed_outright_leaves_its_task_and_reference_folders_to_the_next_grade(tmp_path):
    """A cancelled CI job or the OOM killer (SIGKILL to the batch's process group): its task
    folders (a student's upload and reports) and the reference it unpacked (the course's
    solution) stayed in the temporary folder for good; no later run removed them."""
    tmp, uploads, out = tmp_path / "tmp", tmp_path / "uploads", tmp_path / "out"
    tmp.mkdir()
    uploads.mkdir()
    for name in ("alice", "bob"):
        (uploads / f"{name}.py").write_bytes((FIXTURES / "hang_at_import.py").read_bytes())
    env = {**os.environ, "TMPDIR": str(tmp), "AUTOGRADE_CACHE_DIR": str(RECIPES),
           "AUTOGRADE_REFERENCE": str(ROOT / "reference")}
    proc = subprocess.Popen([sys.executable, "-m", "grader", "batch", str(uploads), "--out",
                             str(out), "--jobs", "2", "--import-timeout", "5"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)

    def ours() -> list[str]:
        return sorted(n for n in os.listdir(tmp) if n.startswith(scratch_dirs.OWNED_PREFIXES))

    try:
        deadline = time.monotonic() + 60
        while sum(n.endswith(".owner") for n in _scratch(tmp)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    left = ours()
    for prefix in (scratch_dirs.TASK_PREFIX, scratch_dirs.REFERENCE_PREFIX):
        assert any(n.startswith(prefix) and n.endswith(".owner") for n in left), left
    second = _grader(tmp, FIXTURES / "correct_summed.py")
    err = _ended(second, timeout=300)
    assert second.returncode == 0, err.decode()
    # The batch's graders (sessions of their own) end with it, not at their deadline, when
    # they would have written their reports into the task folders swept meanwhile.
    assert ours() == [] and _mounted_under(tmp) == []
    time.sleep(6)  # past the graders' import deadline: nothing comes back
    assert ours() == []


def test_a_claimed_folder_is_removed_with_its_owner_file(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    scratch = scratch_dirs.claim()
    (scratch.path / "upload.py").write_text("x = 1\n")
    assert sorted(os.listdir(tmp_path)) == [scratch.path.name, scratch.path.name + ".owner"]
    assert scratch_dirs.sweep(tmp_path) == []  # this process holds it
    scratch.remove()
    assert os.listdir(tmp_path) == []


def test_a_folder_with_no_owner_file_goes_only_when_a_day_old_and_never_through_a_link(tmp_path):
    old = time.time() - 2 * 24 * 3600
    stale, fresh = tmp_path / "autograde-worker-abcd1234", tmp_path / "autograde-worker-efgh5678"
    holder = tmp_path / "autograde-worker-abcd1234-ijkl9012"  # scratch_fs.bound's, beside it
    for folder in (stale, fresh, holder):
        folder.mkdir()
        (folder / "upload.py").write_text("x = 1\n")
    target = tmp_path / "somebody-elses"
    target.mkdir()
    (target / "keep.txt").write_text("mine\n")
    link = tmp_path / "autograde-worker-mnop3456"
    link.symlink_to(target)
    for path in (stale, holder, link):
        os.utime(path, (old, old), follow_symlinks=False)
    removed = scratch_dirs.sweep(tmp_path)
    assert sorted(p.name for p in removed) == [stale.name, holder.name]
    assert fresh.is_dir() and link.is_symlink() and (target / "keep.txt").read_text() == "mine\n"


def test_an_owner_file_whose_lock_is_held_elsewhere_is_left_alone(tmp_path):
    folder = tmp_path / "autograde-worker-qrst7890"
    folder.mkdir()
    owner = tmp_path / (folder.name + ".owner")
    owner.touch()
    holder = subprocess.Popen(  # another process, as another grader would be, holding the lock
        [sys.executable, "-c", "import fcntl, sys; f = open(sys.argv[1]); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()", str(owner)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert scratch_dirs.sweep(tmp_path) == [] and folder.is_dir() and owner.exists()
    finally:
        holder.communicate()
    assert scratch_dirs.sweep(tmp_path) == [folder]
    assert os.listdir(tmp_path) == []


def test_a_dead_graders_empty_cgroup_is_removed_and_a_live_ones_is_not():
    home, why = containment._cgroup2_home()
    if home is None:
        pytest.skip(why)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    gone, kept = home / f"autograde-{dead.stdout.strip()}-0", home / f"autograde-{os.getpid()}-999"
    try:
        gone.mkdir()
        kept.mkdir()
        removed = containment.remove_stale()
        assert gone in removed and not gone.exists()
        assert kept not in removed and kept.is_dir()
    finally:
        for path in (gone, kept):
            if path.exists():
                path.rmdir()


def test_a_sweep_kills_nothing_in_a_cgroup_whose_grader_it_cannot_see():
    """A grader in a PID namespace cannot see the pids other graders name their cgroups by: a
    sweep that killed what ran in "dead" graders' cgroups killed live graders' workers, then, the
    pids of another namespace reading as 0, its own process group (probe s56). The sweep only
    removes empty ones; and no pid of 0 or below is ever signalled."""
    home, why = containment._cgroup2_home()
    if home is None:
        pytest.skip(why)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    busy = home / f"autograde-{dead.stdout.strip()}-7"
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        busy.mkdir()
        (busy / "cgroup.procs").write_text(str(sleeper.pid))
        removed = containment.remove_stale()
        assert busy not in removed and sleeper.poll() is None
        survived = subprocess.run(
            [sys.executable, "-c", "from grader import containment\n"
             "containment._sigkill([0, -1])\nprint('alive')"],
            cwd=ROOT, capture_output=True, text=True, start_new_session=True, timeout=60)
        assert survived.stdout.strip() == "alive", (survived.returncode, survived.stderr)
    finally:
        sleeper.kill()
        sleeper.wait()
        for _ in range(100):
            try:
                busy.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.02)
