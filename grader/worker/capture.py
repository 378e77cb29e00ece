"""Bounded capture of what student code prints."""
from __future__ import annotations

import io
import sys
from contextlib import contextmanager
from typing import Iterator


class BoundedText(io.TextIOBase):
    """A text stream that keeps the first `limit` characters and counts the rest."""

    def __init__(self, limit: int) -> None:
        self._parts: list[str] = []
        self._kept = 0
        self._limit = limit
        self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:  # type: ignore[override]
        if not isinstance(text, str):
            text = str(text)
        room = self._limit - self._kept
        if room > 0:
            piece = text[:room]
            self._parts.append(piece)
            self._kept += len(piece)
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def mark(self) -> tuple[int, int, int]:
        """Where the text is now, for rewind()."""
        return len(self._parts), self._kept, self.dropped

    def rewind(self, mark: tuple[int, int, int]) -> None:
        """Forget everything written since `mark`."""
        parts, self._kept, self.dropped = mark
        del self._parts[parts:]


@contextmanager
def captured(limit: int) -> Iterator[BoundedText]:
    """Send sys.stdout and sys.stderr to one bounded buffer for the duration of the block."""
    buffer = BoundedText(limit)
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = buffer
    try:
        yield buffer
    finally:
        sys.stdout, sys.stderr = saved
