"""A scratch folder bounded in bytes and in files: a tmpfs of its own, mounted over it.

Each file a worker writes is capped (RLIMIT_FSIZE), the number of files is not, so a submission
could fill the disk with small files (1 GiB in under 9 s was measured). Where the grader runs as
root on Linux, the scratch folder becomes a tmpfs with `size=` and `nr_inodes=` limits: writes past
them fail with ENOSPC, and its pages count against the worker's memory cgroup as well. Elsewhere
the report says the scratch folder is not bounded in total.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import sys
import tempfile
from pathlib import Path

SCRATCH_BYTES = 256 * 2**20
SCRATCH_FILES = 10_000
MNT_DETACH = 2


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def problem() -> str | None:
    """Why the scratch folder cannot be bounded here, or None."""
    if not sys.platform.startswith("linux"):
        return f"no tmpfs on {sys.platform}"
    if os.geteuid() != 0:
        return "only a grader running as root can mount a bounded scratch folder"
    return None


def bound(scratch: Path, uid: int | None) -> bool:
    """Mount a bounded tmpfs over `scratch`, keeping what it holds. False (and nothing changed)
    where that cannot be done."""
    if problem() is not None:
        return False
    holder = Path(tempfile.mkdtemp(prefix=scratch.name + "-", dir=scratch.parent))
    try:
        for item in list(scratch.iterdir()):
            os.replace(item, holder / item.name)
        owner = f",uid={uid},gid={uid}" if uid is not None else ""
        options = f"size={SCRATCH_BYTES},nr_inodes={SCRATCH_FILES},mode=0755{owner}".encode()
        mounted = _libc().mount(b"tmpfs", os.fsencode(scratch), b"tmpfs", 0, options) == 0
        for item in list(holder.iterdir()):
            if mounted:
                if item.is_dir() and not item.is_symlink():
                    shutil.copytree(item, scratch / item.name, symlinks=True)
                else:
                    shutil.copy2(item, scratch / item.name, follow_symlinks=False)
            else:
                os.replace(item, scratch / item.name)
    finally:  # Ctrl-C meanwhile left the holder, a student's upload in it, beside the scratch
        shutil.rmtree(holder, ignore_errors=True)
    return mounted


def release(scratch: Path, keep: tuple[str, ...] = ()) -> None:
    """Unmount the tmpfs over `scratch` (its processes are dead), carrying the files named in
    `keep` (the worker's stderr, read after its death) over to the folder beneath."""
    kept = {}
    for name in keep:
        try:
            kept[name] = (scratch / name).read_bytes()[-64 * 1024:]
        except OSError:
            pass
    if _libc().umount2(os.fsencode(scratch), MNT_DETACH) != 0:
        return
    for name, data in kept.items():
        try:
            (scratch / name).write_bytes(data)
        except OSError:
            pass
