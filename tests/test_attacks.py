"""Hostile submissions (tests/fixtures/attacks.py) against the sandbox, and the subset that
process isolation alone must also withstand.

For every attack: the grader finishes and writes its report; the attacking functions score 0 and
the others keep their points; no process of the submission survives; no file outside the scratch
folder is created or changed; a correct submission graded right after it gets full marks.
"""
from __future__ import annotations

import json
import os
import shutil
import site
import socket
import stat
import sysconfig
import threading
import time
from pathlib import Path

import pytest

from conftest import (FIXTURES, ROOT, assert_every_failure_explained, by_function, full_tier,
                      run_cli)
from fixtures.attacks import ATTACKS, materialize
from grader.isolation import bwrap_problem

FUNCTIONS = ("sigmoid", "sigmoid_grad", "softmax", "forward_backward_prop", "negSamplingCostAndGradient")
FAST = ("--import-timeout", "3", "--call-timeout", "1", "--check-timeout", "2")


class Listener:
    """A TCP server on loopback that records whatever reaches it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.received.append(conn.recv(1024))
                except OSError:
                    self.received.append(b"<connected>")

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


def snapshot(folders: list[Path]) -> dict[str, tuple[int, int]]:
    seen = {}
    for folder in folders:
        if not folder.exists():
            continue
        for path in folder.rglob("*"):
            if {".git", "__pycache__", ".hypothesis"} & set(path.parts) \
                    or path.parent.name.endswith(".egg-info"):  # rewritten by any pip install -e
                continue
            try:
                st = path.lstat()
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                continue  # a folder's mtime moves when Python caches bytecode in it; files tell
            seen[str(path)] = (st.st_size, st.st_mtime_ns)
    return seen


def survivors(mark: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == f"atk{mark}":
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def planted_files(mark: str) -> list[str]:
    places = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
              site.getusersitepackages(), *site.getsitepackages(), "/tmp"}
    hits = []
    for folder in places:
        p = Path(folder)
        if p.is_dir():
            hits += [str(f) for f in p.iterdir() if mark in f.name
                     or f.name in ("sitecustomize.py", "usercustomize.py")]
    hits += [p for p in ("/autograder/results/results.json", f"/tmp/autograde-forged-{mark}.json",
                         f"/tmp/autograde-planted-{mark}") if Path(p).exists()]
    return hits


def run_attacks(tmp_path: Path, attacks, *extra: str) -> dict:
    """Grade every attack in one `autograde batch`, each upload followed (in name order) by a
    correct submission, as an instructor's class folder would hold them."""
    mark = "m" + os.urandom(3).hex()
    listener = Listener()
    src = tmp_path / "uploads"
    for attack in attacks:
        materialize(attack, src, port=listener.port, mark=mark)
        shutil.copyfile(FIXTURES / "correct_summed.py", src / f"{attack.name}_next.py")
    out = tmp_path / "out"
    watched = [ROOT, tmp_path]
    before = snapshot(watched)
    planted_before = planted_files(mark)
    proc = run_cli("batch", str(src), "--out", str(out), "--jobs", "2", *FAST, *extra, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-2000:]
    time.sleep(5)  # the daemon attack forges 4 s after it was started
    after = snapshot(watched)
    listener.close()
    ours = (str(out), str(src))  # the reports we asked for, the uploads we wrote

    def outside(p: str) -> bool:
        return not any(p == o or p.startswith(o + os.sep) for o in ours)

    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p) and outside(p))
    marked = [p for p in after if outside(p) and Path(p).is_file()
              and mark in Path(p).read_text(errors="ignore")]

    def report(name: str) -> dict:
        data = json.loads((out / "reports" / f"{name}.json").read_text())
        assert_every_failure_explained(data)
        return data

    results = {a.name: (report(a.name), report(f"{a.name}_next")) for a in attacks}
    return {"results": results, "received": listener.received, "changed": changed, "marked": marked,
            "survivors": survivors(mark), "planted": sorted(set(planted_files(mark)) - set(planted_before)),
            "gradebook": (out / "gradebook.csv").read_text()}


def check_scores(attack, report: dict, correct_after: dict) -> None:
    assert report["checks"], "a report with checks was written"
    fns = by_function(report)
    if attack.functions:
        for name in FUNCTIONS:
            if name in attack.functions:
                assert fns[name]["score"] == 0, (attack.name, name, fns[name])
            else:
                assert fns[name]["score"] == fns[name]["max_score"], (attack.name, name, fns[name])
    else:
        assert report["score"] == 0 and report["error"]
    assert correct_after["score"] == correct_after["max_score"] == 100, attack.name


