"""A run as JSON for CI, following ``schema.json`` (documented in ``docs/reports.md``)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from optiloop.report.record import RunRecord, calls_replayed, diff_of, outcome, outcome_counts, target_name
from optiloop.types import Applied, Attempt, Measurement, Verdict

SCHEMA_VERSION = 1


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def _measurement(m: Measurement | None) -> dict[str, Any] | None:
    return None if m is None else {"mean": m.mean, "stdev": m.stdev, "samples": list(m.samples)}


def _verdict(v: Verdict | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "speedup": v.speedup, "ci_low": v.ci_low, "ci_high": v.ci_high, "level": v.level,
        "significant": v.significant, "accepted": v.accepted, "headline": v.plain, "cause": v.cause,
        "advice": v.advice, "reason": v.reason, "rounds": v.rounds,
        "seconds": v.seconds, "noise_floor": v.noise_floor, "stopped": v.stopped,
        "baseline": _measurement(v.baseline), "candidate": _measurement(v.candidate),
        "instructions": list(v.instructions) if v.instructions is not None else None,
        "outcome": v.outcome, "predicted": v.predicted, "predicted_bound": v.predicted_bound,
        "measure": v.measure, "cycles": list(v.cycles) if v.cycles is not None else None,
        "tolerance": v.tolerance, "peak_memory": list(v.peak_memory) if v.peak_memory is not None else None,
        "wall": _verdict(v.guard),
    }  # fmt: skip


def _attempt(a: Attempt, r: RunRecord) -> dict[str, Any]:
    t = a.candidate.target
    u = a.candidate.usage
    return {
        "number": a.number, "target": target_name(a, r.subdir), "path": t.path, "qualname": t.qualname,
        "origin": a.candidate.origin, "rationale": a.candidate.rationale, "outcome": outcome(a, r.undone),
        "accepted": a.commit is not None and a.commit not in r.undone, "commit": a.commit,
        "undone": a.commit is not None and a.commit in r.undone, "headline": a.headline, "reason": a.reason,
        "declined": a.declined,
        "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in a.checks],
        "calls_replayed": calls_replayed(a), "verdict": _verdict(a.verdict),
        "usage": {"input_tokens": u.input_tokens, "output_tokens": u.output_tokens, "cost_usd": u.cost_usd},
        "diff": diff_of(a),
        "changes": [{"path": c.path, "qualname": c.qualname, "kind": c.kind}
                    for c in (a.edit.changed(t.path, t.qualname) if isinstance(a.edit, Applied) else ())],
    }  # fmt: skip


def report_data(r: RunRecord) -> dict[str, Any]:
    total = _verdict(r.total)
    if total is not None:
        total["stale"] = r.total_stale
    return {
        "schema_version": SCHEMA_VERSION,
        "run": {
            "id": r.id, "started": _iso(r.started), "finished": _iso(r.finished), "repo": r.repo,
            "subdir": r.subdir, "mode": r.mode, "branch": r.branch, "branch_removed": r.branch_removed, "base": r.base,
            "model": r.model,
            "status": r.status, "error": r.error, "stop_reason": r.stop_reason, "resumed": r.resumed,
            "settings": r.settings, "notes": list(r.notes),
        },
        "baseline": _measurement(r.baseline),
        "noise_floor": None if r.noise is None else {
            "rounds": r.noise.rounds, "floor": r.noise.floor, "low": r.noise.low, "high": r.noise.high},
        "total": total,
        "cost": {"usd": r.spend.cost_usd, "input_tokens": r.spend.input_tokens,
                 "output_tokens": r.spend.output_tokens, "model_calls": r.model_calls, "cache_hits": r.cache_hits,
                 "median_prompt_chars": r.prompt_chars},
        "counts": {"attempts": len(r.attempts), "accepted": len(r.accepted), "rejected": len(r.rejected),
                   "undone": sum(1 for a in r.attempts if a.commit in r.undone),
                   "outcomes": dict(outcome_counts(r.attempts, r.undone))},
        "attempts": [_attempt(a, r) for a in r.attempts],
        "profiles": [{
            "label": p.label, "samples": p.samples, "raw": str(p.raw) if p.raw else None,
            "speedscope": str(p.speedscope) if p.speedscope else None,
            "hotspots": [{"qualname": h.qualname, "path": h.path, "line": h.line, "self_frac": h.self_frac,
                          "total_frac": h.total_frac} for h in p.hotspots],
        } for p in r.profiles],
    }  # fmt: skip


def render_json(r: RunRecord) -> str:
    return json.dumps(report_data(r), indent=2, default=str) + "\n"


def verdict_data(v: Verdict | None) -> dict[str, Any] | None:
    """A verdict as this report has it (``$defs/verdict`` of ``schema.json``), for other JSON outputs."""
    return _verdict(v)
