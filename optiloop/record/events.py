"""The events of a run record: one frozen dataclass per kind, the only place a kind's name is spelled.

Each line of ``events.jsonl`` is one event: ``{"event": KIND, "version": VERSION, "time": ..., **fields}``.
Fields hold the values of ``optiloop.types`` as the codec writes them. Fields that were added after a kind
first appeared have defaults, so that older records still read; ``docs/run-record.md`` lists every kind and
field. Imports only ``optiloop.types``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from optiloop.types import Attempt, Cost, Hotspot, Measurement, Spend, Usage, Verdict

VERSION = 1  # the record's schema version; a record written before versions existed reads as version 0
RAW = {"raw": True}  # field metadata: kept as the JSON it is (settings and flags, read back by pydantic)


@dataclass(frozen=True, kw_only=True)
class Event:
    """What every event has: when it was written (seconds since the epoch; set by the journal)."""

    KIND: ClassVar[str] = ""
    time: float = 0.0


@dataclass(frozen=True, kw_only=True)
class RunStarted(Event):
    """A run began (``optiloop run``, ``session``, ``pr``, ``demo``): where, from which commit, with what."""

    KIND: ClassVar[str] = "run_started"
    run_id: str = ""
    repo: str = ""
    subdir: str = ""
    branch: str = ""
    base: str = ""
    settings: dict[str, Any] = field(default_factory=dict, metadata=RAW)
    model: str = ""
    deterministic_output: bool = False
    mode: str = "run"
    measure: str = ""
    measure_why: str = ""


@dataclass(frozen=True, kw_only=True)
class BaselineMeasured(Event):
    KIND: ClassVar[str] = "baseline"
    measurement: Measurement


@dataclass(frozen=True, kw_only=True)
class NoiseFloorMeasured(Event):
    """The A/A measurement of the baseline against itself."""

    KIND: ClassVar[str] = "noise_floor"
    rounds: int = 0
    point: float = 1.0
    low: float = 1.0
    high: float = 1.0
    floor: float = 1.0
    round_seconds: float = 0.0


@dataclass(frozen=True, kw_only=True)
class Profiled(Event):
    """A profile of the workload (``initial``, ``after-3``, ...); its raw stacks are artefacts."""

    KIND: ClassVar[str] = "profile"
    label: str = ""
    samples: int = 0
    hotspots: tuple[Hotspot, ...] = ()
    breakdown: tuple[tuple[str, float], ...] = ()
    addressable: float | None = None  # None in records written before the breakdown existed


@dataclass(frozen=True, kw_only=True)
class Proposed(Event):
    """A model call: what it was asked, how many candidates came back, and the run's spend so far."""

    KIND: ClassVar[str] = "proposals"
    target: str = ""
    model: str = ""
    request: str = ""
    count: int = 0
    usage: tuple[Usage, ...] = ()
    spent: Spend | None = None


@dataclass(frozen=True, kw_only=True)
class CandidateStarted(Event):
    KIND: ClassVar[str] = "candidate"
    number: int = 0
    target: str = ""
    origin: str = ""
    rationale: str = ""
    source: str = ""


@dataclass(frozen=True, kw_only=True)
class Measured(Event):
    """One interleaved measurement (a candidate's, its confirmation's, or a wall-time guard's)."""

    KIND: ClassVar[str] = "measurement"
    label: str = ""
    looks: tuple[int, ...] = ()
    levels: tuple[float, ...] = ()
    screen: int = 0
    rounds: int = 0
    seconds: float = 0.0
    stopped: str = ""
    speedup: float = 0.0
    ci_low: float = 0.0
    ci_high: float = 0.0
    accepted: bool = False
    noise_floor: float | None = None
    instructions: tuple[int, int] | None = None
    outcome: str = ""
    rank_p: float | None = None
    family: int = 0
    share: float = 1.0
    peak_memory: tuple[int, int] | None = None
    guard: bool = False  # the wall-time guard of the cycles measure


@dataclass(frozen=True, kw_only=True)
class CostCalibrated(Event):
    """The cycles measure's A/A count: both trees at ``head``."""

    KIND: ClassVar[str] = "cost_calibration"
    head: str = ""
    baseline: Cost | None = None
    other: Cost | None = None
    difference: float = 0.0
    tolerance: float = 0.0
    seconds: float = 0.0


@dataclass(frozen=True, kw_only=True)
class CostCounted(Event):
    KIND: ClassVar[str] = "cost"
    label: str = ""
    side: str = ""
    cost: Cost | None = None
    cycles: int = 0


@dataclass(frozen=True, kw_only=True)
class Accepting(Event):
    """Written just before a commit, so that a resumed run can record (or make) a commit a kill cut off."""

    KIND: ClassVar[str] = "accepting"
    attempt: Attempt
    message: str


@dataclass(frozen=True, kw_only=True)
class AttemptRecorded(Event):
    """One candidate taken as far as it got. ``accepted`` and ``reason`` repeat the attempt's, for people
    reading the file; ``reconciled``: recorded by a resumed run for a commit a kill left unrecorded."""

    KIND: ClassVar[str] = "attempt"
    attempt: Attempt
    accepted: bool = False
    reason: str = ""
    reconciled: bool = False

    @staticmethod
    def of(attempt: Attempt, reconciled: bool = False) -> AttemptRecorded:
        return AttemptRecorded(attempt=attempt, accepted=attempt.accepted, reason=attempt.reason,
                               reconciled=reconciled)


@dataclass(frozen=True, kw_only=True)
class TotalMeasured(Event):
    """The branch head against the base, measured at the end of a run that committed something."""

    KIND: ClassVar[str] = "total"
    verdict: Verdict
    base: str = ""
    head: str = ""


@dataclass(frozen=True, kw_only=True)
class Note(Event):
    KIND: ClassVar[str] = "note"
    text: str = ""


@dataclass(frozen=True, kw_only=True)
class RunFinished(Event):
    """The run ended: ``error`` is None when it ended normally (else it may be resumed)."""

    KIND: ClassVar[str] = "run_finished"
    error: str | None = None
    stop_reason: str = ""
    accepted: tuple[str | None, ...] = ()
    branch_removed: bool = False  # it committed nothing, so its branch was removed


@dataclass(frozen=True, kw_only=True)
class RunResumed(Event):
    KIND: ClassVar[str] = "run_resumed"
    run_id: str = ""
    head: str = ""
    attempts: int = 0
    accepted: tuple[str | None, ...] = ()
    reconciled: tuple[str, ...] = ()  # what reconciling the branch with the record did
    flags: dict[str, Any] = field(default_factory=dict, metadata=RAW)
    deterministic_output: bool = False


@dataclass(frozen=True, kw_only=True)
class SessionCommand(Event):
    KIND: ClassVar[str] = "session_command"
    command: str = ""
    argument: str = ""


@dataclass(frozen=True, kw_only=True)
class Undone(Event):
    """A commit of the run taken back (``optiloop undo``, or ``undo`` in a session)."""

    KIND: ClassVar[str] = "undo"
    commit: str
    head: str = ""
    branch: str = ""
    forced: bool = False
    message: str = ""


KINDS: dict[str, type[Event]] = {cls.KIND: cls for cls in (
    RunStarted, BaselineMeasured, NoiseFloorMeasured, Profiled, Proposed, CandidateStarted, Measured,
    CostCalibrated, CostCounted, Accepting, AttemptRecorded, TotalMeasured, Note, RunFinished, RunResumed,
    SessionCommand, Undone,
)}
