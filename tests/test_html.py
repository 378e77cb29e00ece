"""The HTML report (`autograde grade SUB --html PATH`): what it shows, that it is a view of the
result model only, that nothing a submission controls becomes markup, and that a real browser
renders it (headless Chromium: its DOM and a screenshot)."""
from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape

from conftest import FIXTURES, ROOT, checks_of, grade_many
from fixtures.mistakes import MISTAKES, materialize
from grader.model import CheckResult, FunctionResult, SubmissionResult
from grader.render import html, terminal

# The only elements and attributes the report is made of; anything else came from a submission.
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "main", "header", "footer", "div",
                "span", "h1", "h2", "h3", "p", "section", "article", "table", "thead", "tbody", "tr",
                "th", "td", "a", "dl", "dt", "dd", "pre", "ul", "li", "strong", "i", "figure",
                "figcaption", "svg", "text", "rect"}
ALLOWED_ATTRIBUTES = {"lang", "charset", "http-equiv", "content", "name", "class", "id", "href",
                      "style", "role", "aria-label", "colspan", "data-mistake", "width",
                      "height", "viewbox", "x", "y", "text-anchor", "fill"}
MARKUP = "<script>alert(1)</script>"
TEMPLATE = "{{ 7*7 }}"


class Elements(HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def elements(page: str) -> list[tuple[str, dict]]:
    parser = Elements()
    parser.feed(page)
    parser.close()
    return parser.tags


def assert_only_report_markup(page: str) -> None:
    """No element, attribute or link that the template does not itself write."""
    for tag, attrs in elements(page):
        assert tag in ALLOWED_TAGS, (tag, attrs)
        assert set(attrs) <= ALLOWED_ATTRIBUTES, (tag, attrs)
        assert all(not name.startswith("on") for name in attrs), (tag, attrs)
        if "href" in attrs:
            assert attrs["href"].startswith("#"), attrs
        assert not any(":" in (v or "") and "//" in (v or "") for v in attrs.values()), attrs
        if tag == "svg":
            assert attrs.get("class") == "heatmap", attrs


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, dict]:
    src = tmp_path_factory.mktemp("html_subs")
    repeats = next(m for m in MISTAKES if m.name == "negsampling_repeats_overwritten")
    subs = {
        "example": ROOT / "examples" / "submission.py",    # fbp gradient mismatch, xrange
        "hostile": FIXTURES / "hostile_markup.py",
        "repeats": materialize(repeats, src),              # negSampling: one row of grad wrong
        "correct": FIXTURES / "correct_summed.py",
    }
    return grade_many(subs, tmp_path_factory.mktemp("html"), html=True)


def result_of(report: dict) -> SubmissionResult:
    return SubmissionResult.from_dict({k: v for k, v in report.items() if not k.startswith("_")})


def section(page: str, function: str) -> str:
    start = page.index(f'id="fn-{function}"')
    end = page.find('<section class="function', start + 1)
    return page[start:end if end > 0 else len(page)]


