"""The HTML report (`autograde grade SUB --html PATH`): what it shows, that it is a view of the
result model only, that nothing a submission controls becomes markup, and that a real browser
renders it (headless Chromium: its DOM and a screenshot)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape

from conftest import FIXTURES, ROOT, checks_of, grade, grade_many
from fixtures.mistakes import CORRECT_SUBMISSION, MISTAKES, materialize
import browser
from grader.packs import load_pack
from grader.model import CheckResult, FunctionResult, SubmissionResult
from grader.render import html, terminal

# The only elements and attributes the report is made of; anything else came from a submission.
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "main", "header", "footer", "div",
                "span", "h1", "h2", "h3", "p", "section", "article", "table", "thead", "tbody", "tr",
                "th", "td", "a", "dl", "dt", "dd", "pre", "ul", "li", "strong", "i", "figure",
                "figcaption", "svg", "text", "rect", "details", "summary", "caption"}
ALLOWED_ATTRIBUTES = {"lang", "charset", "http-equiv", "content", "name", "class", "id", "href",
                      "style", "role", "aria-label", "colspan", "data-mistake", "width",
                      "height", "viewbox", "x", "y", "text-anchor", "fill", "open"}
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
        "five_bugs": five_bugs(src),                       # one mistake in every function
    }
    return grade_many(subs, tmp_path_factory.mktemp("html"), html=True)


FIVE_BUGS = ("sigmoid_wrong_sign", "sigmoid_grad_from_x", "softmax_wrong_axis",
             "fbp_cost_averaged_grad_summed", "negsampling_target_among_negatives")


def five_bugs(folder: Path) -> Path:
    """correct_summed.py with one catalogued mistake planted in each of the five functions."""
    text = CORRECT_SUBMISSION.read_text()
    for name in FIVE_BUGS:
        mistake = next(m for m in MISTAKES if m.name == name)
        assert text.count(mistake.old) == 1, name
        text = text.replace(mistake.old, mistake.new)
    path = folder / "five_bugs.py"
    path.write_text(text)
    return path


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
            shown = f"</span> {escape(html.label(check['name']))}"
            assert (shown in part) == (check["max_score"] > 0), check["name"]
        statuses = {c["status"] for c in checks_of(report, fn["name"]) if c["max_score"] > 0}
        assert all(f'class="badge {s}"' in part for s in statuses)


def test_failed_check_shows_call_result_and_expectation_as_small_matrices(reports):
    report = reports["example"]
    part = section(report["_html"], "forward_backward_prop")
    check = next(c for c in report["checks"] if c["name"] == "gradient_W1")
    call = check["evidence"]["call"]
    assert "array([" in call["returned"] and "with shape (4, 3)" in call["returned"]
    dl = part[part.index('<dl class="call">'):part.index("</dl>")]
    # returned and expected, and the call's data, labels and params: the gradient checks' M = 5
    # network is shown in full, for the student to rebuild the call
    assert [t for t, _ in elements(dl)].count("table") == 5
    assert "<caption>5 x 4</caption>" in dl and "<caption>5 x 3</caption>" in dl
    first_row = call["returned"].split("[[", 1)[1].split("]", 1)[0].split(",")
    assert "".join(f"<td>{v.strip()}</td>" for v in first_row) in dl
    assert "<caption>4 x 3</caption>" in dl and "array(" not in dl
    # The flat gradient of the reference comparison is shown as its four blocks, not 17 numbers.
    flat = next(c for c in report["checks"] if c["name"] == "gradient_matches_reference")
    assert "with shape (17,)" in flat["evidence"]["call"]["returned"] and flat["counterexample"]
    view = html.check_view(SubmissionResult.from_dict(result_of(report).to_dict()).checks[
        [c["name"] for c in report["checks"]].index("gradient_matches_reference")], {})
    returned = next(p for p in view["parts"] if p["label"] == "returned")
    assert [(b["name"], b["shape"]) for seg in returned["segments"] for b in seg.get("blocks", [])] \
        == [("W1", "2 x 3"), ("b1", "1 x 3"), ("W2", "3 x 2"), ("b2", "1 x 2")]


def test_student_reads_no_test_names_fixture_reprs_or_zero_point_rows(reports):
    for name in ("example", "five_bugs", "repeats"):
        page = reports[name]["_html"]
        # The JSON keeps hypothesis's header over the failing input (naming the check, not the
        # pack's test function: s61); the page shows the input without it.
        assert any(re.search(r"(Falsifying|Failing)( explicit)? example: \w+\(", c["counterexample"])
                   for c in reports[name]["checks"]) or name != "example"
        assert not any("test_" in c["counterexample"] for c in reports[name]["checks"])
        for internal in ("test_", "Failing test case", "Falsifying example", "NetCase(",
                         "W2VCase(", "large scores stay finite"):
            assert internal not in page, (name, internal)
        # No row worth nothing ("0 / 0"); a withheld 0.5-point check shows "0 / 0.5".
        assert not re.search(r"\b0 / 0(?![.\d])", page), name


def test_failures_fold_under_their_recognised_mistake(reports):
    report = reports["example"]
    page = report["_html"]
    part = section(page, "forward_backward_prop")
    mistake = report["mistakes"]["grad_summed_cost_averaged"]
    failed = [c for c in checks_of(report, "forward_backward_prop") if c["status"] == "failed"]
    assert len(failed) == 5 and all(c["mistake"] == "grad_summed_cost_averaged" for c in failed)
    assert page.count(str(escape(mistake["explanation"]))) == 1       # explained once
    box = part[part.index('data-mistake="grad_summed_cost_averaged"'):]
    assert "It fails these 5 checks (21 points)" in box
    assert box.count('<details class="check failed"') == 5
    tags = elements(page)
    folds = [a for t, a in tags if t == "details" and "check" in a.get("class", "")]
    assert len(folds) == 9 and "open" in folds[0] and not any("open" in a for a in folds[1:])
    # negSamplingCostAndGradient's four failures are one mistake too (the target not re-drawn)
    sampling = section(page, "negSamplingCostAndGradient")
    sampled = sampling[sampling.index('data-mistake="target_not_redrawn"'):]
    assert "It fails these 4 checks" in sampled and sampled.count('<details class="check failed"') == 4
    # The score table is the table of contents: a link to every group of failures.
    summary = page[page.index('id="summary"'):page.index("</section>", page.index('id="summary"'))]
    targets = [a["href"][1:] for t, a in elements(summary) if t == "a" and "-" in a["href"][6:]]
    assert len(targets) == 1 + 1 and all(f'id="{t}"' in page for t in targets)
    assert str(escape(mistake["title"])) + "</a>" in summary


def test_an_error_shows_the_submissions_own_source_line():
    message = ("softmax raised NameError: name 'total' is not defined\n"
               "  at q1_softmax.py, line 8, in softmax: return np.exp(y) / total\n"
               "  called: softmax(array([[1001., 1002.],\n [   3.,    4.]]) with shape (2, 2))")
    check = CheckResult("known_values", "softmax", "error", 0, 3, message=message)
    result = SubmissionResult("s.py", 0, 3, (check,), (FunctionResult("softmax", 0, 3),))
    page = html.render(result)
    where = page[page.index('class="where"'):]
    assert "q1_softmax.py, line 8, in softmax: return np.exp(y) / total" in where
    assert "<td>1001.</td><td>1002.</td>" in page and "<td>3.</td><td>4.</td>" in page


def test_the_graders_bookkeeping_in_a_checks_evidence_is_not_shown():
    """The call in one line (the message has it whole) and the parts of the values a check
    judged, for the scoring of others, showed as raw text: "called briefly ...", "parts right
    ["W1","W2","b2"]" (recheck probe s60), where W2 was wrong on an input not tried."""
    evidence = {"called_briefly": "softmax(array of shape (2, 1))", "parts_right": ["W1", "W2"],
                "parts_wrong": ["b1"], "largest_difference": 2.5}
    check = CheckResult("gradient_matches_reference", "f", "failed", 0, 3,
                        message="wrong gradient in b1", evidence=evidence)
    page = html.render(SubmissionResult("s.py", 0, 3, (check,), (FunctionResult("f", 0, 3),)))
    assert "largest difference" in page
    for label in ("called briefly", "parts right", "parts wrong"):
        assert label not in page, label


