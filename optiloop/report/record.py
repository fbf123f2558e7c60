"""One run as its record on disk says it went: a typed, read-only view for reports and listings.

Everything here comes from ``.optiloop/runs/<run-id>/``, read through ``record.RunLog``: the events,
``summary.json`` when present, and the artefacts. Nothing is measured again: numbers are the ones the run
recorded.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from optiloop.record import (
    BaselineMeasured,
    NoiseFloorMeasured,
    Note,
    Profiled,
    Proposed,
    RunFinished,
    RunLog,
    RunResumed,
    RunStarted,
    TotalMeasured,
    Undone,
)
from optiloop.targets import dotted_name
from optiloop.types import Applied, Attempt, Hotspot, Measurement, Rejected, Usage, Verdict

Status = Literal["running", "finished", "failed", "killed", "interrupted"]
KILLED = ("KeyboardInterrupt", "interrupted")  # errors of a run stopped by Ctrl-C or SIGTERM


@dataclass(frozen=True)
class ProfileRecord:
    """One profile of the run: its label (``initial``, ``after-3``, ...), hotspots and raw stacks."""

    label: str
    samples: int
    hotspots: tuple[Hotspot, ...]
    raw: Path | None  # collapsed stacks (``frame;frame;... count`` lines), when the artefact exists
    speedscope: Path | None
    breakdown: tuple[tuple[str, float], ...] = ()  # (class, share of samples): ``profiling.addressable``
    addressable: float | None = None  # share in the project's own code; None in records older than it


@dataclass(frozen=True)
class Noise:
    """The A/A noise floor of the run's baseline."""

    rounds: int
    floor: float
    low: float
    high: float


@dataclass(frozen=True)
class RunRecord:
    id: str
    dir: Path
    started: datetime | None
    finished: datetime | None
    repo: str
    subdir: str
    mode: str
    branch: str
    base: str
    model: str
    settings: dict[str, Any]
    status: Status
    error: str
    stop_reason: str
    baseline: Measurement | None
    noise: Noise | None
    attempts: tuple[Attempt, ...]
    undone: frozenset[str]  # commits taken back by ``optiloop undo``
    total: Verdict | None  # base against the branch head, measured at the end of the run
    total_stale: bool  # an undo came after the total was measured
    spend: Usage
    model_calls: int
    cache_hits: int
    profiles: tuple[ProfileRecord, ...]
    notes: tuple[str, ...] = ()
    branch_removed: bool = False  # the run committed nothing, so it removed its branch at the end
    resumed: int = 0
    events: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def accepted(self) -> tuple[Attempt, ...]:
        """Attempts whose commit is still on the branch (committed, not undone)."""
        return tuple(a for a in self.attempts if a.commit is not None and a.commit not in self.undone)

    @property
    def rejected(self) -> tuple[Attempt, ...]:
        return tuple(a for a in self.attempts if a.commit is None)

    @property
    def cost(self) -> float:
        return self.spend.cost_usd

    @property
    def prompt_chars(self) -> int | None:
        """The median prompt size of the run, in characters (``median_prompt_chars``)."""
        return median_prompt_chars(self.attempts)

    @staticmethod
    def load(run_dir: Path) -> RunRecord:
        return _record(RunLog.read(run_dir))

    @staticmethod
    def of(log: RunLog) -> RunRecord:
        return _record(log)


def median_prompt_chars(attempts: Sequence[Attempt]) -> int | None:
    """The median size in characters of the prompts the run's candidates came from (system and first user
    message); None when no candidate says (the builtin model sends no prompt; records from before it was kept)."""
    sizes = [a.candidate.usage.prompt_chars for a in attempts if a.candidate.usage.prompt_chars > 0]
    return int(statistics.median(sizes)) if sizes else None


def calls_replayed(attempt: Attempt) -> int | None:
    """How many real calls the replay check replayed, when it ran and passed."""
    return next((c.replayed for c in attempt.checks if c.name == "replay" and c.passed), None)


def diff_of(attempt: Attempt) -> str:
    return attempt.edit.diff if isinstance(attempt.edit, Applied) else ""


def _when(value: float) -> datetime | None:
    return datetime.fromtimestamp(value, timezone.utc) if value else None


def _held(run_dir: Path) -> bool:
    """Whether a live optiloop process holds the run's lock (``resume.holder``), this one included (a run that
    reports on itself while it goes on: ``optiloop mcp``'s ``report``)."""
    from optiloop.resume import holder, mine

    return holder(run_dir) is not None or mine(run_dir)


def _summary(run_dir: Path) -> dict[str, Any] | None:
    """``summary.json``, a file derived from the events at the end of a run, when it is there and reads."""
    try:
        data = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _spend(log: RunLog, summary: dict[str, Any] | None) -> tuple[Usage, int, int]:
    """The run's model spend: the last ``proposals`` event's running total, else ``summary.json``."""
    spent = next((e.spent for e in reversed(log.all(Proposed)) if e.spent is not None), None)
    if spent is not None:
        return Usage(spent.input_tokens, spent.output_tokens, spent.cost_usd), spent.calls, spent.cache_hits
    if summary is not None and isinstance(summary.get("usage"), dict):
        u = summary["usage"]
        return (Usage(int(u.get("input_tokens", 0)), int(u.get("output_tokens", 0)), float(u.get("cost_usd", 0.0))),
                int(summary.get("model_calls", 0)), int(summary.get("cache_hits", 0)))
    return Usage(), 0, 0


