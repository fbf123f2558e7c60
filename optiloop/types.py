"""Frozen data that flows between the stages of the loop.

Nothing here runs code or touches the disk; stages build these values and hand them on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class Workload:
    """A shell command that exercises the project, run from ``cwd`` (relative to the project root)."""

    cmd: str
    cwd: str = "."
    env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Hotspot:
    """One of the project's own functions, with the share of workload samples it accounts for.

    ``self_frac`` is addressable time: samples whose innermost project frame is this function
    (its own lines plus the library, standard-library and builtin code it calls directly).
    ``line_heat`` maps line numbers of ``path`` to their share of all samples.
    """

    qualname: str
    path: str  # relative to the repository root, POSIX separators
    line: int
    self_frac: float
    total_frac: float
    line_heat: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True)
class Profile:
    hotspots: tuple[Hotspot, ...]
    samples: int
    raw_path: Path | None = None
    # (class, share of samples) by where each sample's innermost frame is (``profiling.addressable``)
    breakdown: tuple[tuple[str, float], ...] = ()
    addressable: float = 1.0  # share of samples in the project's own (in-scope) Python code


@dataclass(frozen=True)
class Target:
    """A definition chosen for optimization: where it is and what it looks like now."""

    hotspot: Hotspot
    source: str  # the current source of the definition itself
    module_source: str  # the whole module it lives in
    context: str = ""  # extra context for a prompt (callees, callers, imports)
    covering_tests: tuple[str, ...] = ()

    @property
    def qualname(self) -> str:
        return self.hotspot.qualname

    @property
    def path(self) -> str:
        return self.hotspot.path

    @property
    def key(self) -> str:
        return f"{self.hotspot.path}::{self.hotspot.qualname}"


@dataclass(frozen=True)
class Usage:
    """What a model call cost."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    prompt_chars: int = 0  # characters of the prompt the call sent (system and user message); 0 if unknown


HUMAN = "human"  # the author of a person's edit, and its commit's ``Optiloop-Model`` trailer


@dataclass(frozen=True)
class Candidate:
    """A proposed new version of a target.

    ``new_source`` follows the model-reply contract: optional imports and module-level helpers,
    then the complete new definition of the target.
    """

    target: Target
    new_source: str
    rationale: str
    origin: str  # model spec, plus the rule names for builtin candidates
    usage: Usage = field(default_factory=Usage)
    author: str = ""  # who wrote it when not the run's model: HUMAN for a person's edit (its commit's Optiloop-Model)


ChangeKind = Literal["changed", "added", "removed"]


@dataclass(frozen=True)
class Change:
    """One definition a candidate changes, adds or removes: a function, method, class or module-level name."""

    path: str
    qualname: str
    kind: ChangeKind = "changed"


@dataclass(frozen=True)
class Applied:
    """The candidate was written into the module: ``new_module`` replaces the target file's text.

    ``files`` holds every file the candidate changes, with its new text (the target's file among them when it
    changes), and ``changes`` the definitions it changes, adds or removes; both are empty in records written
    before candidates could change several definitions: the target's file and the target alone.
    """

    diff: str
    new_module: str
    ok: Literal[True] = True
    files: tuple[tuple[str, str], ...] = ()
    changes: tuple[Change, ...] = ()

    def written(self, target_path: str) -> dict[str, str]:
        """The files to write: path -> new text."""
        return dict(self.files) if self.files else {target_path: self.new_module}

    def changed(self, target_path: str, qualname: str) -> tuple[Change, ...]:
        """The changed definitions, the target's first when it is among them (the target alone for older
        records)."""
        if not self.changes:
            return (Change(target_path, qualname),)
        own = [c for c in self.changes if (c.path, c.qualname) == (target_path, qualname)]
        return (*own, *(c for c in self.changes if c not in own))


@dataclass(frozen=True)
class Rejected:
    reason: str
    ok: Literal[False] = False


EditResult = Applied | Rejected


@dataclass(frozen=True)
class Check:
    """One check of the gate. ``detail`` is for people; the facts a report or a commit message uses are fields,
    never read back out of it (records written before the fields existed get them from ``optiloop.record``)."""

    name: str
    passed: bool
    detail: str = ""
    replayed: int | None = None  # the replay check: how many real calls it replayed (None: not a replay check)
    weak: bool = False  # the evidence is weak: too few real calls could be replayed (the tests carry it)
    seconds: float | None = None  # a test run that passed: its wall time


@dataclass(frozen=True)
class Measurement:
    """Wall-clock seconds of whole workload runs."""

    samples: tuple[float, ...]
    mean: float
    stdev: float

    @staticmethod
    def of(samples: tuple[float, ...] | list[float]) -> Measurement:
        values = tuple(samples)
        n = len(values)
        mean = sum(values) / n if n else 0.0
        var = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
        return Measurement(values, mean, var**0.5)


