"""What the worker reports (its load report, a call's results), held to the shape the grader reads
before anything reads it.

Both arrive from the worker, which runs student code: a submission can write a frame of its own on
the grader's pipe, while it is imported or inside a call, ahead of the worker's. The grader formats
their entries into warnings and messages, so a list where a dict belongs (or a number where a list
belongs) would stop the grade with the grader's own traceback, or blame the grader for a failed
check. `load_report` and `call_results` accept a reply only when every part the grader reads has
the type it reads it as; anything else is a malformed reply, and the submission is told so like
any other worker that does not keep to the protocol. (The values themselves are wire.decode_value's
to check: it refuses anything that is not plain data.)

A spec is a type (or a tuple of types), `[spec]` for a list of such items, `Record` for a dict
with required and optional keys (keys not named are never read, and left alone), or `Pairs` for a
list of two-item lists.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

NONE = type(None)
TEXT = str
NUMBER = (int, float)
LINE = (int, NONE)  # a line number, or None where there is none
CELL = (int, NONE)


@dataclass(frozen=True)
class Record:
    required: dict[str, Any] = field(default_factory=dict)
    optional: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pairs:
    first: Any
    second: Any


ERROR = Record({"file": TEXT, "type": TEXT, "message": TEXT},
               {"module": TEXT, "line": LINE, "code": TEXT, "cell": CELL, "notebook": TEXT,
                "first_line": TEXT, "defines": [TEXT], "in_import": bool, "run": TEXT,
                "after_star_import": TEXT, "run_at": Record({"line": LINE, "code": TEXT})})
PLACE_AND_LINE = Record({"where": TEXT, "line": int, "name": TEXT})
NOT_UTF8 = Record({"file": TEXT, "bytes": [Record({}, {"line": LINE, "cell": CELL,
                                                       "byte": (TEXT, NONE),
                                                       "read_as": (TEXT, NONE),
                                                       "encoding": TEXT,
                                                       "python_reads": bool,
                                                       "surrogate": TEXT})]},
                  {"notebook": (TEXT, NONE)})
REPORT = Record({}, {
    "fatal": TEXT,
    "functions": {"*": Record({}, {"found": bool, "file": (TEXT, NONE), "problem": (TEXT, NONE),
                                   "also_in": [TEXT], "is": TEXT, "set_at": (TEXT, NONE),
                                   "file_shown": TEXT, "near": TEXT, "near_also": [TEXT],
                                   "near_count": int,
                                   "method_of": TEXT,
                                   "unfinished_in": Pairs(TEXT, TEXT),
                                   "ignores_arguments": [TEXT], "parameters": [TEXT],
                                   "required_parameters": int})},
    "errors": [ERROR],
    "files": [TEXT],
    "run_as_cells": [TEXT],
    "empty_files": [TEXT],
    "shadowed_notebooks": Pairs(TEXT, TEXT),
    "left_out": Pairs(TEXT, TEXT),
    "zip_duplicates": [TEXT],
    "not_code": {"*": TEXT},
    "over_limits": Pairs(TEXT, int),
    "other_kernels": Pairs(TEXT, TEXT),
    "uses_xrange": [TEXT],
    "uses_numpy_aliases": [PLACE_AND_LINE],
    "uses_python2_names": [PLACE_AND_LINE],
    "python2_rewrites": [Record({"where": TEXT}, {"forms": {"*": [int]}, "tabs": bool})],
    "python2_divisions": [Record({"where": TEXT, "line": int, "left": TEXT, "right": TEXT,
                                  "evidence": TEXT}, {"left_value": int, "right_value": int,
                                                      "evidence_where": TEXT})],
    "skipped": [Record({"notebook": TEXT, "cell": int, "what": TEXT},
                       {"quiet": bool, "kernel_stop": bool})],
    "skipped_unlisted": [TEXT],
    "text_cells": [Record({"notebook": TEXT, "cell": int, "kind": TEXT, "defines": [TEXT]})],
    "not_utf8": [NOT_UTF8],
    "missing_modules": [Record({"file": TEXT, "line": LINE, "module": TEXT},
                               {"gated": bool, "elsewhere": TEXT, "graded_folder": TEXT,
                                "near": TEXT})],
    "imported_beside": [Record({"file": TEXT, "archive": TEXT})],
    "star_imports_of_absent": [Record({"file": TEXT, "line": LINE, "module": TEXT})],
    "skipped_calls_beyond": int,
    "skipped_calls": [Record({"file": TEXT, "line": LINE, "module": TEXT},
                             {"code": TEXT, "names": [TEXT], "kind": TEXT})],
    "output": TEXT,
    "output_dropped": int,
    "reaches": {"*": [TEXT]},
    "globals_like_parameters": {"*": [[TEXT]]},
})


RESULTS = [Record({"ok": bool}, {
    "output": TEXT, "output_dropped": int, "draws": [int], "seeded": [TEXT], "matrix": bool,
    "lines_run": int,
    "busiest": [Record({"file": TEXT, "line": int, "runs": int, "code": TEXT})],
    "error": Record({}, {"type": TEXT, "message": TEXT, "near_spelling": bool,
                         "axes": [Record({"name": TEXT, "shape": [int], "index": int},
                                         {"parameter": bool, "unpacked": int})],
                         "traceback": [Record({"file": TEXT, "line": LINE, "function": TEXT,
                                               "code": TEXT})]}),
})]


def _compiled(spec: Any) -> Callable[[object], bool]:
    """A test of whether a value has the shape `spec` describes. Made once per spec: walking the
    spec for every reply (a grade reads some 500 call results) cost a warm grade about 7% of its
    CPU time, mostly in asking again what kind of spec each part was."""
    if isinstance(spec, Record):
        required = tuple((key, _compiled(sub)) for key, sub in spec.required.items())
        optional = tuple((key, _compiled(sub)) for key, sub in spec.optional.items())

        def record(value: object) -> bool:
            if not isinstance(value, dict):
                return False
            for key, fits in required:
                if key not in value or not fits(value[key]):
                    return False
            for key, fits in optional:
                if key in value and not fits(value[key]):
                    return False
            return True
        return record
    if isinstance(spec, Pairs):
        first, second = _compiled(spec.first), _compiled(spec.second)
        return lambda value: isinstance(value, list) and all(
            isinstance(item, list) and len(item) == 2 and first(item[0]) and second(item[1])
            for item in value)
    if isinstance(spec, list):
        each = _compiled(spec[0])
        return lambda value: isinstance(value, list) and all(each(item) for item in value)
    if isinstance(spec, dict):  # {"*": spec}: a mapping from text to such values
        each = _compiled(spec["*"])
        return lambda value: isinstance(value, dict) and all(
            isinstance(key, str) and each(item) for key, item in value.items())
    # True is an int to Python, never a line number
    if spec is int:
        return lambda value: isinstance(value, int) and not isinstance(value, bool)
    if spec == (int, NONE):
        return lambda value: value is None or (isinstance(value, int)
                                               and not isinstance(value, bool))
    return lambda value: isinstance(value, spec)


_FITS_REPORT = _compiled(REPORT)
_FITS_RESULTS = _compiled(RESULTS)


def load_report(report: object) -> dict | None:
    """`report` (the worker's "ready" frame's) when it has the shape the grader reads, else None."""
    return report if _FITS_REPORT(report) else None  # type: ignore[return-value]


def call_results(results: object) -> list | None:
    """`results` (a "result" or "answer" frame's) when they have the shape the grader reads, else
    None."""
    return results if _FITS_RESULTS(results) else None  # type: ignore[return-value]
