"""The grader as an install leaves it: every module byte-compiled.

pip compiles a wheel's modules when it installs them; an editable install under
PYTHONDONTWRITEBYTECODE (this development machine, CI, Docker) never does, and then every grade
compiles the pack's check modules afresh (about 150 KB of source, some 28 ms of a warm grade's CPU
on the 2-core machine), and every grader process the grader's own modules. A bench measures what an
installed grader costs, so each compiles first, as tests/conftest.py does for the suite.
"""
from __future__ import annotations

import compileall
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def compile_grader() -> None:
    compileall.compile_dir(ROOT / "grader", quiet=1)