def test_student_mode_says_what_was_checkable_and_that_it_all_passed(tmp_path):
    # Known answers that leave one check to the instructor's grader (older than the check).
    answers = json.loads(load_pack().known_answers.read_text())
    del answers["checks"]["test_softmax.py::test_matches_reference"]
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps(answers))
    report = grade(FIXTURES / "correct_summed.py", tmp_path, "--no-reference", "--known-answers",
                   str(partial), html=True)
    skipped = sum(f["skipped_points"] for f in report["functions"])
    checkable = report["max_score"] - skipped
    assert skipped > 0 and report["score"] == checkable
    page = report["_html"]
    total = page[page.index('id="total"'):page.index("</header>")]
    line = f"{checkable:g} of {checkable:g} points checkable here: all passed"
    assert f'<div class="ok" id="checkable">{line}</div>' in total
    assert f"{skipped:g} more points are checked by your instructor's grader" in total
    assert "/ 100" not in total and 'style="width: 100.0%"' in total
    assert f"  {line}" in report["_terminal"] and f"/ {report['max_score']:g}" not in \
        report["_terminal"].split("points checkable")[0].splitlines()[-1]
    buggy = html.render(replace(result_of(report), score=report["score"] - 1))
    assert "all passed" not in buggy[buggy.index('id="total"'):buggy.index("</header>")]


