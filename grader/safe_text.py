"""Text a submission controls, made harmless for every output before any renderer sees it.

A submission chooses what it prints, its exception messages, its file names. Shown raw, an escape
sequence moves a terminal's cursor and rewrites the score table; a lone surrogate (what Python
makes of a file name that is not valid UTF-8, or what `print("\\ud800")` sends) cannot be encoded
and makes a report writer fail; NUL and most control characters cannot be carried by XML at all.
`visible` replaces every such character with a visible escape (ESC becomes the four characters
`\\x1b`), so the text reads the same in every output and no output can fail on it. Newlines and
tabs stay: they are how printed output is laid out. The result model applies it to every string it
holds (grader/model.py), so each renderer receives only clean text.
"""
from __future__ import annotations

import re
from typing import Any

# C0 controls but tab and newline, DEL, C1 controls, lone surrogates, the two non-characters XML
# refuses, and the bidirectional overrides and isolates (they reorder what a terminal shows).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
                     "\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:
        # A byte that is not UTF-8, as Python holds it in a file name (surrogateescape): shown as
        # the byte, as bytes read here show it; the gradebook said `caf\udce9.py` for `caf\xe9.py`.
        code -= 0xDC00
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str | bytes) -> str:
    """`text` with every unsafe character replaced by a visible escape. Bytes are read as UTF-8,
    an invalid byte becoming `\\xNN`. Idempotent: clean text comes back unchanged."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="backslashreplace")
    elif not isinstance(text, str):
        text = str(text)
    return _UNSAFE.sub(_escape, text)


def data(value: Any) -> Any:
    """`visible` applied to every string (keys included) inside plain JSON-like data."""
    if isinstance(value, (str, bytes)):
        return visible(value)
    if isinstance(value, dict):
        return {data(k) if isinstance(k, (str, bytes)) else k: data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [data(v) for v in value]
    if isinstance(value, tuple):
        return tuple(data(v) for v in value)
    return value
