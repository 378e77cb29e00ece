"""The HTML report: one self-contained page (inline CSS, no script, no fetch), safe to open
whatever the submission printed or raised.

Everything the submission controls (its output, exception messages, the reprs of what it returned,
file and function names) reaches the page only as text through jinja2's autoescaping: nothing here
is marked safe, and the submission's text is never used as a template. Gradient evidence is drawn
as SVG heat maps built from numbers alone.
"""
from __future__ import annotations

import functools
import json
import math
import re
from pathlib import Path
from typing import Any


from grader import callees
from grader.model import ANOTHER_PACK, FIRST_WARNINGS, CheckResult, SubmissionResult
from grader.scoring import FAILED
from grader.render.json_report import write_text
from grader.render.feedback import (NOT_GRADED, inputs_text, mode_text, not_graded,
                                    repeats_error, withheld_text)

TEMPLATES = Path(__file__).resolve().with_name("templates")
CELL = 22            # side of a heat map cell, in pixels
EVIDENCE_SHOWN_AS_TEXT = 600  # characters of one measured value shown in the "measured" list



@functools.cache
def templates() -> Any:
    """The templates' jinja2 environment, made on first use: a grade that writes no page
    (`autograde grade` without --html) does not import jinja2 at all."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(loader=FileSystemLoader(str(TEMPLATES)),
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


# ---- values as small matrices -----------------------------------------------------------------
# The checks print arrays the way numpy does (grader/checks_api.py: show); on the page each becomes
# a small table. Only the grader's own format is recognised; anything else stays text.
ARRAY = re.compile(r"array\((\[[-+0-9.eE\s,\[\]naif]*?\])\) with shape \(([\d, ]*)\)")
MATRIX_SIDE = 12   # rows and columns of a value drawn; the rest is counted


def _cells(text: str) -> list[list[str]]:
    rows = re.findall(r"\[([^\[\]]*)\]", text)
    return [[c.strip() for c in row.split(",") if c.strip()] for row in rows]


def _matrix(rows: list[list[str]], shape: str, name: str = "") -> dict:
    shown = [r[:MATRIX_SIDE] for r in rows[:MATRIX_SIDE]]
    dims = [d for d in shape.replace(" ", "").split(",") if d]
    n_cols = max((len(r) for r in rows), default=0)
    return {"name": name, "shape": " x ".join(dims) or "1", "rows": shown,
            "cut": _cut(len(rows), n_cols, vector=len(dims) == 1)}


def _cut(n_rows: int, n_cols: int, vector: bool) -> str:
    """What part of a value its table shows, when not all of it (a vector is one row: its
    entries are values, not columns)."""
    if vector:
        return f"first {MATRIX_SIDE} of {n_cols} values shown" if n_cols > MATRIX_SIDE else ""
    if n_rows > MATRIX_SIDE and n_cols > MATRIX_SIDE:
        return f"first {MATRIX_SIDE} of {n_rows} rows and {MATRIX_SIDE} of {n_cols} columns shown"
    if n_rows > MATRIX_SIDE:
        return f"first {MATRIX_SIDE} of {n_rows} rows shown"
    if n_cols > MATRIX_SIDE:
        return f"first {MATRIX_SIDE} of {n_cols} columns shown"
    return ""


def _reshape(rows: list[list[str]], layout: dict) -> list[dict] | None:
    """A flat vector of the layout's size, as its named blocks (W1, b1, W2, b2)."""
    flat = [c for r in rows for c in r]
    if not layout or "..." in flat:
        return None
    blocks = []
    for name, spec in layout.items():
        try:
            start, stop, n_rows, n_cols = (int(v) for v in spec)
        except (TypeError, ValueError):
            return None
        part = flat[start:stop]
        if len(part) != n_rows * n_cols:
            return None
        blocks.append(_matrix([part[i * n_cols:(i + 1) * n_cols] for i in range(n_rows)],
                              f"{n_rows},{n_cols}", name))
    total = max((int(spec[1]) for spec in layout.values()), default=0)
    return blocks if total == len(flat) else None