def _header(page: str) -> str:
    return page[page.index('<header class="top">'):page.index('id="total"')]


def test_the_header_without_the_reference_agrees_with_what_was_left_to_the_instructor():
    """A student's copy whose known answers covered every check: the header said "checks that
    need it are left to your instructor's grader" above a footer saying "every check ran here"
    and instructor_points 0 (probe s59). The header says what happened: left to the instructor
    only when points were; no sentence at all with the reference."""
    checks = (CheckResult("known_values", "softmax", "passed", 3, 3),)
    inputs = {"set": "public", "answers": "known answers", "known_answer_points": 3,
              "instructor_points": 0}
    every = SubmissionResult("s.py", 3, 3, checks, (FunctionResult("softmax", 3, 3),),
                             reference=False, inputs=inputs)
    header = _header(html.render(every))
    assert "every check ran here" in header and "left to your instructor" not in header, header
    left = replace(every, max_score=5, functions=(FunctionResult("softmax", 3, 5, 2),),
                   inputs={**inputs, "instructor_points": 2})
    header = _header(html.render(left))
    assert str(escape("checks that need it are left to your instructor's grader")) in header, \
        header
    assert "every check ran here" not in header
    assert "Graded without the reference" not in _header(html.render(replace(every,
                                                                              reference=True)))


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
    warnings = example[example.index('id="warnings"'):example.index('</section>', example.index('id="warnings"'))]
    assert "xrange" in warnings and "averaged over the examples" not in warnings
    notes = example[example.index('id="notes"'):example.index('</section>', example.index('id="notes"'))]
    assert "averaged over the examples" in notes and "xrange" not in notes
    hostile = reports["hostile"]
    sigmoid = section(hostile["_html"], "sigmoid")
    cut = [c for c in checks_of(hostile, "sigmoid") if c["output_truncated"]]
    assert cut, "sigmoid prints on every call: some check's output must be cut"
    assert all(len(c["output"]) < 4200 for c in checks_of(hostile, "sigmoid"))
    assert f'What "{escape(html.label(cut[0]["name"]))}" printed <span class="truncated">' in sigmoid
    assert "Printed while importing your submission" in hostile["_html"]


def test_page_is_a_view_of_the_json_report(reports):
    """The CLI's page is exactly what the JSON report renders to: nothing else goes in."""
    for report in reports.values():
        assert html.render(result_of(report)) == report["_html"]


