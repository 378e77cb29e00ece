"""Plain-data messages between the grader and the worker: no pickle, ever.

A frame is MAGIC, a u32 header length, a JSON header, a u32 blob count, and that many
(u64 length, bytes) blobs. Arrays travel as dtype string + shape + raw bytes; anything else that is
not a number, string, None, list, tuple or dict (with string keys) of those arrives as an `Opaque`
description (a generator arrives as what it yielded, `Iterated`), so the
grader can say what came back without ever holding the object itself.

This module is imported by the worker as a top-level module (the worker runs by file path, with only
its own folder on sys.path), so it must not import anything from the `grader` package.
"""
from __future__ import annotations

import functools
import json
import math
import re
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

MAGIC = b"AGW1"
MAX_FRAME_BYTES = 256 * 1024 * 1024
# A frame's JSON header, bounded apart from its blobs (which stay bytes): parsed, JSON costs up
# to about 30 times its size, and a frame may be the submission's own (a 55 MB header of empty
# lists took the grader to 2.9 GB). Legitimate headers hold plain data of a few kilobytes.
MAX_HEADER_BYTES = 32 * 1024 * 1024
MAX_HEADER_CONTAINERS = 1_000_000
MAX_DEPTH = 32
ARRAY_KINDS = "biufc"  # bool, signed, unsigned, float, complex: never object, void or strings
# The exit status of a check's fork whose pipes to the grader stopped working: the submission
# closed or replaced their descriptors (os.closerange, os.dup2), and the grader says so.
LOST_PIPES_STATUS = 121
# ... and of a worker (or fork) whose own code raised: the submission replaced something of
# Python's or numpy's that the worker uses too, or used up the memory (or the worker has a bug).
WORKER_FAILED_STATUS = 122
# Written on stderr before such a worker's own traceback, which is the grader's and never shown
# to a student: the grader quotes what precedes it (the submission's C-level output). Found by
# the mark, not by parsing: a submission that replaced a builtin garbles the traceback's text
# (its "Traceback" line went missing), and a long one is cut where its first lines were.
WORKER_TRACEBACK_MARK = (b"\n--- autograde: the worker's own code failed; its traceback "
                         b"follows ---\n")
WORKER_TRACEBACK_END = b"\n--- autograde: the worker's traceback ends ---\n"


class WireError(Exception):
    """The other side sent something that is not a well-formed frame."""


class TooLarge(WireError):
    """A value whose arrays hold more bytes than a frame may carry, found before any is copied."""

    def __init__(self, total: int, limit: int, dtype: str, shape: tuple[int, ...],
                 arrays: int) -> None:
        self.total, self.limit, self.dtype, self.shape = total, limit, dtype, shape
        self.arrays = arrays  # how many, the one that passed the limit included
        super().__init__(f"{total} bytes of arrays, over the {limit}-byte limit")


class _Blobs(list):
    """The blobs of one encoding, with the bytes they may hold in all (None: no bound)."""

    def __init__(self, limit: int | None) -> None:
        super().__init__()
        self.limit = limit
        self.total = 0
        self.matrices = 0  # numpy matrices met (crossing as the arrays they hold)


@dataclass(frozen=True)
class Opaque:
    """Something student code produced that is not plain data; only its description crosses."""

    type_name: str
    text: str

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


@dataclass(frozen=True)
class Iterated:
    """What a generator returned by student code yielded: the worker runs it to its end (at most
    MAX_YIELDED items) inside the call, so its output, its errors and its time are the call's, and
    only the items cross. `complete` is False when it was cut off; `error` ("KeyError: 'x'") is set
    when it raised after yielding `items`."""

    items: tuple
    complete: bool = True
    error: str = ""


MAX_YIELDED = 10_000


@dataclass(frozen=True)
class ReplayDataset:
    """The grader's description of a word2vec dataset: sampleTokenIdx() yields `stream` in order."""

    stream: tuple[int, ...]

    def __repr__(self) -> str:  # a failure's "called:" line names it as the student knows it
        shown = ", ".join(str(i) for i in self.stream[:12])
        more = ", ..." if len(self.stream) > 12 else ""
        return f"dataset (whose sampleTokenIdx() returns {shown}{more} in turn)"


