"""The failures seen during the current check, newest last.

Hypothesis keeps shrinking a failing input until it can shrink no more; when a slow submission
uses up a check's time budget in the middle of that, the check reports the smallest failure seen
so far instead of a bare "timeout". Check failures and student exceptions record themselves here;
the plugin clears the list when a check starts.
"""
from __future__ import annotations

_seen: list[BaseException] = []


def record(exc: BaseException) -> None:
    _seen.append(exc)
    del _seen[:-1]  # only the newest is ever used


def latest() -> BaseException | None:
    return _seen[-1] if _seen else None


def reset() -> None:
    _seen.clear()