def segments(text: str, layout: dict | None = None) -> list[dict]:
    """`text` as pieces of text and matrices, in order."""
    out: list[dict] = []
    last = 0
    for m in ARRAY.finditer(text):
        if m.start() > last:
            out.append({"text": text[last:m.start()]})
        rows = _cells(m.group(1))
        blocks = _reshape(rows, layout or {}) if len(rows) == 1 else None
        if blocks:
            out.append({"blocks": blocks})
        else:
            out.append({"blocks": [_matrix(rows, m.group(2))]})
        last = m.end()
    if last < len(text):
        out.append({"text": text[last:]})
    return out


# ---- checks and functions -------------------------------------------------------------------
# Drawn otherwise, or the grader's own bookkeeping: the one-line call the terminal shows (the
# message holds the call), the parts of the values a check judged (for the scoring of other
# checks; "parts right" read as a verdict, and misled where another input was wrong there:
# recheck probe s60).
HIDDEN_EVIDENCE = ("call", "gradient", "rows", "layout", "called_briefly", "parts_right",
                   "parts_wrong")
# hypothesis's header for the failing input names the test function; the call shows the input.
HYPOTHESIS_HEADER = re.compile(r"^(Falsifying|Failing)( explicit)? (example|test case): \w+\($")


def _measured(evidence: dict) -> list[dict]:
    """Evidence other than the call and the gradient, as label / text pairs."""
    shown = []
    for key, value in evidence.items():
        if key in HIDDEN_EVIDENCE:
            continue
        text = _evidence_text(value)
        if len(text) > EVIDENCE_SHOWN_AS_TEXT:
            text = text[:EVIDENCE_SHOWN_AS_TEXT] + " ..."
        shown.append({"label": key.replace("_", " "), "text": text})
    return shown


def _evidence_text(value: Any) -> str:
    """One measured value as a student reads it: names as words, not a JSON list ("raised in
    softmax", where the page said `raised in ["softmax"]`, probe s61), and an exception with no
    message as its type alone (it read "AssertionError: ", the colon followed by nothing)."""
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    if isinstance(value, str):
        return re.sub(r"^(\w+(?:\.\w+)*):\s*$", r"\1", value)
    return json.dumps(value)


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


def label(name: str) -> str:
    """A check's name as a student reads it: words, not an identifier."""
    return name.replace("_", " ")


def _counterexample(text: str, has_call: bool) -> str:
    """Hypothesis's shrunk input without its test-function header; nothing when the call shown
    already has the input, or when all it holds is the grader's own case object."""
    if has_call:
        return ""
    lines = text.strip().splitlines()
    if lines and HYPOTHESIS_HEADER.match(lines[0].strip()):
        lines = lines[1:-1] if lines[-1].strip() == ")" else lines[1:]
    kept = "\n".join(line.strip() for line in lines).strip().rstrip(",")
    return "" if re.search(r"\b\w+Case\(", kept) else kept


def _message_parts(message: str) -> tuple[str, list[dict], list[str], str]:
    """(headline, labelled parts, source lines, the rest) of a message without evidence: an
    error's `at FILE, line N, in F: CODE` lines are the submission's own code."""
    lines = message.splitlines()
    parts, where, rest = [], [], []
    current = None
    for line in lines[1:]:
        stripped = line.strip()
        m = re.match(r"(called|returned|expected): (.*)", stripped)
        if m:
            current = {"label": m.group(1), "text": m.group(2)}
            parts.append(current)
        elif stripped.startswith("at ") and ", line " in stripped:
            where.append(stripped[3:])
            current = None
        elif current is not None and not re.match(r"  \S", line):  # a value's next line
            current["text"] += "\n" + line
        else:
            rest.append(line)
            current = None
    return (lines[0] if lines else ""), parts, where, "\n".join(rest).strip()


