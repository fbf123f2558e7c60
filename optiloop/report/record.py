"""One run as its record on disk says it went: a typed, read-only view for reports and listings.

Everything here comes from ``.optiloop/runs/<run-id>/``: ``events.jsonl``, ``summary.json`` when present,
and the artefacts. Nothing is measured again: numbers are the ones the run recorded.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from optiloop.errors import BadInput
from optiloop.journal import from_jsonable, runs_dir
from optiloop.targets import dotted_name
from optiloop.types import Applied, Attempt, Hotspot, Measurement, Rejected, Usage, Verdict

Status = Literal["running", "finished", "failed", "killed", "interrupted"]
KILLED = ("KeyboardInterrupt", "interrupted")  # errors of a run stopped by Ctrl-C or SIGTERM
_REPLAYED = re.compile(r"^(\d+) real call")


@dataclass(frozen=True)
class ProfileRecord:
    """One profile of the run: its label (``initial``, ``after-3``, ...), hotspots and raw stacks."""

    label: str
    samples: int
    hotspots: tuple[Hotspot, ...]
    raw: Path | None  # collapsed stacks (``frame;frame;... count`` lines), when the artefact exists
    speedscope: Path | None


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

    @staticmethod
    def load(run_dir: Path) -> RunRecord:
        return _load(run_dir)


def calls_replayed(attempt: Attempt) -> int | None:
    """How many real calls the replay check replayed, when it ran and passed."""
    for check in attempt.checks:
        if check.name == "replay" and check.passed:
            match = _REPLAYED.match(check.detail)
            return int(match.group(1)) if match else 0
    return None


def diff_of(attempt: Attempt) -> str:
    return attempt.edit.diff if isinstance(attempt.edit, Applied) else ""


def _when(value: Any) -> datetime | None:
    return datetime.fromtimestamp(float(value), timezone.utc) if isinstance(value, (int, float)) else None


def _held(run_dir: Path) -> bool:
    """Whether a live optiloop process holds the run's lock (``resume.holder``), this one included (a run that
    reports on itself while it goes on: ``optiloop mcp``'s ``report``)."""
    from optiloop.resume import holder, mine

    return holder(run_dir) is not None or mine(run_dir)


def _spend(events: list[dict[str, Any]], summary: dict[str, Any] | None) -> tuple[Usage, int, int]:
    """The run's model spend: the last ``proposals`` event's running total, else ``summary.json``."""
    spent = next((e.get("spent") for e in reversed(events) if e["event"] == "proposals" and e.get("spent")), None)
    if isinstance(spent, dict):
        usage = Usage(int(spent.get("input_tokens", 0)), int(spent.get("output_tokens", 0)),
                      float(spent.get("cost_usd", 0.0)))
        return usage, int(spent.get("calls", 0)), int(spent.get("cache_hits", 0))
    if summary is not None and isinstance(summary.get("usage"), dict):
        u = summary["usage"]
        return (Usage(int(u.get("input_tokens", 0)), int(u.get("output_tokens", 0)), float(u.get("cost_usd", 0.0))),
                int(summary.get("model_calls", 0)), int(summary.get("cache_hits", 0)))
    return Usage(), 0, 0


def _profiles(run_dir: Path, events: list[dict[str, Any]]) -> tuple[ProfileRecord, ...]:
    out = []
    for e in events:
        if e["event"] != "profile":
            continue
        label = str(e.get("label", ""))
        raw = run_dir / "artifacts" / "profiles" / f"{label}.txt"
        scope = run_dir / "artifacts" / "profiles" / f"{label}.speedscope.json"
        hotspots = tuple(h for h in from_jsonable(e.get("hotspots", [])) if isinstance(h, Hotspot))
        out.append(ProfileRecord(label, int(e.get("samples", 0)), hotspots, raw if raw.is_file() else None,
                                 scope if scope.is_file() else None))
    return tuple(out)


def _status(events: list[dict[str, Any]], run_dir: Path) -> tuple[Status, str, str]:
    """(status, error, stop reason). A run is finished when its last start has a ``run_finished``; without
    one it is running while a live process holds its lock, else it was interrupted (killed hard)."""
    last_start = max((i for i, e in enumerate(events) if e["event"] in ("run_started", "run_resumed")), default=-1)
    end = next((e for e in reversed(events[last_start + 1:]) if e["event"] == "run_finished"), None)
    if end is None:
        return ("running" if _held(run_dir) else "interrupted"), "", ""
    error = str(end.get("error") or "")
    status: Status = "killed" if error in KILLED else "failed" if error else "finished"
    return status, error, str(end.get("stop_reason") or "")


