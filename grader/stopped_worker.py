"""Whether a worker's code stopped the worker itself (SIGSTOP), seen while its reply is awaited.

A check's code that sends SIGSTOP to the worker (`os.kill(os.getppid(), SIGSTOP)` from the check's
fork) or to everything it may signal (`os.kill(-1, SIGSTOP)`) leaves a process that neither
answers nor dies: the grader waited out a whole deadline, about 11 s a stop, before it replaced
the worker, and nothing said why (a correct upload took 194 s instead of 3; hostile probe s62).
A stopped process is in state T in /proc/PID/stat, so the wait looks for it every POLL_SECONDS
and ends at once.

The processes looked at are the worker itself (the shallowest process of the worker's tree that
runs its script: in the sandbox, below bubblewrap and its init) and its children, the check's
fork among them. The processes a submission starts below them are left alone: one that stops
itself stops nobody's answer.

Linux only (/proc); elsewhere, and where /proc cannot be read, nothing is ever seen stopped.
"""
from __future__ import annotations

import os
import sys

POLL_SECONDS = 0.25  # how often a wait for a reply looks: a few small reads of /proc each time
_DEPTH = 4  # bubblewrap, its init, the worker: the worker is found within this many levels


def _state(pid: int) -> str:
    """The one-letter state of `pid` ("" when it is gone or unreadable)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read()
    except OSError:
        return ""
    fields = text[text.rfind(b")") + 2:].split()  # the name in parentheses may hold anything
    return fields[0].decode("ascii", "replace") if fields else ""


def _children(pid: int) -> list[int]:
    """The children of `pid` (Linux 3.5+: /proc/PID/task/TID/children of each of its threads)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as listed:
                found += [int(n) for n in listed.read().split()]
        except (OSError, ValueError):
            continue
    return found


def _runs(pid: int, command: list[bytes]) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().split(b"\0")[:-1] == command
    except OSError:
        return False


def worker_pid(root: int, command: list[str]) -> int | None:
    """The worker's own process: `root` (the process started) or the first process below it whose
    command line is `command` (the interpreter, its flags and the worker's script: bubblewrap's
    own command line ends with them too), or None where none is seen."""
    if not sys.platform.startswith("linux"):
        return None
    wanted = [os.fsencode(arg) for arg in command]
    level = [root]
    for _ in range(_DEPTH):
        for pid in level:
            if _runs(pid, wanted):
                return pid
        level = [child for pid in level for child in _children(pid)]
        if not level:
            break
    return None


def stopped(worker: int, children: bool = True) -> bool:
    """Whether the worker `worker` (worker_pid), or one of its `children` (the check's fork), is
    stopped by a signal. One read of /proc without the children."""
    if not sys.platform.startswith("linux"):
        return False
    return any(_state(pid) == "T"
               for pid in (worker, *(_children(worker) if children else ())))
