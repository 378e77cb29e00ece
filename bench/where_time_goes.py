"""Where a warm grade's CPU time goes: the grader's own and its worker's, each beside the floor it
cannot go below while every submission gets a fresh interpreter and every check a fork of its
own. Run by hand; the figures go in notes and the README, never into a test's assertion.

    python bench/where_time_goes.py [--grades 10] [--isolation sandbox] [SUBMISSION]

A batch runs its graders warm (grader/server.py: imports done, recipes kept), so this is what a
batch pays per submission, without the batch's own bookkeeping. The floors:
- the worker's start: a fresh `python -I` importing numpy (as grader/worker/main.py does);
- its forks: one per check, each forked from a process that has numpy loaded and ended at once.
The goal of 4 submissions a second with --jobs 2 leaves (CPUs / 4) CPU-seconds per submission.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
# This checkout's grader, not whichever one is installed (an editable install of another
# checkout measured that one, whatever the bench compared).
sys.path.insert(0, str(ROOT))

from as_installed import compile_grader  # noqa: E402

GOAL_PER_SECOND = 4

FORKS = r"""
import gc, os, time
import numpy, numpy.linalg, numpy.random
gc.freeze()
n = 200
before = os.times()
for _ in range(n):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
after = os.times()
spent = (after.user + after.system + after.children_user + after.children_system
         - before.user - before.system - before.children_user - before.children_system)
print(spent / n)
"""


# The worker's own thread settings (grader/proxy.py): without them OpenBLAS starts a thread per
# CPU as numpy loads, which doubles the start's CPU time.
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _child_cpu(argv: list[str]) -> tuple[float, str]:
    before = os.times()
    out = subprocess.run(argv, check=True, capture_output=True, text=True,
                         env={**os.environ, **WORKER_ENV}).stdout
    after = os.times()
    return (after.children_user + after.children_system
            - before.children_user - before.children_system), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", nargs="?",
                        default=str(ROOT / "tests" / "fixtures" / "submissions" / "correct_summed.py"))
    parser.add_argument("--grades", type=int, default=10)
    parser.add_argument("--isolation", default="auto", choices=("auto", "sandbox", "process"))
    args = parser.parse_args()
    compile_grader()  # as installing the grader does (bench/as_installed.py)

    # Imported here, after the parser: --help needs none of it.
    # As the grader's own entry points do (grader/blas_threads.py), before numpy loads.
    from grader.blas_threads import one_thread
    one_thread()
    from grader import grading
    from grader.session import Options, settle_heap
    settle_heap()

    start = statistics.median(
        _child_cpu([sys.executable, "-I", "-c", "import numpy, numpy.linalg, numpy.random"])[0]
        for _ in range(10))
    fork = float(_child_cpu([sys.executable, "-c", FORKS])[1])

    options = Options(isolation=args.isolation)
    books: dict = {}
    with tempfile.TemporaryDirectory() as out:
        os.environ["AUTOGRADE_CACHE_DIR"] = "off"  # the books below are this process's own
        report = Path(out) / "report.json"
        grading.grade_to_files(submission=ROOT / "reference", options=options, recipe_books=books)
        result = grading.grade_to_files(submission=Path(args.submission), options=options,
                                        recipe_books=books)
        rows = []
        for _ in range(args.grades):
            before, cpu0, t0 = os.times(), time.process_time(), time.perf_counter()
            result = grading.grade_to_files(submission=Path(args.submission), options=options,
                                            recipe_books=books, json=report)
            wall, grader = time.perf_counter() - t0, time.process_time() - cpu0
            after = os.times()
            worker = (after.children_user + after.children_system
                      - before.children_user - before.children_system)
            rows.append((wall, grader, worker))
    checks = len(result.checks)
    wall, grader, worker = (statistics.mean(r[i] for r in rows) for i in range(3))
    budget = (os.cpu_count() or 1) / GOAL_PER_SECOND
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end")
    print(f"{args.submission}: score {result.score:g}/{result.max_score:g}, {checks} checks, "
          f"isolation {result.isolation.get('mode')}; means of {args.grades} warm grades:")
    print(f"  wall {wall:.3f} s; CPU {grader + worker:.3f} s = grader {grader:.3f} + worker "
          f"{worker:.3f} (the worker's children and the sandbox included)")
    print(f"  worker floor: start {start:.3f} CPU-s (python -I, numpy) + {checks} forks x "
          f"{fork * 1e3:.2f} ms = {start + checks * fork:.3f} CPU-s; above it: "
          f"{worker - start - checks * fork:.3f} (loading the submission, its calls, "
          "encoding and decoding, first touches after each fork)")
    print(f"  {GOAL_PER_SECOND} submissions/s on {os.cpu_count()} CPUs leaves {budget:.3f} CPU-s "
          f"per submission: {(grader + worker) / budget:.1f}x that now")


if __name__ == "__main__":
    main()
