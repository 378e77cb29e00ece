"""What graders that died left behind, removed by the graders that come after them.

A grader killed outright (SIGKILL: a batch stopping its graders when it is interrupted or one
hangs, a cancelled CI job, the OOM killer) runs none of its cleanup. Its workers are gone with it
(their sandbox dies with its parent), but under process isolation a submission's children do
not: a batch that stops its graders kills what runs in their worker cgroups
(containment.kill_left_by, grader/server.py). Not a sweep of every dead-looking grader's: a
grader in another PID namespace (a container's) names its cgroups by pids this one cannot see,
and neither by uid: a process of a worker uid no lease of ours holds may be such a grader's.
Scratch folders stay too, each with a student's files and, under root, a tmpfs of up to 256 MiB
of memory (grader/scratch_dirs.py), and empty worker cgroups (grader/containment.py). Every grader
sweeps those before its first worker, and a batch again after it has stopped its graders.
"""
from __future__ import annotations

import functools
from pathlib import Path

from grader import containment, scratch_dirs


def sweep() -> list[Path]:
    """Remove what dead graders left; return what was removed (folders and cgroups)."""
    return scratch_dirs.sweep() + containment.remove_stale()


@functools.lru_cache(maxsize=1)
def sweep_once() -> None:
    """`sweep`, the first time a process asks."""
    sweep()
