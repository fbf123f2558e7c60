"""The stages the loop talks to, as small interfaces: the loop never reaches past them.

This module imports only ``optiloop.types`` and ``optiloop.progress``: reading the loop's interfaces never
pulls in git, libcst, pydantic or a model SDK. The real stages are built in ``optiloop.app``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from optiloop.progress import NO_PROGRESS, Progress
from optiloop.types import (
    Attempt,
    Candidate,
    Change,
    Check,
    Cost,
    EditResult,
    Measurement,
    Noise,
    Profile,
    Request,
    Spend,
    Target,
    Verdict,
)

if TYPE_CHECKING:  # the events are dataclasses of their own (optiloop.record), only named here
    from optiloop.record.events import Event


class Model(Protocol):
    """Proposes candidates for a target. An empty list means: nothing (more) to offer."""

    name: str

    def propose(self, request: Request) -> list[Candidate]: ...


@runtime_checkable
class Explains(Protocol):
    """A model that can say why it has nothing for a target (the builtin catalog: no rule matches)."""

    def nothing_for(self, target: Target) -> str: ...


@runtime_checkable
class Metered(Protocol):
    """A model that counts what it spends (the loop's ``--max-cost`` reads it)."""

    def spent(self) -> Spend: ...


class Profiler(Protocol):
    """Profiles the workload (a ``PySpyProfiler``); ``notes`` says what it could not do as asked (py-spy
    unavailable: the fallback sampler took over)."""

    @property
    def notes(self) -> list[str]: ...

    def profile(self, label: str) -> Profile: ...


class Measurer(Protocol):
    """Measures the staged candidate against the baseline (``InterleavedMeasurer``, ``CyclesMeasurer``)."""

    @property
    def noise(self) -> Noise | None:
        """The run's A/A wall-time noise, once ``baseline`` measured it."""
        ...

    def baseline(self) -> Measurement: ...

    def compare(self, label: str, predicted: float | None = None, target: str | None = None,
                counted: Cost | None = None) -> Verdict:
        """A FASTER / NOT FASTER / UNKNOWN verdict on the staged candidate, confirmed on fresh samples when
        it passes. ``predicted``: the workload speedup the profile allows (Amdahl); ``target``: the target's
        key, so the confirmation grows stricter with each further candidate of the same target; ``counted``:
        the candidate's simulated cost where the verifier already counted it (the cycles measure)."""
        ...

    def total(self, wall: Verdict, base: str | None = None) -> Verdict:
        """The whole run's check (the branch head against the ``base`` commit, staged in the candidate tree) in
        this measure, beside its wall-time verdict ``wall``."""
        ...

    def restore(self, attempts: Sequence[Attempt]) -> None:
        """Take back what a resumed run's recorded attempts mean for later verdicts (how many candidates of
        each target were measured: the confirmation of the next grows stricter)."""
        ...


class Place(Protocol):
    """Where candidates are written, run and committed (a ``Workspace``)."""

    branch: str

    def read(self, relpath: str) -> str: ...

    def stage(self, files: dict[str, str]) -> None: ...

    def commit(self, files: dict[str, str], message: str) -> str: ...


class Verifier(Protocol):
    """The correctness gate on the candidate trees (an executor: ``executors.LocalExecutor``): ``verify``
    before measuring, ``confirm`` before committing."""

    local_speedup: float | None  # the original's replay time over the candidate's, from the last verify
    cost: Cost | None  # the last verified candidate's simulated cost, when the cycles measure counted it

    def verify(self, candidate: Candidate, files: dict[str, str],
               upcoming: Sequence[Candidate] = (), changes: Sequence[Change] = ()) -> tuple[Check, ...]:
        """Checks of ``candidate`` (whose edit writes ``files`` and changes the definitions ``changes``, the
        target's first), stopping at the first that fails; afterwards it is staged in the candidate tree the
        measurer runs. ``upcoming``: the candidates the loop would try next, which an executor may verify
        alongside."""
        ...

    def confirm(self, candidate: Candidate) -> Check:
        """The full test suite on the staged candidate once it has measured faster (a passed Check saying so
        when ``verify`` already ran it); its detail gives the suite's wall time."""
        ...


class Recorder(Protocol):
    """The run record (``record.Journal``): the loop writes its events there."""

    def write(self, event: Event) -> None: ...


Editor = Callable[[str, str, str, str], EditResult]  # (module, qualname, new_source, path)
Decide = Callable[[Attempt], str]  # a measured speedup -> "" to commit it, or why it is declined
TargetFinder = Callable[[Profile, Callable[[str], str]], list[Target]]


@dataclass(frozen=True)
class Stages:
    profiler: Profiler
    find_targets: TargetFinder
    model: Model
    edit: Editor
    verifier: Verifier
    measurer: Measurer
    place: Place
    journal: Recorder
    progress: Progress = NO_PROGRESS  # what the loop is doing, for a status line
