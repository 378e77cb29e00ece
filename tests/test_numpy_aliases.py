"""Names NumPy removed (np.float in 1.24, np.float_ in 2.0, ...), which submissions written on an
older NumPy use: given back their old meaning in the worker, and named in the report."""
from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from conftest import FIXTURES, grade
from grader.worker import numpy_aliases

ALIASES = FIXTURES / "correct_numpy_aliases.py"


def test_uses_finds_each_removed_name_under_any_name_numpy_is_imported_as():
    source = ("import numpy as npy\nimport math\n"
              "def f(x, self=None):\n"
              "    a = npy.asarray(x, dtype=npy.float)\n"   # line 4
              "    b = math.inf + self.float\n"             # other objects' attributes: not NumPy's
              "    return np.NaN, numpy.product(a)\n"       # line 6: np and numpy, not imported
              "from numpy import int, zeros\n")             # line 7
    assert numpy_aliases.uses(source, "f.py") == [("float", 4), ("NaN", 6), ("product", 6),
                                                    ("int", 7)]
    assert numpy_aliases.uses("def f(:\n", "broken.py") == []  # running it says what is wrong


def test_install_gives_each_missing_name_its_old_meaning_and_keeps_what_numpy_defines():
    removed = set(numpy_aliases.EXPIRED) | set(numpy_aliases.RETURNED)
    fake = types.ModuleType("numpy")
    fake.__dict__.update({k: v for k, v in vars(np).items() if k not in removed})
    fake.float_ = "NumPy's own"  # a name this NumPy still defines stays as it is
    numpy_aliases.install(fake)
    assert (fake.float, fake.int, fake.object, fake.str) == (float, int, object, str)
    assert (fake.bool, fake.long) == (bool, int)
    assert fake.float_ == "NumPy's own" and fake.complex_ is np.complex128
    assert fake.product is np.prod and fake.round_ is np.round and fake.alltrue is np.all
    assert np.isnan(fake.NaN) and fake.Inf == np.inf and fake.NINF == -np.inf


def test_removed_functions_are_given_back_as_they_behaved():
    """np.asscalar (gone in 1.23) is in real 2017 solutions (`cost = np.asscalar(cost)`), and with
    it the other functions NumPy removed that homework calls."""
    removed = set(numpy_aliases.EXPIRED) | set(numpy_aliases.RETURNED)
    fake = types.ModuleType("numpy")
    fake.__dict__.update({k: v for k, v in vars(np).items() if k not in removed})
    numpy_aliases.install(fake)
    column = np.array([[3.0], [1.0], [2.0]])
    assert fake.asscalar(np.array([2.5])) == 2.5 and type(fake.asscalar(np.float64(1))) is float
    assert fake.rank(column) == 2 and fake.alen(column) == 3 and fake.alen(7) == 1
    with pytest.warns(PendingDeprecationWarning):  # NumPy's own word on np.matrix
        assert isinstance(fake.mat([[1, 2]]), np.matrix)
    assert fake.msort(column).ravel().tolist() == [1.0, 2.0, 3.0]
    assert fake.asfarray([1, 2]).dtype == np.float64
    assert fake.asfarray([1, 2], dtype=np.float32).dtype == np.float32
    assert fake.asfarray([1, 2], dtype=np.int64).dtype == np.float64  # never an integer array
    assert fake.trapz([1.0, 2.0, 3.0]) == 4.0
    assert fake.in1d(np.array([[1, 5], [2, 9]]), [1, 2]).tolist() == [True, False, True, False]
    assert numpy_aliases.uses("import numpy as np\nc = np.asscalar(c)\n", "q3.py") == [
        ("asscalar", 2)]


