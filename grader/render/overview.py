"""The class overview (index.html of a batch), for the instructor, in the order they read it:

1. the class at a glance: how many, mean and median, a histogram of scores with both axes;
2. the students: one row each with every function's points and links to both reports, sortable
   without JavaScript (the table is rendered once per sort key; CSS `:target` shows the one a
   column's link names, the by-name table otherwise);
3. recognised mistakes, each with the students who made it, then the most failed checks; both
   leave out submissions and functions that are missing altogether (not found, not implemented,
   not loadable), which are listed on their own, and uploads that look like another pack's
   (grader/other_pack.py), listed with the pack they look like; then the modules the class's code
   imports that cannot be imported where it is graded, each with its students;
4. identical wrong answers (grader/similarity.py), unless turned off;
5. the pass rate of every check, among the submissions that have the function.

One self-contained page, like the per-submission report: autoescaped, inline SVG, no script,
links relative to the batch's output folder.
"""
from __future__ import annotations

import re

import statistics
from collections import Counter
from typing import Collection, Mapping, Sequence
from urllib.parse import quote

from grader import safe_text, scoring, similarity
from grader.model import ANOTHER_PACK, SubmissionResult
from grader.render.gradebook import NotGradedYet, functions as function_columns
from grader.render.html import FAILED, _points, templates
from grader.scoring import nothing_to_grade

BINS = 10                 # histogram bars of 10 percentage points each
BAR_W, BAR_GAP, PLOT_H = 40, 6, 150
PLOT_LEFT, PLOT_TOP = 52, 14
TOP = 15                  # failed checks listed
NAMES = 10                # students named per failed check (the rest counted)
# How the grader says a function gave nothing to grade (grader/scoring.py): such a function is
# missing, not wrong, and must not crowd out the failures of those who tried.
NOTHING_TO_GRADE = scoring.NOTHING_TO_GRADE


