"""The scratch folder is bounded in bytes and in files (grader/scratch_fs.py), keeps what it held,
and leaves no mount behind."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader import scratch_fs

pytestmark = pytest.mark.skipif(scratch_fs.problem() is not None, reason=str(scratch_fs.problem()))


def mounted(path: Path) -> bool:
    return any(line.split()[4] == str(path) for line in Path("/proc/self/mountinfo").read_text().splitlines())


def test_files_and_bytes_are_bounded_and_the_mount_goes_away(tmp_path):
    scratch = tmp_path / "scratch"
    (scratch / "upload").mkdir(parents=True)
    (scratch / "upload" / "s.py").write_text("x = 1\n")
    assert scratch_fs.bound(scratch, None)
    try:
        assert mounted(scratch)
        assert (scratch / "upload" / "s.py").read_text() == "x = 1\n"
        count = 0
        with pytest.raises(OSError, match="No space left"):
            while count < 2 * scratch_fs.SCRATCH_FILES:
                (scratch / f"f{count}").touch()
                count += 1
        assert count <= scratch_fs.SCRATCH_FILES
        for i in range(count):
            os.unlink(scratch / f"f{i}")
        with pytest.raises(OSError, match="No space left"):
            with open(scratch / "big", "wb") as out:
                for _ in range(scratch_fs.SCRATCH_BYTES // 2**20 + 1):
                    out.write(b"x" * 2**20)
        os.unlink(scratch / "big")
        (scratch / "worker-stderr.txt").write_text("last words")
    finally:
        scratch_fs.release(scratch, keep=("worker-stderr.txt",))
    assert not mounted(scratch)
    assert (scratch / "worker-stderr.txt").read_text() == "last words"
