"""How many examples a property check draws: the grading profile, and the smaller budget of checks
whose every example is a whole drawn case.

The budget is a judgement per check, made where the check is written, because what one example is
worth differs:

- A check over arrays of any shape (an elementwise function, a softmax over rows, a list of words)
  searches the shapes themselves: a mistake may show on a 1-D input only, or a single row, or a
  repeated word. It keeps the profile's 25 examples.
- A check whose example is a whole case (`@whole_cases`) draws every argument at once: the
  dimensions of a network, a seed for all of its weights, data and labels, a word2vec vocabulary
  and its sample stream. One example already exercises every entry of every block; a wrong formula
  shows on any of them, and what the next example adds is only other dimensions, which a handful
  of draws covers (hypothesis's first draw is the smallest case). Ten such examples found every
  mistake that 25 found, on every fixture of every built-in pack (all 110 graded both ways): the
  same scores, named mistakes and messages with the reference. In a student's copy 11 failing
  checks show another of the (now fewer) known examples as their counterexample.

Settings made at import must name the profile they refine: a settings object otherwise inherits
whichever profile happened to be loaded when its module was imported (derandomisation and all).
"""
from __future__ import annotations

from typing import Callable, TypeVar

from hypothesis import HealthCheck, Phase, settings

GRADING_PROFILE = "grading"
DEFAULT_EXAMPLES = 25
WHOLE_CASE_EXAMPLES = 10

# No "explain" phase: it re-runs a failing check hundreds of times to annotate which parts of the
# input mattered, which costs a failing submission seconds per check and teaches little here.
# One bug a check: a report shows one failure a check. With several, hypothesis ran every
# explicit example and showed the one whose text is shortest (the confident network where the
# handout's, run before it, failed too), which a student's copy, replaying the known answers'
# examples in order, could not follow; now the first failing one, in the check's order, on both.
settings.register_profile(
    GRADING_PROFILE, derandomize=True, database=None, deadline=None,
    max_examples=DEFAULT_EXAMPLES, print_blob=False, suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink))

F = TypeVar("F", bound=Callable)

_WHOLE_CASES = settings(settings.get_profile(GRADING_PROFILE), max_examples=WHOLE_CASE_EXAMPLES)


def whole_cases(check: F) -> F:
    """Decorate a property check (above or below `@given`) whose every example is a whole drawn
    case: it draws WHOLE_CASE_EXAMPLES of them instead of the profile's DEFAULT_EXAMPLES."""
    return _WHOLE_CASES(check)


def load_grading_profile() -> None:
    settings.load_profile(GRADING_PROFILE)
