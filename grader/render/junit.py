"""JUnit XML: the result model for CI pipelines (GitLab's test reports, GitHub Actions reporters).

One <testsuite> per graded function (its points in <properties>), one <testcase> per check
(classname = the function, name = the check). A failed check is a <failure>, an error or a timeout
an <error> (its type says which), a skipped check <skipped>; the element's text is the same feedback
as the other reports (render.feedback), and its message leads with the points lost. The whole
score is in the name of <testsuites>, so a CI page shows it at a glance.
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


def element(result: SubmissionResult) -> ET.Element:
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
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
            case = ET.SubElement(suite, "testcase", classname=fn.name, name=check.name)
            if check.status == "passed":
                continue
            text = _clean(feedback.check_text(check))
            lost = f"0 / {_points(check.max_score)} points: "
            if check.status == "skipped":
                mine["skipped"] += 1
                ET.SubElement(case, "skipped", message=_clean(feedback.first_line(check.message)))
                continue
            kind = "failure" if check.status == "failed" else "error"
            mine["failures" if kind == "failure" else "errors"] += 1
            node = ET.SubElement(case, kind, type=check.status,
                                 message=_clean(lost + feedback.first_line(check.message or check.status)))
            node.text = text
        for key, value in mine.items():
            suite.set(key, str(value))
            counts[key] += value
        notes = ([result.error] if result.error else []) + list(result.warnings)
        if i == 0 and notes:  # what concerns the whole submission, said once
            ET.SubElement(suite, "system-err").text = _clean("\n".join(notes))
    for key, value in counts.items():
        suites.set(key, str(value))
    suites.set("time", f"{float(result.timings.get('total_seconds', 0.0)):.3f}")
    return suites


def dumps(result: SubmissionResult) -> str:
    root = element(result)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(result: SubmissionResult, path: Path) -> None:
    write_text(path, dumps(result))