def test_a_nan_print_threshold_is_found_and_read_as_numpy_before_1_16_read_it():
    """np.set_printoptions(threshold=np.nan), the 2017 way to print whole arrays, raises
    ValueError on NumPy 1.16 and later: at a file's top level that was 0 for the whole file."""
    source = ("import numpy as npy\nimport sys\n"
              "npy.set_printoptions(threshold=npy.nan)\n"           # line 3
              "npy.set_printoptions(precision=3)\n"                 # not this one
              "np.set_printoptions(4, float('nan'))\n"              # line 5: positional
              "npy.set_printoptions(threshold=sys.maxsize)\n")      # nor this one
    assert numpy_aliases.uses(source, "f.py") == [("set_printoptions(threshold=nan)", 3),
                                                    ("set_printoptions(threshold=nan)", 5)]
    calls = []
    fake = types.ModuleType("numpy")
    fake.__dict__.update(vars(np))
    fake.set_printoptions = lambda *args, **kwargs: calls.append((args, kwargs))
    numpy_aliases.install(fake)
    fake.set_printoptions(threshold=np.nan)
    fake.set_printoptions(3, float("nan"), edgeitems=2)
    fake.set_printoptions(threshold=50)
    assert calls == [((), {"threshold": sys.maxsize}), ((3, sys.maxsize), {"edgeitems": 2}),
                     ((), {"threshold": 50})]
    wrapped = fake.set_printoptions
    numpy_aliases.install(fake)  # installed twice (a worker's second import): wrapped once
    assert fake.set_printoptions is wrapped
    with pytest.raises(ValueError, match="non-NAN"):  # what the student's NumPy says
        np.set_printoptions(threshold=np.nan)


def test_a_submission_written_on_old_numpy_gets_full_marks_and_is_told_what_to_write(tmp_path):
    report = grade(ALIASES, tmp_path)
    assert report["score"] == 100, report["checks"]
    said = [w for w in report["warnings"] if "NumPy removed" in w]
    assert said == [
        "correct_numpy_aliases.py uses names NumPy removed: np.float (line 16), np.int (line 99), "
        "np.float_ (line 109) and np.product (line 109). NumPy 1.24 and later fail there with "
        "\"module 'numpy' has no attribute 'float'\" (np.float_ and np.product from NumPy 2.0 "
        "on); they were run as what they meant before. "
        "Write float, int, np.float64 and np.prod instead."]


@pytest.mark.skipif(np.lib.NumpyVersion(np.__version__) < "1.24.0",
                    reason="this NumPy still has np.float (deprecated)")
def test_the_numpy_shim_can_be_turned_off(tmp_path):
    report = grade(ALIASES, tmp_path, "--no-numpy-shim")
    failed = {c["function"] for c in report["checks"] if c["status"] != "passed"}
    assert failed == {"sigmoid", "negSamplingCostAndGradient"}, failed
    assert all("has no attribute 'float'" in c["message"] or "has no attribute 'int'" in c["message"]
               for c in report["checks"] if c["status"] != "passed")
    assert any("the numpy shim is off" in w for w in report["warnings"])


@pytest.mark.skipif(tuple(int(p) for p in np.__version__.split(".")[:2]) < (1, 25),
                    reason="NumPy before 1.25 converts an array of one element without a word")
def test_float_of_a_one_element_array_fails_alike_on_every_numpy_and_says_what_to_write(tmp_path):
    """NumPy 2.4 refuses float(a) of shape (1,); 1.25 to 2.3 only warned. The same code must get
    the same grade on both, with a message that says what to write (.item() or an index)."""
    text = FIXTURES.joinpath("correct_summed.py").read_text()
    old = "    cost = -np.sum(np.log(np.sum(labels * y_hat, axis=1)))\n"
    assert text.count(old) == 1
    path = tmp_path / "one_element.py"
    path.write_text(text.replace(old, old + "    cost = float(np.reshape(cost, (1,)))\n"))
    report = grade(path, tmp_path / "out")
    failed = [c for c in report["checks"] if c["function"] == "forward_backward_prop"
              and c["status"] != "passed"]
    assert failed and all(c["function"] == "forward_backward_prop" for c in failed)
    message = failed[0]["message"]
    assert "take it out with .item() or an index" in message, message
    assert report["score"] == 65


def test_math_exp_on_an_array_is_told_to_use_np_exp_not_to_take_one_number_out(tmp_path):
    """math.exp(-x) in sigmoid, on a 2 x 2 array: NumPy 2.4's TypeError reads as for an array of
    one number, and the student was told to take "its one number" out with .item()."""
    text = FIXTURES.joinpath("correct_summed.py").read_text()
    path = tmp_path / "math_exp.py"
    path.write_text("import math\n" + text.replace(
        "def sigmoid(x):\n", "def sigmoid(x):\n    return 1.0 / (1.0 + math.exp(-x))\n", 1))
    report = grade(path, tmp_path / "out", "--only", "sigmoid")
    messages = [c["message"] for c in report["checks"] if c["status"] != "passed"]
    assert messages and all(
        "the math module's functions (math.exp, math.log, math.sqrt) take a single number, not an "
        "array: on arrays use NumPy's own (np.exp, np.log, np.sqrt)" in m
        for m in messages if "TypeError" in m), messages
    assert not any("this one holds one number" in m for m in messages)
