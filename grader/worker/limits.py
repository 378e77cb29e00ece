"""Resource limits the worker puts on itself before any student code runs.

POSIX `resource` limits where the OS has them; the function returns what was applied and what was
not, so the report can say which protections were in force.
"""
from __future__ import annotations

import os
import signal
import sys


def _processes_of_this_user() -> int | None:
    """How many processes this uid runs now (Linux: from /proc), or None where that is unknown."""
    proc = "/proc"
    if not os.path.isdir(os.path.join(proc, "self")):
        return None
    uid, count = os.getuid(), 0
    for entry in os.listdir(proc):
        if entry.isdigit():
            try:
                if os.stat(os.path.join(proc, entry)).st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def apply(limits: dict) -> dict:
    """Apply the limits in `limits` (keys: cpu_seconds, address_space, file_size, processes,
    open_files); return {"applied": {...}, "unavailable": [...]}."""
    applied: dict = {}
    unavailable: list[str] = []
    try:
        import resource
    except ImportError:  # Windows
        return {"applied": {}, "unavailable": [f"resource limits ({sys.platform} has no setrlimit)"]}

    wanted = [
        ("cpu_seconds", "RLIMIT_CPU"),
        ("address_space", "RLIMIT_AS"),
        ("file_size", "RLIMIT_FSIZE"),
        ("processes", "RLIMIT_NPROC"),
        ("open_files", "RLIMIT_NOFILE"),
    ]
    for key, name in wanted:
        value = limits.get(key)
        which = getattr(resource, name, None)
        if value is None:
            continue
        if key == "processes" and value is not None:
            # RLIMIT_NPROC counts every process of this uid, not only the worker's: on a student's
            # laptop the worker shares its uid with the desktop. Allow the worker `value` more.
            running = _processes_of_this_user()
            if running is None:
                unavailable.append(f"processes (cannot count this user's processes on {sys.platform})")
                continue
            value += running
        if which is None:
            unavailable.append(f"{key} (no {name} on {sys.platform})")
            continue
        try:
            _soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, value))
            applied[key] = value
        except (ValueError, OSError) as exc:
            unavailable.append(f"{key} ({exc})")
    if "processes" in applied and hasattr(os, "geteuid") and os.geteuid() == 0:
        # The kernel does not count RLIMIT_NPROC against root.
        del applied["processes"]
        unavailable.append("processes (not enforced for root)")
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    if hasattr(signal, "SIGXFSZ"):
        # Past the file-size limit a write fails with an error instead of killing the worker.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return {"applied": applied, "unavailable": unavailable}