def _profiles(log: RunLog) -> tuple[ProfileRecord, ...]:
    out = []
    for e in log.all(Profiled):
        raw = log.dir / "artifacts" / "profiles" / f"{e.label}.txt"
        scope = log.dir / "artifacts" / "profiles" / f"{e.label}.speedscope.json"
        out.append(ProfileRecord(e.label, e.samples, e.hotspots, raw if raw.is_file() else None,
                                 scope if scope.is_file() else None, e.breakdown, e.addressable))
    return tuple(out)


def _status(log: RunLog) -> tuple[Status, str, str]:
    """(status, error, stop reason). A run is finished when its last start has a ``run_finished``; without
    one it is running while a live process holds its lock, else it was interrupted (killed hard)."""
    events = log.events
    last_start = max((i for i, e in enumerate(events) if isinstance(e, (RunStarted, RunResumed))), default=-1)
    end = next((e for e in reversed(events[last_start + 1:]) if isinstance(e, RunFinished)), None)
    if end is None:
        return ("running" if _held(log.dir) else "interrupted"), "", ""
    error = end.error or ""
    status: Status = "killed" if error in KILLED else "failed" if error else "finished"
    return status, error, end.stop_reason


def _total(log: RunLog) -> tuple[Verdict | None, bool]:
    """The last whole-run verdict, and whether an undo came after it was measured."""
    events = log.events
    total_at = max((i for i, e in enumerate(events) if isinstance(e, TotalMeasured)), default=-1)
    if total_at < 0:
        return None, False
    total = events[total_at]
    assert isinstance(total, TotalMeasured)
    return total.verdict, any(isinstance(e, Undone) and e.commit for e in events[total_at + 1:])


def _record(log: RunLog) -> RunRecord:
    summary = _summary(log.dir)
    start = log.start
    status, error, stop = _status(log)
    if not stop and summary is not None:
        stop = str(summary.get("stop_reason") or "")
    baseline = log.first(BaselineMeasured)
    noise = log.first(NoiseFloorMeasured)
    total, stale = _total(log)
    spend, calls, hits = _spend(log, summary)
    finished = log.ended
    return RunRecord(
        id=log.id,
        dir=log.dir,
        started=_when(start.time),
        finished=_when(finished.time) if finished else None,
        repo=start.repo,
        subdir=start.subdir,
        mode=start.mode,
        branch=start.branch or f"optiloop/{log.id}",
        base=start.base,
        model=start.model,
        settings=dict(start.settings),
        status=status,
        error=error,
        stop_reason=stop,
        baseline=baseline.measurement if baseline else None,
        noise=Noise(noise.rounds, noise.floor, noise.low, noise.high) if noise else None,
        attempts=tuple(log.attempts()),
        undone=frozenset(c for c in log.undone if c),
        total=total,
        total_stale=stale,
        spend=spend,
        model_calls=calls,
        cache_hits=hits,
        profiles=_profiles(log),
        notes=tuple(n.text for n in log.all(Note)),
        branch_removed=log.branch_removed,
        resumed=len(log.all(RunResumed)),
        events=len(log.events),
    )


def branch_text(r: RunRecord) -> str:
    """The run's branch, or what became of it: ``optiloop/<id>``, ``optiloop/<id> (removed: nothing was
    committed)``."""
    return f"{r.branch} (removed: nothing was committed)" if r.branch_removed else r.branch


def target_name(attempt: Attempt, subdir: str = "") -> str:
    t = attempt.candidate.target
    return dotted_name(t.path, t.qualname, subdir)


def outcome(attempt: Attempt, undone: frozenset[str] = frozenset()) -> str:
    """A short class of how an attempt ended: ``accepted``, ``undone``, ``slower``, ``tests failed``, ..."""
    if attempt.commit is not None:
        return "undone" if attempt.commit in undone else "accepted"
    if attempt.declined:
        return "declined"
    if isinstance(attempt.edit, Rejected):
        return "did not apply"
    failed = next((c for c in attempt.checks if not c.passed), None)
    if failed is not None:
        return f"{failed.name} failed"
    v = attempt.verdict
    if v is None:
        return "not measured"
    if v.stopped == "screen":
        return "stopped at the quick screen"
    if v.outcome == "UNKNOWN":
        return "unknown (budget ran out)"
    return _OUTCOMES.get(v.cause, "not faster")


_OUTCOMES = {
    "not-confirmed": "not confirmed",
    "slower": "slower",
    "not-significant": "not significant",
    "noise": "not significant",
    "below-min-speedup": "below the threshold",
    "low-end": "below the threshold",
    "noise-floor": "below the threshold",
    "rank-test": "below the threshold",
    "failed": "workload failed",
}
def outcome_counts(attempts: tuple[Attempt, ...], undone: frozenset[str] = frozenset()) -> list[tuple[str, int]]:
    """How many attempts ended each way, most common first."""
    counts = Counter(outcome(a, undone) for a in attempts)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def fmt_when(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC") if when is not None else "?"


def fmt_cost(usd: float) -> str:
    return f"${usd:.4f}" if usd < 1 else f"${usd:.2f}"
