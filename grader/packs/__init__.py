"""Assignment packs: what an assignment requires, where it lives, its reference, and its checks.

A pack is data (a `Pack`) plus a folder of pytest checks; the engine knows nothing else about an
assignment. Adding a course's assignment means adding a pack here, not changing the engine.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from grader.model import VISIBILITIES


@dataclass(frozen=True)
class FunctionSpec:
    """A function students write: its name, the points it is worth, and the file it normally lives
    in (the module name in the original multi-file layout)."""

    name: str
    points: float
    home: str
    signature: str = ""


@dataclass(frozen=True)
class Pack:
    name: str
    title: str
    functions: tuple[FunctionSpec, ...]
    checks_dir: Path
    default_reference: Path | None = None  # where a source checkout keeps the instructor's solution
    default_visibility: str = "visible"
    # Further modules of the original layout that students' files import but that are not graded
    # (a course's provided helpers); a submission that lacks one still loads (grader/worker/loader.py).
    provided_modules: tuple[str, ...] = ()
    # The reference's outputs on the public inputs (grader/known_answers.py): what a student's
    # copy, which has no reference, compares values with. Made by `autograde known-answers`.
    known_answers: Path | None = None

    def __post_init__(self) -> None:
        names = [f.name for f in self.functions]
        if len(set(names)) != len(names):
            raise ValueError(f"pack {self.name}: a function is listed twice in {names}")
        if any(f.points <= 0 for f in self.functions):
            raise ValueError(f"pack {self.name}: every function must be worth more than 0 points")
        if self.default_visibility not in VISIBILITIES:
            raise ValueError(f"pack {self.name}: visibility {self.default_visibility!r} is not one of "
                             f"{VISIBILITIES}")
        if not self.checks_dir.is_dir():
            raise ValueError(f"pack {self.name}: no checks folder at {self.checks_dir}")

    def function(self, name: str) -> FunctionSpec:
        for spec in self.functions:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def homes(self) -> dict[str, str]:
        return {f.name: f.home for f in self.functions}

    @property
    def layout(self) -> tuple[str, ...]:
        """Every module name of the original layout: the graded functions' homes, then the rest."""
        return tuple(dict.fromkeys([f.home for f in self.functions] + list(self.provided_modules)))

    @property
    def max_score(self) -> float:
        return sum(f.points for f in self.functions)


BUILTIN_PACKS = {"cs224n-a1": "grader.packs.cs224n_a1"}
DEFAULT_PACK = "cs224n-a1"


def load_pack(name: str = DEFAULT_PACK) -> Pack:
    if name not in BUILTIN_PACKS:
        raise KeyError(f"unknown assignment pack {name!r}; known: {', '.join(sorted(BUILTIN_PACKS))}")
    return importlib.import_module(BUILTIN_PACKS[name]).PACK
