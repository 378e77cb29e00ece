"""The worker's own clock: wall time less the time this process waited for a CPU.

The grader stretches its import deadline by the time the worker's processes spent runnable but not
running (grader/cpu_wait.py); a notebook's cell budget, kept here, counts the same time, so on a
busy machine a cell is not stopped for time the submission never had. Linux keeps the wait in
/proc/self/schedstat (nanoseconds, its second field); elsewhere this is plain wall time.
"""
from __future__ import annotations

import time

try:
    import kept
except ImportError:  # the grader's process, which imports this module as grader.worker.*
    from grader.worker import kept

time = kept.copy_of(time)  # noqa: F811 (the worker's own: kept.py)


def waited() -> float:
    """Seconds this process has waited for a CPU since it started (0 where unknown)."""
    try:
        with open("/proc/self/schedstat") as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def now() -> float:
    """time.monotonic() less the time waited for a CPU: differences between two readings are the
    time this process ran or slept, not the time it queued behind others."""
    return time.monotonic() - waited()