def test_correct_submission_page_has_no_failure(reports):
    page = reports["correct"]["_html"]
    assert '<details class="check' not in page and "<svg" not in page
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


def test_a_function_losing_points_failed_and_withheld_says_both_in_plain_words():
    """mostoriginal's softmax lost 10 points, 4 on two checks raising an AssertionError with no
    message and 6 withheld from three checks that passed; the page's contents said "-4 points",
    its evidence read `raised in ["softmax"]` and "AssertionError: " (a colon before nothing),
    and the passed checks "rows sum to one 0 / 2" (probe s61)."""
    wait = ("this check passed, but a check of softmax against itself earns its points only when "
            "its values are right too, and they are not (see matches_reference)")
    raised = {"raised_in": ["softmax"], "error": "AssertionError: "}
    message = ("softmax raised AssertionError\n"
               "  at q1_softmax.py, line 53, in softmax: assert x.shape == orig_shape")
    checks = (CheckResult("known_values", "softmax", "passed", 3, 3),
              *(CheckResult(name, "softmax", "passed", 0, 2, points_withheld=wait)
                for name in ("rows_sum_to_one", "invariant_to_adding_a_constant", "no_overflow")),
              *(CheckResult(name, "softmax", "error", 0, 2, message=message, evidence=raised)
                for name in ("vector_input", "matches_reference")))
    result = SubmissionResult("s.py", 3, 13, checks,
                              (FunctionResult("softmax", 3, 13, 0, "softmax raised an error"),))
    page = html.render(result)
    contents = page[page.index('id="summary"'):page.index("</section>", page.index('id="summary"'))]
    assert "-10 points in all (4 failed, 6 withheld" in contents, contents
    assert "[&#34;softmax&#34;]" not in page and '["softmax"]' not in page, page
    assert re.search(r"<td>raised in</td><td[^>]*>softmax</td>", page), page
    assert "AssertionError: <" not in page and "AssertionError: \n" not in page
    assert re.search(r"<td>error</td><td[^>]*>AssertionError</td>", page), page
    passed = page[page.index('<ul class="passed">'):]
    assert not re.search(r"rows sum to one <span[^>]*>0 / 2", passed), passed
    assert re.search(r"rows sum to one <span[^>]*>its 2 points withheld until the values are "
                     r"right", passed), passed
    assert re.search(r"known values <span[^>]*>3 / 3", passed), passed
    assert_only_report_markup(page)


def test_failures_stating_one_problem_show_it_once_with_each_checks_call():
    """Checks stopped by one error (a float() of a 1x1 array stops every check of the function)
    differ only in their calls: the problem once, the first check open with its call, the
    others folded under it, each with its own call; no check is left out."""
    problem = "f raised TypeError: only 0-dimensional arrays can be converted to Python scalars."
    checks = tuple(
        CheckResult(name, "f", "error", 0, 2, message=f"{problem}\n  called: f({n})",
                    evidence={"call": {"problem": problem, "called": f"f({n})"}})
        for n, name in enumerate(("returns_cost", "cost_matches", "grad_matches")))
    other = CheckResult("shape_kept", "f", "failed", 0, 1, message="the result has shape (2,).")
    result = SubmissionResult(submission="s.py", score=0, max_score=7, checks=(*checks, other),
                              functions=(FunctionResult("f", 0, 7, 0, "4 of 4 checks failed"),))
    page = html.render(result)
    assert page.count(str(escape(problem))) == 1, page
    assert "The same failure in 2 more checks" in page
    for n, name in enumerate(("returns cost", "cost matches", "grad matches", "shape kept")):
        assert f"> {name}</h3>" in page, name
    assert all(f"f({n})" in page for n in range(3))
    assert "returns cost and 2 more" in page  # the score table's entry for the three
    assert_only_report_markup(page)


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
_browser, _png_size = browser.run, browser.png_size


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


