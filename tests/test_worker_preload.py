"""What the worker loads before the checks fork: numpy.ma, which numpy loads on the first use of
np.ma or np.unique, once where the upload's code names either (grader/worker/main.py), instead of
in every check's fork that calls it; never for an upload that does not name it."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

PROBE = """
import runpy, sys
from pathlib import Path
worker = runpy.run_path({main!r}, run_name="worker_main")
worker["_load_numpy_ma_if_named"](Path({folder!r}))
print("numpy.ma" in sys.modules)
"""


def _loads_numpy_ma(folder) -> bool:
    code = PROBE.format(main=str(ROOT / "grader" / "worker" / "main.py"), folder=str(folder))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split() == ["True"]


def test_numpy_ma_is_loaded_once_where_the_upload_names_it(tmp_path):
    named = tmp_path / "named"
    (named / "sub").mkdir(parents=True)
    (named / "sub" / "q3_word2vec.py").write_text(
        "import numpy as np\n\ndef draws(ix):\n    return np.unique(ix, return_counts=True)\n")
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "hw1.py").write_text("import numpy as np\n\ndef softmax(x):\n    return x\n")
    (plain / "notes.txt").write_text("np.unique\n")  # not code: not read
    assert _loads_numpy_ma(named)
    assert not _loads_numpy_ma(plain)
