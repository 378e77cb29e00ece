"""A submission's source text from its bytes, read the way its author's editor meant it.

Python 3 reads a .py file as UTF-8 unless a PEP 263 declaration (`# -*- coding: latin-1 -*-`)
says otherwise, and Jupyter reads every notebook as UTF-8. An editor that saved in Windows-1252 or
Latin-1 (an accented letter in a comment, `# très important`) leaves bytes neither will read:
`python file.py` stops with "SyntaxError: Non-UTF-8 code", Jupyter cannot open the notebook.

The grader grades what it can read, the same way for a .py file (alone, or in a folder or a
.zip) and for a notebook: a file that is UTF-8, or that declares its encoding, reads as Python
reads it; in any other file each byte that is not UTF-8 is read as Windows-1252 (Latin-1 for the
five bytes Windows-1252 leaves undefined), and every such byte is noted, so the report can say
where it is and that Python and Jupyter will refuse the file until it is saved as UTF-8.

Runs in the worker, next to student code: bytes in, text and findings out; nothing is run.
"""
from __future__ import annotations

import ast
import codecs
import functools
import io
import json
import re
import tokenize
from collections.abc import Iterator
from typing import Any

_UTF8 = {"utf-8", "utf-8-sig"}


def _as_editor_meant(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: undefined in Windows-1252
        return chr(byte)


def _from_escaped(text: str) -> str:
    """`text` with each byte that surrogateescape kept (U+DC80..U+DCFF) as the editor meant it."""
    return "".join(_as_editor_meant(ord(c) - 0xDC00) if 0xDC80 <= ord(c) <= 0xDCFF else c
                   for c in text)


def _escaped_bytes(text: str) -> list[tuple[int, int]]:
    """(line counted from 1, byte) of each byte surrogateescape kept in `text`. Lines end as
    Python's tokenizer ends them: at "\r\n", "\n" or a lone "\r"."""
    found, line = [], 1
    for i, c in enumerate(text):
        if c == "\n" or (c == "\r" and text[i + 1:i + 2] != "\n"):
            line += 1
        elif 0xDC80 <= ord(c) <= 0xDCFF:
            found.append((line, ord(c) - 0xDC00))
    return found


def _finding(line: int, byte: int, cell: int | None = None) -> dict:
    return {"cell": cell, "line": line, "byte": f"0x{byte:02X}", "read_as": _as_editor_meant(byte)}


def python_source(data: bytes) -> tuple[str, list[dict]]:
    """A .py file's text and the bytes that are not UTF-8 in it ([] when Python reads it as it
    is): {"cell": None, "line", "byte": "0xE8", "read_as": "è"} each."""
    wide = wide_encoding(data)
    if wide is not None:  # Windows Notepad's "Unicode": every other byte a NUL
        codec, bom, name = wide
        return data[len(bom):].decode(codec, errors="replace"), [
            {"cell": None, "line": None, "byte": None, "read_as": None, "encoding": name}]
    try:
        declared, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:  # not UTF-8 in its first two lines, or an unknown declared encoding
        declared = "utf-8"
    if codecs.lookup(declared).name not in _UTF8:
        # A declaration: Python reads the file in that encoding, and so does the grader.
        return data.decode(declared, errors="replace"), []
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        escaped = data.decode("utf-8", errors="surrogateescape")
    findings = [_finding(line, byte) for line, byte in _escaped_bytes(escaped)]
    if _declares_encoding(data) and _only_in_comments(escaped):
        # Python itself reads a file that declares UTF-8 without checking its comments: a byte
        # there is no error (one in code or in a string is, and then the whole file is).
        for finding in findings:
            finding["python_reads"] = True
    return _from_escaped(escaped), findings


# PEP 263's declaration, on one of the first two lines.
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")


def _declares_encoding(data: bytes) -> bool:
    return any(_COOKIE.match(line) for line in data.split(b"\n", 2)[:2])


def _only_in_comments(escaped: str) -> bool:
    """Whether every byte surrogateescape kept in `escaped` sits inside a comment."""
    comments: dict[int, list[tuple[int, int]]] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(escaped).readline):
            if token.type == tokenize.COMMENT:
                comments.setdefault(token.start[0], []).append((token.start[1], token.end[1]))
    except (tokenize.TokenError, SyntaxError):
        return False
    for number, line in enumerate(escaped.split("\n"), start=1):
        for column, c in enumerate(line):
            if 0xDC80 <= ord(c) <= 0xDCFF and not any(
                    start <= column < end for start, end in comments.get(number, ())):
                return False
    return True


def notebook_json(data: bytes) -> tuple[Any, list[dict]]:
    """A notebook file's JSON and the bytes that are not UTF-8 in it: in a cell's source
    {"cell": its number counting every cell from 1, "line": the line in that cell, ...}, elsewhere
    (saved outputs, metadata) with "cell" and "line" None. Raises ValueError for text that is not
    JSON (json.JSONDecodeError) or RecursionError. A notebook saved as UTF-16 or UTF-32 (which
    json.loads reads without a word, and Jupyter refuses) is read, and said so as python_source
    says it of a .py file."""
    wide = wide_encoding(data)
    if wide is not None:
        codec, bom, name = wide
        raw, found = _without_lone_surrogates(json.loads(data[len(bom):].decode(codec, "replace")))
        return raw, found + [{"cell": None, "line": None, "byte": None, "read_as": None,
                              "encoding": name}]
    try:
        raw = json.loads(data)
    except UnicodeDecodeError:
        pass
    else:
        return _without_lone_surrogates(raw)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    raw = json.loads(data.decode("utf-8", errors="surrogateescape"))
    findings = [_finding(line, byte, number) for number, source in _cell_sources(raw)
                for line, byte in _escaped_bytes(source)]
    elsewhere = sum(len(_escaped_bytes(text)) for text in _strings(raw)) - len(findings)
    findings += [{"cell": None, "line": None, "byte": None, "read_as": None}] * max(elsewhere, 0)
    return _mended(raw), findings


