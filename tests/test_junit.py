"""CI pipelines: `autograde grade --junit PATH` and `--fail-under SCORE`, through the command line."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest
import xmlschema

from conftest import FIXTURES, ROOT, run_cli

from grader.model import CheckResult, FunctionResult, SubmissionResult
from grader.packs import load_pack
from grader.render import feedback, junit

EXAMPLE = ROOT / "examples" / "submission.py"
# The Jenkins JUnit schema, as pytest's own tests validate against it (testing/example_scripts/).
JUNIT_XSD = xmlschema.XMLSchema(ROOT / "tests" / "junit-10.xsd")
CORRECT = FIXTURES / "correct_summed.py"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict]:
    """Each run: the exit status, stderr, the JUnit XML parsed, and the JSON report if asked for."""
    out = tmp_path_factory.mktemp("junit")
    # A student's copy whose known answers leave one check to the instructor's grader.
    answers = json.loads(load_pack().known_answers.read_text())
    del answers["checks"]["test_softmax.py::test_matches_reference"]
    partial = out / "partial-answers.json"
    partial.write_text(json.dumps(answers))
    jobs = {
        # the example loses points on two functions, so it is below 100 ...
        "example": (EXAMPLE, "--json", "--fail-under", "100"),
        # ... a perfect score is not below 100 ...
        "correct": (CORRECT, "--fail-under", "100"),
        # ... and a score above the threshold but short of the maximum passes too
        "no_reference": (CORRECT, "--no-reference", "--known-answers", str(partial),
                         "--fail-under", "20"),
        "template": (ROOT / "student_template", "--json"),
    }

    def run(name: str, submission, *extra: str) -> dict:
        args = ["grade", str(submission), "--junit", str(out / f"{name}.xml")]
        if "--json" in extra:
            extra = tuple(e for e in extra if e != "--json")
            args += ["--json", str(out / f"{name}.json")]
        proc = run_cli(*args, *extra)
        report = out / f"{name}.json"
        return {"code": proc.returncode, "stderr": proc.stderr, "stdout": proc.stdout,
                "xml": ET.parse(out / f"{name}.xml").getroot(),
                "report": json.loads(report.read_text()) if report.exists() else None}

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run, name, *job) for name, job in jobs.items()}
        return {name: f.result() for name, f in futures.items()}


def outcome(case: ET.Element) -> str:
    kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
    assert len(kinds) <= 1
    return kinds[0] if kinds else "passed"


def counts(root: ET.Element) -> dict[str, int]:
    cases = list(root.iter("testcase"))
    kinds = [outcome(c) for c in cases]
    return {"tests": len(cases), "failures": kinds.count("failure"), "errors": kinds.count("error"),
            "skipped": kinds.count("skipped")}


@pytest.mark.parametrize("name", ["example", "correct", "no_reference", "template"])
def test_junit_counts_add_up(runs, name):
    root = runs[name]["xml"]
    assert root.tag == "testsuites"
    expected = counts(root)
    assert {k: int(root.get(k)) for k in ("tests", "failures", "errors")} == {
        k: expected[k] for k in ("tests", "failures", "errors")}
    assert root.get("skipped") is None  # junit-10.xsd allows it on <testsuite> only ...
    assert sum(int(s.get("skipped")) for s in root.iter("testsuite")) == expected["skipped"]  # ... there
    for suite in root.iter("testsuite"):
        assert {k: int(suite.get(k)) for k in ("tests", "failures", "errors", "skipped")} == counts(suite)
        for case in suite.iter("testcase"):
            assert case.get("classname") == suite.get("name") and case.get("name")


def check_suites(root: ET.Element) -> ET.Element:
    """The report without its summary suite: one suite per function, one case per check."""
    copy = ET.fromstring(ET.tostring(root))
    summaries = [s for s in copy if s.get("name") == junit.SUMMARY_SUITE]
    assert len(summaries) == 1 and copy[-1] is summaries[0]  # exactly one, last
    copy.remove(summaries[0])
    return copy


@pytest.mark.parametrize("name", ["example", "template"])
def test_junit_matches_the_json_report(runs, name):
    root, report = check_suites(runs[name]["xml"]), runs[name]["report"]
    statuses = [c["status"] for c in report["checks"]]
    # an error or a timeout is a <failure> whose type says which (junit-10.xsd has no <error>)
    assert counts(root) == {
        "tests": len(statuses), "errors": 0, "skipped": statuses.count("skipped"),
        "failures": statuses.count("failed") + statuses.count("error") + statuses.count("timeout")}
    assert root.get("name") == f"autograde: {report['score']:g} / {report['max_score']:g} points"
    functions = {f["name"]: f for f in report["functions"]}
    for suite in root.iter("testsuite"):
        props = {p.get("name"): float(p.get("value")) for p in suite.iter("property")}
        assert props["score"] == functions[suite.get("name")]["score"]
        assert props["max_score"] == functions[suite.get("name")]["max_score"]
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    for check in report["checks"]:
        case = cases[(check["function"], check["name"])]
        if check["status"] in ("failed", "error", "timeout"):
            node = case.find("failure")
            assert node.get("type") == check["status"]
            assert node.get("message").startswith(f"0 / {check['max_score']:g} points: ")
            assert node.text == feedback.check_text(CheckResult(**check))
            if not node.text.endswith("characters not shown)"):  # bounded: see test_feedback_is_bounded
                for part in (check["message"], check["hint"], check["counterexample"]):
                    assert part in node.text


def test_example_failures_carry_the_hint(runs):
    failures = [c for c in check_suites(runs["example"]["xml"]).iter("testcase")
                if c.find("failure") is not None]
    assert {c.get("classname") for c in failures} == {"forward_backward_prop", "negSamplingCostAndGradient"}
    assert any("averaged over the examples but the gradient is summed" in c.find("failure").text
               for c in failures)


def test_skipped_checks_are_junit_skips(runs):
    root = runs["no_reference"]["xml"]
    skipped = [c for c in root.iter("testcase") if c.find("skipped") is not None]
    assert skipped and counts(root)["failures"] == counts(root)["errors"] == 0
    assert all("instructor" in c.find("skipped").get("message") for c in skipped)


def test_fail_under_sets_the_exit_status(runs):
    assert runs["example"]["code"] == 1
    assert "below --fail-under 100" in runs["example"]["stderr"]
    assert "total" in runs["example"]["stdout"]  # the report is still printed ...
    assert runs["example"]["report"]["score"] < 100  # ... and written
    assert runs["correct"]["code"] == 0  # equal is not below
    assert runs["no_reference"]["code"] == 0  # 20 <= score < max_score
    assert runs["template"]["code"] == 0  # no --fail-under: 0 whatever the score
    for run in runs.values():
        assert "Traceback" not in run["stderr"]


def test_xml_survives_any_printed_character():
    check = CheckResult(name="prints", function="f", status="error", score=0, max_score=1,
                        message="f raised ValueError <&>", output="\x00\x1b[31mred\x07 \ud800 ok")
    result = SubmissionResult(submission="s.py", score=0, max_score=1, checks=(check,),
                              functions=(FunctionResult("f", 0, 1),), warnings=("bell \x07",))
    root = ET.fromstring(junit.dumps(result).encode("utf-8"))
    error = root.find("testsuite/testcase/failure")
    assert error.get("type") == "error"
    assert error.get("message") == "0 / 1 points: f raised ValueError <&>"
    assert "red" in error.text and "ok" in error.text and "\x00" not in error.text
    assert root.find("testsuite/system-err").text.startswith("bell")


def every_status() -> SubmissionResult:
    statuses = ("passed", "failed", "error", "timeout", "skipped")
    checks = tuple(CheckResult(name=f"c_{s}", function="f", status=s, score=2.0 if s == "passed" else 0,
                               max_score=2.0, message="" if s == "passed" else f"{s} here")
                   for s in statuses)
    return SubmissionResult(submission="s.py", score=2, max_score=10, checks=checks,
                            functions=(FunctionResult("f", 2, 10, skipped_points=2, summary="c_failed"),),
                            warnings=("w",), timings={"total_seconds": 1.2345})


@pytest.mark.parametrize("name", ["example", "correct", "no_reference", "template"])
def test_junit_validates_against_the_jenkins_schema(runs, name):
    JUNIT_XSD.validate(ET.tostring(runs[name]["xml"], encoding="unicode"))


def test_schema_rejects_what_the_old_output_had():
    """The schema is strict where it matters: the old `skipped` on <testsuites> and <error>."""
    good = junit.dumps(every_status())
    JUNIT_XSD.validate(good)
    root = ET.fromstring(good.encode())
    root.set("skipped", "1")
    assert not JUNIT_XSD.is_valid(ET.tostring(root, encoding="unicode"))
    assert not JUNIT_XSD.is_valid(good.replace("<failure ", "<error ").replace("</failure>", "</error>"))


def test_every_case_and_suite_has_a_time():
    root = ET.fromstring(junit.dumps(every_status()).encode())
    assert root.get("time") == "1.234"
    cases = list(root.iter("testcase"))
    assert cases and all(re.fullmatch(r"\d+\.\d{3}", c.get("time")) for c in cases)
    suites = list(root.iter("testsuite"))
    assert all(re.fullmatch(r"\d+\.\d{3}", s.get("time")) for s in suites)
    # the submission's time is shared over its checks, so the suites add up to the whole
    assert sum(float(s.get("time")) for s in suites) == pytest.approx(1.2345, abs=0.002)


def test_every_status_maps_to_one_junit_outcome():
    root = ET.fromstring(junit.dumps(every_status()).encode())
    cases = {c.get("name"): c for c in root.iter("testcase") if c.get("classname") == "f"}
    assert outcome(cases["c_passed"]) == "passed" and outcome(cases["c_skipped"]) == "skipped"
    for status in ("failed", "error", "timeout"):
        failure = cases[f"c_{status}"].find("failure")
        assert failure.get("type") == status
        assert failure.get("message") == f"0 / 2 points: {status} here"
    f = root.find("testsuite")
    assert (f.get("tests"), f.get("failures"), f.get("errors"), f.get("skipped")) == ("5", "3", "0", "1")


def summary_case(root: ET.Element) -> ET.Element:
    suite = root[-1]
    assert suite.get("name") == junit.SUMMARY_SUITE and len(suite.findall("testcase")) == 1
    return suite.find("testcase")


def test_the_score_is_a_test_case_name_and_in_every_failure_message(runs):
    """GitLab's test report shows case names and failure texts, never suite names or properties;
    GitHub's reporters show failure messages: the score must be in those."""
    example, report = runs["example"]["xml"], runs["example"]["report"]
    score = f"{report['score']:g} / {report['max_score']:g} points"
    case = summary_case(example)
    assert case.get("name") == f"score: {score}"
    failure = case.find("failure")
    assert failure is not None and failure.get("message").startswith(f"{score}; ")
    for fn in report["functions"]:
        assert f"{fn['name']}: {fn['score']:g} / {fn['max_score']:g}" in failure.text
    lost = [c for c in example.iter("testcase") if c.find("failure") is not None and c is not case]
    assert lost and all(re.match(r"0 / [\d.]+ points: ", c.find("failure").get("message")) for c in lost)
    # a perfect score is a passing summary; a student's copy loses no points to skipped checks
    assert summary_case(runs["correct"]["xml"]).get("name") == "score: 100 / 100 points"
    assert outcome(summary_case(runs["correct"]["xml"])) == "passed"
    assert outcome(summary_case(runs["no_reference"]["xml"])) == "passed"
    assert outcome(summary_case(runs["template"]["xml"])) == "failure"


@pytest.mark.parametrize("name", ["example", "template"])
def test_json_reports_follow_the_published_schema(runs, name):
    from conftest import REPORT_SCHEMA
    REPORT_SCHEMA.validate(runs[name]["report"])
    assert not REPORT_SCHEMA.is_valid({**runs[name]["report"], "score": "76"})  # not a formality
    renamed = dict(runs[name]["report"])
    renamed["checks_v2"] = renamed.pop("checks")
    assert not REPORT_SCHEMA.is_valid(renamed)  # a renamed field breaks LMS scripts: rejected
