"""The HTML report: one self-contained page (inline CSS, no script, no fetch), safe to open
whatever the submission printed or raised.

Everything the submission controls (its output, exception messages, the reprs of what it returned,
file and function names) reaches the page only as text through jinja2's autoescaping: nothing here
is marked safe, and the submission's text is never used as a template. Gradient evidence is drawn
as SVG heat maps built from numbers alone.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from grader.model import CheckResult, SubmissionResult
from grader.render.json_report import write_text
from grader.render.feedback import inputs_text, withheld_text

TEMPLATES = Path(__file__).resolve().with_name("templates")
CELL = 22            # side of a heat map cell, in pixels
EVIDENCE_SHOWN_AS_TEXT = 600  # characters of one measured value shown in the "measured" list
FAILED = ("failed", "error", "timeout")

_ENV = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                   autoescape=select_autoescape(default=True, default_for_string=True),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                   keep_trailing_newline=True)


def _points(x: float) -> str:
    return f"{x:g}"


def _anchor(name: str) -> str:
    return "fn-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def _number(x: Any) -> str:
    return "not finite" if x is None else f"{x:.3g}" if isinstance(x, float) else str(x)


# ---- heat maps ------------------------------------------------------------------------------
# Within tolerance: pale green. Above it: amber to deep red on a log scale up to a relative
# difference of 1. Not finite (NaN, inf): dark violet.
OK_FILL, BAD_FROM, BAD_TO, NONFINITE_FILL = (232, 245, 233), (253, 230, 138), (185, 28, 28), "#4c1d95"


def _fill(error: float | None, tolerance: float) -> str:
    if error is None:
        return NONFINITE_FILL
    if error <= tolerance:
        return "#%02x%02x%02x" % OK_FILL
    span = -math.log10(tolerance) if 0 < tolerance < 1 else 1.0
    t = min(1.0, max(0.0, math.log10(error / tolerance) / span)) if error > 0 else 0.0
    return "#%02x%02x%02x" % tuple(round(a + (b - a) * t) for a, b in zip(BAD_FROM, BAD_TO))


def _row_label(i: int, rows: list[dict] | None) -> str:
    if not rows or i >= len(rows):
        return str(i)
    row = rows[i]
    role = {"target": "target", "negative": "neg"}.get(str(row.get("role")), "")
    count = row.get("count")
    times = f" x{count}" if isinstance(count, int) and count > 1 else ""
    return f"{i} {role}{times}".strip()


def heat_map(name: str, block: dict, tolerance: float) -> dict:
    """The drawing of one gradient block: a cell per entry coloured by its relative error."""
    errors = block.get("relative_error") or []
    analytic = block.get("analytic") or []
    numerical = block.get("numerical") or []
    rows = block.get("rows")
    n_rows, n_cols = len(errors), max((len(r) for r in errors), default=0)
    labels = [_row_label(i, rows) for i in range(n_rows)]
    left = 8 + 7 * max((len(t) for t in labels), default=1)
    top = 16
    cells = []
    for i, row in enumerate(errors):
        for j, err in enumerate(row):
            a = _at(analytic, i, j)
            n = _at(numerical, i, j)
            cells.append({
                "x": left + j * CELL, "y": top + i * CELL, "fill": _fill(err, tolerance),
                "bad": err is None or err > tolerance,
                "title": f"{name}[{i}, {j}]: analytic {_number(a)}, numerical {_number(n)}, "
                         f"relative difference {_number(err)}"})
    shape = block.get("shape") or [n_rows, n_cols]
    bad_rows = [labels[i] for i, row in enumerate(errors)
                if any(e is None or e > tolerance for e in row)]
    return {
        "name": name, "shape": " x ".join(str(s) for s in shape), "ok": bool(block.get("ok")),
        "max": _number(block.get("max_relative_error")), "cells": cells, "cell": CELL,
        "width": left + n_cols * CELL + 4, "height": top + n_rows * CELL + 4,
        "row_labels": [{"y": top + i * CELL + CELL * 0.7, "text": t} for i, t in enumerate(labels)],
        "col_labels": [{"x": left + j * CELL + CELL / 2, "text": str(j)} for j in range(n_cols)],
        "label_x": left - 4, "cut": block.get("cut_to"),
        "bad_rows": bad_rows if len(bad_rows) < n_rows else [],
        "description": f"{name}: {len(bad_rows)} of {n_rows} rows disagree",
    }


def _at(matrix: list, i: int, j: int) -> Any:
    try:
        return matrix[i][j]
    except (IndexError, TypeError):
        return None


# ---- checks and functions -------------------------------------------------------------------
def _measured(evidence: dict) -> list[dict]:
    """Evidence other than the call and the gradient, as label / text pairs."""
    shown = []
    for key, value in evidence.items():
        if key in ("call", "gradient", "rows"):
            continue
        text = value if isinstance(value, str) else json.dumps(value)
        if len(text) > EVIDENCE_SHOWN_AS_TEXT:
            text = text[:EVIDENCE_SHOWN_AS_TEXT] + " ..."
        shown.append({"label": key.replace("_", " "), "text": text})
    return shown


def _gradient_view(gradient: dict) -> dict:
    tolerance = float(gradient.get("tolerance") or 1e-6)
    blocks = gradient.get("blocks") or {}
    summary = [{"label": f"grad, {role} rows", "max": _number(v),
                "ok": v is not None and v <= tolerance}
               for role, v in (gradient.get("grad_rows") or {}).items()]
    return {"case": str(gradient.get("case", "")), "tolerance": f"{tolerance:g}",
            "step": _number(gradient.get("step")),
            "maps": [heat_map(name, block, tolerance) for name, block in blocks.items()],
            "summary": summary}


def _rows_view(rows: list[dict]) -> list[dict]:
    return [{"row": r.get("row"), "role": r.get("role"), "count": r.get("count"),
             "difference": _number(r.get("largest_difference")), "ok": bool(r.get("ok"))}
            for r in rows]


def check_view(check: CheckResult, mistakes: dict[str, dict]) -> dict:
    evidence = check.evidence or {}
    call = evidence.get("call") if isinstance(evidence.get("call"), dict) else None
    lines = check.message.splitlines()
    headline = (call or {}).get("problem") or (lines[0] if lines else check.status)
    parts = [{"label": label, "text": str(call[label])}
             for label in ("called", "returned", "expected", "detail") if call and call.get(label)]
    gradient = evidence.get("gradient")
    mistake = mistakes.get(check.mistake) if check.mistake else None
    return {
        "name": check.name, "status": check.status, "failed": check.status in FAILED,
        "score": _points(check.score), "max_score": _points(check.max_score),
        "advisory": check.max_score == 0, "visibility": check.visibility,
        "headline": headline, "parts": parts,
        "rest": "" if parts else "\n".join(lines[1:]),
        "counterexample": check.counterexample, "output": check.output,
        "output_truncated": check.output_truncated,
        "mistake": ({"id": check.mistake, **mistake} if mistake else None),
        "hint": "" if mistake else check.hint,
        "gradient": _gradient_view(gradient) if isinstance(gradient, dict) else None,
        "rows": _rows_view(evidence["rows"]) if isinstance(evidence.get("rows"), list) else [],
        "measured": _measured(evidence),
    }


def _draw_each_gradient_once(checks: list[CheckResult], views: list[dict]) -> None:
    """Checks that share one gradient check (W1, b1, W2, b2) draw its heat maps once, in the
    first of them; the others point to it."""
    first: dict[str, str] = {}
    for check, v in zip(checks, views):
        v["gradient_shown_in"] = ""
        if not v["gradient"] or not v["failed"]:
            continue
        key = json.dumps(check.evidence.get("gradient"), sort_keys=True)
        if key in first:
            v["gradient"], v["gradient_shown_in"] = None, first[key]
        else:
            first[key] = check.name


def _function_state(score: float, max_score: float, skipped: float) -> str:
    if score + skipped >= max_score:
        return "full"
    return "zero" if score == 0 else "partial"


def view(result: SubmissionResult) -> dict:
    functions = []
    for fn in result.functions:
        own = [c for c in result.checks if c.function == fn.name]
        checks = [check_view(c, result.mistakes) for c in own]
        seen, recognised = set(), []
        for c in checks:
            if c["mistake"] and c["mistake"]["id"] not in seen:
                seen.add(c["mistake"]["id"])
                recognised.append(c["mistake"])
        _draw_each_gradient_once(own, checks)
        functions.append({
            "name": fn.name, "anchor": _anchor(fn.name), "score": _points(fn.score),
            "max_score": _points(fn.max_score), "skipped": _points(fn.skipped_points),
            "has_skipped": fn.skipped_points > 0, "summary": fn.summary,
            "state": _function_state(fn.score, fn.max_score, fn.skipped_points),
            "failed": [c for c in checks if c["failed"]],
            "others": [c for c in checks if not c["failed"]],
            "mistakes": recognised,
        })
    iso = result.isolation or {}
    percent = 100 * result.score / result.max_score if result.max_score else 0
    return {
        "submission": result.submission, "score": _points(result.score),
        "max_score": _points(result.max_score), "percent": round(percent, 1),
        "error": result.error, "functions": functions, "warnings": list(result.warnings),
        "import_output": result.import_output, "reference": result.reference,
        "inputs": inputs_text(result), "withheld": withheld_text(result),
        "isolation": str(iso.get("summary") or iso.get("mode") or ""),
        "unavailable": [str(u) for u in iso.get("unavailable") or []],
        "versions": {str(k): str(v) for k, v in result.versions.items()},
        "any_gradient": any(c["gradient"] for f in functions for c in f["failed"]),
        "legend": [{"fill": _fill(0.0, 1e-6), "text": "within tolerance"},
                   {"fill": _fill(1e-5, 1e-6), "text": "just above"},
                   {"fill": _fill(1e-3, 1e-6), "text": "1e-3"},
                   {"fill": _fill(1.0, 1e-6), "text": "1 or more"},
                   {"fill": NONFINITE_FILL, "text": "not finite"}],
    }


def render(result: SubmissionResult) -> str:
    return _ENV.get_template("report.html.j2").render(report=view(result))


def write(result: SubmissionResult, path: Path) -> None:
    """Write atomically, like the JSON report."""
    write_text(Path(path), render(result))