def _cell_sources(raw: Any) -> Iterator[tuple[int, str]]:
    """(number counting every cell from 1, source) of each cell of a notebook's JSON, of any
    nbformat version (version 3's worksheets and "input" too); a cell without a text source is
    counted and skipped."""
    if not isinstance(raw, dict):
        return
    sheets = raw.get("worksheets") if isinstance(raw.get("worksheets"), list) else [raw]
    number = 0
    for sheet in sheets:
        cells = sheet.get("cells") if isinstance(sheet, dict) else None
        for cell in cells if isinstance(cells, list) else ():
            number += 1
            source = cell.get("source", cell.get("input")) if isinstance(cell, dict) else None
            if isinstance(source, list):
                source = "".join(s for s in source if isinstance(s, str))
            if isinstance(source, str):
                yield number, source


def _is_surrogate(c: str) -> bool:
    return 0xD800 <= ord(c) <= 0xDFFF


def _without_lone_surrogates(raw: Any) -> tuple[Any, list[dict]]:
    """Valid JSON may escape half of a character (`"\\ud83d"`, an emoji cut in two by a paste):
    no UTF-8 text can hold it, and writing the cell out for the worker failed, so the whole
    notebook scored 0 as "the worker broke". Each becomes U+FFFD, and is listed as a byte that
    is not UTF-8 is, with the character it was ("surrogate")."""
    if not any(_is_surrogate(c) for text in _strings(raw) for c in text):
        return raw, []
    findings: list[dict] = []
    for number, source in _cell_sources(raw):
        line = 1
        for c in source:
            if c == "\n":
                line += 1
            elif _is_surrogate(c):
                findings.append({"cell": number, "line": line, "byte": None,
                                 "read_as": "\ufffd", "surrogate": f"U+{ord(c):04X}"})
    total = sum(_is_surrogate(c) for text in _strings(raw) for c in text)
    findings += [{"cell": None, "line": None, "byte": None, "read_as": None}] * (total - len(findings))
    return _replaced(raw), findings


def _replaced(value: Any) -> Any:
    if isinstance(value, str):
        return "".join("\ufffd" if _is_surrogate(c) else c for c in value)
    if isinstance(value, dict):
        return {_replaced(k): _replaced(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v) for v in value]
    return value


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _mended(value: Any) -> Any:
    if isinstance(value, str):
        return _from_escaped(value)
    if isinstance(value, dict):
        return {_from_escaped(k): _mended(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mended(v) for v in value]
    return value


@functools.lru_cache(maxsize=2)
def tree(source: str) -> ast.Module | None:
    """The parsed source, or None when it does not parse. Kept for the last two sources: the
    loader's scans (python2_names, numpy_aliases, xrange, the top-level bindings) read the same
    file or cell one after the other, and parsing a large one costs seconds. Read-only: a caller
    that rewrites a tree parses its own."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


# What a file that is no text at all begins with, and what to call it.
_SIGNATURES = ((b"%PDF-", "a PDF document"),
               (b"PK\x03\x04", "a zip archive (or a Word or Excel file)"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
               (b"\xd0\xcf\x11\xe0", "an old Word or Excel file"), (b"{\\rtf", "an RTF document"))


# UTF-32 first: its little-endian mark begins with UTF-16's.
_WIDE_MARKS = ((codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"), (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
               (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"), (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"))


def wide_encoding(data: bytes) -> tuple[str, bytes, str] | None:
    """(codec, byte-order mark, name) of a file saved as UTF-16 or UTF-32: by its mark, or, with
    none, UTF-16 by its NULs (text of Latin letters has one at every other byte, all odd or all
    even); None for anything else."""
    for bom, codec, name in _WIDE_MARKS:
        if data.startswith(bom):
            return codec, bom, name
    head = data[:4096]
    if len(head) < 8 or len(head) % 2:
        return None
    odd, even = head[1::2].count(0), head[0::2].count(0)
    half = len(head) // 2
    if odd >= 0.9 * half and even <= 0.1 * half:
        return "utf-16-le", b"", "UTF-16"
    if even >= 0.9 * half and odd <= 0.1 * half:
        return "utf-16-be", b"", "UTF-16"
    return None


def binary_kind(data: bytes) -> str:
    """What the bytes are when they are plainly no source text (a PDF handed in as hw1.py): the
    report then says so, rather than a syntax error or a note on their encoding; "" otherwise."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    if data.startswith(b"\x7fELF"):
        return "a compiled program (ELF)"
    head = data[:4096]
    # NUL bytes outside UTF-16 and UTF-32 (which python_source reads) are in no text file: a
    # compiled .pyc, an image or random bytes read as Windows-1252 text, "8649 bytes not UTF-8".
    if b"\x00" in head and wide_encoding(data) is None and not _text_with_stray_nuls(head):
        return "binary data (it holds NUL bytes, which no text file has)"
    return ""


def _text_with_stray_nuls(head: bytes) -> bool:
    """A few NUL bytes in what is otherwise UTF-8 text (an editor's slip in a comment): Python's
    own error says what is wrong with it (it refuses NUL bytes in source), not "binary data"."""
    if head.count(0) > 3:
        return False
    try:
        head.replace(b"\x00", b"").decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 4  # a character cut at the end of the head
    return True
