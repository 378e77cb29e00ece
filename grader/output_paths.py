"""Where reports go: find out before grading that one cannot be written, and say so in one line.

A grade can take minutes (a batch, hours); an unwritable `--json` found only at the end loses
that work and used to print a traceback with exit status 1, which a pipeline reads as
`--fail-under`'s "score too low".
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def problem(path: Path, *, folder: bool = False) -> str | None:
    """Why `path` (a file to write, or with `folder` a folder to write into) cannot be written,
    or None. Missing parent folders are fine (they are created); the nearest existing one is
    probed by creating and removing a file in it, which also holds for root and read-only mounts
    where permission bits alone would say yes."""
    path = Path(path)
    try:
        exists = path.exists()
        if not exists and path.is_symlink():
            if folder:  # made with mkdir, which a link in the way refuses (a traceback)
                return f"it is a link to {os.readlink(path)}, which does not exist"
            path = Path(os.path.realpath(path))  # a link to no file yet: its target is written
    except OSError as exc:  # a name too long for the file system, ...
        return exc.strerror or str(exc)
    if exists:
        if folder and not path.is_dir():
            return "it is a file, not a folder"
        if not folder and path.is_dir():
            return "it is a folder"
        if not folder and not os.access(path, os.W_OK):
            return "permission denied"
        if not folder and not path.is_file():
            return None  # a device or pipe (/dev/stdout, >(jq .)): written through, as it is
        if not folder and path.is_symlink():
            path = Path(os.path.realpath(path))  # the file it links to is what is written
    existing = path if folder and path.is_dir() else path.parent
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a folder"
    try:
        fd, probe = tempfile.mkstemp(prefix=".autograde-probe-", dir=existing)
    except OSError as exc:
        return f"cannot write in {existing}: {exc.strerror or exc}"
    os.close(fd)
    os.unlink(probe)
    return None


__all__ = ["problem"]
