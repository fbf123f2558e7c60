"""What the MCP tools return: pydantic models (their JSON schemas are the tools' output schemas), and how the
run's own values become them. Numbers are the ones the run measured; nothing here recomputes them."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel, Field

from optiloop.measure.stats import allowed
from optiloop.profiling.addressable import LABELS, PROJECT, bound
from optiloop.targets import dotted_name
from optiloop.types import Applied, Attempt, Check, Noise, Profile, Target, Verdict

HOT_LINES = 5  # the hottest lines shown per target


class HotLine(BaseModel):
    line: int
    share: float = Field(description="share of all the workload's samples on this line")


class TargetInfo(BaseModel):
    rank: int = Field(description="its place in the ranking, hottest first; `target` arguments may give it")
    target: str = Field(description="path::qualname, the name the other tools take")
    name: str = Field(description="dotted name")
    path: str
    qualname: str
    line: int
    self_share: float = Field(description="addressable share: samples whose innermost project frame is this "
                                          "definition (its own lines and the library code it calls directly)")
    total_share: float = Field(description="share of samples with this definition anywhere on the stack")
    best_speedup: float | None = Field(description="the whole-workload speedup an infinitely fast version of it "
                                                   "would give (Amdahl on total_share); null: unbounded")
    hot_lines: list[HotLine]
    covering_tests: int = Field(description="how many tests exercise it")
    attempts: int = Field(description="candidates evaluated for it so far")
    committed: int = Field(description="of those, committed")


class Elsewhere(BaseModel):
    where: str
    share: float


class ProfileResult(BaseModel):
    run_id: str
    branch: str = Field(description="the branch commits go to; the user's checkout is never touched")
    measure: str = Field(description="what decides a verdict: time (wall time) or cycles (simulated, valgrind)")
    baseline_seconds: float | None = Field(description="mean wall time of one workload run")
    noise_floor: float | None = Field(description="the speedup the baseline shows against itself from noise "
                                                  "alone; no smaller gain is accepted")
    min_speedup: float = Field(description="smallest speedup worth a commit (--min-speedup)")
    samples: int
    addressable_share: float = Field(description="share of the time in the project's own Python code")
    not_addressable: list[Elsewhere] = Field(description="time outside the project's code, never targeted")
    best_possible_speedup: float | None = Field(description="Amdahl bound of any rewrite of the project's "
                                                            "code; null: unbounded")
    unreachable: str | None = Field(description="set when no rewrite can reach min_speedup")
    targets: list[TargetInfo] = Field(description="the hot definitions a candidate may be evaluated for")
    notes: list[str]


class ContextResult(BaseModel):
    target: TargetInfo
    source: str = Field(description="the definition as it is now on the run's branch")
    annotated_source: str = Field(description="the same with each hot line's share of samples as a comment")
    context: str = Field(description="profile summary, imports, module-level names, callers and callees")
    covering_tests: list[str]
    contract: str = Field(description="what a candidate may change and how a reply is written")
    prompt: str = Field(description="what a model would be asked for this target now, with the earlier "
                                    "attempts and their outcomes")


class CheckResult(BaseModel):
    name: str
    passed: bool
    detail: str


class VerdictResult(BaseModel):
    outcome: str = Field(description="FASTER, NOT FASTER or UNKNOWN (more samples needed)")
    headline: str = Field(description="the plain sentence: what was decided and the number that decided it")
    speedup: float = Field(description="whole-workload speedup (>1: faster); cycles measure: fewer cycles")
    ci_low: float
    ci_high: float
    confidence: float
    rounds: int
    measure: str
    statistics: str
    advice: str = Field(description="what to do when noise, not the code, kept a gain from being shown")
    amdahl: float | None = Field(description="the whole-workload speedup the profile allows for this change")
    amdahl_is_bound: bool = Field(description="amdahl is only the bound 1/(1-share): no local speedup was timed")
    baseline_seconds: float | None
    candidate_seconds: float | None
    cycles: list[int] | None = Field(description="simulated cycles per run, baseline then candidate")
    peak_memory: list[int] | None = Field(description="peak resident bytes, baseline then candidate")


class EvaluateResult(BaseModel):
    attempt: int = Field(description="the attempt's number: `commit` takes it")
    target: str
    accepted: bool = Field(description="verified and measured faster: it waits for `commit`")
    headline: str = Field(description="why it ended as it did, in one plain sentence")
    reason: str
    checks: list[CheckResult] = Field(description="every check that ran, cheapest first; the first failure ends it")
    verdict: VerdictResult | None = Field(description="the measurement, when the checks passed")
    diff: str = Field(description="the change to the module, when it applied")
    feedback: str | None = Field(description="on rejection: what a model would be told next for this target")
    next: str


class TargetsAfter(BaseModel):
    targets: list[TargetInfo] = Field(description="the ranking of the new code's profile")


class CommitResult(TargetsAfter):
    attempt: int
    sha: str
    branch: str
    subject: str
    speedup: float


class UndoResult(TargetsAfter):
    sha: str
    attempt: int | None
    branch: str
    head: str


class AttemptInfo(BaseModel):
    attempt: int
    target: str
    origin: str
    outcome: str = Field(description="committed, awaiting commit, declined or rejected")
    headline: str
    commit: str | None


class StatusResult(BaseModel):
    run_id: str
    branch: str
    base: str
    head: str
    evaluations: int
    max_iterations: int
    seconds: float = Field(description="seconds since the baseline was measured")
    time_budget: float | None
    budget_spent: str | None = Field(description="set once no more evaluations are allowed, saying why")
    awaiting_commit: int | None = Field(description="the accepted attempt that waits for `commit`")
    attempts: list[AttemptInfo]
    notes: list[str]


class ReportResult(BaseModel):
    run_id: str
    markdown: str


# -- from the run's values ---------------------------------------------------------------------


def target_info(rank: int, target: Target, attempts: Sequence[Attempt]) -> TargetInfo:
    h = target.hotspot
    hot = sorted(h.line_heat, key=lambda lh: (-lh[1], lh[0]))[:HOT_LINES]
    mine = [a for a in attempts if a.candidate.target.key == target.key]
    best, _ = allowed(h.total_frac, None)
    return TargetInfo(rank=rank, target=target.key, name=dotted_name(h.path, h.qualname), path=h.path,
                      qualname=h.qualname, line=h.line, self_share=h.self_frac, total_share=h.total_frac,
                      best_speedup=_finite(best), hot_lines=[HotLine(line=n, share=s) for n, s in hot],
                      covering_tests=len(target.covering_tests), attempts=len(mine),
                      committed=sum(a.accepted for a in mine))


def target_infos(targets: Sequence[Target], attempts: Sequence[Attempt]) -> list[TargetInfo]:
    return [target_info(rank, t, attempts) for rank, t in enumerate(targets, 1)]


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isinf(value) else value


def elsewhere(profile: Profile) -> list[Elsewhere]:
    return [Elsewhere(where=LABELS.get(c, c), share=s) for c, s in profile.breakdown if c != PROJECT]


def noise_floor(noise: Noise | None) -> float | None:
    return noise.ratio if noise is not None else None


def best_possible(profile: Profile) -> float | None:
    return _finite(bound(profile))


def check_result(check: Check) -> CheckResult:
    return CheckResult(name=check.name, passed=check.passed, detail=check.detail)


def _pair(values: tuple[int, int] | None) -> list[int] | None:
    return list(values) if values is not None else None


def verdict_result(v: Verdict) -> VerdictResult:
    return VerdictResult(outcome=v.outcome or "NOT FASTER", headline=v.plain, speedup=v.speedup, ci_low=v.ci_low,
                         ci_high=v.ci_high, confidence=v.level, rounds=v.rounds, measure=v.measure,
                         statistics=v.reason, advice=v.advice, amdahl=v.predicted, amdahl_is_bound=v.predicted_bound,
                         baseline_seconds=v.baseline.mean if v.baseline is not None else None,
                         candidate_seconds=v.candidate.mean if v.candidate is not None else None,
                         cycles=_pair(v.cycles), peak_memory=_pair(v.peak_memory))


def evaluated(attempt: Attempt, awaiting: bool, feedback: str | None, next_step: str) -> EvaluateResult:
    diff = attempt.edit.diff if isinstance(attempt.edit, Applied) else ""
    return EvaluateResult(attempt=attempt.number, target=attempt.candidate.target.key, accepted=awaiting,
                          headline=attempt.headline, reason=attempt.reason,
                          checks=[check_result(c) for c in attempt.checks],
                          verdict=verdict_result(attempt.verdict) if attempt.verdict is not None else None,
                          diff=diff, feedback=feedback, next=next_step)


def attempt_info(attempt: Attempt, awaiting: bool) -> AttemptInfo:
    outcome = ("committed" if attempt.accepted else "awaiting commit" if awaiting
               else "declined" if attempt.declined else "rejected")
    return AttemptInfo(attempt=attempt.number, target=attempt.candidate.target.key, origin=attempt.candidate.origin,
                       outcome=outcome, headline=attempt.headline, commit=attempt.commit)
