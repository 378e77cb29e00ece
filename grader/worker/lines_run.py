"""How many lines of the submission's own code a call runs, for a check that asks ("count_lines").

A check of how a function is computed (a vectorised softmax, not a Python loop over the rows) asks
the same function on inputs of a few sizes and compares the counts: numpy's work on a larger
matrix happens in C, where no line of the submission runs, while a loop, a comprehension, or
np.apply_along_axis / np.vectorize calling a function of the submission runs its lines once per
row. Counting lines, not time, gives the same answer on every machine and every run.

Only the submission's own frames are traced, those of code from a file under the upload's folder
(a notebook's cells are named after the notebook): the lines numpy runs do not count, so printing
an array (numpy's printing loops over its rows in Python) costs the one line that prints.
"""
from __future__ import annotations

import linecache
import os
import sys
from collections import Counter
from typing import Any, Callable

try:
    import kept
except ImportError:  # the grader's process, which imports this module as grader.worker.*
    from grader.worker import kept

# The worker's own: a submission that replaced sys.settrace would have no line counted (kept.py).
sys = kept.copy_of(sys)  # noqa: F811

# The busiest lines reported per call, enough for a softmax's few lines.
MAX_LINES_REPORTED = 20
MAX_CODE_CHARS = 120


class LineCounter:
    """Counts, per (file, line), the lines the submission's own frames run while it is active;
    `root`: the upload's folder, which holds the submission's files."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self.counts: Counter = Counter()
        self._own: dict[Any, bool] = {}  # by code object: asked once, not at every frame
        self._previous: Callable | None = None

    def __enter__(self) -> "LineCounter":
        self._previous = sys.gettrace()
        sys.settrace(self._call)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.settrace(self._previous)

    def _call(self, frame, event: str, arg: object):
        if event != "call":
            return None
        code = frame.f_code
        own = self._own.get(code)
        if own is None:
            own = self._own[code] = _under(code.co_filename, self.root)
        return self._line if own else None

    def _line(self, frame, event: str, arg: object):
        if event == "line":
            self.counts[(frame.f_code.co_filename, frame.f_lineno)] += 1
        return self._line

    def report(self) -> dict:
        """{"lines_run": total, "busiest": [{"file", "line", "runs", "code"}, ...]}: files
        named as the student knows them (relative to the upload's folder)."""
        busiest = []
        for (filename, line), runs in self.counts.most_common(MAX_LINES_REPORTED):
            code = linecache.getline(filename, line).strip()[:MAX_CODE_CHARS]
            busiest.append({"file": os.path.relpath(os.path.abspath(filename), self.root),
                            "line": line, "runs": runs, "code": code})
        return {"lines_run": sum(self.counts.values()), "busiest": busiest}


def _under(filename: str, root: str) -> bool:
    return not filename.startswith("<") and os.path.abspath(filename).startswith(root + os.sep)
