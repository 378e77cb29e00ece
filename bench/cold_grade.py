"""Time a cold `autograde grade reference/`: a fresh interpreter each run, as a student's first
run would be. Run by hand; the figure goes in notes, never into a test assertion.

    python bench/cold_grade.py [--runs 5] [SUBMISSION]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", nargs="?", default=str(ROOT / "reference"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    baseline = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import numpy, pytest, hypothesis"], check=True)
        baseline.append(time.perf_counter() - t0)
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "grader", "grade", args.submission],
                              cwd=ROOT, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            sys.exit(proc.stderr)
    print(f"python + numpy + pytest + hypothesis import: median {statistics.median(baseline):.2f} s")
    print(f"autograde grade {args.submission}: median {statistics.median(times):.2f} s, "
          f"min {min(times):.2f} s, max {max(times):.2f} s over {args.runs} runs (goal: 2 s)")


if __name__ == "__main__":
    main()
