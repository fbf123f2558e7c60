"""The one interface every model implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from optiloop.types import Candidate, Target


@dataclass(frozen=True)
class Feedback:
    """What became of an earlier candidate for the same target: goes into the next prompt."""

    origin: str
    rationale: str
    outcome: str


@dataclass(frozen=True)
class Request:
    target: Target
    history: tuple[Feedback, ...] = ()
    hint: str | None = None
    n: int = 1


class Model(Protocol):
    """Proposes candidates for a target. An empty list means: nothing (more) to offer."""

    name: str

    def propose(self, request: Request) -> list[Candidate]: ...
