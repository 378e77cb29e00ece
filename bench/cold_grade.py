"""Time a cold `autograde grade reference/`: a fresh interpreter each run, as a student's first
run would be. Run by hand; the figure goes in notes, never into a test assertion.

    python bench/cold_grade.py [--runs 5] [--student] [SUBMISSION]

The first run starts from an empty recipe cache (grader/recipe_cache.py: as after installing or
changing the grader); the median is over the runs after it, which start from the recipes it
kept. The grader's own modules are byte-compiled first, as installing it does. `--student` grades
as a student's copy does: without the reference, against the pack's known answers.
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

from as_installed import compile_grader  # noqa: E402
from peak_rss import PeakRSS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", nargs="?", default=str(ROOT / "reference"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--student", action="store_true",
                        help="grade as a student's copy: --no-reference (the known answers)")
    args = parser.parse_args()
    compile_grader()

    baseline = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import numpy, pytest, hypothesis"], check=True)
        baseline.append(time.perf_counter() - t0)
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "AUTOGRADE_CACHE_DIR": cache}

        def grade_once() -> tuple[float, float]:
            before = os.times()
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "grader", "grade", args.submission,
                                   *(["--no-reference"] if args.student else [])],
                                  cwd=ROOT, capture_output=True, text=True, env=env)
            elapsed = time.perf_counter() - t0
            after = os.times()
            if proc.returncode != 0:
                sys.exit(proc.stderr)
            return elapsed, (after.children_user + after.children_system
                             - before.children_user - before.children_system)

        times, cpu = zip(*(grade_once() for _ in range(args.runs + 1)))
        # Memory in a run of its own: the sampler polls /proc every few milliseconds, which on a
        # 2-core machine takes a third of a core from the grade it would be timing.
        with PeakRSS({"grader": "-m grader", "worker": "worker/main.py"}) as peak:
            grade_once()
    floor = statistics.median(baseline)
    first, rest = times[0], times[1:]
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end")
    print(f"python + numpy + pytest + hypothesis import: median {floor:.2f} s")
    what = f"{args.submission}{' --no-reference' if args.student else ''}"
    print(f"autograde grade {what}, empty recipe cache: {first:.2f} s "
          f"({cpu[0]:.2f} CPU-s)")
    print(f"autograde grade {what}: median {statistics.median(rest):.2f} s "
          f"({statistics.median(rest) / floor:.1f}x the import floor), min {min(rest):.2f} s, "
          f"max {max(rest):.2f} s over {len(rest)} runs; median {statistics.median(cpu[1:]):.2f} "
          f"CPU-s (goal: 1.2 s)")
    print(peak.describe())


if __name__ == "__main__":
    main()
