"""A bug of the grader's own: named in one line, the traceback kept for its maintainers, and never
mistaken for the upload's fault or for a kill (a batch told "the grader exited with status -9;
regrade with --force" of an IndexError, which a regrade meets again)."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, ROOT
from grader import server, task


def test_a_grader_server_names_its_own_crash_and_serves_on(monkeypatch, capsys):
    calls = []

    def grade(argv, books):
        calls.append(argv)
        if len(calls) == 1:
            return [][0]
        return 0

    monkeypatch.setattr(server, "_grade", grade)
    replies = io.StringIO()
    server.serve(io.StringIO('["a.py"]\n["b.py"]\n'), replies)
    first, second = (json.loads(line) for line in replies.getvalue().splitlines())
    assert first["status"] == 70 and first["crashed"].startswith("IndexError in test_crash.py, line ")
    assert second["status"] == 0 and "crashed" not in second  # the next upload is graded
    assert "Traceback" in capsys.readouterr().err  # for the batch's log, not the gradebook line


def _outcome_of_a_grader_that_ends(tmp_path: Path, status: int, said: str,
                                   reply: dict) -> task.TaskOutcome:
    """What a batch's task makes of a grader server that ends its grade with `status`, having
    written `said` on stderr and replied `reply`, and no report."""
    class EndingServer:
        last_reply = reply

        def grade(self, argv, wall_seconds):
            return status, said

    class Launcher:
        stopping = type("Never", (), {"is_set": staticmethod(lambda: False)})()

        def server(self):
            return EndingServer()

    job = task.GradeTask(student="ada", upload_name="hw.py", payload=b"", display_path="ada/hw.py",
                         reference=None, grade_args=(), pack="cs224n-a1", wall_seconds=60)
    return task._grade(job, tmp_path / "hw.py", None, tmp_path, Launcher(), "cs224n-a1")


def test_a_batch_tells_a_grader_crash_from_a_kill(tmp_path):
    outcome = _outcome_of_a_grader_that_ends(
        tmp_path, 70, "\nTraceback (most recent call last):\nIndexError: list index out of range",
        {"status": 70, "crashed": "IndexError in session.py, line 283"})
    error = json.loads(outcome.report_json)["error"]
    assert not outcome.graded
    assert error.startswith("the grader failed on this upload (IndexError in session.py, line "
                            "283): a bug in the grader, not a problem of the upload; regrading "
                            "gives the same until the grader is fixed"), error
    assert "status -9" not in error and "regrade with --force" not in error


def test_the_command_line_names_a_crash_in_a_line_and_keeps_the_traceback(tmp_path):
    """(The grading call made to fail from outside: no upload makes the grader fail today.)"""
    program = ("import sys\nfrom grader import cli, grading\n"
               "def boom(**kwargs):\n    raise KeyError('no such thing')\n"
               "grading.grade_to_files = boom\n"
               f"sys.exit(cli.main(['grade', {str(FIXTURES / 'correct_summed.py')!r}]))\n")
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          cwd=ROOT, env={"TMPDIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
                          timeout=120)
    assert proc.returncode == 70, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    [kept] = tmp_path.glob("autograde-grade-crash-*.txt")
    assert proc.stderr.strip() == (
        "autograde grade: the grader itself failed (KeyError in <string>, line 4): a bug in the "
        f"grader, not in what it was given. The details for its maintainers are in {kept}.")
    assert "KeyError: 'no such thing'" in kept.read_text()


def test_a_grader_killed_while_it_graded_an_upload_is_said_so(tmp_path):
    """Probe s56: an upload under process isolation as root sent SIGTERM to its grader, and its
    row said "the grader exited with status -15; regrade with --force"."""
    outcome = _outcome_of_a_grader_that_ends(tmp_path, -15, "", {})
    error = json.loads(outcome.report_json)["error"]
    assert not outcome.graded
    assert error.startswith("the grader was killed by SIGTERM (signal 15) while it graded this "
                            "upload: by the upload's own code, which outside the sandbox may "
                            "signal its grader"), error
    assert "status -15" not in error and error.endswith("the next run of the batch grades it "
                                                        "again."), error
