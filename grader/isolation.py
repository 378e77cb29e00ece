"""How a worker process is walled off from the machine: the sandbox, or process separation only.

`sandbox` runs the worker under bubblewrap (bwrap): a private mount namespace in which the system's
/usr, /lib*, /bin and /sbin, the Python interpreter and its libraries, the worker's own code and
the submission's scratch folder exist (all read-only but the scratch folder), no network, a PID
namespace whose processes all die with the worker, and a seccomp filter (grader/seccomp_filter.py). `process` is a separate process with resource limits only. `auto` takes the sandbox
where bwrap works and says loudly when it could not.

Running as root, the worker drops to an unprivileged uid leased for its lifetime, so that the
kernel's process limit applies to it and every process it leaves behind can be found and killed.
"""
from __future__ import annotations

import contextlib
import functools
import os
import platform
import shutil
import stat
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from grader import seccomp_filter, uid_lease
from grader.uid_lease import UID_RANGE, UidLease, kill_processes_of  # noqa: F401 (re-exported)

MODES = ("auto", "sandbox", "process")
WORKER_DIR = Path(__file__).resolve().with_name("worker")
SANDBOX_WORKER_DIR = "/opt/autograde/worker"
SANDBOX_SCRATCH = "/sandbox"


class IsolationUnavailable(Exception):
    """The isolation asked for cannot be had on this machine."""


class RootWorkerRefused(IsolationUnavailable):
    """Student code would run as root (the privilege drop cannot be had) where the caller
    refuses that: `autograde gradescope`, whose machine holds the reference and the secret."""


# Set by a command that must never run student code as root (refusing_root_workers).
_REFUSE_ROOT_WORKERS = False


@contextlib.contextmanager
def refusing_root_workers() -> Iterator[None]:
    """Within: a worker that would run as root, outside the sandbox, raises RootWorkerRefused
    instead of starting. Under process isolation, a worker that cannot drop to a uid of its own
    (its interpreter under a /root that other users cannot read: a pyenv or conda as root) ran as
    root: on Gradescope it printed the reference solution into its own feedback and rewrote
    run_autograder."""
    global _REFUSE_ROOT_WORKERS
    before, _REFUSE_ROOT_WORKERS = _REFUSE_ROOT_WORKERS, True
    try:
        yield
    finally:
        _REFUSE_ROOT_WORKERS = before


# The namespaces a worker's sandbox has of its own; bwrap_problem tries them all.
WORKER_NAMESPACES = ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                     "--unshare-cgroup-try")


@functools.lru_cache(maxsize=1)
def bwrap_problem() -> str | None:
    """Why the sandbox cannot run here, or None when it can."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux (this is {sys.platform})"
    exe = shutil.which("bwrap")
    if exe is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt install bubblewrap)"
    # The system folders the worker's sandbox binds, not the whole of `/`: binding `/` remounts
    # every mount point on the machine, and one that comes or goes meanwhile (another grade's
    # scratch) failed the probe, and with it the sandbox of that grade.
    # The namespaces and session the worker's launch asks for (_bwrap_argv), every one: a
    # container that allows some and refuses --unshare-ipc passed a probe of pid and net only,
    # and every worker then died at its start, blamed on the student ("os._exit?").
    probe = [exe, *_system_binds(), "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
             *WORKER_NAMESPACES, "--die-with-parent", "--new-session", "--", "/bin/true"]
    detail = ""
    for _ in range(3):  # a failure that goes away on the next try is not the machine's verdict
        try:
            done = subprocess.run(probe, capture_output=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bubblewrap did not run ({exc})"
        if done.returncode == 0:
            return None
        detail = (done.stderr.decode(errors="replace").strip().splitlines()[-1:]
                  or ["no message"])[0]
    return f"bubblewrap cannot create namespaces here ({detail})"


def _system_binds() -> list[str]:
    """bwrap arguments that show the system's programs and libraries, read-only."""
    argv: list[str] = []
    for top in ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    return argv


