"""Sign and scale conventions of a cost and its gradients: detected from the values, never imposed.

Courses disagree on two things a student cannot get wrong by following either consistently:
- the sign: descent on the cross-entropy J, or ascent on the log-likelihood L = -J (the blog's
  `cost` returns sum(T log Y) and its derivatives climb it);
- the scale: summed over the n examples of a batch, or averaged (CS224n 2017 does not say; CS114
  PA6 sums the minibatch gradient where the course's first homework averages it).

Every value here is compared with its *canonical* form, descent on the cross-entropy summed over
the examples; under a convention `c` the value is `canonical * c.factor(n)`. A cost and its
gradients that follow one convention are right; a mix (a log-likelihood cost with cross-entropy
gradients, a summed W gradient beside an averaged b gradient) is a mistake, and `mismatch` says
which half of the convention differs.

With several parts (a cost and four derivative functions) the submission's convention is the
one most of them follow (`consensus`): a mix is charged to the parts that stray from it, not to
the others.

Packs call this from their checks (grader/packs/*/checks); no pack keeps its own copy.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from grader.closeness import all_close


@dataclass(frozen=True)
class Convention:
    objective: str  # "cross-entropy" (trained by descent) or "log-likelihood" (by ascent)
    scale: str      # "summed" or "averaged" over the examples of a batch

    @property
    def sign(self) -> int:
        return 1 if self.objective == "cross-entropy" else -1

    @property
    def direction(self) -> str:
        return "descent" if self.sign > 0 else "ascent"

    def factor(self, n: int) -> float:
        """What the canonical value is multiplied by under this convention, for n examples."""
        return self.sign * (1.0 if self.scale == "summed" else 1.0 / n)

    def of(self, canonical, n: int):
        """The canonical value (cost or gradient) as this convention gives it."""
        return canonical * self.factor(n)

    def step_scale(self, n: int) -> float:
        """How far one training step moves, relative to descent on the summed cross-entropy at the
        same learning rate: ascent on L and descent on J move the same way."""
        return abs(self.factor(n))

    def __str__(self) -> str:
        return f"the {self.objective} {self.scale} over the examples ({self.direction})"

    def as_json(self) -> dict[str, str]:
        return {"objective": self.objective, "scale": self.scale, "direction": self.direction}


CROSS_ENTROPY_SUMMED = Convention("cross-entropy", "summed")
CROSS_ENTROPY_AVERAGED = Convention("cross-entropy", "averaged")
LOG_LIKELIHOOD_SUMMED = Convention("log-likelihood", "summed")
LOG_LIKELIHOOD_AVERAGED = Convention("log-likelihood", "averaged")

# A course that fixes the sign (a cross-entropy to minimise) and leaves the scale open.
SCALES = (CROSS_ENTROPY_SUMMED, CROSS_ENTROPY_AVERAGED)
# A course that leaves both open.
ALL = (CROSS_ENTROPY_SUMMED, CROSS_ENTROPY_AVERAGED, LOG_LIKELIHOOD_SUMMED, LOG_LIKELIHOOD_AVERAGED)


def _close(got, expected, rtol: float, atol: float) -> bool:
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    return got.shape == expected.shape and all_close(got, expected, rtol, atol)


def detect(got, canonical, n: int, *, among: Iterable[Convention] = ALL, rtol: float,
           atol: float) -> Convention | None:
    """The convention under which `got` is `canonical`, or None when it is under none of them.

    With one example (n == 1) summed and averaged agree, and a zero value has no sign: the first
    matching convention of `among` is returned, so order `among` by what the course asks for."""
    for convention in among:
        if _close(got, convention.of(np.asarray(canonical, dtype=np.float64), n), rtol, atol):
            return convention
    return None


def agree(a: Convention, b: Convention, n: int) -> bool:
    """Whether the two conventions give the same values for n examples."""
    return a.factor(n) == b.factor(n)


def mismatch(expected: Convention, got: Convention, n: int) -> str:
    """Which half of the convention differs, in words: "the sign", "the scale", "the sign and the
    scale", or "" when the two agree for n examples."""
    parts = []
    if expected.sign != got.sign:
        parts.append("the sign")
    if expected.scale != got.scale and n > 1:
        parts.append("the scale")
    return " and ".join(parts)


def mix(found: Mapping[str, Convention | None], n: int) -> str | None:
    """A sentence naming the mix when the parts of one submission (a cost, each gradient) follow
    different conventions; None when every part that follows one follows the same."""
    known = {part: c for part, c in found.items() if c is not None}
    groups: dict[float, list[str]] = {}
    for part, convention in known.items():
        groups.setdefault(convention.factor(n), []).append(part)
    if len(groups) < 2:
        return None
    sentences = [f"{_join(parts)} {'follows' if len(parts) == 1 else 'follow'} {known[parts[0]]}"
                 for parts in groups.values()]
    return "a mix of conventions: " + "; ".join(sentences) + "."


