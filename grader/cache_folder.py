"""The user's cache folder, where a grade keeps what the next grade in a fresh process can reuse:
the recipes of passing checks (grader/recipe_cache.py) and the function markers of a pack's check
files (grader/packs/marker_cache.py). Everything in it is a speed-up only: a file that is missing,
unreadable or from elsewhere is a miss. $AUTOGRADE_CACHE_DIR moves it; `off` turns it off.
"""
from __future__ import annotations

import os
import sys
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
