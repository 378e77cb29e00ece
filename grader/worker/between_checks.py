"""What a check leaves behind in the worker, taken away before the next check starts.

Each check runs in a fork of its own, so what its calls do to the interpreter dies with it. Files
they write (in the scratch folder: the working folder, HOME) and processes they start outlived
the fork: a later check read what an earlier one wrote (a function that keeps its last answer on
disk; a diary of every input the checks drew, printed whole by one check sacrificed for it), and
shared the CPU with a process still spinning. So before each check the folders are put back as
they were once the submission had loaded, and every process left over is killed.

Housekeeping, not a wall: code the submission ran as it was imported lives in this very process
and could undo it; the walls between students are the sandbox's and the grader's.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import signal
import stat
import sys
import time
from dataclasses import dataclass

PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
# Files kept byte for byte, to be written back if a check changes them: a submission's own files
# are a few KiB; past these bounds a changed file is left as the check left it.
KEEP_FILE_BYTES = 1 << 20
KEEP_TOTAL_BYTES = 16 << 20
MAX_ENTRIES = 1000  # a bigger folder is only cleared of what is new at its top level (each entry costs each check a stat)
KILL_ROUNDS = 20
REAP_SECONDS = 1.0  # a process that takes longer to die (stuck in the kernel) is left


def become_subreaper() -> bool:
    """Have every orphaned descendant of this process become its child (Linux), so that a process
    a check started and left (double-forked) can still be found. (The grader does the same
    around its workers in grader/containment.py; the worker imports nothing of the grader.)"""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _children() -> list[int]:
    pids: list[int] = []
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return pids
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/children", "rb") as f:
                pids += [int(p) for p in f.read().split()]
        except (OSError, ValueError):
            continue
    return pids


def end_leftover_processes() -> int:
    """Kill and reap every child of this process (with become_subreaper, every process the last
    check left, however it detached); how many there were."""
    ended = 0
    for _ in range(KILL_ROUNDS):
        pids = _children()
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        # SIGKILL takes effect when the process next runs: wait for each to die (a reaped child's
        # own children come to this process, for the next round).
        deadline = time.monotonic() + REAP_SECONDS
        for pid in pids:
            while True:
                try:
                    done, _ = os.waitpid(pid, os.WNOHANG)
                except OSError:  # not a child any more, or already reaped
                    break
                if done or time.monotonic() > deadline:
                    break
                time.sleep(0.0005)
        ended += len(pids)
    return ended


@dataclass(frozen=True)
class _Entry:
    mode: int
    size: int
    mtime_ns: int
    data: bytes | None  # a regular file's bytes, when kept


class Folders:
    """The state of some folders, to be put back between checks."""

    def __init__(self, folders: list[str], skip: set[str]) -> None:
        self.folders = [os.path.abspath(f) for f in folders if os.path.isdir(f)]
        self.skip = {os.path.abspath(s) for s in skip}
        self.entries: dict[str, _Entry] = {}
        self.shallow: set[str] = set()
        budget = KEEP_TOTAL_BYTES
        for folder in self.folders:
            listed = self._walk(folder)
            if listed is None:
                self.shallow.add(folder)
                listed = self._top(folder)
            for path, st in listed:
                data = None
                if stat.S_ISREG(st.st_mode) and st.st_size <= min(KEEP_FILE_BYTES, budget):
                    try:
                        with open(path, "rb") as f:
                            data = f.read(KEEP_FILE_BYTES + 1)
                    except OSError:
                        data = None
                    if data is not None and len(data) == st.st_size:
                        budget -= len(data)
                    else:
                        data = None
                self.entries[path] = _Entry(st.st_mode, st.st_size, st.st_mtime_ns, data)

    def _walk(self, folder: str) -> list[tuple[str, os.stat_result]] | None:
        found: list[tuple[str, os.stat_result]] = []
        stack = [folder]
        while stack:
            try:
                with os.scandir(stack.pop()) as it:
                    for entry in it:
                        if entry.path in self.skip:
                            continue
                        st = entry.stat(follow_symlinks=False)
                        found.append((entry.path, st))
                        if len(found) > MAX_ENTRIES:
                            return None
                        if stat.S_ISDIR(st.st_mode):
                            stack.append(entry.path)
            except OSError:
                continue
        return found

    def _top(self, folder: str) -> list[tuple[str, os.stat_result]]:
        try:
            with os.scandir(folder) as it:
                return [(e.path, e.stat(follow_symlinks=False)) for e in it
                        if e.path not in self.skip]
        except OSError:
            return []

    def restore(self) -> None:
        """Remove what is new, and write back what was changed or removed (as far as it was
        kept). Best effort: what cannot be put back is left as it is."""
        for folder in self.folders:
            listed = self._top(folder) if folder in self.shallow else self._walk(folder)
            for path, st in listed or []:
                before = self.entries.get(path)
                if before is None or stat.S_IFMT(before.mode) != stat.S_IFMT(st.st_mode):
                    _remove(path, st)
                    continue
                if stat.S_ISREG(st.st_mode) and before.data is not None and (
                        st.st_size != before.size or st.st_mtime_ns != before.mtime_ns):
                    _write_back(path, before)
                if stat.S_IMODE(st.st_mode) != stat.S_IMODE(before.mode):
                    _chmod(path, before.mode)
        for path, before in self.entries.items():
            if os.path.lexists(path):
                continue
            parent = os.path.dirname(path)
            if not os.path.isdir(parent):
                continue  # its folder is recreated first: entries are in walk order
            if stat.S_ISDIR(before.mode):
                try:
                    os.mkdir(path, stat.S_IMODE(before.mode))
                except OSError:
                    pass
            elif stat.S_ISREG(before.mode) and before.data is not None:
                _write_back(path, before)


def _remove(path: str, st: os.stat_result) -> None:
    try:
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass


def _write_back(path: str, before: _Entry) -> None:
    try:
        if os.path.islink(path) or not os.path.isfile(path):
            _remove(path, os.lstat(path))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW,
                     stat.S_IMODE(before.mode) | stat.S_IWUSR)
        with os.fdopen(fd, "wb") as f:
            f.write(before.data or b"")
        os.chmod(path, stat.S_IMODE(before.mode))
        os.utime(path, ns=(before.mtime_ns, before.mtime_ns), follow_symlinks=False)
    except OSError:
        pass


def _chmod(path: str, mode: int) -> None:
    try:
        os.chmod(path, stat.S_IMODE(mode), follow_symlinks=False)
    except (OSError, NotImplementedError):
        pass
