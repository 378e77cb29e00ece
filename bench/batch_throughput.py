"""Throughput of `autograde batch` over a class of N uploads (copies of the test fixtures, correct
and buggy mixed). Run by hand; the figure goes in notes, never into a test assertion.

    python bench/batch_throughput.py [--count 100] [--jobs 2] [--isolation auto]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.mistakes import MISTAKES, materialize  # noqa: E402


def build_class(folder: Path, count: int) -> None:
    """`count` uploads: correct submissions and every non-hostile mistake, in turn."""
    sources = [ROOT / "tests" / "fixtures" / "submissions" / "correct_summed.py",
               ROOT / "tests" / "fixtures" / "submissions" / "correct_averaged.py",
               ROOT / "examples" / "submission.py"]
    scratch = folder.parent / "mistakes"
    sources += [materialize(m, scratch) for m in MISTAKES if not m.hostile]
    for i in range(count):
        shutil.copyfile(sources[i % len(sources)], folder / f"student{i:04d}.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--isolation", default="auto")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        uploads = Path(tmp) / "uploads"
        uploads.mkdir()
        build_class(uploads, args.count)
        command = [sys.executable, "-m", "grader", "batch", str(uploads), "--out", str(Path(tmp) / "out"),
                   "--isolation", args.isolation]
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - started
    print(f"{args.count} submissions in {elapsed:.1f} s: {args.count / elapsed:.2f} submissions/s "
          f"(isolation {args.isolation}, jobs {args.jobs or 'default'}; goal: 10/s)")


if __name__ == "__main__":
    main()
