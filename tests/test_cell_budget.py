"""The time a notebook's cells have (grader/worker/notebook_cells.Budget), on a clock the test sets:
the shares must not depend on where, within the alarm's tolerance, a cell happened to stop."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "grader" / "worker"))
import notebook_cells  # noqa: E402  (the worker's modules import each other by bare name)
import own_clock  # noqa: E402


@pytest.fixture
def clock(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(own_clock, "now", lambda: now[0])
    return now


def test_a_cell_runs_freely_until_the_soft_share(clock):
    budget = notebook_cells.Budget(4.0, 100.0)
    clock[0] = 101.0
    assert budget.allowance(3) == pytest.approx(100.0 + 0.7 * 4 - 101.0)


@pytest.mark.parametrize("early", [0.0, 0.001, 0.004])
def test_cells_after_a_stop_share_what_is_left_until_the_hard_share(clock, early):
    """The stop comes when less than 5 ms are left, so a cell can be stopped just before the soft
    share: the next cell used to get those last milliseconds alone, and a cell of `def`s was
    stopped on a busy machine (a CI run printed a second stopped cell where the first run had
    one)."""
    budget = notebook_cells.Budget(4.0, 100.0)
    soft, hard = 100.0 + 0.7 * 4, 100.0 + 0.9 * 4
    clock[0] = soft - early
    budget.stopped("cell")
    assert budget.allowance(2) == pytest.approx((hard - clock[0]) / 2)
    assert budget.allowance(1) == pytest.approx(hard - clock[0])


def test_past_the_hard_share_a_cell_gets_a_token_millisecond(clock):
    budget = notebook_cells.Budget(4.0, 100.0)
    budget.stopped("cell")
    clock[0] = 100.0 + 4.0
    assert budget.allowance(1) == 0.001
