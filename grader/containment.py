"""Find and kill every process a worker started, however it tried to get away.

A submission's processes can leave the worker's process group (`setsid`), leave the worker's
process tree (double fork: the grandchild is re-parented when its parent exits), ignore every
signal but SIGKILL, and hold the worker's pipes open after the worker itself is gone. Killing the
process group finds none of those, so a worker is contained by every means the machine offers,
and `Containment.kill` uses all of them:

- a cgroup v2 of its own where the grader may create one (Linux, root or a delegated subtree):
  every process forked inside it stays inside it, and `cgroup.kill` ends them all at once; where
  the subtree also delegates the `memory`, `pids` and `cpu` controllers, it bounds the memory of
  all the worker's processes together (tmpfs and shared memory pages included) and their number,
  and gives them one CPU share together (however many processes a submission starts, the one
  graded beside it keeps its share); where it does not but a writable cgroup v1 hierarchy has
  them (hybrid hosts, many containers), a v1 cgroup per controller does the same, and the report
  says which bound no cgroup could give;
- the worker's descendants, walked through /proc while the worker still lives;
- the grader as a child subreaper (PR_SET_CHILD_SUBREAPER): an orphan of a double fork is
  re-parented to the grader instead of init, where it is found and killed like any descendant;
- and, running as root, the worker's leased uid (grader/isolation.py kills every process of it).
"""
from __future__ import annotations

import ctypes
import functools
import itertools
import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

PR_SET_CHILD_SUBREAPER = 36
_counter = itertools.count()
# Workers this process started and still owns: never swept as someone's orphan.
_own_workers: set[int] = set()


@functools.lru_cache(maxsize=1)
def become_subreaper() -> bool:
    """Make this process the reaper of every orphan among its descendants (Linux 3.4+)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time in clock ticks) of `pid`, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()  # the name in parentheses may hold anything
    try:
        return int(fields[1]), int(fields[19])
    except (IndexError, ValueError):
        return None


def started_at(pid: int) -> int | None:
    """When `pid` started, in clock ticks since boot, or None when it is gone."""
    info = _stat(pid)
    return info[1] if info else None


def _all_pids() -> list[int]:
    try:
        return [int(e) for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return []


def descendants(root: int) -> list[int]:
    """Every process below `root` in the process tree (Linux /proc), children first seen first."""
    parents: dict[int, list[int]] = {}
    for pid in _all_pids():
        info = _stat(pid)
        if info is not None:
            parents.setdefault(info[0], []).append(pid)
    found, todo = [], [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _sigkill(pids: list[int]) -> None:
    for pid in pids:
        if pid <= 0:
            # A process of another PID namespace reads as 0 in cgroup.procs, and kill(0) is this
            # process's own group (probe s56: a grader in a PID namespace killed itself so).
            continue
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _reap(pids: list[int]) -> list[int]:
    """Collect those of `pids` (orphans re-parented to us) that are dead, so they do not stay
    zombies; return those still alive or dying."""
    left = []
    for pid in pids:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except OSError:
            continue  # not our child, or already collected
        if done == 0:
            left.append(pid)
    return left


# ---- cgroup v2 ----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _cgroup2_home() -> tuple[Path | None, str]:
    """The cgroup v2 folder this process lives in, and why there is none when there is not."""
    if not sys.platform.startswith("linux"):
        return None, f"no cgroups on {sys.platform}"
    mount = None
    try:
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            left, _, right = line.partition(" - ")
            if right.split()[:1] == ["cgroup2"]:
                mount = left.split()[4]
                break
        own = next((line[3:] for line in Path("/proc/self/cgroup").read_text().splitlines()
                    if line.startswith("0::")), None)
    except OSError as exc:
        return None, f"cgroups unreadable ({exc})"
    if mount is None or own is None:
        return None, "no cgroup v2 hierarchy is mounted"
    home = Path(mount) / own.lstrip("/")
    if not os.access(home, os.W_OK):
        return None, f"the cgroup v2 folder {home} is not writable by the grader"
    return home, ""


def cgroup_controllers() -> set[str]:
    """The controllers a worker's cgroup would have (those delegated to the grader's subtree)."""
    home, _ = _cgroup2_home()
    if home is None:
        return set()
    try:
        return set((home / "cgroup.subtree_control").read_text().split())
    except OSError:
        return set()


# What a worker's cgroup gives, per controller, as the report names a bound it could not have.
BOUNDS = {"memory": "bound over all processes", "pids": "bound over all processes",
          "cpu": "share for all processes together (a submission's many processes would take a "
                 "share each from the one graded beside it)"}


class Cgroup:
    """A cgroup v2 of one worker's own."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, memory: int | None, processes: int | None) -> tuple[Cgroup | None, list[str]]:
        """A fresh cgroup with the bounds the machine allows, and notes on those it does not."""
        home, why = _cgroup2_home()
        if home is None:
            return None, [f"a cgroup per worker ({why})"]
        path = home / f"autograde-{os.getpid()}-{next(_counter)}"
        try:
            path.mkdir()
        except OSError as exc:
            return None, [f"a cgroup per worker ({exc})"]
        group, notes = cls(path), []
        controllers = cgroup_controllers()
        for controller, files in (("memory", {"memory.max": memory, "memory.swap.max": 0}),
                                  ("pids", {"pids.max": processes}),
                                  ("cpu", {})):  # the default weight: one share for the group
            if controller not in controllers:
                notes.append(f"{controller} {BOUNDS[controller]} (the cgroup v2 {controller} "
                             f"controller is not delegated to {home})")
                continue
            for name, value in files.items():
                if value is not None and (path / name).exists():
                    (path / name).write_text(str(value))
        return group, notes

    def join(self) -> None:
        """Move the calling process (a worker between fork and exec) into this cgroup."""
        with open(self.path / "cgroup.procs", "w") as procs:
            procs.write("0")

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def kill(self) -> None:
        try:
            (self.path / "cgroup.kill").write_text("1")  # Linux 5.14+: atomic, forks included
        except OSError:
            pass
        for _ in range(20):  # older kernels: sweep until a fork storm has nothing left to fork
            pids = self.pids()
            if not pids:
                break
            _sigkill(pids)
            time.sleep(0.01)

    def remove(self) -> None:
        for _ in range(100):  # a killed process leaves its cgroup a moment after SIGKILL
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.02)