def _ticks(top: int) -> list[int]:
    """Whole-number ticks from 0 to at least `top`, at most six of them."""
    step = max(1, -(-top // 5))
    return list(range(0, top + step, step)) if top else [0, 1]


def histogram(percents: Sequence[float]) -> dict:
    """The drawing of the score distribution: BINS bars over 0..100 % (100 % in the last), an x
    axis in percent and a y axis in students."""
    counts = [0] * BINS
    for p in percents:
        counts[min(BINS - 1, max(0, int(p // (100 / BINS))))] += 1
    ticks = _ticks(max(counts, default=0))
    scale = PLOT_H / ticks[-1]
    base = PLOT_TOP + PLOT_H
    step = 100 // BINS
    bars = []
    for i, n in enumerate(counts):
        h = round(n * scale)
        lo, hi = i * step, (i + 1) * step
        bars.append({"x": PLOT_LEFT + BAR_GAP / 2 + i * (BAR_W + BAR_GAP), "y": base - h, "h": h,
                     "count": n, "title": f"{lo}-{hi}%{' (100 included)' if hi == 100 else ''}: "
                                          f"{n} student{'' if n == 1 else 's'}"})
    right = PLOT_LEFT + BINS * (BAR_W + BAR_GAP)
    return {"bars": bars, "bar_w": BAR_W, "base": base, "left": PLOT_LEFT, "right": right,
            "top": PLOT_TOP, "width": right + 16, "height": base + 44,
            "x_ticks": [{"x": PLOT_LEFT + i * (BAR_W + BAR_GAP), "label": str(i * step)}
                        for i in range(BINS + 1)],
            "y_ticks": [{"y": base - round(t * scale), "label": str(t)} for t in ticks],
            "x_title": {"x": (PLOT_LEFT + right) / 2, "y": base + 38},
            "y_title": {"x": 14, "y": PLOT_TOP + PLOT_H / 2}}


def _state(score: float, max_score: float, skipped: float, missing: bool) -> str:
    if missing:
        return "missing"
    if score + skipped >= max_score:
        return "full"
    return "zero" if score == 0 else "partial"


def _link(student: str) -> dict:
    return {"name": student, "html": f"reports/{quote(student)}.html",
            "json": f"reports/{quote(student)}.json"}


def _percent(result: SubmissionResult) -> float:
    return 100 * result.score / result.max_score if result.max_score else 0.0


def name_parts(name: str) -> list[str]:
    """A function's name in the pieces a heading may break between (after an underscore, before
    a capital): negSamplingCostAndGradient wraps as neg|Sampling|Cost|And|Gradient, never mid-word."""
    parts = re.findall(r"[A-Z]*[a-z0-9]*_*", name)
    parts = [p for p in parts if p]
    return parts if "".join(parts) == name else [name]


# How a function is missing, by the phrase its checks fail with (scoring.NOTHING_TO_GRADE).
NOT_LOADABLE, NOT_IMPLEMENTED, NOT_FOUND = "not loadable", "not implemented", "not found"


def why_missing(result: SubmissionResult, function: str) -> tuple[str, str]:
    """How `function`, missing from `result`, is missing, and for one that does not load the
    error's first line ("IndentationError in q1_softmax.py, line 9"): a syntax error is worth a
    regrade request, an unattempted function is not, and the overview listed both as "missing or
    not implemented" without a word of the error (probe s59)."""
    first = next((c.message.split("\n", 1)[0] for c in result.checks
                  if c.function == function and c.status in FAILED), "")
    for phrase in ("could not be loaded", "could not be read"):
        if phrase in first:
            error = first.split(phrase, 1)[1].lstrip(": ")
            # What and where, not the message after it (the student's report has it all).
            at = re.match(r"(.*?, line \d+)(?::|$)", error)
            return NOT_LOADABLE, safe_text.visible(at.group(1) if at else error[:160])
    if "is not implemented yet" in first:
        return NOT_IMPLEMENTED, ""
    return NOT_FOUND, ""


def _student_rows(results: Mapping[str, SubmissionResult], columns: list[str],
                  missing: dict[str, set[str]], gone: Collection[str]) -> list[dict]:
    rows = []
    for student in sorted(results):
        r = results[student]
        by_name = {f.name: f for f in r.functions}
        cells = []
        for name in columns:
            fn = by_name.get(name)
            if fn is None:
                # (reports of two assignments in one OUT: a column the report has not)
                cells.append({"text": "", "state": "none", "sort": -1.0, "missing": False})
                continue
            absent = name in missing[student]
            kind, why = why_missing(r, name) if absent and not r.error else ("missing", "")
            cells.append({"text": f"{_points(fn.score)} / {_points(fn.max_score)}",
                          "state": _state(fn.score, fn.max_score, fn.skipped_points, absent),
                          "sort": fn.score, "missing": absent,
                          "missing_label": "missing" if kind == NOT_FOUND else kind,
                          "why": why})
        rows.append({**_link(student), "score": _points(r.score), "max_score": _points(r.max_score),
                     "percent": round(_percent(r)), "cells": cells, "gone": student in gone,
                     # The LMS's mark (Canvas's _LATE_), kept in the report's upload record:
                     # the gradebook had it, the page an instructor reads did not (probe s59).
                     "late": bool(r.upload.get("late")) if isinstance(r.upload, dict) else False,
                     "error": r.error.splitlines()[0] if r.error else (
                         scoring.nothing_graded(r) or _first_sentence(another_pack(r)))})
    return rows


def another_pack(result: SubmissionResult) -> str:
    """The report's warning that the upload looks like another pack's (grader/other_pack.py),
    or "": the cbow notebook graded as CS224n read as a 0 with softmax's mistakes and no word
    of the wrong assignment (probe s59)."""
    return next((w for w in result.warnings if w.startswith(ANOTHER_PACK)), "")


def _first_sentence(text: str) -> str:
    """What a student's row says of a long warning: up to its first full stop."""
    return text.split(". ", 1)[0] + ("." if ". " in text else "")


def _sorted_tables(rows: list[dict], columns: list[str]) -> list[dict]:
    """The students' table once per sort key; the by-name one last, as CSS shows it by default."""
    tables = [{"id": "by-total", "label": "total, lowest first", "default": False,
               "rows": sorted(rows, key=lambda r: (float(r["score"]), r["name"]))}]
    for i, name in enumerate(columns):
        tables.append({"id": f"by-fn-{i}", "label": f"{name}, lowest first", "default": False,
                       "rows": sorted(rows, key=lambda r, i=i: (r["cells"][i]["sort"], r["name"]))})
    tables.append({"id": "by-name", "label": "name", "rows": rows, "default": True})
    return tables


def view(results: Mapping[str, SubmissionResult], notes: Sequence[str] = (),
         gone: Collection[str] = (), *, similar: bool = True,
         pending: NotGradedYet = NotGradedYet()) -> dict:
    """`gone`: students whose upload a batch no longer found; their reports stay, marked.
    `similar`: whether to look for identical wrong answers (`autograde batch --no-similarity`).
    `pending`: the uploads not graded yet, said first: the page is of part of the class."""
    students = sorted(results)
    columns = function_columns(results)
    missing = {s: {f for f in columns if nothing_to_grade(results[s], f)} for s in students}
    absent = [s for s in students if results[s].error or (columns and missing[s] >= set(columns))]
    elsewhere = {s: another_pack(results[s]) for s in students if another_pack(results[s])}
    percents = [_percent(results[s]) for s in students]

    mistakes: dict[tuple[str, str], dict] = {}
    failures: dict[tuple[str, str], list[str]] = {}
    checks: dict[tuple[str, str], Counter] = {}
    for s in students:
        result = results[s]
        for c in result.checks:
            counts = checks.setdefault((c.function, c.name), Counter())
            if c.function in missing[s]:
                counts["missing"] += 1
                continue
            counts[c.status] += 1
            if s in elsewhere:  # another assignment's mistakes are not this class's
                continue
            # A check that failed in the grader is the batch's note, not the students' failure.
            if c.status in FAILED and c.max_score > 0 and not c.grader_error:
                failures.setdefault((c.function, c.name), []).append(s)
            if c.mistake and c.mistake in result.mistakes and (c.status in FAILED or c.max_score == 0):
                entry = result.mistakes[c.mistake]
                # By function too: one hint (a gradient's sign) is a mistake of several
                # functions, and a student made it in one of them (real probe s61).
                m = mistakes.setdefault((c.function, c.mistake), {
                    "id": c.mistake, "title": str(entry.get("title", c.mistake)),
                    "severity": str(entry.get("severity", "error")), "function": c.function,
                    "students": []})
                if s not in m["students"]:
                    m["students"].append(s)
    pass_rates = []
    for (function, name), statuses in checks.items():
        graded = sum(statuses.values()) - statuses["skipped"] - statuses["missing"]
        rate = 100 * statuses["passed"] / graded if graded else 0.0
        pass_rates.append({"function": function, "name": name, "passed": statuses["passed"],
                           "graded": graded, "skipped": statuses["skipped"],
                           "missing": statuses["missing"], "rate": round(rate, 1)})
    by_count = sorted(failures.items(), key=lambda kv: (-len(kv[1]), columns.index(kv[0][0])
                                                        if kv[0][0] in columns else 0, kv[0][1]))
    rows = _student_rows(results, columns, missing, gone)
    n = len(results)
    return {
        # The notes name uploads, and a file name is the student's text.
        "count": n, "notes": [safe_text.visible(note) for note in notes],
        "histogram": histogram(percents),
        "mean": _points(round(statistics.fmean(percents), 1)) if n else "0",
        "median": _points(round(statistics.median(percents), 1)) if n else "0",
        "columns": columns, "column_parts": [name_parts(c) for c in columns],
        "tables": _sorted_tables(rows, columns),
        "mistakes": [{**m, "students": [_link(s) for s in m["students"]]}
                     for m in sorted(mistakes.values(),
                                     key=lambda m: (-len(m["students"]), m["title"]))],
        "failures": [{"function": f, "name": c, "count": len(who),
                      "students": [_link(s) for s in who[:NAMES]], "more": max(0, len(who) - NAMES)}
                     for (f, c), who in by_count[:TOP]],
        "absent": [_link(s) for s in absent],
        "another_pack": [{**_link(s), "text": safe_text.visible(text)}
                         for s, text in elsewhere.items()],
        "missing_functions": _missing_functions(results, columns, missing, absent),
        "missing_modules": missing_modules(results),
        "similar": similar,
        "groups": ([{"function": g.function, "checks": list(g.checks),
                     "students": [_link(s) for s in g.students]}
                    for g in similarity.groups(results, columns)] if similar else []),
        "near": ([{"function": n.function, "shared": len(n.shared), "failing": n.failing,
                   "checks": list(n.shared), "students": [_link(s) for s in n.students],
                   "others": [_link(s) for s in n.others]}
                  for n in similarity.near(results, columns)] if similar else []),
        "pass_rates": pass_rates,
        "errors": sum(1 for r in results.values() if r.error),
        # Of the students with nothing graded (`absent`, which holds every one with an error):
        # one count, each student once (the glance box said "missing 2" and "with an error 2"
        # of the same two students, probe s59).
        "errors_said": _errors_said(sum(1 for r in results.values() if r.error), len(absent)),
        "gone": sum(1 for s in students if s in gone),
        # The packs the reports were graded with (one, unless OUT mixes assignments).
        "packs": sorted({str(r.versions["pack"]) for r in results.values() if r.versions.get("pack")}),
        "incomplete": _incomplete(pending),
    }


def missing_modules(results: Mapping[str, SubmissionResult]) -> list[dict]:
    """Each module the class's code imports that cannot be imported where it is graded, with
    the students whose code imports it, most students first: a module the course's requirements
    list (scipy, for expit) cost a student most of a grade, and only the student's report said
    so (probe s60)."""
    who: dict[str, list[str]] = {}
    cost: dict[str, set[str]] = {}  # by module, the students a check of whose failed for it
    for student in sorted(results):
        failed_for = _modules_failed_for(results[student])
        for module in dict.fromkeys(results[student].missing_modules):
            shown = safe_text.visible(str(module))
            who.setdefault(shown, []).append(student)
            if module in failed_for:
                cost.setdefault(shown, set()).add(student)
    return [{"module": module, "count": len(students),
             "students": [{**_link(s), "unused": s not in cost.get(module, ())}
                          for s in students],
             "unused": not cost.get(module)}
            for module, students in sorted(who.items(), key=lambda kv: (-len(kv[1]), kv[0]))]


# What a missing module's stand-in, or an import of it inside a function, raises when called
# (grader/worker/missing_imports.py).
_NO_MODULE = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")


def _modules_failed_for(result: SubmissionResult) -> set[str]:
    """The top-level names of the modules a check of `result` failed for: an import nothing
    graded uses costs nothing, and the overview said of a 100 / 100 "so the code that uses it
    fails" (probe s61)."""
    return {name.split(".")[0] for c in result.checks if c.status != "passed"
            for name in _NO_MODULE.findall(c.message)}


def _errors_said(errors: int, absent: int) -> str:
    """How many of the `absent` students with nothing graded had an error: "both with an
    error", "1 of them with an error"."""
    if errors == absent:
        return {1: "with an error", 2: "both with an error"}.get(errors, "all with an error")
    return f"{errors} of them with an error"


def _missing_functions(results: Mapping[str, SubmissionResult], columns: list[str],
                       missing: dict[str, set[str]], absent: list[str]) -> list[dict]:
    """Per function and per how it is missing (not found, not implemented, not loadable), the
    students, each one whose function does not load with its error's first line."""
    listed = []
    for f in columns:
        by_kind: dict[str, list[dict]] = {}
        for s in sorted(results):
            if f in missing[s] and s not in absent:
                kind, why = why_missing(results[s], f)
                by_kind.setdefault(kind, []).append({**_link(s), "why": why})
        for kind in (NOT_FOUND, NOT_IMPLEMENTED, NOT_LOADABLE):
            if kind in by_kind:
                listed.append({"function": f, "kind": kind, "students": by_kind[kind]})
    return listed


def _incomplete(pending: NotGradedYet) -> dict | None:
    """The banner of a class not graded in full, naming the students waiting (probe s59: an
    interrupted run's page read "1 submissions, mean 100 %" with 17 of 18 uploads not graded)."""
    if not pending:
        return None
    waiting = sorted({*pending.uploads, *pending.stale})
    return {"text": safe_text.visible(pending.banner()), "found": pending.found,
            "graded": pending.found - len(pending.uploads),
            "students": [safe_text.visible(s) for s in waiting[:NAMES]],
            "more": max(0, len(waiting) - NAMES)}


def render(results: Mapping[str, SubmissionResult], *, notes: Sequence[str] = (),
           gone: Collection[str] = (), similar: bool = True,
           pending: NotGradedYet = NotGradedYet()) -> str:
    return templates().get_template("overview.html.j2").render(
        report=view(results, notes, gone, similar=similar, pending=pending))
