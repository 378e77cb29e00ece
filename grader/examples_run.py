"""Running a property check's examples outside hypothesis's engine, each started with the global
random generators seeded exactly as hypothesis seeds them for a live run, so a check body that
draws from `random` or `np.random` gets the same numbers either way. Used by the replay
(grader/replay.py) and by a student's copy running the known answers' examples
(grader/known_answers.py).

Hypothesis's `deterministic_PRNG` saves every managed generator's state on entry and restores it
on exit; numpy's legacy get_state/set_state alone cost about 0.25 ms, so entering it once per
example cost a warm grade a fifth of its time. Here it is entered once per check, and between
examples every managed generator is re-seeded as entering it again would do.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from hypothesis.internal import entropy

SEED = 0  # deterministic_PRNG's default, what hypothesis runs each example with


def run_each(examples: Iterable[Any], run: Callable[[Any], None]) -> None:
    """`run(example)` for each example in turn, each from the seeded state."""
    with entropy.deterministic_PRNG(SEED):
        for index, example in enumerate(examples):
            if index:
                _reseed()
            run(example)


def _reseed() -> None:
    # Random.seed(s) leaves the state Random(s).getstate() holds, which is what hypothesis sets;
    # numpy's global generator is seeded through its wrapper, as hypothesis does.
    for generator in list(entropy.RANDOMS_TO_MANAGE.values()):
        generator.seed(SEED)
