"""When the grader itself fails: one line that names the failure, and the traceback kept for the
grader's maintainers, never shown in a student's report or terminal (a traceback there reads as
the student's own error, and leaks the grader's insides)."""
from __future__ import annotations

import os
import tempfile
import time
import traceback
from pathlib import Path


def describe(exc: BaseException) -> str:
    """"IndexError in session.py, line 283": the exception and where the grader raised it."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    return f"{type(exc).__name__} in {os.path.basename(frames[-1].filename)}, line {frames[-1].lineno}"


def keep(exc: BaseException, command: str) -> Path | None:
    """Write the traceback to a file of its own in the temporary folder; its path, or None when
    nothing could be written."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    name = f"autograde-{command}-crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    path = Path(tempfile.gettempdir()) / name
    try:
        path.write_text(text, encoding="utf-8")
    except OSError:
        return None
    return path
