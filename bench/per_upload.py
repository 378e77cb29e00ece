"""What each upload of the batch bench's mix costs a warm grader, so that the mix's average can be
read upload by upload: which mistakes cost most, and whether the grader or the worker pays. Run by
hand; the figures go in notes and the README, never into a test's assertion.

    python bench/per_upload.py [--grades 2] [--isolation auto] [--top 12]

The uploads are those of `bench/batch_throughput.py` (the correct fixtures, the bundled example,
every non-hostile mistake), each graded --grades times in one warm grader that first graded the
reference (as a batch's graders do: a passing check replays from its recipe, a failing one runs
live with hypothesis's search and shrinking). The figure per upload is the mean over its grades
after the first.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
# This checkout's grader, not whichever one is installed (an editable install of another
# checkout measured that one, whatever the bench compared).
sys.path.insert(0, str(ROOT))

from as_installed import compile_grader  # noqa: E402
from batch_throughput import build_sources  # noqa: E402

GOAL_PER_SECOND = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grades", type=int, default=2, help="grades of each upload (>= 2)")
    parser.add_argument("--isolation", default="auto", choices=("auto", "sandbox", "process"))
    parser.add_argument("--top", type=int, default=12, help="the costliest uploads to list")
    args = parser.parse_args()
    compile_grader()  # as installing the grader does (bench/as_installed.py)

    # As the grader's own entry points do (grader/blas_threads.py), before numpy loads.
    from grader.blas_threads import one_thread
    one_thread()
    from grader import grading
    from grader.session import Options, settle_heap
    settle_heap()
    os.environ["AUTOGRADE_CACHE_DIR"] = "off"  # the books below are this process's own
    options = Options(isolation=args.isolation)
    books: dict = {}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sources = build_sources(Path(tmp))
        grading.grade_to_files(submission=ROOT / "reference", options=options, recipe_books=books)
        for source in sources:
            grading.grade_to_files(submission=source, options=options, recipe_books=books)
            spent = []
            for _ in range(max(1, args.grades - 1)):
                before, cpu0 = os.times(), time.process_time()
                result = grading.grade_to_files(submission=source, options=options,
                                                recipe_books=books)
                after = os.times()
                grader = time.process_time() - cpu0
                worker = (after.children_user + after.children_system
                          - before.children_user - before.children_system)
                spent.append((grader, worker))
            grader = statistics.mean(s[0] for s in spent)
            worker = statistics.mean(s[1] for s in spent)
            failed = sum(1 for check in result.checks if check.status != "passed")
            rows.append((grader + worker, grader, worker, result.score, failed, source.stem))

    rows.sort(reverse=True)
    budget = (os.cpu_count() or 1) / GOAL_PER_SECOND
    mean = statistics.mean(r[0] for r in rows)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end; "
          f"{len(rows)} uploads, warm grades, CPU-s each (grader + worker)")
    for total, grader, worker, score, failed, name in rows[:args.top]:
        print(f"  {total:.3f} = {grader:.3f} + {worker:.3f}  {failed:2d} checks not passed, "
              f"score {score:g}  {name}")
    passing = [r[0] for r in rows if r[4] == 0]
    failing = [r[0] for r in rows if r[4] > 0]
    print(f"mean {mean:.3f} CPU-s (grader {statistics.mean(r[1] for r in rows):.3f}, worker "
          f"{statistics.mean(r[2] for r in rows):.3f}); uploads passing every check "
          f"{_mean(passing)} ({len(passing)}), the others {_mean(failing)} ({len(failing)}); "
          f"{GOAL_PER_SECOND}/s on {os.cpu_count()} CPUs leaves {budget:.3f}")


def _mean(values: list[float]) -> str:
    return f"{statistics.mean(values):.3f}" if values else "-"


if __name__ == "__main__":
    main()
