"""`autograde batch --dask`: the same per-submission task on a Dask cluster gives the same gradebook
and reports as a local batch; what cannot be graded (a bad task, a failing cluster, no cluster)
gives a row or a one-line error, never a crash."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import socket
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, run_cli
from grader import batch, cluster
from grader.model import SubmissionResult
from grader.task import GradeTask, TaskOutcome, failed_outcome, run_task

distributed = pytest.importorskip("distributed")

HANG = ("--import-timeout", "1")
EXPECTED = {"alice": 100, "bob": 43, "carol": 0, "eve": 0, "frank": 0, "gina": 0}


@pytest.fixture(scope="module")
def dask_cluster():
    """Two single-threaded worker processes, as `dask worker --nworkers 2 --nthreads 1` starts.
    (The dashboard on a free port: None is 8787, which another test's cluster may hold.)"""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as local:
        yield local


@pytest.fixture(scope="module")
def small_class(tmp_path_factory) -> Path:
    """A correct file, a buggy one, a folder (the template), one that hangs at import, an empty
    folder and a syntax error."""
    uploads = tmp_path_factory.mktemp("dask") / "uploads"
    uploads.mkdir()
    shutil.copy(FIXTURES / "correct_summed.py", uploads / "alice.py")
    shutil.copy(ROOT / "examples" / "submission.py", uploads / "bob.py")
    shutil.copytree(ROOT / "student_template", uploads / "carol")
    shutil.copy(FIXTURES / "hang_at_import.py", uploads / "eve.py")
    (uploads / "frank").mkdir()
    shutil.copy(FIXTURES / "syntax_error.py", uploads / "gina.py")
    return uploads


@pytest.fixture(scope="module")
def both_batches(small_class, dask_cluster) -> dict[str, tuple[Path, object]]:
    base = small_class.parent
    local = run_cli("batch", str(small_class), "--out", str(base / "local"), "--jobs", "2", *HANG)
    assert local.returncode == 0, local.stderr
    remote = run_cli("batch", str(small_class), "--out", str(base / "dask"), *HANG,
                     "--dask", dask_cluster.scheduler_address)
    assert remote.returncode == 0, remote.stderr
    return {"local": (base / "local", local), "dask": (base / "dask", remote)}


def _reports(out: Path) -> dict[str, SubmissionResult]:
    return {p.stem: SubmissionResult.from_dict(json.loads(p.read_text()))
            for p in sorted((out / "reports").glob("*.json"))}


def _without_grading_times(gradebook: Path) -> str:
    """The gradebook with its `graded_at` cells blanked (checked filled): the one column that
    records when, not what, so two batches differ there and nowhere else."""
    rows = list(csv.reader(io.StringIO(gradebook.read_text())))
    at = rows[0].index("graded_at")
    assert all(row[at] for row in rows[1:])
    for row in rows[1:]:
        row[at] = ""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def test_dask_gradebook_equals_the_local_one(both_batches):
    (local, _), (remote, proc) = both_batches["local"], both_batches["dask"]
    assert (_without_grading_times(remote / "gradebook.csv")
            == _without_grading_times(local / "gradebook.csv"))
    for export in ("canvas.csv", "scores.csv"):
        assert (remote / export).read_bytes() == (local / export).read_bytes()
    lines = [line for line in proc.stderr.splitlines() if line[:1].isdigit()]
    assert len(lines) == len(EXPECTED) and lines[-1].startswith(f"{len(EXPECTED)}/{len(EXPECTED)} ")


def test_dask_reports_equal_the_local_ones(both_batches, small_class):
    local, remote = _reports(both_batches["local"][0]), _reports(both_batches["dask"][0])
    assert sorted(remote) == sorted(local) == sorted(EXPECTED)
    for student, result in remote.items():
        assert result.graded_view() == local[student].graded_view(), student
        # Where the upload was found on this machine, not the worker's temporary copy.
        assert result.submission == local[student].submission
        assert Path(result.submission).parent == small_class
        assert (both_batches["dask"][0] / "reports" / f"{student}.html").is_file()


def test_a_hanging_upload_scores_zero_and_stops_no_one(both_batches):
    results = _reports(both_batches["dask"][0])
    assert {s: r.score for s, r in results.items()} == EXPECTED
    assert "did not finish within 1 s" in results["eve"].error
    assert results["frank"].error and results["gina"].error


def test_the_tasks_ran_on_the_cluster(both_batches, dask_cluster):
    keys = [str(entry[0]) for entry in dask_cluster.scheduler.transition_log]
    assert {k.rsplit("-", 1)[-1] for k in keys if k.startswith("autograde-")} == set(EXPECTED)


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{sock.getsockname()[1]}"
    proc = run_cli("batch", str(FIXTURES), "--out", str(tmp_path / "out"), "--dask", address)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"autograde batch: cannot reach the Dask scheduler at "
                                   f"{address}: Connection refused")
    assert not (tmp_path / "out").exists()  # nothing written before the cluster was reached


def test_a_task_that_fails_on_the_cluster_gets_a_row(dask_cluster, tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    for name in ("bad", "good"):
        shutil.copy(FIXTURES / "correct_summed.py", uploads / f"{name}.py")
    # Pickled by value (a lambda): the workers cannot import this test module.
    fake = (lambda task: 1 / 0 if task.student == "bad"
            else failed_outcome(task.student, task.display_path, task.pack, "stub"))
    executor = cluster.DaskExecutor(dask_cluster.scheduler_address, fn=fake)
    found = batch.discover(uploads).uploads
    delivered: list[TaskOutcome] = []
    try:
        executor.run(found, lambda u: GradeTask(u.student, u.path.name, b"", str(u.path), None,
                                                (), "cs224n-a1", 5.0), delivered.append)
    finally:
        executor.close()
    by_student = {o.student: o for o in delivered}
    assert sorted(by_student) == ["bad", "good"]
    assert not by_student["bad"].graded
    bad = json.loads(by_student["bad"].report_json)
    assert bad["score"] == 0 and "failed on the Dask cluster (ZeroDivisionError" in bad["error"]
    assert json.loads(by_student["good"].report_json)["error"] == "stub"


def test_without_distributed_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(cluster.ClusterError, match=r"pip install 'autograde-numpy-nn\[dask\]'"):
        cluster.DaskExecutor("tcp://127.0.0.1:8786")


@pytest.mark.parametrize("payload", [b"", b"not a zip", None])
def test_run_task_turns_a_bad_payload_into_a_row(payload, tmp_path):
    if payload is None:  # a real zip, but of another upload than the task names
        from grader.task import pack_path
        shutil.copy(FIXTURES / "correct_summed.py", tmp_path / "other.py")
        payload = pack_path(tmp_path / "other.py")
    task = GradeTask("alice", "alice.py", payload, "uploads/alice.py", b"garbage", (),
                     "cs224n-a1", 5.0)
    outcome = run_task(task)
    assert outcome.student == "alice" and not outcome.graded
    result = SubmissionResult.from_dict(json.loads(outcome.report_json))
    assert result.score == 0 and result.submission == "uploads/alice.py"
    assert "could not be graded" in result.error and "<html" in outcome.report_html.lower()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_an_upload_that_cannot_be_packed_gets_a_row(tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    os.mkfifo(uploads / "alice.py")  # reading it would block: it must not even be opened
    summary = batch.run(source=uploads, out=tmp_path / "out", stream=io.StringIO())
    assert summary.failed == ["alice"] and summary.rows == 1
    report = json.loads((tmp_path / "out" / "reports" / "alice.json").read_text())
    assert report["score"] == 0 and "neither a regular file nor a folder" in report["error"]
