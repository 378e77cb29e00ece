"""The grader's own processes do their linear algebra on one thread (grader/blas_threads.py):
OpenBLAS's extra threads spun after every small product and took a third of a warm grade's CPU.
Counted as the operating system sees them: a process's threads in /proc."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.server import GraderServer

ROOT = Path(__file__).resolve().parents[1]
SUBMISSION = ROOT / "tests" / "fixtures" / "submissions" / "correct_summed.py"

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").is_dir() or (os.cpu_count() or 1) < 2,
    reason="OpenBLAS starts no extra thread on one CPU; threads are counted in Linux's /proc")


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def _warm_grader_threads(tmp_path: Path, setting: str | None, monkeypatch) -> int:
    """The threads of a batch's warm grader, started from a shell where OPENBLAS_NUM_THREADS is
    `setting`, once it has graded a submission."""
    if setting is None:
        monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", setting)
    server = GraderServer()
    try:
        status, why = server.grade([str(SUBMISSION), "--json", str(tmp_path / f"{setting}.json")],
                                   wall_seconds=300)
        assert status == 0, why
        assert json.loads((tmp_path / f"{setting}.json").read_text())["score"] == 100
        return _threads(server._proc.pid)
    finally:
        server.close()


def test_a_warm_grader_starts_no_blas_threads_whatever_the_shell_asks(tmp_path, monkeypatch):
    one = _warm_grader_threads(tmp_path, "1", monkeypatch)
    assert _warm_grader_threads(tmp_path, None, monkeypatch) == one
    assert _warm_grader_threads(tmp_path, "4", monkeypatch) == one


def test_the_command_line_starts_no_blas_threads(tmp_path):
    """`autograde grade`, counted as it ends (after the grade, with numpy's products done)."""
    program = (
        "import atexit, os, sys\n"
        "atexit.register(lambda: print('threads', len(os.listdir('/proc/self/task'))))\n"
        "from grader.__main__ import run\n"
        f"sys.argv = ['autograde', 'grade', {str(SUBMISSION)!r}, '--json', "
        f"{str(tmp_path / 'report.json')!r}]\n"
        "run()\n")

    def threads(setting: str | None) -> int:
        env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
        if setting is not None:
            env["OPENBLAS_NUM_THREADS"] = setting
        done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        lines = [line for line in done.stdout.splitlines() if line.startswith("threads ")]
        return int(lines[-1].split()[1])

    assert threads(None) == threads("1")
