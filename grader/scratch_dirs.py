"""Workers' scratch folders (and a batch's task folders) that outlive no grader: each is claimed
by a lock its grader holds, and any grader removes those whose grader has died.

A grader killed outright (a batch stopped with Ctrl-C kills its graders with SIGKILL; so do a
cancelled CI job and the kernel's OOM killer) runs none of its cleanup, and its workers' scratch
folders stayed in the temporary folder: each one a student's upload and whatever the submission
wrote, and where the grader runs as root a tmpfs of up to 256 MiB of memory (grader/scratch_fs.py)
mounted until the machine restarts. So beside each folder `autograde-worker-ID` lies a file
`autograde-worker-ID.owner`, flock-ed by the grader that made the folder for as long as the folder
lives. The kernel drops that lock when the grader dies, however it dies; `sweep()` takes every
lock it can, and a lock it can take is a dead grader's: the folder is unmounted and removed.
Folders of graders older than the owner files (no owner file) are removed once a day old.
"""
from __future__ import annotations

import ctypes
import glob
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from pathlib import Path

from grader.uid_lease import UID_RANGE

try:
    import fcntl
except ImportError:  # Windows: no flock; a folder is removed by its own grader only
    fcntl = None  # type: ignore[assignment]

PREFIX = "autograde-worker-"
# The other folders a grader or batch keeps in the temporary folder while it runs, claimed and
# swept the same way: a batch's task folders (a student's upload and its reports) and the
# reference or pack a task carries, unpacked (a course's solution).
TASK_PREFIX, REFERENCE_PREFIX, PACK_PREFIX = ("autograde-task-", "autograde-reference-",
                                              "autograde-pack-")
OWNED_PREFIXES = (PREFIX, TASK_PREFIX, REFERENCE_PREFIX, PACK_PREFIX)
OWNER = ".owner"
# A folder the way tempfile.mkdtemp names it, or a holder scratch_fs.bound made beside it.
_FOLDER = re.compile(re.escape(PREFIX) + r"([a-z0-9_]{8})(-[a-z0-9_]{8})?")
_CLAIM = ".autograde-claim-"
# No grade lasts this long: a folder with no owner file, untouched this long, is a leftover.
LEGACY_AGE = 24 * 3600
CLAIM_AGE = 60  # a claim is renamed to its owner file within milliseconds of its creation
MNT_DETACH, UMOUNT_NOFOLLOW = 2, 8


class Scratch:
    """A worker's scratch folder and the lock that says its grader is alive."""

    def __init__(self, path: Path, lock: int | None) -> None:
        self.path = path
        self._lock: int | None = lock

    @property
    def owner(self) -> Path:
        return self.path.with_name(self.path.name + OWNER)

    def remove(self) -> None:
        """Remove the folder, then the lock. A folder that cannot be removed keeps its owner
        file, unlocked: the next sweep takes it."""
        _unmount(self.path)  # done by its worker's end, unless that end never came
        shutil.rmtree(self.path, ignore_errors=True)
        for holder in self.path.parent.glob(glob.escape(self.path.name) + "-*"):
            shutil.rmtree(holder, ignore_errors=True)  # scratch_fs.bound's, if it was stopped
        if self._lock is None:
            return
        if not os.path.lexists(self.path):
            try:
                self.owner.unlink()
            except OSError:
                pass
        os.close(self._lock)
        self._lock = None


def claim(prefix: str = PREFIX) -> Scratch:
    """A fresh scratch folder in the temporary folder, owned by this process while it lives
    (`prefix`: one of OWNED_PREFIXES)."""
    assert prefix in OWNED_PREFIXES, prefix
    parent = Path(tempfile.gettempdir())
    if fcntl is None:
        return Scratch(Path(tempfile.mkdtemp(prefix=prefix, dir=parent)), None)
    while True:
        # The lock is taken on a file no other process knows the name of yet, then renamed
        # into place: a sweep never finds an owner file that is not locked.
        fd, held = tempfile.mkstemp(prefix=_CLAIM, dir=parent)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # a sweep looking at it this very moment
            os.close(fd)
            continue
        path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        try:
            os.rename(held, path.with_name(path.name + OWNER))
        except FileNotFoundError:  # swept as a stale claim (a clock jump): start again
            os.close(fd)
            path.rmdir()
            continue
        return Scratch(path, fd)


def sweep(parent: Path | None = None) -> list[Path]:
    """Remove the scratch folders in `parent` (the temporary folder) that graders which died
    left behind: those whose owner file's lock can be taken, and those with no owner file
    untouched for LEGACY_AGE. Only this user's; returns the folders removed."""
    if fcntl is None:
        return []
    parent = Path(tempfile.gettempdir()) if parent is None else parent
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    removed = []
    now = time.time()
    for name in names:
        path = parent / name
        if name.startswith(_CLAIM):
            _drop_stale_claim(path, now)
        elif name.startswith(OWNED_PREFIXES) and name.endswith(OWNER):
            folder = path.with_name(name[:-len(OWNER)])
            if _owner_is_dead(path):
                removed += _remove_folders(parent, folder.name, names)
                try:
                    path.unlink()
                except OSError:
                    pass
        elif _FOLDER.fullmatch(name) and _is_legacy(parent, name, names, now):
            removed += _remove_folders(parent, name, [name])
    return removed


def _owner_is_dead(owner: Path) -> bool:
    """True when `owner` is this user's owner file and nobody holds its lock."""
    try:
        fd = os.open(owner, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        # Still the file at that name (not removed by its grader between the open and the lock)?
        try:
            return os.lstat(owner).st_ino == info.st_ino
        except OSError:
            return False
    finally:
        os.close(fd)


def _drop_stale_claim(path: Path, now: float) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return
    try:
        info = os.fstat(fd)
        if info.st_uid != os.geteuid() or now - info.st_mtime < CLAIM_AGE:
            return
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        path.unlink()
    except OSError:
        pass
    finally:
        os.close(fd)


def _is_legacy(parent: Path, name: str, names: list[str], now: float) -> bool:
    """A folder from a grader before the owner files: no owner file for it (or for the folder
    it holds files for), this user's entry, not a link, untouched for LEGACY_AGE."""
    match = _FOLDER.fullmatch(name)
    base = PREFIX + match.group(1) if match else name
    if base + OWNER in names or name + OWNER in names:
        return False
    try:
        info = os.lstat(parent / name)
    except OSError:
        return False
    # A root grader hands the folder (or the tmpfs over it) to the worker's leased uid.
    ours = info.st_uid == os.geteuid() or (os.geteuid() == 0 and info.st_uid in UID_RANGE)
    return stat.S_ISDIR(info.st_mode) and ours and now - info.st_mtime > LEGACY_AGE


def _remove_folders(parent: Path, name: str, names: list[str]) -> list[Path]:
    """Unmount and remove the folder `name` and the holders scratch_fs.bound made beside it."""
    removed = []
    for other in sorted(n for n in names if n == name or n.startswith(name + "-")):
        path = parent / other
        try:
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                continue
        except OSError:
            continue
        _unmount(path)
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.lexists(path):
            removed.append(path)
    return removed


def _mounted(path: Path) -> bool:
    try:
        return os.path.ismount(path)
    except OSError:
        return False


def _unmount(path: Path) -> None:
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for _ in range(4):  # mounts stacked on it by a grader that mounted twice
        if not _mounted(path):
            return
        if libc.umount2(os.fsencode(path), MNT_DETACH | UMOUNT_NOFOLLOW) != 0:
            return
