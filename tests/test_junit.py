"""CI pipelines: `autograde grade --junit PATH` and `--fail-under SCORE`, through the command line."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import FIXTURES, ROOT, run_cli

from grader.model import CheckResult, FunctionResult, SubmissionResult
from grader.render import feedback, junit

EXAMPLE = ROOT / "examples" / "submission.py"
CORRECT = FIXTURES / "correct_summed.py"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict]:
    """Each run: the exit status, stderr, the JUnit XML parsed, and the JSON report if asked for."""
    out = tmp_path_factory.mktemp("junit")
    jobs = {
        # the example loses points on two functions, so it is below 100 ...
        "example": (EXAMPLE, "--json", "--fail-under", "100"),
        # ... a perfect score is not below 100 ...
        "correct": (CORRECT, "--fail-under", "100"),
        # ... and a score above the threshold but short of the maximum passes too
        "no_reference": (CORRECT, "--no-reference", "--fail-under", "20"),
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
    assert {k: int(root.get(k)) for k in ("tests", "failures", "errors", "skipped")} == counts(root)
    for suite in root.iter("testsuite"):
        assert {k: int(suite.get(k)) for k in ("tests", "failures", "errors", "skipped")} == counts(suite)
        for case in suite.iter("testcase"):
            assert case.get("classname") == suite.get("name") and case.get("name")


@pytest.mark.parametrize("name", ["example", "template"])
def test_junit_matches_the_json_report(runs, name):
    root, report = runs[name]["xml"], runs[name]["report"]
    statuses = [c["status"] for c in report["checks"]]
    assert counts(root) == {"tests": len(statuses), "failures": statuses.count("failed"),
                            "errors": statuses.count("error") + statuses.count("timeout"),
                            "skipped": statuses.count("skipped")}
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
            node = case.find("failure" if check["status"] == "failed" else "error")
            assert node.get("type") == check["status"]
            assert node.get("message").startswith(f"0 / {check['max_score']:g} points: ")
            assert node.text == feedback.check_text(CheckResult(**check))
            if not node.text.endswith("characters not shown)"):  # bounded: see test_feedback_is_bounded
                for part in (check["message"], check["hint"], check["counterexample"]):
                    assert part in node.text


def test_example_failures_carry_the_hint(runs):
    failures = [c for c in runs["example"]["xml"].iter("testcase") if c.find("failure") is not None]
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
    error = root.find("testsuite/testcase/error")
    assert error.get("message") == "0 / 1 points: f raised ValueError <&>"
    assert "red" in error.text and "ok" in error.text and "\x00" not in error.text
    assert root.find("testsuite/system-err").text.startswith("bell")