def test_a_printed_report_shows_the_checks_folded_on_screen(reports, tmp_path):
    """Paper cannot be clicked open: the PDF Chromium prints of the five-bug report holds the
    message of every failed check, the ones folded on screen too, and the names of the checks
    that passed (folded under "N checks passed")."""
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext is not installed (Debian: apt-get install poppler-utils; .ci/run "
                    "installs it)")
    report = reports["five_bugs"]
    page = Path(report["_html_path"])
    pdf = tmp_path / "five_bugs.pdf"
    printed = _browser(tmp_path / "profile", f"--print-to-pdf={pdf}", "--no-pdf-header-footer",
                       page.as_uri())
    assert printed.returncode == 0 and pdf.exists(), printed.stderr[-2000:]
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    failed = [c for c in report["checks"] if c["status"] == "failed"]
    passed = [c for c in report["checks"] if c["status"] == "passed" and c["max_score"] > 0]
    assert len(failed) > 5 and passed
    for check in failed:
        first = " ".join(check["message"].splitlines()[0].split())
        assert first[:60] in flat, (check["name"], first)
    for check in passed:
        assert html.label(check["name"]) in flat, check["name"]


def test_json_report_carries_the_new_fields(reports):
    report = reports["example"]
    assert set(report["mistakes"]) == {"grad_summed_cost_averaged", "target_not_redrawn"}
    for check in report["checks"]:
        assert {"mistake", "evidence", "output_truncated"} <= set(check)
        json.dumps(check["evidence"], allow_nan=False)


def test_report_with_five_bugs_fits_and_opens_on_the_score_table_and_first_failure(reports, tmp_path):
    """At 1280 px wide: the page stays short (each failure folded, each mistake explained once),
    and its first screen holds the score table and the first failure, open."""
    report = reports["five_bugs"]
    assert {f["name"] for f in report["functions"] if f["score"] < f["max_score"]} == {
        f["name"] for f in report["functions"]}
    page = Path(report["_html_path"])
    got = browser.measure(page, tmp_path, """{
        height: document.documentElement.scrollHeight,
        table: document.getElementById('summary').getBoundingClientRect().bottom,
        first: (() => { const d = document.querySelector('details.check');
                        const s = d.querySelector('.body').getBoundingClientRect();
                        return {open: d.open, top: d.getBoundingClientRect().top, body: s.top}; })(),
        open: document.querySelectorAll('details[open]').length,
        folds: document.querySelectorAll('details.check').length}""")
    assert got["folds"] >= 10 and got["open"] == 1 and got["first"]["open"]
    assert got["table"] < got["first"]["top"] < got["first"]["body"] < 900   # on the first screen
    assert 1500 < got["height"] < 6000, got
    shot = browser.screenshot(page, tmp_path, "report-five-bugs.png", 900)
    assert browser.png_size(shot) == (1280, 900) and shot.stat().st_size > 50_000


def test_a_values_table_says_which_part_of_the_value_it_shows():
    """A vector is one row: its table counts values, never "first 1 rows" (probe s57: a
    17-entry parameter vector was captioned "17, first 1 rows shown")."""
    def caption(text: str) -> str:
        return next(s for s in html.segments(text) if "blocks" in s)["blocks"][0]["cut"]

    vector = "array([" + ", ".join(f"{i}." for i in range(17)) + "]) with shape (17,)"
    assert caption(vector) == "first 12 of 17 values shown"
    assert caption("array([1., 2.]) with shape (2,)") == ""
    tall = "array([" + ", ".join("[1., 2.]" for _ in range(20)) + "]) with shape (20, 2)"
    assert caption(tall) == "first 12 of 20 rows shown"
    wide = "array([[" + ", ".join("1." for _ in range(15)) + "]]) with shape (1, 15)"
    assert caption(wide) == "first 12 of 15 columns shown"
    both = ("array([" + ", ".join("[" + ", ".join("1." for _ in range(15)) + "]"
                                  for _ in range(13)) + "]) with shape (13, 15)")
    assert caption(both) == "first 12 of 13 rows and 12 of 15 columns shown"
