"""The run record on disk (``.optiloop/runs/<run-id>/``): one frozen dataclass per event kind (``events``),
versioned; one writer (``Journal``) and one reader (``RunLog``, ``find_run``). ``docs/run-record.md``
describes the kinds, their fields and the versions.
"""

from optiloop.record.events import (
    VERSION,
    Accepting,
    AttemptRecorded,
    BaselineMeasured,
    CandidateStarted,
    CostCalibrated,
    CostCounted,
    Event,
    Measured,
    NoiseFloorMeasured,
    Note,
    Profiled,
    Proposed,
    RunFinished,
    RunResumed,
    RunStarted,
    SessionCommand,
    TotalMeasured,
    Undone,
)
from optiloop.record.journal import Journal
from optiloop.record.log import RunLog, all_runs, find_run, run_dirs

__all__ = [
    "VERSION", "Accepting", "AttemptRecorded", "BaselineMeasured", "CandidateStarted", "CostCalibrated",
    "CostCounted", "Event", "Journal", "Measured", "NoiseFloorMeasured", "Note", "Profiled", "Proposed",
    "RunFinished", "RunLog", "RunResumed", "RunStarted", "SessionCommand", "TotalMeasured", "Undone", "all_runs",
    "find_run", "run_dirs",
]