TYPE_NAME_CHARS = 200  # of a value's class name, as described
OPAQUE_TEXT_CHARS = 200  # of its repr


# A default repr says where the object lives in memory (`<map object at 0x7f49...>`), which
# changes from run to run: kept, it made the same upload's report differ between two grades, and
# two identical uploads' wrong answers differ, so a class overview did not group them (probe
# s62-recheck: Python 2's `np.array(map(f, x))`, an object array holding a map object).
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+(?=>)")
# How much of a repr is read for addresses: a repr of gigabytes is not searched whole, and one
# of default reprs alone shrinks by about half once their addresses are left out.
_ADDRESS_SCAN = 8


def without_addresses(text: str) -> str:
    """`text` with the memory address of each default repr left out: `<map object>`."""
    return _ADDRESS.sub("", text)


def _safe_text(obj: Any, limit: int = OPAQUE_TEXT_CHARS) -> str:
    try:
        text = repr(obj)
    except BaseException:  # a hostile __repr__ must not break the reply
        text = "<unprintable>"
    if not isinstance(text, str):
        text = "<unprintable>"
    # Addresses are left out before the text is cut, so that none is cut in the middle.
    head = without_addresses(text[:limit * _ADDRESS_SCAN])
    if len(head) <= limit and len(text) <= limit * _ADDRESS_SCAN:
        return head
    return head[:limit] + "..."


# type's own descriptors of a class's names: read through them, a metaclass's __getattribute__
# (which may raise anything, KeyboardInterrupt included) is never asked. Asked, it broke the
# worker's description of an exception ("broke the grader's worker ... tell your instructor") and
# made a returned object's type name that call's own error (probe s62).
_TYPE_ATTRS = {name: type.__dict__[name] for name in ("__name__", "__qualname__", "__module__")}
UNNAMED_CLASS = "a class that cannot be named"


def class_attr(t: type, name: str) -> str | None:
    """The class `t`'s `__name__`, `__qualname__` or `__module__` as text, or None where it is
    not text or cannot be read, whatever the class's metaclass does."""
    try:
        value = _TYPE_ATTRS[name].__get__(t, type(t))
    except BaseException:  # noqa: BLE001 (a class of student code's: no name)
        return None
    return value if type(value) is str else None


def class_name(t: type, qualified: bool = True) -> str:
    """`module.QualName` (builtins unqualified; `qualified=False`: the bare name) of the class
    `t`, read safely (class_attr), or UNNAMED_CLASS."""
    if not qualified:
        return class_attr(t, "__name__") or UNNAMED_CLASS
    qual = class_attr(t, "__qualname__") or class_attr(t, "__name__")
    if qual is None:
        return UNNAMED_CLASS
    module = class_attr(t, "__module__") or ""
    return qual if module in ("builtins", "") else f"{module}.{qual}"


def _type_name(obj: Any) -> str:
    t = type(obj)
    if t is np.ndarray:  # of a dtype that does not cross: say which, not just "numpy.ndarray"
        try:
            dtype = str(obj.dtype)
        except BaseException:
            dtype = "?"
        return f"numpy array of dtype {dtype[:60]}"
    name = class_name(t)
    return name if len(name) <= TYPE_NAME_CHARS else f"{name[:TYPE_NAME_CHARS]}..."


