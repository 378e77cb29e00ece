"""The user's cache folder, where a grade keeps what the next grade in a fresh process can reuse:
the recipes of passing checks (grader/recipe_cache.py) and the function markers of a pack's check
files (grader/packs/marker_cache.py). Everything in it is a speed-up only: a file that is missing,
unreadable or from elsewhere is a miss. $AUTOGRADE_CACHE_DIR moves it; `off` turns it off.
"""
from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

CACHE_ENV = "AUTOGRADE_CACHE_DIR"


def folder() -> Path | None:
    """The cache folder, or None when the cache is off."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "none") else Path(chosen)
    try:
        home = Path.home()
    except (RuntimeError, KeyError):  # no HOME and no passwd entry: nowhere of the user's
        return None
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        return base / "autograde" / "Cache"
    if sys.platform == "darwin":
        return None if not home.is_dir() else home / "Library" / "Caches" / "autograde"
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "autograde"
    # A home that does not exist (HOME=/nonexistent, a service account's) is not made, least of
    # all as root: the cache is only a speed-up.
    return None if not home.is_dir() else home / ".cache" / "autograde"


# What the grader keeps there (recipe books, the reference's verdicts, the markers), by pattern.
KEPT = ("recipes-*.json", "reference-verdict-*.json", "markers.json")
READ_LIMIT = 256 * 2**20


def read_text(path: Path, limit: int = READ_LIMIT) -> str | None:
    """The text of a file kept in the cache folder, or None: missing, not a regular file (a named
    pipe put there would block the grade before any deadline), not this user's own, larger than
    `limit`, or not UTF-8."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
            return None
        if hasattr(os, "geteuid") and status.st_uid != os.geteuid():
            return None  # another uid's (a leased worker's, in a folder it may write)
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(limit + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) > limit:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def write_text(path: Path, text: str) -> bool:
    """Write a file of the cache folder whole, readable by this user only; False if it cannot
    (a cache that cannot be written only costs the next grade its speed). Atomic: a grade beside
    this one reads the old file or the new one, never half of one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".autograde-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


def discard() -> None:
    """Remove everything the grader keeps in the cache folder (after a grade whose submission
    could have written it: grader/grading.py): the next grade starts from nothing."""
    where = folder()
    if where is None:
        return
    for pattern in KEPT:
        for path in where.glob(pattern):
            try:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
            except OSError:
                pass
