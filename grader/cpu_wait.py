"""How long a worker's processes waited for a CPU: the time a deadline gives back on a busy machine.

A deadline is wall time, and on a loaded machine (a batch beside other work, a laptop compiling
something) an honest import or call can spend most of its wall time runnable but not running.
Counted as the student's time, that turns the machine's load into a zero that the same upload does
not get on the next run. The kernel keeps, per process, the time it spent waiting on a run queue
(the second field of /proc/PID/schedstat); a deadline that has passed is stretched by that time,
which an endless loop on an idle machine never has and a sleeping call never gathers.

The wait counted is that of the submission's busiest process (the one that used the most CPU:
the check's fork, for an honest call), less the CPU time its other processes took meanwhile. Their
load is the submission's own: twelve children spinning at the lowest priority pile up seconds of
wait a second while taking next to nothing from the call, and summing every process's wait
stretched a timed check's 0.5 s to its 5 s cap, time enough for a gradient by finite differences
to pass as backpropagation; spinning at normal priority, they make the call itself wait, by no
more than the CPU time they take. The same holds of a process's own threads: the wait read is the
calling thread's (schedstat is the thread's whose id is the process's), and the CPU time the
process's other threads took (its whole CPU time in /proc/PID/stat, less that thread's) is
taken off it too: a call that niced its own thread and left threads spinning beside it passed
1-2 s of work as 0.5 (hostile probe s61).

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
    """Seconds the busiest of `root` and the processes below it (those started at `since`, a
    time.monotonic() value, or later) spent waiting for a CPU, less the CPU time the others took
    (see the module's docstring)."""
    if not sys.platform.startswith("linux"):
        return 0.0
    try:
        # /proc/PID/stat gives a process's start in clock ticks since boot
        since_ticks = (time.clock_gettime(time.CLOCK_BOOTTIME) - (time.monotonic() - since)) * _TICKS
    except (AttributeError, OSError):
        return 0.0
    seen: list[tuple[float, float, float]] = []  # (CPU, wait, CPU of the children it reaped)
    for pid in [root, *containment.descendants(root)]:
        start = containment.started_at(pid)
        if start is None or start + 1 < since_ticks:  # a tick of rounding either way
            continue
        times = _times(pid)
        if times is not None:
            seen.append(times)
    if not seen:
        return 0.0
    busiest = max(seen, key=lambda t: t[0])
    others = sum(t[0] for t in seen if t is not busiest) + sum(t[2] + t[3] for t in seen)
    return max(0.0, busiest[1] - others)


def _times(pid: int) -> tuple[float, float, float, float] | None:
    """(seconds on a CPU, seconds runnable but waiting, CPU seconds of the children it reaped,
    CPU seconds of its threads but the one whose id is `pid`): the first two are that thread's
    (/proc/PID/schedstat), the others the process's (/proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/schedstat") as stat:
            schedstat = stat.read()
        with open(f"/proc/{pid}/stat") as stat:
            return parse(schedstat, stat.read())
    except (OSError, ValueError, IndexError):
        return None


def parse(schedstat: str, stat: str) -> tuple[float, float, float, float]:
    """_times from the text of the two files."""
    on_cpu, waiting = (int(n) / 1e9 for n in schedstat.split()[:2])
    fields = stat[stat.rfind(")") + 2:].split()  # the name in parentheses may hold anything
    process = (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime, every thread
    reaped = (int(fields[13]) + int(fields[14])) / _TICKS  # cutime + cstime
    # (clock ticks against nanoseconds: a tick of rounding, never below nothing)
    return on_cpu, waiting, reaped, max(0.0, process - on_cpu - 1 / _TICKS)
