"""The next grade's worker, started while this grade runs, in a process that grades one submission
after another (grader/server.py: a batch's graders).

A worker's start (bubblewrap, Python, numpy: 0.1-0.15 s) lies on every grade's path, ahead of the
submission's import, and a batch's job grades one upload at a time: the grader collected its
checks meanwhile, and once it kept its pytest session (grader/kept_session.py) it had nothing
left to do but wait. A spare is that start made ahead of time. Once a grade's worker has imported
its submission, a new worker is launched as any worker is (a scratch folder, a uid, cgroups and a
sandbox of its own); it loads Python and numpy, then waits, holding nothing of anyone's, for the
start request that names its submission. The next grade that asks for a worker of the same kind
takes it (proxy.Submission._launch) and copies its upload in. A spare of another kind, or one
that died while it waited, is ended, and a worker is started as before. Every submission still
gets a fresh worker of its own: a spare serves one submission and ends with it.

Off unless a process turns it on (`enable`): a single grade would start a worker for nobody.
"""
from __future__ import annotations

import atexit
from typing import Any, Callable

_enabled = False
_spare: tuple[tuple, Any, Any] | None = None  # (kind, proxy._Process, scratch_dirs.Scratch)


def enable() -> None:
    """Start spares from now on (a process that grades many submissions in turn)."""
    global _enabled
    _enabled = True


def enabled() -> bool:
    return _enabled


def take(kind: tuple) -> tuple[Any, Any] | None:
    """The spare (its process and scratch folder), if it is of `kind` and waiting; else None,
    after ending any other."""
    global _spare
    if _spare is None:
        return None
    (held, process, scratch), _spare = _spare, None
    # Alive, and silent: a worker says nothing before its start request.
    if held == kind and process.popen.poll() is None and process.replies.empty():
        return process, scratch
    _end(process, scratch)
    return None


def prepare(kind: tuple, start: Callable[[], tuple[Any, Any]]) -> None:
    """Start a spare of `kind` with `start` (returning its process and scratch folder), unless
    spares are off or one is waiting. A spare that cannot start is no error: the next grade
    starts its worker itself, and says why if that fails too."""
    global _spare
    if not _enabled or _spare is not None:
        return
    try:
        process, scratch = start()
    except Exception:  # noqa: BLE001
        return
    _spare = (kind, process, scratch)


def discard() -> None:
    """End the waiting spare, if any (the process is done grading)."""
    global _spare
    if _spare is not None:
        (_, process, scratch), _spare = _spare, None
        _end(process, scratch)


def _end(process: Any, scratch: Any) -> None:
    try:
        process.kill()
    finally:
        scratch.remove()


atexit.register(discard)