def consensus(found: Mapping[str, Convention | None], n: int, *,
              prefer: Iterable[str] = ()) -> Convention | None:
    """The convention most parts of a submission follow (a part that follows none abstains), or
    None when none follows any. A tie goes to the group of the first part of `prefer` in it (say
    the cost, which states the objective), then to the group seen first in `found`. Parts that
    follow another convention than this one are the mix, each named on its own check; what they
    are is for `mismatch` to say."""
    groups: dict[float, list[str]] = {}
    for part, convention in found.items():
        if convention is not None:
            groups.setdefault(convention.factor(n), []).append(part)
    if not groups:
        return None
    order = list(prefer)

    def rank(parts: list[str]) -> tuple[int, int]:
        first = min((order.index(p) for p in parts if p in order), default=len(order))
        return (-len(parts), first)
    best = min(groups.values(), key=rank)  # min() keeps the earliest of equal ranks
    return found[best[0]]


def detect_each(got: Mapping[str, object], canonical: Mapping[str, object], n: int, *,
                among: Iterable[Convention] = ALL, rtol: float,
                atol: float) -> dict[str, Convention | None]:
    """Each part's convention (the blocks of a gradient, say), None where a part follows none. A
    part whose right value is 0 everywhere, and that is 0, follows every convention: it is left
    out, so that it never makes a mix."""
    among = tuple(among)
    found: dict[str, Convention | None] = {}
    for part, value in got.items():
        right = np.asarray(canonical[part], dtype=np.float64)
        if not np.any(right) and np.allclose(np.asarray(value, dtype=np.float64), 0.0, rtol=0,
                                             atol=atol):
            continue
        found[part] = detect(value, right, n, among=among, rtol=rtol, atol=atol)
    return found


def common(found: Mapping[str, Convention | None], n: int) -> Convention | None:
    """The one convention every part follows, or None (a part follows none, or they mix)."""
    if not found or any(c is None for c in found.values()) or mix(found, n):
        return None
    return next(iter(found.values()))


def constant_ratio(got, base, *, rtol: float, atol: float = 0.0,
                   prefer: Iterable[float] = ()) -> float | None:
    """The one number r with got == r * base entry by entry (within rtol and atol), or None when
    no single number makes them agree (a wrong formula), when the shapes differ or when base is 0
    everywhere. The factors in `prefer` are tried first, and returned exactly when they fit (a
    convention's); otherwise the least-squares ratio, as a simple fraction (2, -1, 1/2) when one
    fits as well. This is the one place that asks whether two values differ by a constant: the
    sign and batch conventions (factor_between) and a gradient off by a factor of 2 alike."""
    got = np.asarray(got, dtype=np.float64)
    base = np.asarray(base, dtype=np.float64)
    if got.shape != base.shape or not np.any(np.abs(base) > atol) \
            or not np.all(np.isfinite(got)) or not np.all(np.isfinite(base)):
        return None
    for f in prefer:
        if _close(got, f * base, rtol, atol):
            return float(f)
    r = float(np.dot(got.ravel(), base.ravel()) / np.dot(base.ravel(), base.ravel()))
    if r == 0.0 or not _close(got, r * base, rtol, atol):
        return None
    simple = float(Fraction(r).limit_denominator(12))
    return simple if simple != 0.0 and _close(got, simple * base, rtol, atol) else r


def factor_between(got, base, n: int, *, rtol: float, atol: float = 0.0) -> float | None:
    """The factor f among 1, -1, n, 1/n, -n, -1/n with got == f * base, or None. It tells a
    gradient that is its own cost's derivative with the other sign or scale."""
    candidates = [1.0, -1.0] + ([float(n), 1.0 / n, -float(n), -1.0 / n] if n > 1 else [])
    f = constant_ratio(got, base, rtol=rtol, atol=atol, prefer=candidates)
    return f if f in candidates else None


def is_simple(r: float | None) -> bool:
    """Whether a constant ratio other than 1 is one a slip explains: a small fraction such as -1,
    2, 1/2 or 3. Only such a ratio is named as a mistake: where the values compared are few or
    tied (one example's bias gradient of two classes is [a, -a]), a wrong formula can be some
    other constant times the right one by construction, and naming that constant teaches nothing."""
    if r is None or r == 1.0:
        return False
    fraction = Fraction(r).limit_denominator(4)
    return float(fraction) == r and abs(fraction.numerator) <= 4


def describe_ratio(r: float) -> str:
    """A constant ratio in words, to follow "is": "the negative of", "twice", "1.5 times"."""
    named = {-1.0: "the negative of", 2.0: "twice", 0.5: "half of", -2.0: "-2 times"}
    if r in named:
        return named[r]
    fraction = Fraction(r).limit_denominator(12)
    if float(fraction) == r and fraction.denominator > 1:
        return f"{fraction} of"
    return f"{r:.4g} times"


def describe_factor(f: float, n: int) -> str:
    """The factor in words, e.g. "-1/n = -1/7 times"."""
    if f == 1.0:
        return "exactly"
    sign = "-" if f < 0 else ""
    size = abs(f)
    if size == 1.0:
        return "-1 times (the opposite sign of)"
    if size == float(n):
        return f"{sign}n = {sign}{n} times"
    return f"{sign}1/n = {sign}1/{n} of"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
