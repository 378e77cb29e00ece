"""What the grading process reads of a student's file without running it (grader/source_trees.py):
the same code the worker runs, and nothing a file holds stops, slows or fills the grader, which
reads a whole class's files before grading anyone (probe s60)."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from grader import source_trees

SIGMOID = "import numpy as np\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"


def _defs(path: Path) -> set[str]:
    return {node.name for tree in source_trees.trees(path) for node in tree.body
            if getattr(node, "name", None)}


@pytest.mark.parametrize("content", [
    {"cells": 5}, {"cells": None}, {"cells": [5, None, "x"]},
    {"cells": [{"cell_type": "code", "source": [1, 2]}]},
    {"cells": [{"cell_type": "code", "source": {"a": 1}}]},
    [1, 2, 3], "a string", None,
], ids=["int", "null", "not-dicts", "int-lines", "dict-source", "list", "string", "null-doc"])
def test_a_notebook_of_another_shape_is_read_as_no_code(tmp_path, content):
    path = tmp_path / "hw1.ipynb"
    path.write_text(json.dumps(content))
    assert all(not tree.body for tree in source_trees.trees(path))


def test_json_nested_past_the_parser_is_read_as_no_code(tmp_path):
    path = tmp_path / "deep.ipynb"
    path.write_text("[" * 200_000 + "]" * 200_000)
    assert source_trees.trees(path) == []
    path.write_text('{"cells": [{"cell_type": "code", "source": ' + "[" * 100_000
                    + "]" * 100_000 + "}]}")
    assert source_trees.trees(path) == []


def test_code_nested_past_the_parser_is_read_as_no_code(tmp_path):
    path = tmp_path / "deep.py"
    path.write_text("x = " + "(" * 100_000 + ")" * 100_000 + "\n" + SIGMOID)
    assert source_trees.trees(path) == []


def test_a_file_is_decoded_as_the_worker_decodes_it(tmp_path):
    """Windows Notepad's BOM, a PEP 263 declaration and UTF-16 are read as Python and the worker
    read them: the BOM alone made a Canvas resubmission write nothing here while the worker
    graded it (probe s60: 0 where 15 was due)."""
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbf" + SIGMOID.encode())
    (tmp_path / "latin.py").write_bytes(
        b"# -*- coding: latin-1 -*-\n# tr\xe8s important\n" + SIGMOID.encode())
    (tmp_path / "cp1252.py").write_bytes(b"# tr\xe8s important\n" + SIGMOID.encode())
    (tmp_path / "wide.py").write_bytes(SIGMOID.encode("utf-16"))
    notebook = {"cells": [{"cell_type": "code", "source": SIGMOID}]}
    (tmp_path / "bom.ipynb").write_bytes(b"\xef\xbb\xbf" + json.dumps(notebook).encode())
    for name in ("bom.py", "latin.py", "cp1252.py", "wide.py", "bom.ipynb"):
        assert _defs(tmp_path / name) == {"sigmoid"}, name


def test_notebook_cells_of_every_format_and_with_magics_are_read(tmp_path):
    v3 = {"nbformat": 3, "worksheets": [{"cells": [
        {"cell_type": "code", "input": ["%matplotlib inline\n", SIGMOID]},
        {"cell_type": "markdown", "source": "def not_code():\n    pass"}]}]}
    (tmp_path / "v3.ipynb").write_text(json.dumps(v3))
    assert _defs(tmp_path / "v3.ipynb") == {"sigmoid"}
    v4 = {"cells": [{"cell_type": "code", "source": "!pip install emoji\n" + SIGMOID}]}
    (tmp_path / "v4.ipynb").write_text(json.dumps(v4))
    assert _defs(tmp_path / "v4.ipynb") == {"sigmoid"}


def test_more_code_than_anyone_writes_by_hand_is_not_parsed_here(tmp_path):
    """4 MiB of `x = [0, 0, ...]` took 2.8 GB and about 50 s to parse in the grading process;
    4 MiB of `print 1` kept a batch reading for minutes (probe s60)."""
    dense = tmp_path / "dense.py"
    dense.write_text(SIGMOID + "x = [" + "0, " * (source_trees.MOST_CODE // 2) + "0]\n")
    prints = tmp_path / "prints.py"
    prints.write_text(SIGMOID + "print 1\n" * (source_trees.MOST_CODE // 6))
    cells = tmp_path / "cells.ipynb"
    cells.write_text(json.dumps({"cells": [{"cell_type": "code", "source": SIGMOID}] + [
        {"cell_type": "code", "source": "print 1\n" * 1000}] * 20}))
    assert [source_trees.trees(p) for p in (dense, prints, cells)] == [[], [], []]


def test_the_python2_rewrite_takes_time_in_proportion_to_the_file():
    """Each edit copied the whole source, each statement the rest of the tokens, each comma the
    tokens before it: 10,000 print statements took 8 s, 100,000 minutes. The largest file parsed
    here (MOST_CODE of `print 1`) is counted in steps, never timed."""
    from grader.worker import python2_source

    calls = {"n": 0}
    body = python2_source._body

    def counting(tokens, i, stop=";"):
        calls["n"] += 1
        return body(tokens, i, stop)
    python2_source._body = counting
    try:
        for n in (100, 1000):
            calls["n"] = 0
            source, forms, _ = python2_source.python3_source.__wrapped__("print 1\n" * n)
            assert source == "print(1)\n" * n and forms["print"] == list(range(1, n + 1))
    finally:
        python2_source._body = body
    assert calls["n"] == 1000  # one per statement


def test_a_raise_with_a_long_tuple_is_rewritten_as_one_argument_list():
    from grader.worker import python2_source

    source = "raise E, (" + "a, " * 5000 + "a)\n"
    rewritten, forms, _ = python2_source.python3_source.__wrapped__(source)
    assert rewritten == "raise E(*(" + "a, " * 5000 + "a))\n" and forms == {"raise": [1]}


def test_python_s_warnings_about_a_students_code_stay_out_of_the_grader_s_output(tmp_path):
    path = tmp_path / "hw1.py"
    path.write_text('import re\nPATTERN = "\\d+"\nx = 1_000if True else 0\n' + SIGMOID)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _defs(path) == {"sigmoid"}


def test_files_beside_a_file_graded_alone_are_parsed_only_within_a_budget(tmp_path, monkeypatch):
    """`autograde grade carol.py` reads the files beside it for the rest of carol's assignment;
    in a download folder those are other students' files, and parsing a hostile one kept carol's
    grade waiting minutes after it was done (probe s60). A file is parsed only when its text has
    a def of a missing function, and only while a budget lasts; past it, its text decides."""
    from grader import graded_alone

    parsed_files: list[str] = []
    trees = source_trees.trees
    monkeypatch.setattr(source_trees, "trees", lambda path: parsed_files.append(path.name)
                        or trees(path))
    (tmp_path / "carol.py").write_text("def softmax(x):\n    return x\n")
    (tmp_path / "mallory.py").write_text("print 1\n" * 50_000)  # no def of anything missing
    (tmp_path / "q2_sigmoid.py").write_text(SIGMOID)
    (tmp_path / "zoe.py").write_text(SIGMOID + "x = 1\n" * graded_alone._PARSED_BYTES)
    found = graded_alone.files_beside(tmp_path / "carol.py", ["sigmoid"],
                                      {"sigmoid": "q2_sigmoid"}, ["softmax"])
    assert found == ["q2_sigmoid.py", "zoe.py"]  # zoe by its text: it defines sigmoid
    assert parsed_files == ["q2_sigmoid.py"]


STARTER_SOFTMAX = '''
def softmax(x):
    orig_shape = x.shape
    if len(x.shape) > 1:
        ### YOUR CODE HERE
        raise NotImplementedError
        ### END YOUR CODE
    else:
        ### YOUR CODE HERE
        raise NotImplementedError
        ### END YOUR CODE
    assert x.shape == orig_shape
    return x
'''
STARTER_NEGSAMPLING_PASSED = '''
def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):
    indices = [target]
    indices.extend(getNegativeSamples(target, dataset, K))
    ### YOUR CODE HERE
    pass
    ### END YOUR CODE
    return cost, gradPred, grad
'''


@pytest.mark.parametrize("source, written", [
    (STARTER_SOFTMAX, False),
    ("def softmax(x):\n    raise NotImplementedError\n", False),
    (STARTER_NEGSAMPLING_PASSED, False),
    # A written function's refusal of what it does not handle, and a misspelt return: written
    # (recheck probe s60: each was passed over for a wrong copy elsewhere in the upload).
    ("import numpy as np\ndef softmax(x):\n    if x.ndim > 2:\n        raise NotImplementedError\n"
     "    e = np.exp(x - x.max(axis=-1, keepdims=True))\n"
     "    return e / e.sum(axis=-1, keepdims=True)\n", True),
    ("import numpy as np\ndef softmax(x):\n    if x.ndim == 1:\n        return np.exp(x) / "
     "np.exp(x).sum()\n    raise NotImplementedError('matrices')\n", True),
    ("import numpy as np\ndef sigmoid(x):\n    s = 1 / (1 + np.exp(-x))\n    return sigmiod_out\n",
     True),
], ids=["starter-softmax", "raise", "starter-pass", "raise-in-a-branch", "raise-after-return",
        "misspelt-return"])
def test_what_counts_as_the_starters_stub(source, written):
    from grader.worker import written_defs

    tree = source_trees.parsed(source)
    name = next(n.name for n in tree.body if hasattr(n, "args"))
    assert written_defs.written([tree], {name}) == ({name} if written else set())


def test_comments_and_strings_do_not_count_as_code_to_parse(tmp_path):
    """A resubmission with a training log pasted into a docstring (143 KB) wrote nothing here, so
    the class folder graded the older file (recheck probe s60): only code counts."""
    log = '"""' + "epoch 1: loss 0.25, acc 0.91\n" * 6000 + '"""\n'
    comments = "# " + "x" * 100 + "\n"
    path = tmp_path / "hw1_final.py"
    path.write_text(log + comments * 2000 + SIGMOID)
    assert path.stat().st_size > 2 * source_trees.MOST_CODE
    assert _defs(path) == {"sigmoid"}
    notebook = tmp_path / "hw1.ipynb"
    notebook.write_text(json.dumps({"cells": [{"cell_type": "code", "source": log}] * 3 + [
        {"cell_type": "code", "source": SIGMOID}]}))
    assert _defs(notebook) == {"sigmoid"}


def test_only_a_regular_file_is_read(tmp_path):
    """A named pipe among an upload's files waited for a writer for ever: `autograde grade` of
    the folder never ended. A link is not followed either."""
    import os
    import threading

    pipe = tmp_path / "zz.py"
    os.mkfifo(pipe)
    (tmp_path / "real.py").write_text(SIGMOID)
    (tmp_path / "link.py").symlink_to(tmp_path / "real.py")
    read: list = []
    reader = threading.Thread(target=lambda: read.append(source_trees.trees(pipe)), daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():  # unblock the reader so the test process can end
        with open(pipe, "w"):
            pass
    assert read == [[]]
    assert source_trees.trees(tmp_path / "link.py") == []
    assert _defs(tmp_path / "real.py") == {"sigmoid"}
