"""Whether a worker's code stopped the worker itself (SIGSTOP), seen while its reply is awaited.

A check's code that sends SIGSTOP to the worker (`os.kill(os.getppid(), SIGSTOP)` from the check's
fork) or to everything it may signal (`os.kill(-1, SIGSTOP)`) leaves a process that neither
answers nor dies: the grader waited out a whole deadline, about 11 s a stop, before it replaced
the worker, and nothing said why (a correct upload took 194 s instead of 3; hostile probe s62).
A stopped process is in state T in /proc/PID/stat, so the wait looks for it every POLL_SECONDS
and ends at once.

The processes looked at are the worker itself (the shallowest process of the worker's tree that
runs its script: in the sandbox, below bubblewrap and its init) and the check's fork. The
processes a submission starts are left alone: one that stops itself stops nobody's answer, and
the worker itself stops them before it kills them.

Linux only (/proc); elsewhere, and where /proc cannot be read, nothing is ever seen stopped.
"""
from __future__ import annotations

import os
import sys

from grader.worker.between_checks import children_of

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
        level = [child for pid in level for child in children_of(pid)]
        if not level:
            break
    return None


def _own_pid(pid: int) -> int | None:
    """`pid` as the process itself sees it (its PID namespace's: the last of /proc's NSpid)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"NSpid:"):
                    return int(line.split()[-1])
    except (OSError, ValueError, IndexError):
        return None
    return pid  # a kernel without NSpid (before 4.1) has no namespaces to tell apart


def stopped(worker: int, fork: int | None = None) -> bool:
    """Whether the worker `worker` (worker_pid), or its child `fork` (the check's fork, by the
    pid it said it has: in the sandbox, its namespace's), is stopped by a signal. Not any child:
    between checks the worker stops what the last one left behind before killing it
    (worker/between_checks.py). One read of /proc without a fork."""
    if not sys.platform.startswith("linux"):
        return False
    if _state(worker) == "T":
        return True
    if fork is None:
        return False
    return any(_state(child) == "T" for child in children_of(worker) if _own_pid(child) == fork)
