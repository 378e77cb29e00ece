"""The course secret kept out of a report, whatever the submission printed.

In the sandbox a submission never sees the secret (grader/input_set.py keys the inputs with it in
the grader). Under process isolation it may read what its user may read, the grader's command
line (`--secret TEXT`), environment and secret file included, and print it: its output reaches
the report, which the student reads. Every text of the result then has the secret's text
replaced. What this cannot catch is the secret transformed (reversed, encoded): process isolation
does not keep the secret, and the report says so (grader/session.py).
"""
from __future__ import annotations

from typing import Any

from grader.model import SubmissionResult

MARK = "[the course secret]"
# A secret this short would also match ordinary text; input_set.py warns about such secrets.
SHORTEST = 8


def without_secret(result: SubmissionResult, secret: bytes) -> SubmissionResult:
    """`result` with every occurrence of the secret's text replaced by MARK."""
    text = secret.decode("utf-8", errors="replace").strip()
    if len(text) < SHORTEST:
        return result
    data = result.to_dict()
    cleaned = _replaced(data, text)
    return result if cleaned == data else SubmissionResult.from_dict(cleaned)


def _replaced(value: Any, text: str) -> Any:
    if isinstance(value, str):
        return value.replace(text, MARK)
    if isinstance(value, dict):
        return {_replaced(k, text): _replaced(v, text) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_replaced(v, text) for v in value)
    return value
