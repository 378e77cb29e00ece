"""What the worker loads before the checks fork: numpy.ma, which numpy loads on the first use of
np.ma or np.unique, once where the upload's code names either (grader/worker/main.py), instead of
in every check's fork that calls it; never for an upload that does not name it."""
from __future__ import annotations

import subprocess
import sys

from conftest import FIXTURES, ROOT, grade

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


def test_an_uploaded_file_named_like_a_module_the_worker_loaded_is_the_students(tmp_path):
    """hw1.py imports its helper from the upload's own json.py and signal.py: a plain `python`
    beside them loads the student's files, and so must the worker, which loaded the standard
    json and signal for itself (recheck probe s62: 0/100, "cannot import name 'logistic' from
    'json' (/root/.pyenv/...)")."""
    upload = tmp_path / "upload"
    upload.mkdir()
    source = (FIXTURES / "correct_summed.py").read_text()
    source = source.replace("import numpy as np\n", "import numpy as np\nfrom json import logistic\n"
                            "from signal import unused_here\n", 1)
    source = source.replace('    """Elementwise sigmoid of a scalar or an array."""\n'
                            "    return 1.0 / (1.0 + np.exp(-x))\n",
                            '    """Elementwise sigmoid of a scalar or an array."""\n'
                            "    return logistic(x)\n", 1)
    assert "return logistic(x)" in source
    (upload / "hw1.py").write_text(source)
    (upload / "json.py").write_text("import numpy as np\n\n\ndef logistic(x):\n"
                                    "    return 1.0 / (1.0 + np.exp(-x))\n")
    (upload / "signal.py").write_text("unused_here = None\n")
    report = grade(upload, tmp_path / "out")
    assert report["score"] == 100, report["error"]