def fmt_ratio(value: float) -> str:
    """Two decimals, or three where two would round a bound onto 1.00 and hide which side it is on."""
    return f"{value:.3f}" if 0.995 <= value < 1.005 and value != 1.0 else f"{value:.2f}"


def fmt_seconds(value: float) -> str:
    """A short duration: ``12.3 ms``, ``0.4 s``, ``41 s``."""
    if value < 0.1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"


def fmt_pct(level: float) -> str:
    """A confidence level as a percentage: ``95%``, ``99.65%``."""
    return f"{level * 100:.2f}".rstrip("0").rstrip(".") + "%"


Measure = Literal["time", "cycles"]  # what a verdict rests on: wall time, or simulated cycles (``measure.cycles``)


def fmt_noise(floor: float, rounds: int) -> str:
    """The run's one noise floor figure: ``noise floor 1.04x (A/A, 5 rounds)``."""
    return f"noise floor {fmt_ratio(floor)}x (A/A, {rounds} rounds)"


Outcome = Literal["FASTER", "NOT FASTER", "UNKNOWN"]  # a verdict's three outcomes (UNKNOWN: more samples needed)
# Why a verdict came out as it did (``Verdict.cause``), so nothing has to read it out of the reason's words:
# faster; slower (the interval is below 1.0); below-min-speedup (faster, the interval below --min-speedup);
# not-significant (the interval holds 1.0 and stays below --min-speedup); noise (it holds 1.0 and reaches
# --min-speedup); low-end (faster, the low end below --min-speedup); noise-floor (the point within the run's
# noise); rank-test (the rank test disagrees); not-confirmed (fresh samples did not confirm a first pass);
# failed (the workload failed on the candidate, or the whole run could not be measured)
# In the cycles measure (and for memory in both): wall-time (the wall-time guard found it slower); amdahl (a
# gain far above what the profile allows, which wall time did not point towards); memory (its peak memory grew
# more than --max-memory-growth).
Cause = Literal["faster", "slower", "below-min-speedup", "not-significant", "noise", "low-end", "noise-floor",
                "rank-test", "not-confirmed", "failed", "wall-time", "amdahl", "memory"]


@dataclass(frozen=True)
class Verdict:
    """The outcome of an interleaved A/B comparison. ``speedup`` > 1 means the candidate is faster."""

    speedup: float
    ci_low: float
    ci_high: float
    significant: bool
    accepted: bool
    reason: str
    baseline: Measurement | None = None
    candidate: Measurement | None = None
    rounds: int = 0  # interleaved rounds the reported measurement took
    seconds: float = 0.0  # wall-clock seconds the whole verdict took (confirmation included)
    noise_floor: float | None = None  # the A/A noise floor at this many rounds, when one was measured
    instructions: tuple[int, int] | None = None  # (baseline, candidate) per run, where perf can count
    stopped: str = ""  # "screen", "early" or "full": where the measurement ended
    level: float = 0.95  # confidence level of [ci_low, ci_high]; a sequential look uses a stricter one
    outcome: Outcome | Literal[""] = ""  # "" (hand-made or older verdicts): FASTER if accepted, else NOT FASTER
    predicted: float | None = None  # the workload speedup the profile allows (Amdahl), when the loop gave one
    predicted_bound: bool = False  # ``predicted`` is only the bound 1 / (1 - f) (no local speedup was timed)
    rank_p: float | None = None  # one-sided p-value of the rank test (Mann-Whitney U) of the reported measurement
    measure: Measure = "time"  # what decided: wall time, or simulated cycles (with a wall-time guard)
    cycles: tuple[int, int] | None = None  # (baseline, candidate) simulated cycles per run (cycles measure)
    tolerance: float | None = None  # the A/A tolerance of simulated counts that a cycles verdict allowed for
    peak_memory: tuple[int, int] | None = None  # (baseline, candidate) peak resident bytes of a run, children included
    guard: Verdict | None = None  # cycles measure: the wall-time guard's own verdict (time, not slower?)
    # The plain sentence a person reads first: what was decided and the one number that decided it (``reason``
    # is the statistics behind it). Empty in records written before it existed: ``plain`` stands in.
    headline: str = ""
    cause: Cause | Literal[""] = ""  # "" in older records
    advice: str = ""  # what to do when noise (not the code) kept a gain from being shown; else ""

    def __post_init__(self) -> None:
        if not self.outcome:
            object.__setattr__(self, "outcome", "FASTER" if self.accepted else "NOT FASTER")
        if self.predicted is None and self.predicted_bound:
            object.__setattr__(self, "predicted_bound", False)  # no prediction: nothing is a bound

    @property
    def interval(self) -> str:
        return f"{fmt_ratio(self.ci_low)}-{fmt_ratio(self.ci_high)}"

    @property
    def level_pct(self) -> str:
        return fmt_pct(self.level)

    @property
    def plain(self) -> str:
        """The headline; for an older record without one, a sentence from the numbers alone, which never
        leads with a figure whose interval includes 1.0."""
        if self.headline:
            return self.headline
        if self.accepted:
            return f"Faster: {fmt_ratio(self.speedup)}x."
        if self.speedup > 0 and self.ci_high < 1.0:
            return f"Slower: {fmt_ratio(self.speedup)}x."
        if self.speedup <= 0:
            return "Not measured to the end."
        return "Not accepted: no significant speedup." if self.ci_low <= 1.0 else "Not accepted."


