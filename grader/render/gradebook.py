"""The gradebook: one CSV row per submission (`submission`, `score`, `max_score`, a column per
function, then `error`), a view of the SubmissionResults of a batch."""
from __future__ import annotations

import csv
import io
from typing import Mapping

from grader.model import SubmissionResult

FIXED = ("submission", "score", "max_score")


def _points(x: float) -> str:
    return f"{x:g}"


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = " ".join(text.split())
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def functions(results: Mapping[str, SubmissionResult]) -> list[str]:
    """The function columns: every function any report grades, in the order reports list them."""
    names: list[str] = []
    for result in results.values():
        names.extend(f.name for f in result.functions if f.name not in names)
    return names


def render(results: Mapping[str, SubmissionResult]) -> str:
    """`results` by student identifier; rows sorted by it."""
    columns = functions(results)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*FIXED, *columns, "error"])
    for student in sorted(results):
        result = results[student]
        scores = {f.name: f.score for f in result.functions}
        writer.writerow([student, _points(result.score), _points(result.max_score),
                         *(_points(scores[name]) if name in scores else "" for name in columns),
                         _cell(result.error.splitlines()[0] if result.error else "")])
    return buffer.getvalue()
