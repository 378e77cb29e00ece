"""How a score is computed: small pure functions over check outcomes.

A check earns all its points when it passes and none otherwise. A check of weight 0 is advisory:
it reports (through the warnings) but never costs points. A function's score is the sum of its
checks; the submission's score is the sum of its functions. Points of checks that were skipped
(because they need the instructor's reference) are counted in max_score and reported apart.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from grader.model import CheckResult, FunctionResult


def check_score(status: str, max_score: float) -> float:
    return max_score if status == "passed" else 0.0


def distribute(total: float, weights: Mapping[str, float]) -> dict[str, float]:
    """Split `total` points over checks in proportion to their weights, to the hundredth, so that
    the parts add up to `total` exactly (largest remainders get the leftover hundredths)."""
    if not weights:
        return {}
    weight_sum = sum(weights.values())
    if weight_sum <= 0 or any(w < 0 for w in weights.values()):
        raise ValueError("check weights must be non-negative and add up to more than zero")
    cents = round(total * 100)
    exact = {name: cents * w / weight_sum for name, w in weights.items()}
    parts = {name: int(value) for name, value in exact.items()}
    leftover = cents - sum(parts.values())
    by_remainder = sorted(exact, key=lambda n: (-(exact[n] - parts[n]), n))
    for name in by_remainder[:leftover]:
        parts[name] += 1
    return {name: c / 100 for name, c in parts.items()}


def summarise_function(name: str, checks: Iterable[CheckResult]) -> FunctionResult:
    checks = list(checks)
    score = round(sum(c.score for c in checks), 2)
    max_score = round(sum(c.max_score for c in checks), 2)
    skipped = round(sum(c.max_score for c in checks if c.status == "skipped"), 2)
    # Advisory checks (0 points) never make a function look failed.
    failing = [c for c in checks if c.status not in ("passed", "skipped") and c.max_score > 0]
    if not failing:
        summary = "all checks passed" if score else "no check ran"
    elif all(c.message == failing[0].message for c in failing) and len(failing) > 1:
        summary = failing[0].message.splitlines()[0] if failing[0].message else failing[0].status
    else:
        ran = [c for c in checks if c.status != "skipped" and c.max_score > 0]
        summary = f"{len(failing)} of {len(ran)} checks failed: " + ", ".join(c.name for c in failing)
    return FunctionResult(name, score, max_score, skipped, summary)


def total(functions: Iterable[FunctionResult]) -> tuple[float, float]:
    functions = list(functions)
    return (round(sum(f.score for f in functions), 2), round(sum(f.max_score for f in functions), 2))