def _encode(obj: Any, blobs: _Blobs, depth: int) -> Any:
    # At the deepest level _decode reads (a list nested 33 deep, or one holding itself, was cut
    # one level below it, and its reply refused as malformed: "does your code fork...?").
    if depth >= MAX_DEPTH:
        return {"t": "opaque", "type": "deeply nested data", "text": ""}
    t = type(obj)  # exact types only: a subclass may override anything
    if t is np.matrix:
        # numpy's own matrix (2017 code used np.mat freely) is plain data under another
        # multiplication; its bytes are read through ndarray's own view, not the class's methods.
        obj, t = np.ndarray.view(obj, np.ndarray), np.ndarray
        blobs.matrices += 1
    elif t is not tuple and t is not list and isinstance(obj, (tuple, list)):
        # A namedtuple (or another subclass) crosses as the items it holds, read by the base
        # type's own iterator: `cost, grad = f(x)` unpacks it as it unpacks a tuple, and no
        # method the subclass overrides (__eq__, __iter__) reaches the grader.
        base = tuple if isinstance(obj, tuple) else list
        return {"t": base.__name__,
                "items": [_encode(x, blobs, depth + 1) for x in base.__iter__(obj)]}
    if obj is None or t is bool or t is str:
        return obj
    if t is int:
        if abs(obj) < 2**63:
            return obj
        if obj.bit_length() <= 1024:  # within a float's range
            return {"t": "float", "v": repr(float(obj))}
        # 10**400 returned: as a float it would raise here, read as the function's own error
        # ("sigmoid raised OverflowError"; probe s54). Described, never printed: str() of an int
        # of over 4,300 digits raises too.
        digits = int(obj.bit_length() * 0.30103) + 1
        return {"t": "opaque", "type": "int",
                "text": f"{'a negative' if obj < 0 else 'an'} int of about {digits:,} digits, "
                        "beyond the largest float"}
    if t is float:
        return obj if math.isfinite(obj) else {"t": "float", "v": repr(obj)}
    if t is np.ndarray and obj.dtype.kind in ARRAY_KINDS and obj.dtype.fields is None:
        return _encode_array(obj, blobs, scalar=False)
    if isinstance(obj, np.generic) and class_attr(t, "__module__") == "numpy" \
            and obj.dtype.kind in ARRAY_KINDS:
        return _encode_array(np.asarray(obj), blobs, scalar=True)
    if t is list or t is tuple:
        return {"t": t.__name__, "items": [_encode(x, blobs, depth + 1) for x in obj]}
    if t is ReplayDataset:
        return {"t": "replay_dataset", "stream": [int(i) for i in obj.stream]}
    if t is dict and all(type(k) is str for k in obj):  # a word-to-index table, say
        return {"t": "dict", "items": {k: _encode(v, blobs, depth + 1) for k, v in obj.items()}}
    if t is Iterated:
        return {"t": "iterated", "items": [_encode(x, blobs, depth + 1) for x in obj.items],
                "complete": bool(obj.complete), "error": str(obj.error)}
    return {"t": "opaque", "type": _type_name(obj), "text": _safe_text(obj)}


def _encode_array(arr: np.ndarray, blobs: _Blobs, scalar: bool) -> dict:
    # Bounded before the copy: an answer of np.ones(50_000_000) was copied twice over (its
    # bytes, then the frame) before the frame's own bound refused it, 1.2 GB touched a call.
    blobs.total += arr.nbytes
    if blobs.limit is not None and blobs.total > blobs.limit:
        raise TooLarge(blobs.total, blobs.limit, str(arr.dtype), tuple(arr.shape), len(blobs) + 1)
    blobs.append(arr.tobytes(order="C"))  # in C order whatever the array's own layout
    return {"t": "nd", "dtype": arr.dtype.str, "shape": list(arr.shape),
            "blob": len(blobs) - 1, "scalar": scalar}


def _decode(node: Any, blobs: list[bytes], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("nesting too deep")
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):  # plain JSON lists only appear inside headers we build ourselves
        return [_decode(x, blobs, depth + 1) for x in node]
    if not isinstance(node, dict) or "t" not in node:
        raise WireError(f"unexpected node {type(node).__name__}")
    kind = node["t"]
    if kind == "float":
        return float(node["v"])
    if kind == "nd":
        return _decode_array(node, blobs)
    if kind in ("list", "tuple"):
        items = [_decode(x, blobs, depth + 1) for x in node["items"]]
        return items if kind == "list" else tuple(items)
    if kind == "opaque":  # bounded here too: a frame may be the submission's own
        return Opaque(str(node["type"])[:TYPE_NAME_CHARS + 3], str(node["text"])[:OPAQUE_TEXT_CHARS + 3])
    if kind == "replay_dataset":
        return ReplayDataset(tuple(int(i) for i in node["stream"]))
    if kind == "dict":
        return {str(k): _decode(v, blobs, depth + 1) for k, v in node["items"].items()}
    if kind == "iterated":
        return Iterated(tuple(_decode(x, blobs, depth + 1) for x in node["items"]),
                        bool(node["complete"]), str(node["error"]))
    raise WireError(f"unknown node kind {kind!r}")


