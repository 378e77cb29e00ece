"""Hypothesis's draws while grading depend on nothing but the check and its seed: not on how the
grader is installed, nor on which modules happen to be loaded (grader/plugin.py,
draws_independent_of_installed_code)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from grader import plugin

providers = pytest.importorskip("hypothesis.internal.conjecture.providers")
pytestmark = pytest.mark.skipif(not hasattr(providers, "_get_local_constants"),
                                reason="this hypothesis draws no constants from loaded modules")

# Values no strategy would draw unless it found them in a loaded module's source.
MARKERS = (987654321987, -123456789123)


def _draws() -> list[int]:
    seen: list[int] = []

    @settings(derandomize=True, database=None, max_examples=400)
    @given(st.integers())
    def collect(value: int) -> None:
        seen.append(value)

    collect()
    return seen


def _load_local_module(folder: Path) -> None:
    """A module outside site-packages holding the markers, as the grader's own modules are in an
    editable install (and a pack's modules and the reference are everywhere)."""
    path = folder / "course_constants.py"
    path.write_text(f"A = {MARKERS[0]}\nB = {MARKERS[1]}\n")
    spec = importlib.util.spec_from_file_location("course_constants", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["course_constants"] = module
    spec.loader.exec_module(module)


def test_a_loaded_module_changes_no_draw_while_grading(tmp_path: Path) -> None:
    with plugin.draws_independent_of_installed_code():
        before = _draws()
    _load_local_module(tmp_path)
    try:
        # The control: outside grading, hypothesis has the module's constants in its pool.
        assert set(MARKERS) <= set(providers._get_local_constants().set_for_type("integer"))
        with plugin.draws_independent_of_installed_code():
            after = _draws()
    finally:
        sys.modules.pop("course_constants", None)
    assert after == before
    assert not set(MARKERS) & set(after)


def test_a_failing_word2vec_case_is_printed_on_one_line() -> None:
    """Hypothesis's pretty printer put each of a case's 52 stream numbers on a line of its own,
    about 60 lines a failing check under -v (probe s60)."""
    from hypothesis.vendor.pretty import pretty

    from grader.packs.cs224n_a1.inputs import W2VCase
    case = W2VCase(V=3, D=2, K=10, target=0, stream=tuple(range(3)) * 17, seed=0)
    assert pretty(case) == repr(case) and "\n" not in pretty(case), pretty(case)
