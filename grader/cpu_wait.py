"""How long a worker's processes waited for a CPU: the time a deadline gives back on a busy machine.

A deadline is wall time, and on a loaded machine (a batch beside other work, a laptop compiling
something) an honest import or call can spend most of its wall time runnable but not running.
Counted as the student's time, that turns the machine's load into a zero that the same upload does
not get on the next run. The kernel keeps, per process, the time it spent waiting on a run queue
(the second field of /proc/PID/schedstat); a deadline that has passed is stretched by that time,
which an endless loop on an idle machine never has and a sleeping call never gathers.

Linux only; elsewhere, and where /proc cannot be read, the wait is 0 and deadlines are plain wall
time. Read only when a deadline has passed, so it costs nothing while calls answer in time.
"""
from __future__ import annotations

import os
import sys
import time

from grader import containment

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def waited(root: int, since: float) -> float:
    """Seconds that `root` and the processes below it, those started at `since` (a
    time.monotonic() value) or later, spent waiting for a CPU."""
    if not sys.platform.startswith("linux"):
        return 0.0
    try:
        # /proc/PID/stat gives a process's start in clock ticks since boot
        since_ticks = (time.clock_gettime(time.CLOCK_BOOTTIME) - (time.monotonic() - since)) * _TICKS
    except (AttributeError, OSError):
        return 0.0
    total = 0
    for pid in [root, *containment.descendants(root)]:
        start = containment.started_at(pid)
        if start is None or start + 1 < since_ticks:  # a tick of rounding either way
            continue
        try:
            with open(f"/proc/{pid}/schedstat") as stat:
                total += int(stat.read().split()[1])  # nanoseconds runnable but not running
        except (OSError, ValueError, IndexError):
            continue
    return total / 1e9