@functools.lru_cache(maxsize=64)
def _plain_dtype(name: str) -> np.dtype:
    """The dtype `name` spells, if it is one whose bytes are plain data. Parsed once per name: a
    grade decodes thousands of arrays of a handful of dtypes. (A refusal is raised, not cached.)"""
    try:
        dtype = np.dtype(name)
    except TypeError as exc:
        raise WireError(f"bad dtype {name!r}") from exc
    if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.hasobject:
        raise WireError(f"refused dtype {dtype}")
    return dtype


def _decode_array(node: dict, blobs: list[bytes]) -> Any:
    dtype = _plain_dtype(str(node["dtype"]))
    shape = tuple(int(n) for n in node["shape"])
    if any(n < 0 for n in shape):
        raise WireError("negative dimension")
    blob = blobs[int(node["blob"])]
    if math.prod(shape) * dtype.itemsize != len(blob):
        raise WireError("array size does not match its bytes")
    arr = np.frombuffer(blob, dtype=dtype).reshape(shape).copy()
    if node.get("scalar"):
        return arr[()]
    return arr


def encode_value(obj: Any, limit: int | None = None) -> tuple[Any, list[bytes]]:
    """Encode one value into a JSON-able tree plus the blobs it refers to. With `limit`, raise
    TooLarge as soon as its arrays hold more bytes than that, before copying the one that
    passes it."""
    blobs = _Blobs(limit)
    return _encode(obj, blobs, 0), blobs


def header_json(header: Any) -> str:
    """A header (already JSON-able), or a part of one, as a frame carries it."""
    return json.dumps(header, allow_nan=True, separators=(",", ":"))


def message(header: dict, blobs: list[bytes] | None = None) -> bytes:
    """Serialise a header (already JSON-able) and its blobs into one frame."""
    return framed(header_json(header).encode("utf-8"), blobs)


def framed(head: bytes, blobs: list[bytes] | None = None) -> bytes:
    """One frame of a header already serialised (header_json) and its blobs."""
    blobs = blobs or []
    parts = [MAGIC, struct.pack("<I", len(head)), head, struct.pack("<I", len(blobs))]
    for blob in blobs:
        parts.append(struct.pack("<Q", len(blob)))
        parts.append(blob)
    frame = b"".join(parts)
    if len(frame) > MAX_FRAME_BYTES:
        raise WireError(f"message of {len(frame)} bytes is over the {MAX_FRAME_BYTES}-byte limit")
    return frame


def _read_exact(stream: BinaryIO, n: int) -> bytes:
    chunks = []
    remaining = n
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: BinaryIO) -> tuple[dict, list[bytes]]:
    """Read one frame; raise EOFError at a clean end and WireError on anything malformed."""
    magic = stream.read(4)
    if not magic:
        raise EOFError("the other side closed the pipe")
    if len(magic) < 4:
        magic += _read_exact(stream, 4 - len(magic))
    if magic != MAGIC:
        raise WireError("bad frame marker")
    (head_len,) = struct.unpack("<I", _read_exact(stream, 4))
    if head_len > MAX_HEADER_BYTES:
        raise WireError("header too large")
    head = _read_exact(stream, head_len)
    if head.count(b"[") + head.count(b"{") > MAX_HEADER_CONTAINERS:
        raise WireError("header holds too many lists and objects")
    try:
        header = json.loads(head.decode("utf-8"))
    except ValueError as exc:
        raise WireError("header is not JSON") from exc
    if not isinstance(header, dict):
        raise WireError("header is not an object")
    (count,) = struct.unpack("<I", _read_exact(stream, 4))
    blobs, total = [], head_len
    for _ in range(count):
        (size,) = struct.unpack("<Q", _read_exact(stream, 8))
        total += size
        if total > MAX_FRAME_BYTES:
            raise WireError(f"message over the {MAX_FRAME_BYTES}-byte limit")
        blobs.append(_read_exact(stream, size))
    return header, blobs


def decode_value(node: Any, blobs: list[bytes]) -> Any:
    """Inverse of `encode_value`; raises WireError for anything that is not plain data."""
    try:
        return _decode(node, blobs, 0)
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise WireError(f"malformed value: {exc}") from exc