# ---- cgroup v1, for the bounds a v2 hierarchy does not delegate -----------------------------------
@functools.lru_cache(maxsize=4)
def _cgroup1_home(controller: str) -> Path | None:
    """This process's folder in the cgroup v1 hierarchy of `controller`, if the grader may write
    there (hybrid hosts and containers keep `memory` and `pids` on v1)."""
    try:
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
        own = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    mount = next((line.split()[4] for line in mounts
                  if line.partition(" - ")[2].split()[:1] == ["cgroup"]
                  and controller in line.partition(" - ")[2].split()[-1].split(",")), None)
    path = next((line.split(":", 2)[2] for line in own
                 if controller in line.split(":", 2)[1].split(",")), None)
    if mount is None or path is None:
        return None
    home = Path(mount) / path.lstrip("/")
    return home if os.access(home, os.W_OK) else None


def cgroup1(controller: str, settings: dict[str, int]) -> Cgroup | None:
    """A v1 cgroup of `controller` with `settings` written, or None where there is none."""
    home = _cgroup1_home(controller)
    if home is None:
        return None
    path = home / f"autograde-{os.getpid()}-{next(_counter)}"
    try:
        path.mkdir()
        for name, value in settings.items():
            if (path / name).exists():
                (path / name).write_text(str(value))
    except OSError:
        Cgroup(path).remove()
        return None
    return Cgroup(path)


# ---- what graders that died left -------------------------------------------------------------
_OWN_NAME = re.compile(r"autograde-(\d+)-\d+")


def remove_stale() -> list[Path]:
    """Remove the empty worker cgroups, v2 and v1, that graders which died before releasing them
    left in this grader's cgroup folders (a grader killed outright runs no cleanup). A cgroup is
    named after the grader that made it: one whose grader is alive is left alone, and the kernel
    refuses to remove one that still has processes. Nothing in them is killed here: a grader in
    another PID namespace (a container's) names its cgroups by pids this one cannot see, and a
    sweep that killed what ran in "dead" graders' cgroups killed live graders' workers (probe
    s56). What a grader this process stopped itself left running goes with kill_left_by.
    Returns those removed."""
    removed = []
    for path, grader in _worker_cgroups():
        if _alive(grader):
            continue
        try:
            path.rmdir()
            removed.append(path)
        except OSError:
            pass
    return removed


def kill_left_by(grader_pid: int) -> None:
    """Kill what still runs in the worker cgroups of a grader this process started and has just
    killed outright (a batch stopping its graders): under process isolation a worker runs in a
    session of its own, which killing the grader's session misses, and a submission's children
    outlived an interrupted batch (probe s56: 5 to 25 processes). Only processes this process can
    see (a pid of another namespace reads as 0 and is never signalled)."""
    for path, grader in _worker_cgroups():
        if grader != grader_pid:
            continue
        group = Cgroup(path)
        if any(pid <= 0 for pid in group.pids()):
            continue  # not all of it is in this namespace: not ours to kill
        group.kill()


def _worker_cgroups() -> Iterator[tuple[Path, int]]:
    """(path, pid of the grader that made it) of every worker cgroup, v2 and v1, in this grader's
    cgroup folders."""
    homes = [_cgroup2_home()[0]] + [_cgroup1_home(c) for c in ("memory", "pids", "cpu")]
    for home in {h for h in homes if h is not None}:
        try:
            names = os.listdir(home)
        except OSError:
            continue
        for name in names:
            match = _OWN_NAME.fullmatch(name)
            if match is not None:
                yield home / name, int(match.group(1))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


