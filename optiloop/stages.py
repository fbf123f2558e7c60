"""The stages the loop talks to, as small interfaces: the loop never reaches past them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from optiloop.measure import Measurer
from optiloop.models import Model
from optiloop.profiling import Profiler
from optiloop.types import Attempt, EditResult, Profile, Target
from optiloop.verify import Verifier


class Place(Protocol):
    """Where candidates are written, run and committed (a ``Workspace``)."""

    branch: str

    def read(self, relpath: str) -> str: ...

    def stage(self, files: dict[str, str]) -> None: ...

    def commit(self, files: dict[str, str], message: str) -> str: ...


class Recorder(Protocol):
    def event(self, kind: str, **data: Any) -> None: ...


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