def read_events(path: Path) -> list[dict[str, Any]]:
    """The events of a run; a last line cut short by a kill is left out, damage elsewhere is an error."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    events = []
    for i, line in enumerate(lines):
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            if i == len(lines) - 1:
                break
            raise BadInput(f"the run record {path} is damaged at line {i + 1}: {exc.msg}",
                           "the run cannot be reported") from None
        if isinstance(event, dict) and "event" in event:
            events.append(event)
    return events


def _load(run_dir: Path) -> RunRecord:
    path = run_dir / "events.jsonl"
    if not path.is_file():
        raise BadInput(f"{run_dir} holds no run record (no events.jsonl)", "pass the directory of one run")
    events = read_events(path)
    try:
        attempts = tuple(from_jsonable(e["attempt"]) for e in events if e["event"] == "attempt")
    except (KeyError, TypeError) as exc:
        raise BadInput(f"the run record {path} holds an attempt it cannot read: {exc}",
                       "the run cannot be reported") from None
    summary: dict[str, Any] | None = None
    if (run_dir / "summary.json").is_file():
        try:
            summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            summary = None
    start = next((e for e in events if e["event"] == "run_started"), {})
    status, error, stop = _status(events, run_dir)
    if not stop and summary is not None:
        stop = str(summary.get("stop_reason") or "")
    baseline_event = next((e for e in events if e["event"] == "baseline"), None)
    baseline = from_jsonable(baseline_event["measurement"]) if baseline_event else None
    noise_event = next((e for e in events if e["event"] == "noise_floor"), None)
    noise = Noise(int(noise_event.get("rounds", 0)), float(noise_event.get("floor", 1.0)),
                  float(noise_event.get("low", 1.0)), float(noise_event.get("high", 1.0))) if noise_event else None
    undo_at = [i for i, e in enumerate(events) if e["event"] == "undo" and e.get("commit")]
    undone = frozenset(str(events[i]["commit"]) for i in undo_at)
    total_at = max((i for i, e in enumerate(events) if e["event"] == "total" and e.get("verdict")), default=-1)
    total = from_jsonable(events[total_at]["verdict"]) if total_at >= 0 else None
    spend, calls, hits = _spend(events, summary)
    finished = next((e for e in reversed(events) if e["event"] == "run_finished"), None)
    return RunRecord(
        id=run_dir.name,
        dir=run_dir,
        started=_when(start.get("time")),
        finished=_when(finished.get("time")) if finished else None,
        repo=str(start.get("repo", "")),
        subdir=str(start.get("subdir", "")),
        mode=str(start.get("mode", "run")),
        branch=str(start.get("branch", f"optiloop/{run_dir.name}")),
        base=str(start.get("base", "")),
        model=str(start.get("model", "")),
        settings=dict(start.get("settings") or {}),
        status=status,
        error=error,
        stop_reason=stop,
        baseline=baseline if isinstance(baseline, Measurement) else None,
        noise=noise,
        attempts=attempts,
        undone=undone,
        total=total if isinstance(total, Verdict) else None,
        total_stale=total_at >= 0 and any(i > total_at for i in undo_at),
        spend=spend,
        model_calls=calls,
        cache_hits=hits,
        profiles=_profiles(run_dir, events),
        notes=tuple(str(e.get("text", "")) for e in events if e["event"] == "note"),
        branch_removed=bool(finished.get("branch_removed")) if finished else False,
        resumed=sum(1 for e in events if e["event"] == "run_resumed"),
        events=len(events),
    )


def run_dirs(repo_root: Path) -> list[Path]:
    """The run directories of a repository, newest first (run ids start with a UTC time stamp)."""
    where = runs_dir(repo_root)
    if not where.is_dir():
        return []
    return sorted((p for p in where.iterdir() if (p / "events.jsonl").is_file()), key=lambda p: p.name, reverse=True)


def find_run(repo_root: Path, run_id: str) -> Path:
    """The directory of run ``run_id`` (or ``last``, or a unique prefix); BadInput when there is none."""
    dirs = run_dirs(repo_root)
    if not dirs:
        raise BadInput(f"no optiloop runs recorded in {repo_root}", "start one with `optiloop run`")
    if run_id == "last":
        return dirs[0]
    exact = [d for d in dirs if d.name == run_id]
    if exact:
        return exact[0]
    matches = [d for d in dirs if d.name.startswith(run_id)] if run_id else []
    if len(matches) == 1:
        return matches[0]
    hint = "see `optiloop runs` for the recorded ids" if not matches else \
        f"it matches {len(matches)} runs; give more of the id"
    raise BadInput(f"no run '{run_id}' recorded in {repo_root}", hint)


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
    if not v.cause:  # a record written before verdicts had a cause: its reason's first words are all there is
        return next((name for prefix, name in _LEGACY_OUTCOMES if v.reason.startswith(prefix)), "not faster")
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
_LEGACY_OUTCOMES = (
    ("quick screen", "stopped at the quick screen"),
    ("unknown", "unknown (budget ran out)"),
    ("not confirmed a second time", "not confirmed"),
    ("not confirmed", "not confirmed"),
    ("slower", "slower"),
    ("not significant", "not significant"),
    ("faster but below", "below the threshold"),
    ("the workload failed", "workload failed"),
)


def outcome_counts(attempts: tuple[Attempt, ...], undone: frozenset[str] = frozenset()) -> list[tuple[str, int]]:
    """How many attempts ended each way, most common first."""
    counts = Counter(outcome(a, undone) for a in attempts)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def fmt_when(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC") if when is not None else "?"


def fmt_cost(usd: float) -> str:
    return f"${usd:.4f}" if usd < 1 else f"${usd:.2f}"
