"""Checks of relu_grad(z): ReLU's derivative at the pre-activation z, 1.0 where z > 0 and 0.0 where
z <= 0. ReLU has no derivative at 0; this course takes 0 there (the pack's documented choice), and
the checks look at 0 itself, at -0.0 and at the smallest numbers on either side of it."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader import tolerances as tol
from grader.checks_api import as_array, call_text, expect_close, fail_call
from grader.packs.pa6 import inputs
from grader.packs.pa6.hints import HINTS

pytestmark = pytest.mark.function("relu_grad")

batches = hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)),
                     elements=st.one_of(st.floats(-5, 5, allow_nan=False, width=64),
                                        st.sampled_from([0.0, -0.0, 5e-324, -5e-324])))


def _slope(z):
    return (z > 0).astype(float)


def _relu_grad(student, z):
    call = call_text("relu_grad", z)
    return as_array(student(z.copy()), call, z.shape), call


def _hint(got, z):
    """Which known mistake the values show, if any."""
    right = _slope(z)
    off = ~np.isclose(got, right)
    if not off.any():
        return None
    if np.allclose(got[z != 0], right[z != 0]):
        at_zero = got[(z == 0) & off]
        if np.all(at_zero == 1):
            return HINTS["relu_grad_one_at_zero"]
        if np.all(at_zero == 0.5):
            return HINTS["relu_grad_half_at_zero"]
    # 0 for the smallest positive z, 1 above them: (z > t) for some t > 0. Tested before
    # relu_grad_is_relu, which a 0 at z = 1e-300 matches within any tolerance too.
    tiny = off & (z > 0) & (got == 0)
    if tiny.any() and np.array_equal(tiny, off):
        ones = (z > 0) & (got == 1)
        if not ones.any() or z[tiny].max() < z[ones].min():
            return HINTS["relu_grad_threshold"]
    if np.any(z < 0) and np.allclose(got, np.sign(z)):
        return HINTS["relu_grad_sign"]
    if np.allclose(got, np.maximum(z, 0)):
        return HINTS["relu_grad_is_relu"]
    return None


@pytest.mark.points(2)
@pytest.mark.published  # the pack's own small values
def test_small_values(student):
    z = inputs.RELU_Z
    got, call = _relu_grad(student, z)
    expect_close(got, _slope(z), call=call, rtol=0, atol=0, hint=_hint(got, z))


@pytest.mark.points(3)
@pytest.mark.published
def test_at_and_around_zero(student):
    """0 and -0.0 give 0; 5e-324 (the smallest positive double) gives 1, -5e-324 gives 0."""
    z = inputs.KINK_Z
    got, call = _relu_grad(student, z)
    hint = _hint(got, z)
    wrong = np.argwhere(got != _slope(z))
    if wrong.size:
        where = ", ".join(f"z = {float(z[tuple(i)])!r} gave {float(got[tuple(i)])!r}"
                          for i in wrong[:4])
        fail_call(f"wrong derivative at or next to ReLU's kink: {where} (this course takes 0 at "
                  "z == 0, and 1 for every z > 0, however small).", call, returned=got,
                  expected=_slope(z), hint=hint)


@pytest.mark.points(2)
@given(z=batches)
def test_matches_reference(student, reference, z):
    got, call = _relu_grad(student, z)
    expect_close(got, np.asarray(reference.relu_grad(z.copy()), dtype=float), call=call, rtol=0,
                 atol=tol.REFERENCE_ATOL, hint=_hint(got, z))


@pytest.mark.points(1)
@given(z=batches)
def test_zero_or_one_and_z_unchanged(student, z):
    call = call_text("relu_grad", z)
    result = student.call(z.copy(), echo_args=True)
    got = as_array(result.value, call, z.shape)
    if not np.all((got == 0) | (got == 1)):
        fail_call("relu_grad(z) must be 0 or 1 in every entry: ReLU's slope is 0 or 1.", call,
                  returned=got, hint=_hint(got, z))
    if not np.array_equal(result.args_after[0], z):
        fail_call("relu_grad changed its argument z in place.", call,
                  returned=result.args_after[0], expected=z)
