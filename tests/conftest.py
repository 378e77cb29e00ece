"""Shared helpers: grade a submission end to end through the CLI, as a user would."""
from __future__ import annotations

import compileall
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jsonschema
import pytest

# The test process and the graders it starts multiply on one BLAS thread, as the grader's own
# entry points do (grader/blas_threads.py): spinning BLAS threads took CPU from the workers the
# tests time. Before anything below imports numpy.
from grader.blas_threads import one_thread

one_thread()

import cli_server  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
sys.path.insert(0, str(ROOT / "tests"))
# What installing the grader does, and an editable install under PYTHONDONTWRITEBYTECODE (as in
# CI) never does: without it, every grader and worker process the tests start compiles the
# grader from source, about 0.3 s of each on the 2-core CI machine.
compileall.compile_dir(ROOT / "grader", quiet=1)
# A grade made in this process (a GraderServer a test starts) keeps no recipes on disk
# (grader/recipe_cache.py): the tests of replay count what such a server runs live.
os.environ["AUTOGRADE_CACHE_DIR"] = "off"
# Grades through the command line keep theirs in one folder for the whole session, as a user's
# grades do in ~/.cache: the first grade of each pack and set of options runs every check live,
# later ones replay the checks they pass and run the others live. tests/test_replay.py holds
# replayed verdicts to live ones, whose "graded alone" side (mistakes_alone) asks for LIVE.
RECIPES = Path(tempfile.mkdtemp(prefix="autograde-test-recipes-"))
LIVE = {"AUTOGRADE_CACHE_DIR": "off"}
# `python -m grader` for run_cli, forked from a process that has imported it (tests/cli_server.py).
CLI = cli_server.Runner()
REPORT_SCHEMA = jsonschema.Draft202012Validator(
    json.loads((ROOT / "grader" / "schemas" / "report.schema.json").read_text()))


# The test process's own settings a grade must not see: a reference or secret chosen in the shell,
# and the terminal's width (pytest-xdist's workers set COLUMNS=80; the terminal report fits its
# lines to it, and tests read whole lines).
_NOT_PASSED_ON = ("AUTOGRADE_REFERENCE", "AUTOGRADE_SECRET", "COLUMNS", "LINES")


# Where process isolation would run student code as root (the suite run as root with a Python
# other users cannot read: a pyenv under /root), `grade` and `batch` refuse it unless
# --allow-root-workers. The suite's process-isolation tests test what that isolation does, which
# here was always as root: they keep doing so. The refusal itself: tests/test_isolation.py.
from grader.isolation import root_workers_refusal  # noqa: E402

ROOT_WORKERS_HERE = root_workers_refusal("process") is not None
ALLOW_ROOT_WORKERS = ("--allow-root-workers",) if ROOT_WORKERS_HERE else ()


def run_cli(*args: str, timeout: float = 300, env: dict | None = None,
            root_workers: bool = True) -> subprocess.CompletedProcess:
    """`autograde ARGS`; `root_workers=False` leaves `grade` and `batch` to refuse root workers."""
    env = {**{k: v for k, v in os.environ.items() if k not in _NOT_PASSED_ON},
           "AUTOGRADE_CACHE_DIR": str(RECIPES), **(env or {})}
    if root_workers and args[:1] in (("grade",), ("batch",)):
        args = (*args, *ALLOW_ROOT_WORKERS)
    return CLI.run(list(args), env, ROOT, timeout)


