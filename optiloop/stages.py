"""The stages the loop talks to, as small interfaces: the loop never reaches past them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from optiloop.measure import Measurer
from optiloop.measure.cachegrind import Cost
from optiloop.models import Model
from optiloop.profiling import Profiler
from optiloop.progress import NO_PROGRESS, Progress
from optiloop.record.events import Event
from optiloop.types import Attempt, Candidate, Check, EditResult, Profile, Target


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
               upcoming: Sequence[Candidate] = ()) -> tuple[Check, ...]:
        """Checks of ``candidate`` (whose edit writes ``files``), stopping at the first that fails; afterwards
        it is staged in the candidate tree the measurer runs. ``upcoming``: the candidates the loop would try
        next, which an executor may verify alongside."""
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