def resolve_mode(requested: str) -> tuple[str, str | None]:
    """(mode to use, why the sandbox is not used). Raises IsolationUnavailable when `sandbox` was
    demanded and cannot run."""
    if requested not in MODES:
        raise ValueError(f"isolation {requested!r} is not one of {MODES}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        problem = uid_lease.range_problem(uid_lease.UID_RANGE)
        if problem:  # refused before anything runs, not at the first worker
            raise IsolationUnavailable(problem)
    if requested == "process":
        return "process", "process isolation was asked for (--isolation process)"
    problem = bwrap_problem()
    if problem is None:
        return "sandbox", None
    if requested == "sandbox":
        raise IsolationUnavailable(f"--isolation sandbox: {problem}")
    return "process", problem


def _unreadable_by_others(path: Path) -> str | None:
    """What keeps a process of another, unprivileged uid from reading `path`, or None: the
    first folder on the way (links resolved) it may not search, or the file it may not read.
    Named so, not as the link the user knows (a venv's python3 -> /root/.pyenv/...)."""
    path = path.resolve()
    for parent in reversed(path.parents):
        mode = os.stat(parent).st_mode
        if not mode & stat.S_IXOTH:
            return f"{parent} is {stat.filemode(mode)}"
    mode = os.stat(path).st_mode
    return None if mode & stat.S_IROTH else f"{path} is {stat.filemode(mode)}"


def _drop_blocked(mode: str) -> dict[str, str]:
    """What keeps a worker in `mode` from dropping to a uid of its own, running as root: {what:
    why} ({} when it can drop, or need not). A process-isolated worker can drop only where that
    uid may read the interpreter and the worker: else it runs as root, and no uid is leased."""
    if not (hasattr(os, "geteuid") and os.geteuid() == 0) or mode == "sandbox":
        return {}
    return {what: why for what, path in (("the interpreter", sys.executable),
                                         ("the grader", WORKER_DIR / "main.py"))
            if (why := _unreadable_by_others(Path(path)))}


def _blocked_said(blocked: dict[str, str]) -> str:
    return "; ".join(f"{what} cannot be read by other users ({why})"
                     for what, why in blocked.items())


# What the refusal of root workers offers instead, for `grade` and `batch` alike.
ROOT_WORKERS_WAYS_OUT = (
    "install bubblewrap (Debian/Ubuntu: apt install bubblewrap; --isolation sandbox then demands "
    "it), install the grader with a Python other users can read (python3 -m venv from "
    "/usr/bin/python3, or chmod o+x the folders on the way to it), run the grader as a user "
    "other than root, or pass --allow-root-workers to grade as root anyway")


def root_workers_refusal(requested: str) -> str | None:
    """Why student code graded in `requested` isolation (auto, sandbox, process) would run as
    root, with the ways out, in one line; None when it would not. A worker outside the sandbox
    that cannot drop to a uid of its own ran as root: in a batch one upload SIGKILLed every
    other student's worker (each scored 0) and printed the reference into its own feedback
    (probe s62). An isolation that cannot be had at all is not this function's to say
    (resolve_mode raises it where the grade starts)."""
    if not (hasattr(os, "geteuid") and os.geteuid() == 0):
        return None  # a student's own run: nothing to ask of the machine
    try:
        mode, why_not_sandbox = resolve_mode(requested)
    except IsolationUnavailable:
        return None
    blocked = _drop_blocked(mode)
    if not blocked:
        return None
    return (f"student code would run as root, so any upload could read the reference and stop "
            f"other students' workers: no sandbox ({why_not_sandbox}), and "
            f"{_blocked_said(blocked)}, so the worker cannot drop to a uid of its own. Either "
            f"{ROOT_WORKERS_WAYS_OUT}")


# ---- the plan for one worker --------------------------------------------------------------------
@dataclass
class Launch:
    """How to start one worker: the command, where its files are as the worker sees them, and
    what to clean up after it."""

    argv: list[str]
    scratch_as_seen: str  # the scratch folder's path inside the worker's view
    preexec: Callable[[], None] | None = None
    lease: UidLease | None = None
    notes: list[str] = field(default_factory=list)
    pass_fds: tuple[int, ...] = ()  # handed to the worker's launcher (bwrap's --seccomp FD)

    def started(self) -> None:
        """The launcher has its copies of `pass_fds`: ours are closed."""
        for fd in self.pass_fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.pass_fds = ()

    def cleanup(self) -> None:
        self.started()
        if self.lease is not None:
            self.lease.release()
            self.lease = None


def _python_roots() -> list[str]:
    roots = {sys.base_prefix, sys.prefix, sysconfig.get_paths()["purelib"],
             sysconfig.get_paths()["platlib"], os.path.dirname(os.path.realpath(sys.executable))}
    import numpy  # the worker needs it: bind wherever it is installed
    roots.add(str(Path(numpy.__file__).resolve().parents[1]))
    kept: list[str] = []
    for root in sorted(roots, key=len):
        if os.path.isdir(root) and not any(root == k or root.startswith(k + os.sep) for k in kept):
            kept.append(root)
    return kept


def _bwrap_argv(scratch: Path, env: dict[str, str], uid: int | None,
                seccomp_fd: int | None = None) -> list[str]:
    argv = [shutil.which("bwrap") or "bwrap", "--die-with-parent", "--new-session",
            *WORKER_NAMESPACES, "--hostname", "sandbox", "--proc", "/proc", "--dev", "/dev",
            "--tmpfs", "/tmp", *_system_binds()]
    for item in ("/etc/ld.so.cache", "/etc/localtime"):
        if os.path.exists(item):
            argv += ["--ro-bind", item, item]
    for root in _python_roots():
        if root.startswith("/usr/"):
            continue  # already there
        # Folders on the way are created searchable: a private /root of the host must not stop
        # the unprivileged worker from reaching an interpreter installed below it.
        parts = Path(root).parts
        for i in range(2, len(parts)):
            argv += ["--perms", "0755", "--dir", str(Path(*parts[:i]))]
        argv += ["--ro-bind", root, root]
    argv += ["--perms", "0755", "--dir", "/opt", "--perms", "0755", "--dir", "/opt/autograde",
             "--ro-bind", str(WORKER_DIR), SANDBOX_WORKER_DIR,
             "--bind", str(scratch), SANDBOX_SCRATCH, "--chdir", SANDBOX_SCRATCH, "--clearenv"]
    if seccomp_fd is not None:
        argv += ["--seccomp", str(seccomp_fd)]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    argv.append("--")
    if uid is not None:
        # bwrap runs as root to set up the mounts; the worker itself runs as the leased uid.
        argv += [shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}",
                 "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"]
    return argv