@dataclass(frozen=True)
class Attempt:
    """The record of one step of the loop: one candidate taken as far as it got."""

    number: int
    candidate: Candidate
    edit: EditResult
    checks: tuple[Check, ...] = ()
    verdict: Verdict | None = None
    commit: str | None = None
    declined: str = ""  # why a person (or a caller's decide hook) turned down a measured speedup

    @property
    def accepted(self) -> bool:
        return self.commit is not None

    @property
    def decided_by_verdict(self) -> bool:
        """Whether the measurement is what ended the attempt (not the edit, a check or a person)."""
        return (self.verdict is not None and not self.declined and not isinstance(self.edit, Rejected)
                and all(c.passed for c in self.checks))

    @property
    def headline(self) -> str:
        """Why the attempt ended as it did, in one plain sentence: the verdict's headline when the measurement
        decided it, else the one-line ``reason``."""
        return self.verdict.plain if self.verdict is not None and self.decided_by_verdict else self.reason

    @property
    def statistics(self) -> str:
        """The statistics behind a measured attempt's headline (its verdict's ``reason``), else ""."""
        return self.verdict.reason if self.verdict is not None and self.decided_by_verdict else ""

    @property
    def reason(self) -> str:
        """Why the attempt ended as it did, in one line."""
        if self.declined:
            return self.declined
        if isinstance(self.edit, Rejected):
            return f"did not apply: {self.edit.reason}"
        failed = next((c for c in self.checks if not c.passed), None)
        if failed is not None:
            return f"{failed.name} failed: {failed.detail}"
        if self.verdict is not None:
            return self.verdict.reason
        return "not measured"


@dataclass(frozen=True)
class RunSummary:
    id: str
    branch: str
    attempts: tuple[Attempt, ...]
    budget_used: int
    baseline: Measurement | None
    stop_reason: str
    usage: Usage = field(default_factory=Usage)  # what the model calls of the run cost, in total
    model_calls: int = 0  # calls sent to a model service (retries not counted)
    cache_hits: int = 0  # calls answered from the reply cache, free

    @property
    def accepted(self) -> tuple[Attempt, ...]:
        return tuple(a for a in self.attempts if a.accepted)


# -- what the loop asks a model, and what it is told of spending ------------------------------------


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


@dataclass(frozen=True)
class Spend:
    """What a model has used so far: calls made, calls answered from the cache, tokens and dollars."""

    calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


# -- measuring -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Noise:
    """An A/A measurement (baseline against itself): how large a speedup noise alone shows.

    ``ratio`` is the far end of the A/A's 95% interval (``max(high, 1/low)``) after ``rounds``
    rounds; ``floor(n)`` scales it to ``n`` rounds (the interval narrows as 1/sqrt(n)).
    """

    point: float
    low: float
    high: float
    rounds: int

    @property
    def ratio(self) -> float:
        return max(self.high, 1.0 / self.low if self.low > 0 else math.inf)

    def floor(self, rounds: int) -> float:
        return math.exp(math.log(self.ratio) * math.sqrt(self.rounds / max(1, rounds)))


@dataclass(frozen=True)
class Cost:
    """Events of one simulated run (``measure.cachegrind``), summed over all its processes."""

    instructions: int  # Ir: instructions executed
    accesses: int  # Ir + Dr + Dw: instruction fetches, data reads and data writes
    l1_misses: int  # I1mr + D1mr + D1mw
    ll_misses: int  # ILmr + DLmr + DLmw
    processes: int = 1

    @property
    def cycles(self) -> int:
        """Estimated cycles (the cost model above)."""
        l1_hits = self.accesses - self.l1_misses
        ll_hits = self.l1_misses - self.ll_misses
        return l1_hits + 5 * ll_hits + 35 * self.ll_misses  # see measure/cachegrind.py
