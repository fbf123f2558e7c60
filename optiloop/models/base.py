"""The one interface every model implements, and what a request to it may carry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from optiloop.types import Candidate, Target


@dataclass(frozen=True)
class Feedback:
    """What became of an earlier candidate for the same target: goes into the next prompt."""

    origin: str
    rationale: str
    outcome: str


@dataclass(frozen=True)
class Repair:
    """A candidate that applied but failed the tests or the replay, with the failure text."""

    source: str
    failure: str


@dataclass(frozen=True)
class Refine:
    """The target is the best verified candidate, with its own profile; ``original`` is the definition
    (and profile) it replaces. ``committed`` says whether it was accepted; if not, ``reason`` says why."""

    original: Target
    speedup: float
    committed: bool = True
    reason: str = ""


@dataclass(frozen=True)
class Request:
    target: Target
    history: tuple[Feedback, ...] = ()
    hint: str | None = None
    n: int = 1
    repair: Repair | None = None
    refine: Refine | None = None

    @property
    def kind(self) -> str:
        """The prompt template the request is rendered with."""
        return "refine" if self.refine is not None else "repair" if self.repair is not None else "optimize"


class Model(Protocol):
    """Proposes candidates for a target. An empty list means: nothing (more) to offer."""

    name: str

    def propose(self, request: Request) -> list[Candidate]: ...


@dataclass(frozen=True)
class Spend:
    """What a model has used so far: calls made, calls answered from the cache, tokens and dollars."""

    calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


@runtime_checkable
class Metered(Protocol):
    """A model that counts what it spends (the loop's ``--max-cost`` reads it)."""

    def spent(self) -> Spend: ...