def grade(submission: Path, out_dir: Path, *extra: str, html: bool = False,
          env: dict | None = None) -> dict:
    """Grade through `autograde grade SUB --json`; return the report with the terminal output
    (and, with html=True, the text of the `--html` report under "_html")."""
    out_dir.mkdir(parents=True, exist_ok=True)
    report = out_dir / (Path(submission).name + ".json")
    page = out_dir / (Path(submission).name + ".html")
    proc = run_cli("grade", str(submission), "--json", str(report), *extra,
                   *(("--html", str(page)) if html else ()), env=env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(report.read_text())
    REPORT_SCHEMA.validate(data)  # every report a test writes follows the published schema
    assert_every_failure_explained(data)
    data["_terminal"] = proc.stdout
    data["_stderr"] = proc.stderr
    if html:
        data["_html"] = page.read_text(encoding="utf-8")
        data["_html_path"] = str(page)
    return data


def assert_every_failure_explained(report: dict) -> None:
    """No check ends without saying why: a failed, error or timeout check has a message, and the
    message names what was called (the function), or the submission as a whole when it could not
    be loaded at all."""
    for check in report["checks"]:
        if check["status"] not in ("failed", "error", "timeout"):
            continue
        message = check["message"].strip()
        where = f"{report['submission']}: {check['function']}/{check['name']} ({check['status']})"
        assert message, f"{where} has an empty message"
        assert check["function"] in message or "submission" in message, f"{where}: {message!r}"


def edited_fixture(tmp_path: Path, name: str, edits) -> dict[str, Path]:
    """correct_summed.py with `edits` ((old, new), each occurring once), as {name: path}."""
    source = (FIXTURES / "correct_summed.py").read_text()
    for old, new in edits:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    return {name: path}


def grade_many(submissions: dict[str, Path], out_dir: Path, *extra: str,
               html: bool = False, env: dict | None = None) -> dict[str, dict]:
    """Grade several submissions concurrently (each in its own grader process)."""
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {name: pool.submit(grade, path, out_dir / name, *extra, html=html, env=env)
                   for name, path in submissions.items()}
        return {name: f.result() for name, f in futures.items()}


def grade_batch(uploads: Path, out_dir: Path, *extra: str, env: dict | None = None
                ) -> dict[str, dict]:
    """Grade a folder of uploads through `autograde batch --jobs 2`; return each upload's report
    (by its stem), checked as grade() checks one, with its HTML page's text under "_html"."""
    proc = run_cli("batch", str(uploads), "--out", str(out_dir), "--jobs", "2", *extra,
                   timeout=1200, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    reports = {}
    for path in sorted((out_dir / "reports").glob("*.json")):
        data = json.loads(path.read_text())
        REPORT_SCHEMA.validate(data)
        assert_every_failure_explained(data)
        data["_html"] = path.with_suffix(".html").read_text(encoding="utf-8")
        reports[path.stem] = data
    return reports


def by_function(report: dict) -> dict[str, dict]:
    return {f["name"]: f for f in report["functions"]}


def checks_of(report: dict, function: str) -> list[dict]:
    return [c for c in report["checks"] if c["function"] == function]


def scores(report: dict) -> dict[str, float]:
    """Each function's score in a report."""
    return {name: f["score"] for name, f in by_function(report).items()}


def mistakes_named(report: dict, function: str | None = None) -> set[str]:
    """The ids of the recognised mistakes a report names (on one function, or on any)."""
    return {c["mistake"] for c in report["checks"]
            if c["mistake"] and (function is None or c["function"] == function)}


def assert_template_says_not_implemented(report: dict, functions) -> None:
    """A pack's template: 0 points, and every check of every function says why."""
    assert report["score"] == 0 and report["max_score"] == 100
    for function in functions:
        messages = [c["message"] for c in checks_of(report, function)]
        assert messages and all("not implemented" in m for m in messages), (function, messages)
    assert not [w for w in report["warnings"] if "never reads its parameters" in w], \
        report["warnings"]  # it does nothing yet: that is no sign it ignores its arguments


def assert_costs_only_its_function(report: dict, function: str, full: dict[str, float],
                                   callers: dict[str, set[str]]) -> dict[str, float]:
    """A one-mistake fixture keeps full marks on every function but the one it breaks and those
    that call it (`full`: each function's points). Returns the report's scores per function."""
    got = scores(report)
    allowed = {function} | callers.get(function, set())
    kept = {f: got[f] for f in full if f not in allowed}
    assert kept == {f: full[f] for f in kept}, got
    return got


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--full", action="store_true", default=False,
                     help="the exhaustive tier (.ci/full): the matrices that grade every mistake "
                          "fixture in several ways grade all of them, not the sample "
                          "(tests/fixtures/mistakes.py SAMPLED)")


_TIER = {"full": False}


def pytest_configure(config: pytest.Config) -> None:
    _TIER["full"] = bool(config.getoption("--full"))


# The files whose tests compare with the session's grades of every mistake fixture
# (mistake_reports, student_mistake_reports): one pytest-xdist worker runs them all, so that
# those grades are made once.
_SHARING_THE_SESSIONS_GRADES = {"test_known_answers.py", "test_mistakes.py", "test_replay.py"}


def _scope_of(nodeid: str) -> str:
    """The unit of work a pytest-xdist worker takes whole: a file (its module-scoped grades are
    made once), or the files sharing the session's."""
    file = nodeid.split("::", 1)[0]
    return "every-mistake-graded" if Path(file).name in _SHARING_THE_SESSIONS_GRADES else file


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    # Under `pytest -n N` (the README's test command). Not --dist loadgroup: pytest 9.2 keeps a
    # node's id where pytest-xdist 3.8 no longer writes its group, so groups were ignored and a
    # file's module fixtures graded once per worker.
    from xdist.scheduler import LoadScopeScheduling

    class ByScope(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _scope_of(nodeid)

    return ByScope(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _scope_of(item.nodeid) == "every-mistake-graded" \
                and item.get_closest_marker("timeout") is None:
            # The first of them to ask grades every mistake fixture (and, with --full, again as
            # a student's copy) before it starts: minutes, more with another worker beside it.
            item.add_marker(pytest.mark.timeout(1200))


def full_tier() -> bool:
    """Whether this run is the exhaustive tier (`pytest --full`). Read at collection, so that
    parametrized tests list the fixtures the tier grades."""
    return _TIER["full"]


def mistakes_in_tier() -> tuple:
    """The mistake fixtures a matrix grades in this tier: all with --full, else the sample."""
    from fixtures.mistakes import in_tier
    return in_tier(full_tier())


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def mistake_reports(tmp_path_factory) -> dict[str, dict]:
    """Every mistake fixture (tests/fixtures/mistakes.py) graded in one `autograde batch`, as an
    instructor grades a class and as tests/fixtures/expected_scores.tsv was made (grade_all.py):
    each report with the text of its HTML page under "_html". One batch's warm graders cost
    about half of what a grader process per upload does; tests/test_replay.py holds a warm grade
    to grading alone (mistakes_alone), upload by upload."""
    from fixtures.mistakes import MISTAKES, materialize
    src = tmp_path_factory.mktemp("mistakes")
    for mistake in MISTAKES:
        materialize(mistake, src)
    return grade_batch(src, tmp_path_factory.mktemp("mistakes-batch"), env=LIVE)


@pytest.fixture(scope="session")
def mistakes_alone(tmp_path_factory) -> dict[str, dict]:
    """The mistake fixtures of this tier (mistakes_in_tier) each graded alone through the CLI,
    live, with its HTML report: what tests of other ways to grade the same uploads compare with."""
    from fixtures.mistakes import materialize
    src = tmp_path_factory.mktemp("mistakes-alone")
    paths = {m.name: materialize(m, src) for m in mistakes_in_tier()}
    return grade_many(paths, tmp_path_factory.mktemp("reports"), html=True, env=LIVE)


@pytest.fixture(scope="session")
def student_mistake_reports(tmp_path_factory) -> dict[str, dict]:
    """Every mistake fixture of this tier (mistakes_in_tier) graded alone and live as a student's
    copy grades it: no reference, the pack's known answers instead."""
    from fixtures.mistakes import materialize
    src = tmp_path_factory.mktemp("student-mistakes")
    paths = {m.name: materialize(m, src) for m in mistakes_in_tier()}
    return grade_many(paths, tmp_path_factory.mktemp("student-reports"), "--no-reference", env=LIVE)


def pytest_unconfigure(config: pytest.Config) -> None:
    CLI.close()
    shutil.rmtree(RECIPES, ignore_errors=True)

