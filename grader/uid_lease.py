"""Unprivileged uids for workers, leased so that no two workers on one machine ever share one.

Running as root, each worker runs as a uid of its own from UID_RANGE: the kernel's process limit
then counts only its processes, and every process it leaves behind can be found by uid and killed.
That kill is only safe if the uid is nobody else's, so a lease is taken three ways at once:

- an abstract Unix socket named after the uid, bound for as long as the lease lives: abstract
  names are shared by every process in the network namespace whatever its /tmp or /run (PrivateTmp,
  a nested sandbox), and the kernel frees the name when the holder dies, even by SIGKILL. Any
  process of the namespace can bind such a name, a submission graded under process isolation
  too: a name held by no root process (only root leases) is a squatter's, and does not stop a
  lease whose locks are free;
- an flock on a file under /run/lock (or /var/lock), for graders in different network namespaces
  that share the host's /run, and one in /tmp/autograde-uids, where older graders lock;
- and a uid that any process runs as right now is skipped, not killed: it is either another
  grader's, which neither lock could see, or what a grader killed outright left behind.

A range that holds a real account's uid or group's gid (the passwd and group databases, NSS
included) is refused: killing "every process of the uid" would kill that account's processes.
"""
from __future__ import annotations

import functools
import os
import signal
import socket
from pathlib import Path
from typing import Iterator

UID_RANGE = range(61000, 62000)
LOCK_DIRS = (Path("/run/lock/autograde-uids"), Path("/var/lock/autograde-uids"))
# Where graders before this one took their flocks: held too, so that old and new graders on one
# machine (an upgrade in progress) never hand out the same uid.
LEGACY_LOCK_DIR = Path("/tmp/autograde-uids")
# /proc/PID/status is about 1.4 kB; "Uid:" is on its ninth line, well inside this.
STATUS_BYTES = 4096


class UidsUnavailable(Exception):
    """No uid can be leased: the range is unsafe or every uid in it is taken."""


@functools.lru_cache(maxsize=4)  # the databases may be remote (NSS): read them once per range
def range_problem(uids: range = UID_RANGE) -> str | None:
    """Why `uids` must not be used for workers (a real account or group has one), or None."""
    import grp
    import pwd
    for entry in pwd.getpwall():
        if entry.pw_uid in uids:
            return (f"the worker uid range {uids.start}-{uids.stop - 1} holds the uid of the account "
                    f"{entry.pw_name!r} ({entry.pw_uid}); the grader kills every process of a "
                    "worker's uid, so it refuses to use a range a real account shares")
    for group in grp.getgrall():
        if group.gr_gid in uids:
            return (f"the worker uid range {uids.start}-{uids.stop - 1} holds the gid of the group "
                    f"{group.gr_name!r} ({group.gr_gid}); a worker would get that group's access")
    return None


