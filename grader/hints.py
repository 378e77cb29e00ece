"""Recognised mistakes: the engine's half of a pack's hint catalogue.

A pack names the mistakes its checks can recognise, each once, in a `Catalogue` of `Mistake`s
(grader/packs/cs224n_a1/hints.py). A check that sees the evidence of one raises
`CheckFailure(message, hint=HINTS["id"])`, or, when the mistake costs nothing (a warning), calls
`report.flag(HINTS["id"])`. The report then carries the mistake's id on the check and its title and
explanation once, in `SubmissionResult.mistakes`. A mistake is recognised from what the checks
measured, never from the submission's source text.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal, final

SEVERITIES = ("error", "warning")


@final
@dataclass(frozen=True)
class Mistake:
    """One named mistake. `title` is one line a student reads first; `explanation` says what goes
    wrong and what to do instead. Severity "warning": it costs no points (the handout allows it, or
    it is beyond what the assignment asks)."""

    id: str
    title: str
    explanation: str
    severity: Literal["error", "warning"] = "error"

    def __post_init__(self) -> None:
        where = f"mistake {self.id!r}"
        if not self.id.isidentifier():
            raise ValueError(f"{where}: the id must be a Python identifier")
        if not self.title.strip() or "\n" in self.title:
            raise ValueError(f"{where}: the title must be one non-empty line")
        if not self.explanation.strip():
            raise ValueError(f"{where}: the explanation is empty")
        if self.severity not in SEVERITIES:
            raise ValueError(f"{where}: severity {self.severity!r} is not one of {SEVERITIES}")

    def to_dict(self) -> dict[str, str]:
        return {"title": self.title, "explanation": self.explanation, "severity": self.severity}


@final
class Catalogue(Mapping[str, Mistake]):
    """A pack's mistakes by id, validated when the pack is imported: ids are unique."""

    def __init__(self, pack: str, mistakes: Iterable[Mistake]) -> None:
        self.pack = pack
        self._by_id: dict[str, Mistake] = {}
        for mistake in mistakes:
            if not isinstance(mistake, Mistake):
                raise TypeError(f"pack {pack}: catalogue entry {mistake!r} is not a Mistake")
            if mistake.id in self._by_id:
                raise ValueError(f"pack {pack}: mistake id {mistake.id!r} is listed twice")
            self._by_id[mistake.id] = mistake

    def __getitem__(self, mistake_id: str) -> Mistake:
        try:
            return self._by_id[mistake_id]
        except KeyError:
            raise KeyError(f"pack {self.pack} has no mistake {mistake_id!r}; known: "
                           f"{', '.join(sorted(self._by_id))}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)
