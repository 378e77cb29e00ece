"""What softmax's checks say of mistakes real uploads made (probe s62): a sum over the wrong axis
beside a right maximum, and a shift by the row's minimum rather than its maximum."""
from __future__ import annotations

import pytest

from conftest import FIXTURES, LIVE, grade_many

_MAX = "    x = x - np.max(x, axis=-1, keepdims=True)\n"
_SUM = "    return e / np.sum(e, axis=-1, keepdims=True)\n"
EDITS = {
    # the maximum along the rows, the sum down the columns (probe s62, e4 and e4c)
    "sum_axis0": ((_SUM, "    return e / np.sum(e, axis=0, keepdims=True)\n"),),
    "sum_axis0_no_keepdims": ((_SUM, "    return e / np.sum(e, axis=0)\n"),),
    # each column's maximum, the sum along the rows: still named so
    "column_max": ((_MAX, "    x = x - np.max(x, axis=0)\n"),),
    # the row's minimum, "#Solving overflow problem" (probe s62, r25 and r31)
    "row_min": ((_MAX, "    x = x - np.min(x, axis=-1, keepdims=True)\n"),),
    # no shift at all: the overflow hint, and no word of a minimum
    "no_shift": ((_MAX, ""),),
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("softmax-findings")
    source = (FIXTURES / "correct_summed.py").read_text()
    paths = {}
    for name, edits in EDITS.items():
        text = source
        for old, new in edits:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        paths[name] = folder / f"{name}.py"
        paths[name].write_text(text)
    return grade_many(paths, folder / "out", "--only", "softmax", env=LIVE)


def _failing(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"] if c["function"] == "softmax"
            and c["status"] not in ("passed", "skipped") and c["max_score"] > 0}


@pytest.mark.parametrize("name", ["sum_axis0", "sum_axis0_no_keepdims"])
def test_a_sum_over_the_wrong_axis_is_not_called_a_column_maximum(reports, name):
    """On the handout's [[1, 2], [3, 4]] each column's maximum taken off and each column's sum
    divided by both give 0.5 everywhere: the hint said "subtracts each column's maximum ... take
    the maximum along each row" of a softmax that does just that (probe s62). Asked once more on
    a matrix where the two differ, the sum's axis is named."""
    failing = _failing(reports[name])
    assert "softmax_column_max" not in {c["mistake"] for c in failing.values()}, failing
    assert "each column's maximum" not in reports[name]["_terminal"]
    check = failing["known_values"]
    assert check["mistake"] == "softmax_wrong_axis", check
    assert "Your maximum is right; your sum is not" in check["message"], check["message"]
    assert "the sum down the columns (axis=0)" in check["message"], check["message"]
    # and the inputs that name a minimum taken off do not call its 0 / 0 an overflow
    assert failing["no_overflow"]["mistake"] != "softmax_overflow", failing["no_overflow"]


def test_a_column_maximum_is_still_named(reports):
    failing = _failing(reports["column_max"])
    assert failing["known_values"]["mistake"] == "softmax_column_max", failing["known_values"]
    assert "softmax_wrong_axis" not in {c["mistake"] for c in failing.values()}


def test_a_shift_by_the_row_minimum_is_named(reports):
    """x - np.min(x) "solves" the overflow of [[1001, 1002]] and leaves exponents up to the row's
    maximum minus its minimum: the generic "subtract each row's maximum" did not say that the
    minimum was what the submission subtracts (probe s62, r25 and r31)."""
    failing = _failing(reports["row_min"])
    assert set(failing) == {"no_overflow"}, failing
    check = failing["no_overflow"]
    assert check["mistake"] == "softmax_overflow", check
    assert "what subtracting each row's minimum gives" in check["message"], check["message"]


def test_no_shift_is_not_called_a_minimum(reports):
    failing = _failing(reports["no_shift"])
    assert failing["no_overflow"]["mistake"] == "softmax_overflow"
    assert "minimum" not in reports["no_shift"]["_terminal"], reports["no_shift"]["_terminal"]
