"""What a check leaves behind in the worker, taken away before the next check starts.

Each check runs in a fork of its own, so what its calls do to the interpreter dies with it. Files
they write (in the scratch folder: the working folder, HOME) and processes they start outlived
the fork: a later check read what an earlier one wrote (a function that keeps its last answer on
disk; a diary of every input the checks drew, printed whole by one check sacrificed for it), and
shared the CPU with a process still spinning. So before each check the folders are put back as
they were once the submission had loaded, and every process left over is killed.

A file is as the import left it or it is gone: one the check wrote, changed (its change time says
so, whatever its size and modification time claim), or turned into a folder is put back from the
copy taken after the import, or removed where no copy could be kept (past KEEP_TOTAL_BYTES); one
it removed is written again; modes are put back, a folder's before what is in it is looked at.

Housekeeping, not a wall: code the submission ran as it was imported lives in this very process
and could undo it; the walls between students are the sandbox's and the grader's.
"""
from __future__ import annotations

import ctypes
import os
import signal
import stat
import sys
import time
from dataclasses import dataclass

try:
    import kept
except ImportError:  # the grader's process, which imports this module as grader.worker.*
    from grader.worker import kept

# The worker's own copies, which a submission's `os.kill = ...` does not reach (kept.py).
os = kept.copy_of(os)  # noqa: F811
time = kept.copy_of(time)  # noqa: F811

PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
# The bytes of the import's files kept, to be written back where a check changes or removes
# them: a submission's own files are a few KiB, a course's data files some MiB.
KEEP_TOTAL_BYTES = 64 << 20
# Past this many entries a folder is put back at its top level only (each entry costs each
# check a stat: 20,000 of them some 40 ms).
MAX_ENTRIES = 20000
STOP_ROUNDS = 50    # rounds of stopping leftover processes before all are killed
REAP_SECONDS = 2.0  # a process that takes longer to die (stuck in the kernel) is left


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