# ---- what the page shows ---------------------------------------------------------------------
def test_page_is_one_self_contained_file_without_script(reports):
    for report in reports.values():
        page = report["_html"]
        assert page.startswith("<!DOCTYPE html>")
        assert_only_report_markup(page)
        lowered = page.lower()
        assert "<script" not in lowered and "<link" not in lowered and "<img" not in lowered
        styles = lowered.split("<style>")[1].split("</style>")[0]
        assert lowered.count("<style>") == 1
        assert "@import" not in styles and "url(" not in styles and "//" not in styles
        assert not any("url(" in (a.get("style") or "") for _, a in elements(page))
        csp = next(a["content"] for t, a in elements(page)
                   if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
        assert "default-src 'none'" in csp and "script-src" not in csp


def test_page_shows_total_functions_and_every_check(reports):
    report = reports["example"]
    page = report["_html"]
    assert f"{report['score']:g} <span" in page and f"/ {report['max_score']:g}" in page
    for fn in report["functions"]:
        part = section(page, fn["name"])
        assert f"{fn['score']:g} / {fn['max_score']:g} points" in part
        for check in checks_of(report, fn["name"]):
            assert str(escape(check["name"])) in part
        statuses = {c["status"] for c in checks_of(report, fn["name"])}
        assert all(f'class="badge {s}"' in part for s in statuses)


def test_failed_check_shows_call_result_expectation_and_shrunk_input(reports):
    report = reports["example"]
    part = section(report["_html"], "forward_backward_prop")
    check = next(c for c in report["checks"] if c["name"] == "gradient_matches_reference")
    assert check["status"] == "failed" and check["counterexample"]
    call = check["evidence"]["call"]
    for label in ("called", "returned", "expected"):
        assert f"<dt>{label}</dt><dd><pre>{escape(call[label])}</pre></dd>" in part
    assert "array([" in call["returned"] and "with shape" in call["returned"]  # numpy's own print
    assert "Smallest failing input found (shrunk by hypothesis)" in part
    assert str(escape(check["counterexample"])) in part


def test_gradient_blocks_are_localised_and_drawn_as_heat_maps(reports):
    report = reports["example"]   # cost averaged, gradient summed: every block is M times off
    check = next(c for c in report["checks"] if c["name"] == "gradient_W1")
    blocks = check["evidence"]["gradient"]["blocks"]
    assert list(blocks) == ["W1", "b1", "W2", "b2"]
    for name, block in blocks.items():
        assert block["ok"] is False and block["max_relative_error"] > 1e-6
        rows, cols = block["shape"]
        assert len(block["relative_error"]) == rows and len(block["relative_error"][0]) == cols
        assert len(block["analytic"]) == rows and len(block["numerical"]) == rows
    assert check["evidence"]["gradient"]["ratio"] == 5   # the case with M = 5
    tags = elements(section(report["_html"], "forward_backward_prop"))
    maps = [a for t, a in tags if t == "svg"]
    assert [m["aria-label"].split(":")[0] for m in maps] == ["W1", "b1", "W2", "b2"]  # drawn once
    cells = [a for t, a in tags if t == "rect"]
    assert len(cells) == sum(b["shape"][0] * b["shape"][1] for b in blocks.values())
    assert all(a.get("class") == "bad" for a in cells)


def test_heat_map_singles_out_the_wrong_row(reports):
    """A negative drawn twice counted once: only its row of grad disagrees with the numbers."""
    report = reports["repeats"]
    check = next(c for c in report["checks"] if c["name"] == "grad_matches_numerical_gradient")
    gradient = check["evidence"]["gradient"]
    grad = gradient["blocks"]["grad"]
    bad_rows = [i for i, row in enumerate(grad["relative_error"]) if max(row) > 1e-6]
    assert bad_rows == [1]    # index 1 is drawn twice in the check's stream
    assert grad["rows"][1] == {"row": 1, "role": "negative", "count": 2}
    assert grad["rows"][4]["role"] == "target"
    assert gradient["grad_rows"]["target"] <= 1e-6 < gradient["grad_rows"]["negative"]
    assert gradient["blocks"]["gradPred"]["ok"] is True
    tags = elements(section(report["_html"], "negSamplingCostAndGradient"))
    grad_map = next(i for i, (t, a) in enumerate(tags) if t == "svg" and a["aria-label"].startswith("grad:"))
    cells = [a for t, a in tags[grad_map:] if t == "rect"][:10 * 3]
    assert [i for i in range(10) if any(c.get("class") == "bad" for c in cells[3 * i:3 * i + 3])] == [1]
    assert "1 neg x2" in section(report["_html"], "negSamplingCostAndGradient")


def test_warnings_and_captured_output_have_their_own_place(reports):
    example = reports["example"]["_html"]
    warnings = example[example.index('id="warnings"'):example.index('<section class="function')]
    assert "xrange" in warnings and "averaged over the examples" in warnings
    hostile = reports["hostile"]
    sigmoid = section(hostile["_html"], "sigmoid")
    cut = [c for c in checks_of(hostile, "sigmoid") if c["output_truncated"]]
    assert cut, "sigmoid prints on every call: some check's output must be cut"
    assert all(len(c["output"]) < 4200 for c in checks_of(hostile, "sigmoid"))
    assert f'What <span class="mono">{cut[0]["name"]}</span> printed <span class="truncated">' in sigmoid
    assert "Printed while importing your submission" in hostile["_html"]


def test_page_is_a_view_of_the_json_report(reports):
    """The CLI's page is exactly what the JSON report renders to: nothing else goes in."""
    for report in reports.values():
        assert html.render(result_of(report)) == report["_html"]


def test_correct_submission_page_has_no_failure(reports):
    page = reports["correct"]["_html"]
    assert '<article class="check' not in page and "<svg" not in page
    assert page.count("all checks passed") == 5


# ---- nothing the submission controls becomes markup ------------------------------------------
def test_hostile_submission_cannot_inject_markup_or_templates(reports):
    report = reports["hostile"]
    page = report["_html"]
    assert_only_report_markup(page)
    assert "<script" not in page.lower()
    # what it printed, raised, returned and called its function, all there as text
    for text in (MARKUP, "</pre></dd></dl><img src=x onerror=alert(2)>" + TEMPLATE,
                 "<script>alert(6)</script>" + TEMPLATE,
                 "in <script>alert('name')</script>" + TEMPLATE,
                 "<img src=x onerror=alert(5)>Error",
                 "hostile_markup.<svg onload=alert(3)>",
                 "<style>body { display: none }</style>"):
        assert str(escape(text)) in page, text
    # the template syntax reached the page as text, unevaluated
    assert TEMPLATE in page and "{% for i in range(3) %}x{% endfor %}" in page
    assert str(escape("<script>alert(6)</script>")) + "49" not in page


def test_every_text_field_of_the_model_is_escaped():
    evil = MARKUP + TEMPLATE + "<img src=x onerror=alert(9)>"
    check = CheckResult(
        name=evil, function="f", status="failed", score=0, max_score=2, message=evil + "\n" + evil,
        hint=evil, counterexample=evil, output=evil, mistake="m", output_truncated=True,
        evidence={"call": {"problem": evil, "called": evil, "returned": evil, "expected": evil,
                           "detail": evil},
                  evil: [evil], "rows": [{"row": 0, "role": evil, "count": 1,
                                          "largest_difference": 1.0, "ok": False}],
                  "gradient": {"case": evil, "tolerance": 1e-6, "step": 1e-4, "blocks": {
                      evil: {"shape": [1, 2], "analytic": [[1.0, None]], "numerical": [[0.0, 1.0]],
                             "relative_error": [[1.0, None]], "max_relative_error": None,
                             "ok": False, "rows": [{"row": 0, "role": evil, "count": 2}]}},
                      "grad_rows": {evil: 1.0}}})
    result = SubmissionResult(
        submission=evil, score=0, max_score=2, checks=(check, replace(check, status="passed", score=2)),
        functions=(FunctionResult("f", 0, 2, 0, evil),), warnings=(evil,), error=evil,
        isolation={"summary": evil, "unavailable": [evil]}, versions={evil: evil},
        import_output=evil, mistakes={"m": {"title": evil, "explanation": evil, "severity": "error"}})
    page = html.render(result)
    assert_only_report_markup(page)
    assert "<script" not in page and str(escape(MARKUP)) + "49" not in page
    assert page.count(str(escape(MARKUP + TEMPLATE))) >= 15


def test_terminal_summary_gives_the_same_verdicts_in_brief(reports):
    report = reports["example"]
    text = terminal.render(result_of(report), width=200)
    lines = text.splitlines()
    for fn in report["functions"]:
        row = next(ln for ln in lines if ln.split()[1:2] == [fn["name"]])
        assert f"{fn['score']:g} / {fn['max_score']:g}" in " ".join(row.split())
    flat = " ".join(text.split())
    for check in report["checks"]:
        if check["status"] == "failed" and check["max_score"] > 0:
            first = " ".join(check["message"].splitlines()[0].split())
            assert f"{check['name']}: {first}" in flat
    titles = [report["mistakes"][m]["title"] for m in report["mistakes"]]
    assert titles and all(text.count(f"hint: {t}:") == 1 for t in titles)


# ---- in a real browser -----------------------------------------------------------------------
def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)")