def check_view(check: CheckResult, mistakes: dict[str, dict]) -> dict:
    evidence = check.evidence or {}
    call = evidence.get("call") if isinstance(evidence.get("call"), dict) else None
    layout = evidence.get("layout") if isinstance(evidence.get("layout"), dict) else None
    if call:
        headline = str(call.get("problem") or check.message.split("\n", 1)[0])
        parts = [{"label": name, "text": str(call[name])}
                 for name in ("called", "returned", "expected", "detail") if call.get(name)]
        where, rest = [], ""
    else:
        headline, parts, where, rest = _message_parts(check.message)
        headline = headline or check.status
    # The sentence naming a failing callee (callees.py) ends the message; shown on its own.
    cause = ""
    if evidence.get("failing_callees") and "\n" in check.message:
        cause = check.message.splitlines()[-1].strip()
        rest = rest.removesuffix(cause).rstrip()
    for part in parts:
        if part["label"] == "detail":
            part["segments"] = [{"text": "\n".join(ln.strip() for ln in part["text"].splitlines())}]
        else:
            part["segments"] = segments(part["text"], layout)
    gradient = evidence.get("gradient")
    mistake = mistakes.get(check.mistake) if check.mistake else None
    return {
        "name": check.name, "label": label(check.name), "status": check.status,
        "failed": check.status in FAILED, "score": _points(check.score),
        "max_score": _points(check.max_score), "advisory": check.max_score == 0,
        "lost": _points(check.max_score - check.score),
        # Passed, its points waiting for the function's values (scoring.withhold_unverified).
        "withheld": check.status == "passed" and check.score < check.max_score,
        "visibility": check.visibility, "headline": headline, "cause": cause, "parts": parts,
        "where": where,
        "rest": rest, "counterexample": _counterexample(check.counterexample,
                                                        any(p["label"] == "called" for p in parts)),
        "output": check.output, "output_truncated": check.output_truncated,
        "mistake": ({"id": check.mistake, **mistake} if mistake else None),
        "hint": "" if mistake else check.hint,
        "gradient": _gradient_view(gradient) if isinstance(gradient, dict) else None,
        "rows": _rows_view(evidence["rows"]) if isinstance(evidence.get("rows"), list) else [],
        "measured": _measured(evidence),
        # The callees a recognised mistake's explanation waits for (callees.until_callees_pass).
        "waits": callees.until_callees_pass([check]),
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
            first[key] = v["label"]


def _function_state(score: float, max_score: float, skipped: float) -> str:
    if score + skipped >= max_score:
        return "full"
    return "zero" if score == 0 else "partial"


def _groups(anchor: str, failed: list[dict]) -> list[dict]:
    """Failures under their recognised mistake (one explanation, its checks listed under it);
    the others under the problem they state (checks stopped by one error differ only in their
    calls: the problem once, each check's call under it); in the order the checks ran."""
    groups: list[dict] = []
    by_key: dict[tuple, dict] = {}
    for c in failed:
        m = c["mistake"]
        key = ("mistake", m["id"]) if m else ("problem", c["headline"], c["cause"], c["hint"])
        if key in by_key:
            by_key[key]["checks"].append(c)
            continue
        group = {"mistake": m, "checks": [c], "id": f"{anchor}-{len(groups) + 1}"}
        by_key[key] = group
        groups.append(group)
    for g in groups:
        shared = not g["mistake"] and len(g["checks"]) > 1
        g["problem"] = g["checks"][0]["headline"] if shared else ""
        g["title"] = (g["mistake"]["title"] if g["mistake"] else
                      f"{g['checks'][0]['label']} and {len(g['checks']) - 1} more" if shared else
                      g["checks"][0]["label"])
        g["points"] = _points(sum(float(c["max_score"]) - float(c["score"]) for c in g["checks"]))
        waits = {c["waits"] for c in g["checks"]}
        g["waits"] = waits.pop() if g["mistake"] and len(waits) == 1 else ""
    return groups


def _total(result: SubmissionResult) -> dict:
    """The header's total. Without the reference (a student's copy), the points that can be
    checked here are the measure, and those only the instructor's grader checks are apart."""
    skipped = sum(f.skipped_points for f in result.functions)
    checkable = result.max_score - skipped
    if result.reference or not skipped:
        percent = 100 * result.score / result.max_score if result.max_score else 0
        return {"student_mode": False, "percent": round(percent, 1), "all_passed": False}
    percent = 100 * result.score / checkable if checkable else 0
    return {"student_mode": True, "checkable": _points(checkable), "withheld": _points(skipped),
            "all_passed": checkable > 0 and result.score >= checkable, "percent": round(percent, 1)}


def _without_reference(result: SubmissionResult) -> str:
    """The header's sentence for a report graded without the reference ("" with it). A student's
    copy whose known answers covered every check left nothing to the instructor's grader: said
    so, as the footer says (the header said checks were left to it, probe s59)."""
    if result.reference:
        return ""
    said = "Graded without the reference solution"
    if any(f.skipped_points for f in result.functions):
        return f"{said}: checks that need it are left to your instructor's grader."
    if result.error or (result.inputs or {}).get("answers") != "known answers":
        return f"{said}."
    return f"{said}: values were compared with the known answers instead, and every check ran here."


def view(result: SubmissionResult) -> dict:
    functions = []
    opened = False
    for fn in result.functions:
        if fn.max_score == 0:
            continue  # nothing to earn: no row, no section
        own = [c for c in result.checks if c.function == fn.name]
        checks = [check_view(c, result.mistakes) for c in own]
        _draw_each_gradient_once(own, checks)
        anchor = _anchor(fn.name)
        # A check that failed only for the submission's error (the banner says it) is no group.
        failed = [c for c, check in zip(checks, own) if c["failed"] and not c["advisory"]
                  and not repeats_error(result, check.message)]
        groups = _groups(anchor, failed)
        for g in groups:
            g["open"] = not opened
            opened = True
        withheld = sum(c.max_score - c.score for c in own
                       if c.status == "passed" and c.max_score > c.score)
        failed_points = sum(c.max_score - c.score for c in own
                            if c.status in FAILED and c.max_score > 0)
        functions.append({
            "name": fn.name, "anchor": anchor, "score": _points(fn.score),
            "max_score": _points(fn.max_score), "skipped": _points(fn.skipped_points),
            "has_skipped": fn.skipped_points > 0,
            "summary": NOT_GRADED if not_graded(result, fn.name, fn.summary) else fn.summary,
            "state": _function_state(fn.score, fn.max_score, fn.skipped_points),
            "groups": groups,
            # The contents line said "-4 points" of a function that lost 10, 6 of them withheld
            # from checks that passed (probe s61): the whole loss, the two apart.
            "withheld_points": _points(withheld) if withheld else "",
            "failed_points": _points(failed_points),
            "lost": _points(failed_points + withheld),
            "passed": [c for c in checks if c["status"] == "passed" and not c["advisory"]],
            "skipped_checks": [c for c in checks if c["status"] == "skipped" and not c["advisory"]],
            "printed": [c for c in checks if not c["failed"] and c["output"]],
            # Mistakes that cost nothing here (on a passed or a 0-point check): explained apart.
            "warnings": list({c["mistake"]["id"]: c["mistake"] for c in checks
                              if c["mistake"] and (not c["failed"] or c["advisory"])}.values()),
        })
    iso = result.isolation or {}
    # What went wrong comes first; functions that earned everything follow, folded.
    functions.sort(key=lambda f: not f["groups"])
    return {
        "submission": result.submission, "score": _points(result.score),
        "max_score": _points(result.max_score), "total": _total(result),
        "error": result.error, "functions": functions,
        # What to grade instead (a .py file graded alone, graded_alone.py) heads the page.
        # Each with its own id: a test, a script or a link finds the one it means.
        "first": [{"text": w, "id": "another-pack" if w.startswith(ANOTHER_PACK)
                   else "grade-the-folder"} for w in result.warnings
                  if w.startswith(FIRST_WARNINGS)],
        "warnings": [w for w in result.warnings if not w.startswith(FIRST_WARNINGS)],
        "notes": list(result.notes),
        "import_output": result.import_output, "reference": result.reference,
        "without_reference": _without_reference(result),
        "import_output_cut": (f"... ({result.import_output_dropped:,} more characters not shown)"
                              if result.import_output_dropped > 0 else ""),
        "inputs": inputs_text(result), "mode": mode_text(result), "withheld": withheld_text(result),
        "isolation": str(iso.get("summary") or iso.get("mode") or ""),
        "unavailable": [str(u) for u in iso.get("unavailable") or []],
        "versions": {str(k): str(v) for k, v in result.versions.items()},
        "failures": sum(len(g["checks"]) for f in functions for g in f["groups"]),
        "legend": [{"fill": _fill(0.0, 1e-6), "text": "within tolerance"},
                   {"fill": _fill(1e-5, 1e-6), "text": "just above"},
                   {"fill": _fill(1e-3, 1e-6), "text": "1e-3"},
                   {"fill": _fill(1.0, 1e-6), "text": "1 or more"},
                   {"fill": NONFINITE_FILL, "text": "not finite"}],
    }


def render(result: SubmissionResult) -> str:
    return templates().get_template("report.html.j2").render(report=view(result))


def write(result: SubmissionResult, path: Path) -> None:
    """Write atomically, like the JSON report."""
    write_text(Path(path), render(result))
