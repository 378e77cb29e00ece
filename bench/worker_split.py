"""Where a worker's CPU time goes: its start (interpreter, numpy, the submission) and its checks'
forks, each fork split into what it computes and what the kernel does for it, and the page faults
of each (copy-on-write: a fork copies every page it writes to). Run by hand; the
figures go in notes and the README, never into a test's assertion.

    python bench/worker_split.py [--grades 10] [SUBMISSION]

The worker cannot be timed from outside by phase, so this grades warm (as a batch's grader
does) with a copy of the worker whose entry point records its own CPU times: once it is ready
(before any check) and as it exits, with its waited-for children (the checks' forks). The copy is
run under process isolation, where it can write its figures to a folder of the host; the
sandbox adds bubblewrap's few milliseconds and changes nothing else the worker does.
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The entry point of the timed copy, which records the worker's CPU times.
TIMED_MAIN = r'''
import json, os, sys
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# The real main.py, compiled from source as Python compiles any script it is given, and run as a
# module (its main() is only called as __main__), with Server.start and os._exit wrapped.
PATH = os.path.join(HERE, "worker_main.py")
real = {{"__name__": "worker_main", "__file__": PATH}}
with open(PATH, encoding="utf-8") as f:
    exec(compile(f.read(), PATH, "exec"), real)

OUT = {out!r}
ME = os.getpid()
_start, _exit = real["Server"].start, os._exit


def _record(phase):
    import resource
    t = os.times()
    with open(os.path.join(OUT, f"{{ME}}-{{phase}}.json"), "w") as f:
        json.dump({{"user": t.user, "system": t.system, "children_user": t.children_user,
                   "children_system": t.children_system,
                   "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt,
                   "children_faults": resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt}}, f)


def start(self):
    _start(self)
    _record("ready")


def exit_(code):
    if os.getpid() == ME:  # the worker itself, not one of its checks' forks
        _record("exit")
    _exit(code)


real["Server"].start = start
os._exit = exit_
# main.py calls its own copy of os, made as it loaded (grader/worker/kept.py).
real["os"]._exit = exit_
real["main"]()
'''


def timed_worker(folder: Path, out: Path) -> Path:
    """A copy of grader/worker in `folder` whose entry point writes its times into `out`."""
    source = ROOT / "grader" / "worker"
    for path in source.glob("*.py"):
        shutil.copyfile(path, folder / ("worker_main.py" if path.name == "main.py" else path.name))
    (folder / "main.py").write_text(TIMED_MAIN.format(out=str(out)))
    # The worker's modules compiled whatever PYTHONDONTWRITEBYTECODE says, as an installed
    # grader's are (grader/isolation.py compiles them where it may write bytecode).
    compileall.compile_dir(folder, quiet=1, rx=re.compile(r"(^|/)(worker_)?main\.py$"))
    folder.chmod(0o755)  # a worker dropped to a leased uid must read it
    out.chmod(0o1777)  # ... and write its figures here
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", nargs="?",
                        default=str(ROOT / "tests" / "fixtures" / "submissions" / "correct_summed.py"))
    parser.add_argument("--grades", type=int, default=10)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    # As the grader's own entry points do (grader/blas_threads.py), before numpy loads.
    from grader.blas_threads import one_thread
    one_thread()
    from grader import grading, isolation
    from grader.session import Options, settle_heap
    settle_heap()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "times"
        out.mkdir()
        code = Path(tmp) / "worker"
        code.mkdir()
        isolation.WORKER_DIR = timed_worker(code, out)
        os.environ["AUTOGRADE_CACHE_DIR"] = "off"
        options = Options(isolation="process")
        books: dict = {}
        grading.grade_to_files(submission=ROOT / "reference", options=options, recipe_books=books)
        grading.grade_to_files(submission=Path(args.submission), options=options,
                               recipe_books=books)
        for stale in out.iterdir():
            stale.unlink()
        for _ in range(args.grades):
            result = grading.grade_to_files(submission=Path(args.submission), options=options,
                                            recipe_books=books)
        rows = []
        for ready in out.glob("*-ready.json"):
            end = ready.with_name(ready.name.replace("-ready", "-exit"))
            if end.exists():
                rows.append((json.loads(ready.read_text()), json.loads(end.read_text())))
    if not rows:
        sys.exit("no worker reported its times: was the worker copy readable and the folder "
                 "writable by its uid?")
    checks = len(result.checks)

    def mean(values) -> float:
        return statistics.mean(values)

    start = mean(r["user"] + r["system"] for r, _ in rows)
    serving = mean(e["user"] + e["system"] - r["user"] - r["system"] for r, e in rows)
    forks_user = mean(e["children_user"] for _, e in rows)
    forks_system = mean(e["children_system"] for _, e in rows)
    print(f"{args.submission}: score {result.score:g}/{result.max_score:g}, {checks} checks, "
          f"{len(rows)} warm grades, process isolation; the worker's CPU-s per submission:")
    print(f"  start, until ready: {start:.3f} (interpreter, numpy, the worker's modules, the "
          "submission)")
    print(f"  the worker itself after that: {serving:.3f} (forking each check: the kernel copies "
          "its page tables; reading requests)")
    print(f"  the checks' forks: {forks_user + forks_system:.3f} = {forks_user:.3f} user + "
          f"{forks_system:.3f} kernel; per fork {1e3 * forks_user / checks:.2f} ms user, "
          f"{1e3 * forks_system / checks:.2f} ms kernel (copying the pages it writes to, "
          "tearing it down)")
    faults = mean(e["children_faults"] for _, e in rows) / checks
    serving_faults = mean(e["faults"] - r["faults"] for r, e in rows) / checks
    print(f"  page faults per check: {faults:.0f} in its fork, {serving_faults:.0f} in the worker "
          "after forking it (minor faults: chiefly copy-on-write of each page a process writes "
          "after the fork, Python's reference counts included)")
    print(f"  total {start + serving + forks_user + forks_system:.3f}")


if __name__ == "__main__":
    main()
