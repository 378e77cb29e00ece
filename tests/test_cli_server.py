"""tests/cli_server.py forks the suite's `python -m grader` runs from a server that has imported
the grader: a forked run must be what a fresh process gives, or the suite tests something else."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import cli_server
from conftest import FIXTURES, ROOT

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the server forks")


@pytest.fixture
def runner():
    runner = cli_server.Runner()
    yield runner
    runner.close()


def _fresh(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


def _forked(runner: cli_server.Runner, args: list[str], env: dict[str, str]):
    runner.run(["--version"], env, ROOT, 60)  # a start-up environment gets its server when seen again
    done = runner.run(args, env, ROOT, 300)
    assert runner._servers, "the run was not forked from a server"
    return done


@pytest.mark.parametrize("args", [
    ["--version"],
    ["grade"],  # a usage error: exit status 2 and argparse's message on stderr
    ["grade", str(FIXTURES / "no_such_file.py")],
    ["grade", str(FIXTURES / "syntax_error.py")],
    ["grade", str(FIXTURES / "correct_summed.py")],
], ids=["version", "usage", "missing", "syntax", "correct"])
def test_a_forked_run_is_what_a_fresh_process_gives(runner, tmp_path, args):
    env = {**os.environ, "AUTOGRADE_CACHE_DIR": "off"}
    fresh, forked = _fresh(args, env), _forked(runner, args, env)
    assert (forked.returncode, forked.stdout, forked.stderr) == (
        fresh.returncode, fresh.stdout, fresh.stderr)


def test_a_run_sees_its_own_environment_and_writes_its_own_files(runner, tmp_path):
    env = {**os.environ, "AUTOGRADE_CACHE_DIR": "off", "NO_COLOR": "1"}
    report = tmp_path / "report.json"
    done = _forked(runner, ["grade", str(FIXTURES / "correct_summed.py"), "--json", str(report)],
                   env)
    assert done.returncode == 0 and report.exists()
    assert "NO_COLOR" not in os.environ  # the child's environment never reaches the server's


def test_a_run_whose_interpreter_starts_differently_gets_a_server_started_so(runner, tmp_path):
    seeded = {**os.environ, "PYTHONHASHSEED": "7", "AUTOGRADE_CACHE_DIR": "off"}
    assert runner._server_for(seeded, ROOT) is None  # seen once: a fresh process
    server = runner._server_for(seeded, ROOT)
    assert server is not None and server.env["PYTHONHASHSEED"] == "7"
    plain = {k: v for k, v in seeded.items() if k != "PYTHONHASHSEED"}
    runner._server_for(plain, ROOT)
    assert runner._server_for(plain, ROOT) not in (None, server)
    # A folder with a `grader` of its own: `python -m grader` there imports that one.
    (tmp_path / "grader").mkdir()
    assert runner._server_for(plain, tmp_path) is None


def test_a_run_past_its_timeout_is_killed_and_raises_as_subprocess_does(runner, tmp_path):
    env = {**os.environ, "AUTOGRADE_CACHE_DIR": "off"}
    runner.run(["--version"], env, ROOT, 60)
    with pytest.raises(subprocess.TimeoutExpired):
        runner.run(["grade", str(FIXTURES / "correct_summed.py")], env, ROOT, 0.05)
