"""What a worker run as a leased uid under process isolation leaves outside its scratch folder.

In the sandbox a worker's /tmp is its own and its System V IPC namespace is private: nothing
outlives it. Under process isolation it shares the machine's: files it made in /tmp, /var/tmp and
/dev/shm, and its shared memory segments, message queues and semaphore sets, stay when its
processes are killed, owned by its uid. The next lease of that uid is another student's worker,
which could read them (a channel between students), and shared memory outlives every memory
bound the worker had (probe s56: 8 MiB files in each folder and 32 MiB of segments after a batch).
When its lease ends, the uid's own files at the top of those folders and its IPC objects go.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import shutil
from pathlib import Path

SHARED_FOLDERS = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path("/dev/mqueue"))
IPC_RMID = 0
# /proc/sysvipc's tables, the libc call that removes an object of each, and where its id is.
_IPC_TABLES = (("shm", "shmid", "shmctl"), ("msg", "msqid", "msgctl"), ("sem", "semid", "semctl"))


def remove_files_of(uid: int, folders: tuple[Path, ...] = SHARED_FOLDERS,
                    keep: tuple[Path, ...] = ()) -> list[Path]:
    """Remove every entry at the top of `folders` that `uid` owns (a folder with what is in it;
    never through a link), but `keep` (the worker's scratch folder, which its grader removes).
    Returns what was removed."""
    kept = {str(path) for path in keep}
    removed = []
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.path in kept or entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
                removed.append(Path(entry.path))
            except OSError:
                continue
    return removed


def _owned_ids(table: str, id_column: str, uid: int) -> list[int]:
    """The ids of the objects in /proc/sysvipc/`table` that `uid` owns or made."""
    try:
        lines = Path(f"/proc/sysvipc/{table}").read_text().splitlines()
    except OSError:
        return []
    if not lines:
        return []
    header = lines[0].split()
    try:
        at_id, at_uid, at_cuid = (header.index(n) for n in (id_column, "uid", "cuid"))
    except ValueError:
        return []
    ids = []
    for line in lines[1:]:
        fields = line.split()
        try:
            if int(fields[at_uid]) == uid or int(fields[at_cuid]) == uid:
                ids.append(int(fields[at_id]))
        except (IndexError, ValueError):
            continue
    return ids


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name, use_errno=True) if name else None
    except OSError:
        return None


def remove_ipc_of(uid: int) -> int:
    """Remove the System V shared memory segments, message queues and semaphore sets `uid` owns
    or made (Linux). Returns how many were removed."""
    libc = _libc()
    if libc is None:
        return 0
    removed = 0
    for table, id_column, call in _IPC_TABLES:
        remove = getattr(libc, call)
        for ident in _owned_ids(table, id_column, uid):
            # semctl takes a semaphore number before the command; the others the command first.
            args = (ident, 0, IPC_RMID) if call == "semctl" else (ident, IPC_RMID, None)
            if remove(*args) == 0:
                removed += 1
    return removed


def remove_all_of(uid: int, keep: tuple[Path, ...] = ()) -> None:
    """What a worker of `uid` left in the machine's shared places, removed (its processes
    already killed: none can make more meanwhile), but `keep`."""
    remove_files_of(uid, keep=keep)
    remove_ipc_of(uid)