def _browser(profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}", *args]
    env = {**os.environ, "HOME": str(profile)}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_report_renders_in_headless_chromium(reports, tmp_path):
    """The DOM Chromium builds from the page of a buggy submission has every section and the
    heat maps (no script involved); a screenshot and a printed PDF are saved."""
    report = reports["example"]
    page = Path(report["_html_path"])
    dom = _browser(tmp_path / "profile", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    tags = elements(dom.stdout)
    ids = {a.get("id") for _, a in tags}
    assert {"summary", "warnings", "total"} <= ids
    assert {f"fn-{fn['name']}" for fn in report["functions"]} <= ids
    maps = [a for t, a in tags if t == "svg" and a.get("class") == "heatmap"]
    assert len(maps) == 4 and sum(1 for t, a in tags if t == "rect" and a.get("class") == "bad") > 0
    assert not any(t == "script" for t, _ in tags)

    screenshot = tmp_path / "report.png"
    shot = _browser(tmp_path / "profile", f"--screenshot={screenshot}", "--window-size=1100,2400",
                    "--hide-scrollbars", page.as_uri())
    assert shot.returncode == 0 and screenshot.exists(), shot.stderr[-2000:]
    assert _png_size(screenshot) == (1100, 2400)
    assert screenshot.stat().st_size > 50_000     # a page of text and colour, not a blank one
    pdf = tmp_path / "report.pdf"
    printed = _browser(tmp_path / "profile", f"--print-to-pdf={pdf}", "--no-pdf-header-footer",
                       page.as_uri())
    assert printed.returncode == 0 and pdf.read_bytes()[:5] == b"%PDF-", printed.stderr[-2000:]
    keep = os.environ.get("AUTOGRADE_SCREENSHOTS")
    if keep:  # e.g. a CI artifact folder
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, Path(keep) / "report.png")
        shutil.copy(pdf, Path(keep) / "report.pdf")


def test_json_report_carries_the_new_fields(reports):
    report = reports["example"]
    assert set(report["mistakes"]) == {"grad_summed_cost_averaged", "target_not_redrawn"}
    for check in report["checks"]:
        assert {"mistake", "evidence", "output_truncated"} <= set(check)
        json.dumps(check["evidence"], allow_nan=False)