needs_sandbox = pytest.mark.skipif(bwrap_problem() is not None,
                                   reason=f"the sandbox cannot run here: {bwrap_problem()}")


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory):
    return run_attacks(tmp_path_factory.mktemp("sandbox"), ATTACKS, "--isolation", "sandbox")


def test_there_are_at_least_twenty_attacks():
    assert len(ATTACKS) >= 20
    assert all(not a.sandbox_only for a in PROCESS_SAFE)
    assert {a.name for a in ATTACKS} >= set(PROCESS_MODE) >= set(PROCESS_DEFAULT)
    assert len(PROCESS_SAFE) == len(PROCESS_MODE if full_tier() else PROCESS_DEFAULT)


@needs_sandbox
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_sandbox_withstands(sandboxed, attack):
    report, correct_after = sandboxed["results"][attack.name]
    check_scores(attack, report, correct_after)
    assert report["isolation"]["mode"] == "sandbox"


@needs_sandbox
@pytest.mark.parametrize("name", ["forge_worker_frames", "forge_call_results"])
def test_frames_forged_by_the_submission_are_its_fault_not_the_graders(sandboxed, name):
    """A frame the submission writes on the grader's pipe is a malformed reply of the worker: the
    check says so, and never that the grader itself failed."""
    report, _ = sandboxed["results"][name]
    messages = [c["message"] for c in report["checks"]] + [report["error"]]
    assert not any("grader itself" in m for m in messages), messages
    assert any("malformed" in m for m in messages), messages


@needs_sandbox
def test_a_call_whose_process_ends_or_forks_is_told_what_happened(sandboxed):
    """One answer per call, from the process that was asked: a child the student forked never
    answers in its parent's place, and a call that ends its process is told so."""
    report, _ = sandboxed["results"]["fork_and_answer_twice"]
    sigmoid = [c["message"] for c in report["checks"] if c["function"] == "sigmoid"
               and c["status"] == "failed"]
    assert sigmoid and all("the result is a str" in m for m in sigmoid), sigmoid
    grad = [c["message"] for c in report["checks"] if c["function"] == "sigmoid_grad"]
    assert grad and all("ended the process it ran in (exit status 0) without returning" in m
                        for m in grad), grad


@needs_sandbox
def test_every_upload_has_a_gradebook_row(sandboxed):
    rows = sandboxed["gradebook"].strip().splitlines()
    assert len(rows) == 1 + 2 * len(ATTACKS)


@needs_sandbox
def test_sandbox_leaves_nothing_behind(sandboxed):
    assert sandboxed["survivors"] == [], "processes of a submission outlived grading"
    assert sandboxed["planted"] == [], "files were planted outside the scratch folder"
    assert sandboxed["changed"] == [], "files outside the scratch folder changed"
    assert sandboxed["marked"] == [], "an attack wrote into files outside the scratch folder"
    assert sandboxed["received"] == [], "an attack reached the network"


# Process isolation alone, on the attacks whose defence it implements differently (killing without a
# PID namespace, resource limits, cleanup by process group); the other attacks that need no
# sandbox meet the same code in both modes, so the sandbox run covers them.
PROCESS_MODE = ("import_infinite_loop", "call_os_exit", "fork_and_answer_twice",
                "monkeypatch_numpy", "lying_ndarray_subclass",
                "gigabyte_of_output", "memory_bomb", "fork_storm", "ignore_signals_and_spin",
                "segfault", "huge_return_value", "detached_holds_reply_pipe", "kill_worker_keep_pipe",
                "nested_namespace_tmpfs", "many_small_files", "terminal_spoof_and_surrogate")
# By default (tests/conftest.py full_tier), the six whose defence differs most (a deadline at
# import, a fork storm, memory, signals ignored, a pipe held by a detached or killing child);
# all of them with --full.
PROCESS_DEFAULT = ("import_infinite_loop", "fork_storm", "memory_bomb", "ignore_signals_and_spin",
                   "detached_holds_reply_pipe", "kill_worker_keep_pipe")
PROCESS_SAFE = [a for a in ATTACKS if a.name in PROCESS_MODE
                and (full_tier() or a.name in PROCESS_DEFAULT)]


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    return run_attacks(tmp_path_factory.mktemp("process"), PROCESS_SAFE, "--isolation", "process")


@pytest.mark.parametrize("attack", PROCESS_SAFE, ids=lambda a: a.name)
def test_process_isolation_withstands(processed, attack):
    report, correct_after = processed["results"][attack.name]
    check_scores(attack, report, correct_after)
    assert report["isolation"]["mode"] == "process"


def test_process_isolation_leaves_nothing_behind(processed):
    assert processed["survivors"] == []
    assert processed["changed"] == [] and processed["marked"] == [] and processed["planted"] == []
