"""The grader's own process does its linear algebra on one thread.

numpy's BLAS from PyPI (OpenBLAS) starts a thread per CPU on import, and after each call those
threads spin, waiting for the next one, before they sleep. The grader's own arithmetic is a
stream of small products (the reference's computations, the checks' comparisons), never large
enough to be split across threads, so the spinning bought nothing and cost a warm grade 0.10 of
its 0.32 CPU-seconds (perf, 10 warm grades: a third of the grader's samples were in
blas_thread_server); on a 2-CPU machine that is CPU taken from the student's worker beside it.
OpenBLAS also stops its threads before every fork and starts them again after, and the grader
forks once per worker. One thread also means the same order of summation on every machine.

The workers get the same settings from the environment the grader gives them (grader/proxy.py).
OpenBLAS reads these variables once, as numpy loads: set later, they change nothing.
"""
from __future__ import annotations

import os
import sys

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_thread() -> bool:
    """Ask for one BLAS thread in this process (and the processes it starts); call before numpy
    is imported. False when numpy is already loaded and it is too late."""
    if "numpy" in sys.modules:
        return False
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    return True
