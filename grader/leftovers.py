"""What graders that died left behind, removed by the graders that come after them.

A grader killed outright (SIGKILL: a batch stopping its graders when it is interrupted or one
hangs, a cancelled CI job, the OOM killer) runs none of its cleanup. Its workers are gone with it
(their sandbox dies with its parent; grader/uid_lease.py finds any process left by uid), but two
things stay: scratch folders, each with a student's files and, under root, a tmpfs of up to 256
MiB of memory (grader/scratch_dirs.py), and empty worker cgroups (grader/containment.py). Every
grader sweeps both before its first worker, and a batch again after it has stopped its graders.
"""
from __future__ import annotations

import functools
from pathlib import Path

from grader import containment, scratch_dirs


def sweep() -> list[Path]:
    """Remove what dead graders left; return what was removed."""
    return scratch_dirs.sweep() + containment.remove_stale()


@functools.lru_cache(maxsize=1)
def sweep_once() -> None:
    """`sweep`, the first time a process asks."""
    sweep()