def real_uids() -> Iterator[tuple[int, int]]:
    """(pid, real uid) of every process running now (Linux /proc). Read as bytes with os calls:
    a lease reads every process's status three times (twice to take it, once to sweep at its
    release), and through pathlib and text decoding a read of 80 processes cost 2.1 ms of CPU,
    0.9 ms so; a machine running more processes pays in proportion. Not the owner of /proc/PID:
    that is the effective uid."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fd = os.open(f"/proc/{name}/status", os.O_RDONLY)
        except OSError:
            continue
        try:
            status = os.read(fd, STATUS_BYTES)
        except OSError:
            continue
        finally:
            os.close(fd)
        at = status.find(b"\nUid:")
        if at < 0:
            continue
        fields = status[at + 5:status.find(b"\n", at + 5)].split()
        try:
            yield int(name), int(fields[0])
        except (IndexError, ValueError):
            continue


def uids_in_use() -> set[int]:
    """The real uids of every process running now (Linux /proc)."""
    return {uid for _, uid in real_uids()}


def _lock_dirs() -> list[Path]:
    """The first machine-wide lock folder that can be had, and the legacy one."""
    found = []
    for folder in LOCK_DIRS:
        try:
            folder.mkdir(mode=0o755, exist_ok=True)
            found.append(folder)
            break
        except OSError:
            continue
    try:
        LEGACY_LOCK_DIR.mkdir(mode=0o755, exist_ok=True)
        found.append(LEGACY_LOCK_DIR)
    except OSError:
        pass
    return found


def _flock_all(folders: list[Path], uid: int) -> list[int] | None:
    """Exclusive flocks on `uid`'s file in every folder, or None (and none held) if one is taken."""
    import fcntl  # POSIX only, and only root leases uids
    held: list[int] = []
    for folder in folders:
        fd = os.open(folder / f"{uid}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            for other in held:
                os.close(other)
            return None
        held.append(fd)
    return held


class UidLease:
    """An otherwise unused uid, held for as long as one worker lives."""

    def __init__(self, uids: range = UID_RANGE) -> None:
        problem = range_problem(uids)
        if problem:
            raise UidsUnavailable(problem)
        folders = _lock_dirs()
        busy = uids_in_use()
        squatted: set[int] | None = None  # read once, when a name is first found taken
        for uid in uids:
            if uid in busy:
                continue
            sock: socket.socket | None = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            try:
                sock.bind(_name_of(uid))
            except OSError:
                sock.close()
                sock = None
            fds = _flock_all(folders, uid)
            if sock is None and fds is not None:
                # The name is taken but the locks are free: another grader whose /run and /tmp
                # are not ours, or a squatter. Only root leases uids, so a name no root process
                # holds is a squatter's (a submission binding every name, over and over, as its
                # grader freed them, failed every other grade of the class).
                if squatted is None:
                    squatted = names_held_without_root()
                if uid not in squatted:
                    for fd in fds:
                        os.close(fd)
                    fds = None
            if fds is None or uid in uids_in_use():  # taken meanwhile, by someone we cannot see
                if sock is not None:
                    sock.close()
                for fd in fds or []:
                    os.close(fd)
                continue
            self.uid: int = uid
            self._sock = sock
            self._fds = fds
            self._held = True
            # Set for a worker under process isolation (grader/isolation.py): what its uid
            # leaves in /tmp, /dev/shm and System V IPC goes with the lease (uid_leftovers.py),
            # but its scratch folder, which the grader removes itself.
            self.shares_the_machine = False
            self.keep: tuple[Path, ...] = ()
            return
        raise UidsUnavailable(f"no free uid in the worker range {uids.start}-{uids.stop - 1}")

    def release(self) -> None:
        if not self._held:
            return
        self._held = False
        kill_processes_of(self.uid)
        if self.shares_the_machine:
            from grader import uid_leftovers
            uid_leftovers.remove_all_of(self.uid, keep=self.keep)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        for fd in self._fds:
            os.close(fd)
        self._fds = []


def _name_of(uid: int) -> str:
    return f"\0autograde-uid-{uid}"


def names_held_without_root() -> set[int]:
    """The uids whose lease name (an abstract socket) is bound, and held by processes none of
    which runs as root (Linux: /proc/net/unix and every process's descriptors). A name whose
    holders cannot be found (another PID namespace) counts as a grader's."""
    inodes: dict[str, int] = {}
    try:
        with open("/proc/net/unix", encoding="utf-8", errors="replace") as table:
            next(table, None)
            for line in table:
                fields = line.split()
                if len(fields) >= 8 and fields[7].startswith("@autograde-uid-"):
                    try:
                        inodes[fields[6]] = int(fields[7].rsplit("-", 1)[1])
                    except ValueError:
                        continue
    except OSError:
        return set()
    holders: dict[int, set[int]] = {}
    if inodes:
        for pid, real in real_uids():
            try:
                descriptors = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for fd in descriptors:
                try:
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    holders.setdefault(inodes[link[8:-1]], set()).add(real)
    return {uid for uid, reals in holders.items() if 0 not in reals}


def kill_processes_of(uid: int) -> int:
    """SIGKILL every process whose real uid is `uid` (what a worker left behind: daemons, forks
    that escaped its process group). Returns how many were found."""
    found = 0
    for _ in range(5):  # a fork storm may spawn while we sweep: sweep until quiet
        pids = [pid for pid, real in real_uids() if real == uid]
        if not pids:
            break
        found += len(pids)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    return found
