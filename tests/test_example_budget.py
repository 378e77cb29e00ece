"""How many examples a property check draws (grader/example_budget.py): the grading profile's 25,
and 10 for a check whose every example is a whole drawn case (`@whole_cases`)."""
from __future__ import annotations

from typing import Callable

from hypothesis import given, settings, strategies as st

from grader import example_budget
from grader.checks_api import whole_cases


def _drawn(decorate: Callable) -> list[int]:
    seen: list[int] = []

    @decorate
    @given(st.integers(0, 10**9))
    def check(value: int) -> None:
        seen.append(value)

    check()
    return seen


def _grading(check: Callable) -> Callable:
    return settings(settings.get_profile(example_budget.GRADING_PROFILE))(check)


def test_a_whole_case_check_draws_ten_examples_and_others_the_profiles_25() -> None:
    whole, default = _drawn(whole_cases), _drawn(_grading)
    assert len(whole) == example_budget.WHOLE_CASE_EXAMPLES == 10
    assert len(default) == example_budget.DEFAULT_EXAMPLES == 25
    # Derandomised like every grading draw: the same examples on every run.
    assert _drawn(whole_cases) == whole


def test_the_smaller_budget_changes_nothing_else_of_the_grading_profile() -> None:
    """Made at import, the smaller budget must not inherit whichever profile happened to be loaded
    then (hypothesis's own default, before a grading session loads the grading profile): a check
    replayed from the disk recipe cache once ran with health checks on that way."""
    grading = settings.get_profile(example_budget.GRADING_PROFILE)
    ours = whole_cases(lambda: None)._hypothesis_internal_use_settings
    assert ours.max_examples == 10 < grading.max_examples
    for name in ("derandomize", "database", "deadline", "suppress_health_check", "phases",
                 "print_blob"):
        assert getattr(ours, name) == getattr(grading, name), name