def _drop_to(uid: int, then: Callable[[], None] | None = None) -> Callable[[], None]:
    def drop() -> None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        if then is not None:
            then()  # the seccomp filter, installed by the uid that runs student code
    return drop


def ensure_bytecode(folder: Path) -> None:
    """Byte-compile the worker's modules in `folder` where their compiled copies are missing or
    stale. The worker cannot keep them itself (in the sandbox its folder is read-only, and it runs
    with -I as another user), and an editable install never compiles them: without this, every
    worker compiled its ~2,000 lines afresh, about 50 ms of CPU per submission. What a wheel's
    installer does once; nothing is written where Python was told not to write bytecode, or
    where this user may not write."""
    if sys.dont_write_bytecode:
        return
    import compileall
    try:
        compileall.compile_dir(folder, maxlevels=0, quiet=2)
    except OSError:
        pass


@functools.lru_cache(maxsize=1)
def _worker_compiled() -> None:
    ensure_bytecode(WORKER_DIR)


# Not -I, which is -E -s and the script's folder off sys.path: -E ignores the PYTHONHASHSEED=0 of
# the worker's environment too, so a string's hash, and a set of strings' order, changed from
# run to run, and with them the grade of code that follows that order (probe s61). What -E keeps
# out (PYTHONPATH, PYTHONSTARTUP, ...) cannot come in: the grader builds the worker's environment
# whole (bwrap --clearenv, or Popen's env; grader/proxy.py _Process). -s keeps the user's
# site-packages out, and -P (3.11+) the script's folder off sys.path (on 3.10 the worker takes
# it off itself: worker/main.py _step_aside).
WORKER_FLAGS = ("-s", "-P") if sys.version_info >= (3, 11) else ("-s",)