# ---- processes ----------------------------------------------------------------------------------
def children_of(pid: int | str) -> list[int]:
    """The children of `pid` (Linux 3.5+: /proc/PID/task/TID/children of each of its threads);
    the grader's grader/stopped_worker.py reads them too."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", "rb") as f:
                found += [int(p) for p in f.read().split()]
        except (OSError, ValueError):
            continue
    return found


def _descendants() -> list[int]:
    """Every process below this one, breadth first (from /proc)."""
    found: list[int] = []
    queue = children_of("self")
    seen: set[int] = set()
    while queue:
        pid = queue.pop(0)
        if pid in seen:
            continue
        seen.add(pid)
        found.append(pid)
        queue += children_of(pid)
    return found


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except OSError:
        pass


def end_leftover_processes() -> int:
    """Kill every process below this one (with become_subreaper, every process the last check
    left, however it detached) and reap them; how many there were. Each is stopped first, round
    after round until none is left running: a stopped process forks no more, so a fork bomb is
    held whole before it is killed (killed as found, its processes kept forking into the rounds
    and outlived them: later checks ran out of processes, a grade took 215 s)."""
    stopped: set[int] = set()
    for _ in range(STOP_ROUNDS):
        found = [pid for pid in _descendants() if pid not in stopped]
        if not found:
            break
        for pid in found:
            _signal(pid, signal.SIGSTOP)
        stopped.update(found)
    for pid in set(_descendants()) | stopped:
        _signal(pid, signal.SIGKILL)
    _reap()
    return len(stopped)


def _reap() -> None:
    """Wait for the killed processes to die: a dead child's own children come to this process
    (a subreaper), to be waited for in turn."""
    deadline = time.monotonic() + REAP_SECONDS
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        except OSError:
            return
        if pid:
            continue
        pending = _descendants()
        if not pending:
            return
        for left in pending:  # one that came to this process after the kill round
            _signal(left, signal.SIGKILL)
        time.sleep(0.0005)


# ---- files --------------------------------------------------------------------------------------
@dataclass
class _Entry:
    mode: int
    size: int
    mtime_ns: int
    ctime_ns: int
    data: bytes | None = None  # a regular file's bytes, when kept
    link: str | None = None    # a symbolic link's target


class Folders:
    """The state of some folders, to be put back between checks."""

    def __init__(self, folders: list[str], skip: set[str]) -> None:
        self.folders = [os.path.abspath(f) for f in folders if os.path.isdir(f)]
        self.skip = {os.path.abspath(s) for s in skip}
        self.entries: dict[str, _Entry] = {}  # parents before what they hold
        self.shallow: set[str] = set()
        budget = KEEP_TOTAL_BYTES
        for folder in self.folders:
            try:
                self.entries[folder] = self._entry(folder, os.lstat(folder))
            except OSError:
                continue
            listed = self._listing(folder)
            if listed is None:
                self.shallow.add(folder)
                listed = self._listing(folder, deep=False) or []
            for path, st in listed:
                entry = self._entry(path, st)
                if stat.S_ISREG(st.st_mode) and st.st_size <= budget:
                    entry.data = _read(path, st.st_size)
                    budget -= len(entry.data or b"")
                self.entries[path] = entry

    @staticmethod
    def _entry(path: str, st: os.stat_result) -> _Entry:
        link = None
        if stat.S_ISLNK(st.st_mode):
            try:
                link = os.readlink(path)
            except OSError:
                link = None
        return _Entry(st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, link=link)

    def _listing(self, folder: str, deep: bool = True) -> list[tuple[str, os.stat_result]] | None:
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
                        if len(found) > MAX_ENTRIES and deep:
                            return None
                        if deep and stat.S_ISDIR(st.st_mode):
                            stack.append(entry.path)
            except OSError:
                continue
        return found

    def restore(self) -> None:
        """Put every folder back. Best effort: what cannot be put back is left as it is."""
        for folder in self.folders:
            self._restore_folder(folder, deep=folder not in self.shallow)
        for path, before in self.entries.items():
            if not os.path.lexists(path):
                self._recreate(path, before)

    def _restore_folder(self, top: str, deep: bool) -> None:
        stack = [top]
        while stack:
            folder = stack.pop()
            known = self.entries.get(folder)
            # Its own mode first: a folder the check made unreadable (000) or read-only (555)
            # would keep what it holds out of sight, or in place.
            _chmod(folder, stat.S_IRWXU)
            try:
                with os.scandir(folder) as it:
                    listed = [(e.path, e.stat(follow_symlinks=False)) for e in it
                              if e.path not in self.skip]
            except OSError:
                listed = []
            for path, st in listed:
                before = self.entries.get(path)
                if before is None or stat.S_IFMT(before.mode) != stat.S_IFMT(st.st_mode):
                    _remove(path, st)
                elif stat.S_ISDIR(st.st_mode):
                    if deep:
                        stack.append(path)
                    elif stat.S_IMODE(st.st_mode) != stat.S_IMODE(before.mode):
                        _chmod(path, before.mode)
                elif st.st_ctime_ns != before.ctime_ns or st.st_size != before.size:
                    # Changed: written, its mode or times set (each moves the change time).
                    _remove(path, st)
                    self._recreate(path, before)
            if known is not None:
                _chmod(folder, known.mode)

    def _recreate(self, path: str, before: _Entry) -> None:
        if stat.S_ISDIR(before.mode):
            try:
                os.mkdir(path, stat.S_IRWXU)
            except OSError:
                return
            _chmod(path, before.mode)
        elif stat.S_ISREG(before.mode) and before.data is not None:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                             stat.S_IRUSR | stat.S_IWUSR)
                with os.fdopen(fd, "wb") as f:
                    f.write(before.data)
                os.utime(path, ns=(before.mtime_ns, before.mtime_ns), follow_symlinks=False)
                _chmod(path, before.mode)
            except OSError:
                return
        elif stat.S_ISLNK(before.mode) and before.link is not None:
            try:
                os.symlink(before.link, path)
            except OSError:
                return
        else:
            return  # a file no copy was kept of, a FIFO or a socket: gone rather than changed
        try:
            before.ctime_ns = os.lstat(path).st_ctime_ns  # the change time of the copy put back
        except OSError:
            pass


def _read(path: str, size: int) -> bytes | None:
    try:
        with open(path, "rb") as f:
            data = f.read(size + 1)
    except OSError:
        return None
    return data if len(data) == size else None


def _remove(path: str, st: os.stat_result) -> None:
    """Remove a file, or a folder and all it holds (made writable on the way, so that a folder a
    check set to 000 or 555 goes too), without following symbolic links."""
    if not stat.S_ISDIR(st.st_mode):
        try:
            os.unlink(path)
        except OSError:
            pass
        return
    stack = [(path, False)]
    while stack:
        folder, emptied = stack.pop()
        if emptied:
            try:
                os.rmdir(folder)
            except OSError:
                pass
            continue
        _chmod(folder, stat.S_IRWXU)
        stack.append((folder, True))
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((entry.path, False))
                    else:
                        try:
                            os.unlink(entry.path)
                        except OSError:
                            pass
        except OSError:
            pass


def _chmod(path: str, mode: int) -> None:
    """Only ever called on a folder or a regular file just seen as such (Linux has no lchmod), with
    every process of the check gone, so nothing can have made it a link since."""
    try:
        os.chmod(path, stat.S_IMODE(mode))
    except OSError:
        pass
