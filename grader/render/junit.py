"""JUnit XML: the result model for CI pipelines (GitLab's test reports, GitHub Actions reporters).

The output follows the Jenkins JUnit schema (junit-10.xsd, the one pytest's own tests use;
tests/junit-10.xsd validates every report): <testsuites> carries tests, failures, errors and time
(the schema allows no `skipped` there; each <testsuite> has its own).

One <testsuite> per graded function (its points in <properties>), one <testcase> per check
(classname = the function, name = the check). A check that failed, raised or timed out is a
<failure> whose type is the check's status (failed, error, timeout), a skipped check <skipped>; the
element's text is the same feedback as the other reports (render.feedback), and its message leads
with the points lost.

Where the score shows: GitLab's test report shows each case's name, classname, time and the text of
its failure, but neither suite names nor properties; GitHub's JUnit reporters show each failure's
message. So besides the name of <testsuites>, a last suite "autograde" holds one summary case whose
name is the score ("score: 76 / 100 points") and whose text lists the points per function; it fails
when a check failed, errored or timed out.

Times: the grader times the whole submission, not each check (timings never enter a grade), so a
case's `time` is the submission's time shared evenly over its checks, and a suite's is its cases'.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from grader.model import SubmissionResult
from grader.render import feedback
from grader.render.json_report import write_text

# Characters XML 1.0 cannot carry even escaped (student code may print any of them).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _points(x: float) -> str:
    return f"{x:g}"


SUMMARY_SUITE = "autograde"


def _seconds(x: float) -> str:
    return f"{x:.3f}"  # Jenkins' SUREFIRE_TIME: at most three decimals


def _summary_case(suites: ET.Element, result: SubmissionResult) -> dict[str, int]:
    """The suite whose one case is named by the score: what GitLab's test list shows."""
    suite = ET.SubElement(suites, "testsuite", name=SUMMARY_SUITE)
    score = f"{_points(result.score)} / {_points(result.max_score)} points"
    case = ET.SubElement(suite, "testcase", classname=SUMMARY_SUITE, name=f"score: {score}",
                         time=_seconds(0.0))
    lines = [f"score: {score}"]
    lines += [f"  {fn.name}: {_points(fn.score)} / {_points(fn.max_score)}"
              + (f" ({_points(fn.skipped_points)} not run)" if fn.skipped_points else "")
              + ("" if fn.score == fn.max_score else f"  {fn.summary}") for fn in result.functions]
    if result.error:
        lines.append(f"nothing could be graded: {result.error}")
    lost = [c for c in result.checks if c.status in ("failed", "error", "timeout")]
    mine = {"tests": 1, "failures": 0, "errors": 0, "skipped": 0}
    if lost or result.error:
        mine["failures"] = 1
        points = sum(c.max_score for c in lost)
        node = ET.SubElement(case, "failure", type="score",
                             message=f"{score}; {len(lost)} checks lost {_points(points)} points")
        node.text = _clean("\n".join(lines))
    else:
        ET.SubElement(case, "system-out").text = _clean("\n".join(lines))
    for key, value in mine.items():
        suite.set(key, str(value))
    suite.set("time", _seconds(0.0))
    return mine


def element(result: SubmissionResult) -> ET.Element:
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total = float(result.timings.get("total_seconds", 0.0))
    share = total / len(result.checks) if result.checks else 0.0
    suites = ET.Element("testsuites", name=f"autograde: {_points(result.score)} / "
                                           f"{_points(result.max_score)} points")
    for i, fn in enumerate(result.functions):
        checks = [c for c in result.checks if c.function == fn.name]
        suite = ET.SubElement(suites, "testsuite", name=fn.name)
        props = ET.SubElement(suite, "properties")
        for key, value in (("score", fn.score), ("max_score", fn.max_score),
                           ("skipped_points", fn.skipped_points)):
            ET.SubElement(props, "property", name=key, value=_points(value))
        mine = {"tests": len(checks), "failures": 0, "errors": 0, "skipped": 0}
        for check in checks:
            case = ET.SubElement(suite, "testcase", classname=fn.name, name=check.name,
                                 time=_seconds(share))
            if check.status == "passed":
                continue
            text = _clean(feedback.check_text(check))
            lost = f"0 / {_points(check.max_score)} points: "
            if check.status == "skipped":
                mine["skipped"] += 1
                ET.SubElement(case, "skipped", message=_clean(feedback.first_line(check.message)))
                continue
            # An error or a timeout is the submission's failure too, so a <failure> whose type
            # says which: the schema names its error element <errors>, which no CI reader knows.
            mine["failures"] += 1
            node = ET.SubElement(case, "failure", type=check.status,
                                 message=_clean(lost + feedback.first_line(check.message or check.status)))
            node.text = text
        for key, value in mine.items():
            suite.set(key, str(value))
            counts[key] += value
        suite.set("time", _seconds(share * len(checks)))
        notes = ([result.error] if result.error else []) + list(result.warnings) + list(result.notes)
        if i == 0 and notes:  # what concerns the whole submission, said once
            ET.SubElement(suite, "system-err").text = _clean("\n".join(notes))
    for key, value in _summary_case(suites, result).items():
        counts[key] += value
    for key in ("tests", "failures", "errors"):  # the schema allows no `skipped` here
        suites.set(key, str(counts[key]))
    suites.set("time", _seconds(total))
    return suites


def dumps(result: SubmissionResult) -> str:
    root = element(result)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(result: SubmissionResult, path: Path) -> None:
    write_text(path, dumps(result))