def plan(mode: str, scratch: Path, env: dict[str, str]) -> Launch:
    """The command that starts a worker in `mode` ("sandbox" or "process") with `scratch` as its
    private, writable folder."""
    _worker_compiled()  # once a process: a batch's warm grader asks only for its first worker
    python = [sys.executable, *WORKER_FLAGS, "-X", "utf8"]
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    blocked = _drop_blocked(mode)
    try:
        lease = UidLease(uid_lease.UID_RANGE) if as_root and not blocked else None
    except uid_lease.UidsUnavailable as exc:
        raise IsolationUnavailable(str(exc)) from None
    notes: list[str] = []
    if mode == "sandbox":
        uid = lease.uid if lease else None
        if lease:
            os.chown(scratch, lease.uid, lease.uid)
        env = {**env, "HOME": SANDBOX_SCRATCH, "TMPDIR": "/tmp"}
        bpf = seccomp_filter.program()
        fd = seccomp_filter.as_fd(bpf) if bpf is not None else None
        if bpf is None:
            notes.append(f"seccomp filter (none written for {platform.machine()}): nested user "
                         "namespaces, mounts and the kernel keyring stay available in the sandbox")
        argv = _bwrap_argv(scratch, env, uid, fd) + python + [f"{SANDBOX_WORKER_DIR}/main.py"]
        return Launch(argv, SANDBOX_SCRATCH, lease=lease, notes=notes,
                      pass_fds=(fd,) if fd is not None else ())
    argv = python + [str(WORKER_DIR / "main.py")]
    seccomp = seccomp_filter.installer()
    if seccomp is None:
        notes.append(f"seccomp filter (none for {sys.platform} {platform.machine()}): the kernel "
                     "keyring, namespaces and mounts are as available as to any process")
    if blocked:
        said = _blocked_said(blocked)
        if _REFUSE_ROOT_WORKERS:
            raise RootWorkerRefused(f"student code would run as root: {said}, so the worker "
                                    "cannot drop to a uid of its own")
        notes.append(f"privilege drop ({said}, so the worker runs as root)")
        return Launch(argv, str(scratch), preexec=seccomp, notes=notes)
    if lease is None:
        return Launch(argv, str(scratch), preexec=seccomp, notes=notes)
    os.chown(scratch, lease.uid, lease.uid)
    lease.shares_the_machine, lease.keep = True, (Path(scratch),)
    return Launch(argv, str(scratch), preexec=_drop_to(lease.uid, then=seccomp), lease=lease,
                  notes=notes)


def describe(mode: str, why_not_sandbox: str | None) -> dict:
    """What the report says about the isolation in force."""
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if mode == "sandbox":
        return {"mode": "sandbox", "sandbox": True, "network": False, "filesystem":
                "read-only: /usr, /lib*, /bin, /sbin, the interpreter and its libraries, the "
                "worker; writable: its scratch folder only",
                "pid_namespace": True,
                "user": "an unprivileged uid of its own" if as_root else "your own uid",
                "summary": "sandbox (bubblewrap): no network, no files in view but the "
                           "upload's and the system's libraries, every process it starts dies "
                           "with it"}
    return {"mode": "process", "sandbox": False, "network": True,
            "filesystem": "everything the worker's user may read or write", "pid_namespace": False,
            "user": "an unprivileged uid of its own" if as_root else "your own uid",
            "why_not_sandbox": why_not_sandbox or "",
            "summary": "process only (NO sandbox: student code can read your files and use the "
                       f"network): {why_not_sandbox}"}


def could_write_users_files(report: dict) -> bool:
    """Whether the worker of a grade (its report's `isolation`) could write the files of the user
    who ran the grader: under process isolation as that user's own uid, or as root when no uid
    could be leased. In the sandbox it sees none of them; as a leased uid it owns none."""
    return report.get("mode") == "process" and not str(report.get("user", "")).startswith(
        "an unprivileged uid")