# The launcher of a worker that needs nothing but its cgroups between fork and exec
# (Containment.launch): each argument up to "--" a cgroup.procs file to join, then the command.
# A join that fails ends it before the command runs, with status 125 and a line on its stderr.
JOINING_SHELL = "/bin/sh"
_JOIN_THEN_EXEC = ('while [ "$1" != -- ]; do echo 0 > "$1" || '
                   '{ echo "autograde: could not join the cgroup $1" >&2; exit 125; }; shift; '
                   'done; shift; exec "$@"')


# ---- one worker ---------------------------------------------------------------------------------
class Containment:
    """Everything needed to find all of one worker's processes again."""

    def __init__(self, *, memory: int | None = None, processes: int | None = None) -> None:
        become_subreaper()
        self.cgroup, notes = Cgroup.create(memory, processes)
        # Bounds the v2 hierarchy does not delegate, from v1 where the machine has it there.
        self.extra: list[Cgroup] = []
        self.notes: list[str] = []
        v1 = {"memory": {"memory.limit_in_bytes": memory, "memory.memsw.limit_in_bytes": memory,
                         "memory.swappiness": 0},
              "pids": {"pids.max": processes},
              "cpu": {"cpu.shares": 1024}}  # the default: one share for the whole group
        for note in notes:
            controller = note.split()[0]
            settings = {k: v for k, v in v1.get(controller, {}).items() if v is not None}
            group = cgroup1(controller, settings) if settings else None
            if group is None:
                self.notes.append(note)
            else:
                self.extra.append(group)
        self.pid: int | None = None
        self._started: int | None = None

    def preexec(self, then=None):
        """The function to run between fork and exec: join the cgroup, then `then` (the drop to an
        unprivileged uid, after which joining would no longer be allowed)."""
        groups = ([self.cgroup] if self.cgroup is not None else []) + self.extra

        def run() -> None:
            for group in groups:
                group.join()
            if then is not None:
                then()
        return run if groups or then is not None else None

    def launch(self, argv: list[str], then=None) -> tuple[list[str], Callable[[], None] | None]:
        """The command that starts the worker inside its cgroups, and the function (if any) to
        run between fork and exec. With nothing else to do there, a shell joins the cgroups and
        execs the worker: a grader that runs a function between fork and exec must fork in
        full (no vfork), and then pays for copying its page tables and for a copy-on-write fault
        on each page it writes afterwards (measured: a 140 MiB process that walks 300,000 of its
        objects after each start spent 17-18 ms of CPU a start with such a function, 6.5 ms
        without). The shell costs about 1 ms and leaves nothing outside the cgroups: everything
        the worker starts is started after the join, as before."""
        groups = ([self.cgroup] if self.cgroup is not None else []) + self.extra
        if then is None and groups and os.path.exists(JOINING_SHELL):
            procs = [str(group.path / "cgroup.procs") for group in groups]
            return [JOINING_SHELL, "-c", _JOIN_THEN_EXEC, "autograde-join", *procs, "--",
                    *argv], None
        return argv, self.preexec(then)

    def started(self, pid: int) -> None:
        self.pid = pid
        _own_workers.add(pid)
        info = _stat(pid)
        self._started = info[1] if info else None

    def kill(self, exited: bool = False) -> None:
        """SIGKILL the worker and everything it started. Does not wait for the worker itself
        (its Popen does); collects the orphans re-parented to the grader. `exited`: the worker
        already ended by itself and was collected (its pid may be anyone's now)."""
        tree = descendants(self.pid) if self.pid is not None and not exited else []
        groups = ([self.cgroup] if self.cgroup is not None else []) + self.extra
        left_behind = any(group.pids() for group in groups)
        for group in groups:
            group.kill()
        if self.pid is not None and not exited:
            _sigkill([self.pid])
        _sigkill(tree)
        found = self._orphans()
        seen = set(found)
        _sigkill(found)
        dying = _reap(found)  # the dead (a sandbox's exited launcher, say) are collected now
        # Orphans of the orphans arrive as their parents die: look again while anything may still
        # be dying, and at least once after a kill.
        rounds = 0
        while (dying or left_behind or not exited) and rounds < 3:
            time.sleep(0.01)
            rounds += 1
            fresh = [pid for pid in self._orphans() if pid not in seen]
            seen.update(fresh)
            _sigkill(fresh)
            dying = _reap(dying + fresh)
            left_behind = False
            if not fresh and not dying:
                break
        _reap(dying + tree)

    def _orphans(self) -> list[int]:
        """Processes re-parented to this (subreaper) grader since the worker started: no other
        child of the grader is that young but the workers it owns."""
        if self._started is None or not sys.platform.startswith("linux"):
            return []
        me, found = os.getpid(), []
        for pid in _all_pids():
            info = _stat(pid)
            if info and info[0] == me and info[1] >= self._started and pid not in _own_workers:
                found.append(pid)
        return found

    def release(self) -> None:
        if self.pid is not None:
            _own_workers.discard(self.pid)
        for group in ([self.cgroup] if self.cgroup is not None else []) + self.extra:
            group.remove()
        self.cgroup, self.extra = None, []
