"""Throughput of `autograde batch` over a class of N uploads (copies of the test fixtures, correct
and buggy mixed). Run by hand; the figure goes in notes, never into a test assertion.

    python bench/batch_throughput.py [--count 100] [--jobs 2] [--isolation auto]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

sys.path.insert(0, str(ROOT / "bench"))

from fixtures.mistakes import MISTAKES, materialize  # noqa: E402
from as_installed import compile_grader  # noqa: E402
from peak_rss import PeakRSS  # noqa: E402


MEMORY_SAMPLE = 20  # uploads graded again, untimed, while the peak memory is sampled


def build_sources(scratch: Path, correct_only: bool = False) -> list[Path]:
    """The uploads a class is made of, in turn: correct submissions, the bundled example and every
    non-hostile mistake (written into `scratch`), or the correct ones only."""
    fixtures = ROOT / "tests" / "fixtures" / "submissions"
    sources = [fixtures / "correct_summed.py", fixtures / "correct_averaged.py"]
    if correct_only:
        return sources + [fixtures / "correct_direct_sampling.py", fixtures / "correct_xrange.py"]
    sources.append(ROOT / "examples" / "submission.py")
    return sources + [materialize(m, scratch / "mistakes") for m in MISTAKES if not m.hostile]


def build_class(folder: Path, count: int, correct_only: bool = False) -> None:
    """`count` uploads: correct submissions and every non-hostile mistake, in turn (or only the
    correct ones: every check then passes, the case a warm grader replays whole)."""
    sources = build_sources(folder.parent, correct_only)
    for i in range(count):
        shutil.copyfile(sources[i % len(sources)], folder / f"student{i:04d}.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--isolation", default="auto")
    parser.add_argument("--correct-only", action="store_true",
                        help="a class of correct submissions only")
    args = parser.parse_args()
    compile_grader()  # as installing the grader does (bench/as_installed.py)
    with tempfile.TemporaryDirectory() as tmp:
        uploads = Path(tmp) / "uploads"
        uploads.mkdir()
        build_class(uploads, args.count, args.correct_only)
        # A batch as on a fresh machine: its graders start with no recipes kept on disk.
        env = {**os.environ, "AUTOGRADE_CACHE_DIR": str(Path(tmp) / "cache")}

        def batch(folder: Path, out: str) -> None:
            command = [sys.executable, "-m", "grader", "batch", str(folder), "--out",
                       str(Path(tmp) / out), "--isolation", args.isolation]
            if args.jobs:
                command += ["--jobs", str(args.jobs)]
            subprocess.run(command, cwd=ROOT, check=True, stderr=subprocess.DEVNULL, env=env)

        busy = _busy_cpu_seconds()
        before = os.times()
        started = time.perf_counter()
        batch(uploads, "out")
        elapsed = time.perf_counter() - started
        after = os.times()
        busy = _busy_cpu_seconds() - busy if busy is not None else None
        # Memory in a batch of its own (the first uploads again): the sampler polls /proc every
        # few milliseconds, which would take CPU from the batch being timed.
        sample = Path(tmp) / "sample"
        sample.mkdir()
        for upload in sorted(uploads.iterdir())[:MEMORY_SAMPLE]:
            shutil.copyfile(upload, sample / upload.name)
        with PeakRSS({"warm grader": "grader.server", "worker": "worker/main.py"}) as peak:
            batch(sample, "sample-out")
    # The batch's own CPU time (what its process tree reaped) and the whole machine's, which also
    # counts whatever else ran meanwhile. They differ under the sandbox even on a quiet machine:
    # a sandbox is killed whole when its submission is graded, so the processes inside it are never
    # waited for by their parents and their CPU time never reaches the batch's tree (measured: a
    # warm grade's worker, 0.76 CPU-s under --isolation process, shows as 0.02 under the
    # sandbox). The whole machine's figure is then the one to read.
    own = (after.children_user + after.children_system
           - before.children_user - before.children_system) / args.count
    cpu = f"; {busy / args.count:.2f} CPU-s each (whole machine)" if busy is not None else ""
    print(f"{args.count} submissions in {elapsed:.1f} s: {args.count / elapsed:.2f} submissions/s "
          f"(isolation {args.isolation}, jobs {args.jobs or 'default'}; {own:.2f} CPU-s each "
          f"(the batch){cpu}; goal: 4/s with --jobs 2)")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end; "
          + peak.describe() + f" (over {MEMORY_SAMPLE} of the uploads, graded again untimed)")


def _busy_cpu_seconds() -> float | None:
    """CPU time the whole machine spent busy so far (Linux), workers and sandboxes included."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
