"""What graders that died left behind, removed by the graders that come after them.

A grader killed outright (SIGKILL: a batch stopping its graders when it is interrupted or one
hangs, a cancelled CI job, the OOM killer) runs none of its cleanup. Its workers are gone with it
(their sandbox dies with its parent), but under process isolation a submission's children do
not: they are killed with the worker cgroups they are in (grader/containment.py), named after the
dead grader. (Not by uid: a process of a worker uid no lease of ours holds may be another
grader's, one in a container, whose locks this grader cannot see.) Scratch folders stay too, each
with a student's files and, under root, a tmpfs of up to 256 MiB of memory
(grader/scratch_dirs.py). Every grader sweeps them all before its first worker, and a batch again
after it has stopped its graders.
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
