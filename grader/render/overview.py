"""The class overview (index.html of a batch): a score histogram, the pass rate of every check, the
most common failures and recognised mistakes with how many students hit each, and a link to every
report. One self-contained page, like the per-submission report: autoescaped, inline SVG, no
script, links relative to the batch's output folder."""
from __future__ import annotations

from collections import Counter
from typing import Collection, Mapping, Sequence
from urllib.parse import quote

from grader import safe_text
from grader.model import SubmissionResult
from grader.render.html import FAILED, _ENV, _points

BINS = 10                 # histogram bars of 10 percentage points each
BAR_W, BAR_GAP, PLOT_H = 44, 6, 160
TOP = 25                  # failures and mistakes listed


def histogram(percents: Sequence[float]) -> dict:
    """The drawing of the score distribution: BINS bars over 0..100 % (100 % in the last)."""
    counts = [0] * BINS
    for p in percents:
        counts[min(BINS - 1, max(0, int(p // (100 / BINS))))] += 1
    tallest = max(counts, default=0) or 1
    step = 100 // BINS
    bars = []
    for i, n in enumerate(counts):
        h = round(PLOT_H * n / tallest)
        bars.append({"x": 30 + i * (BAR_W + BAR_GAP), "y": 20 + PLOT_H - h, "h": h, "count": n,
                     "label": f"{i * step}", "title": f"{i * step}-{(i + 1) * step}%: {n} students"})
    return {"bars": bars, "bar_w": BAR_W, "base": 20 + PLOT_H,
            "width": 30 + BINS * (BAR_W + BAR_GAP) + 20, "height": PLOT_H + 60}


def view(results: Mapping[str, SubmissionResult], notes: Sequence[str] = (),
         gone: Collection[str] = ()) -> dict:
    """`gone`: students whose upload a batch no longer found; their reports stay, marked."""
    students = sorted(results)
    percents = [100 * r.score / r.max_score if r.max_score else 0.0 for r in results.values()]
    checks: dict[tuple[str, str], Counter] = {}
    failures: Counter = Counter()
    mistakes: Counter = Counter()
    titles: dict[str, str] = {}
    for result in results.values():
        hit: set[str] = set()
        for c in result.checks:
            checks.setdefault((c.function, c.name), Counter())[c.status] += 1
            if c.status in FAILED and c.max_score > 0:
                failures[(c.function, c.name)] += 1
            if c.mistake and c.mistake in result.mistakes:
                hit.add(c.mistake)
                titles[c.mistake] = str(result.mistakes[c.mistake].get("title", c.mistake))
            elif c.hint and c.status in FAILED:
                hit.add("hint:" + c.hint)
                titles["hint:" + c.hint] = c.hint
        mistakes.update(hit)
    pass_rates = []
    for (function, name), statuses in checks.items():
        graded = sum(statuses.values()) - statuses["skipped"]
        rate = 100 * statuses["passed"] / graded if graded else 0.0
        pass_rates.append({"function": function, "name": name, "passed": statuses["passed"],
                           "graded": graded, "skipped": statuses["skipped"],
                           "rate": round(rate, 1)})
    rows = []
    for s in students:
        r = results[s]
        rows.append({"student": s, "score": _points(r.score), "max_score": _points(r.max_score),
                     "html": f"reports/{quote(s)}.html", "json": f"reports/{quote(s)}.json",
                     "error": r.error.splitlines()[0] if r.error else "", "gone": s in gone})
    n = len(results)
    return {
        # The notes name uploads, and a file name is the student's text.
        "count": n, "rows": rows, "notes": [safe_text.visible(note) for note in notes],
        "histogram": histogram(percents),
        "mean": _points(round(sum(percents) / n, 1)) if n else "0",
        "pass_rates": pass_rates,
        "failures": [{"function": f, "name": c, "students": k}
                     for (f, c), k in failures.most_common(TOP)],
        "mistakes": [{"title": titles[m], "students": k} for m, k in mistakes.most_common(TOP)],
        "errors": sum(1 for r in results.values() if r.error),
        "gone": sum(1 for s in students if s in gone),
    }


def render(results: Mapping[str, SubmissionResult], *, notes: Sequence[str] = (),
           gone: Collection[str] = ()) -> str:
    return _ENV.get_template("overview.html.j2").render(report=view(results, notes, gone))
