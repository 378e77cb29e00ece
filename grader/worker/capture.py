"""Bounded capture of what student code prints."""
from __future__ import annotations

import io
import sys
from contextlib import contextmanager
from typing import Iterator


class BoundedText(io.TextIOBase):
    """A text stream that keeps the first `limit` characters and counts the rest. It stands in
    for sys.stdout and sys.stderr, so it answers what code asks of those (probe s53: a
    submission whose import ran `sys.stdout.reconfigure(encoding="utf-8")`, a Windows habit, or
    wrote to `sys.stdout.buffer`, scored 0)."""

    encoding = "utf-8"
    errors = "strict"
    newlines = None
    line_buffering = False
    name = "<stdout>"

    def __init__(self, limit: int) -> None:
        self._parts: list[str] = []
        self._kept = 0
        self._limit = limit
        self.dropped = 0
        self.buffer = _BytesInto(self)

    def writable(self) -> bool:
        return True

    def reconfigure(self, **settings) -> None:
        """Accepted and changes nothing: the text is kept as text, whatever its encoding."""

    def fileno(self) -> int:
        return 1  # the worker's descriptor 1 goes to a file the grader bounds too

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


class _BytesInto(io.RawIOBase):
    """`sys.stdout.buffer`: bytes written are kept as the text they decode to (UTF-8)."""

    def __init__(self, text: BoundedText) -> None:
        self._text = text

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        data = bytes(data)
        self._text.write(data.decode("utf-8", errors="replace"))
        return len(data)


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
