"""Fingerprints of wrong answers: what lets a class overview notice identical failures.

Grading is deterministic, so two submissions that fail a check on the same input with
byte-identical answers get the same fingerprint. It is computed in the grader process from what
the check already holds (the call as shown, the value the submission returned, the problem the
check measured); nothing runs again. A fingerprint is a one-way hash: it shows no answer, and
the reference's values never enter it except as the same problem text every submission sees.
"""
from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from grader.worker.wire import Opaque


def _feed(digest: "hashlib._Hash", value: Any) -> None:
    """Type, shape and exact bytes: 0.1 + 0.2 and 0.3 differ, as the bytes returned do."""
    if isinstance(value, np.ndarray):
        digest.update(f"ndarray {value.dtype.str} {value.shape}|".encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, (tuple, list)):
        digest.update(f"{type(value).__name__} {len(value)}|".encode())
        for item in value:
            _feed(digest, item)
    elif isinstance(value, np.generic):
        _feed(digest, np.asarray(value))
    elif isinstance(value, Opaque):
        digest.update(f"opaque {value.type_name}|{value.text}|".encode("utf-8", "replace"))
    else:
        digest.update(f"{type(value).__name__}|{value!r}|".encode("utf-8", "replace"))


def of_failure(problem: str, call: str, returned: Any = None) -> str:
    """The fingerprint of one failed check: its problem, its call and the returned value."""
    digest = hashlib.sha256()
    digest.update(f"{problem}\n{call}\n".encode("utf-8", "replace"))
    if returned is not None:
        _feed(digest, returned)
    return digest.hexdigest()[:32]
