"""The full correctness gate, cheapest check first: a short sequence of small checks.

parses → hack check (``checks.py``) → imports → replay (and its side effects, and again under a second
hash seed) (``replay.py``) → covering tests (or, without them, the full tests) → workload output
(``checks.py``) → held-out calls (``replay.py``); then, once the candidate has measured faster, ``confirm``
runs the full test suite (unless ``verify`` already did). Every test-suite run is bounded by
``test_timeout`` (``--test-timeout``). Every check that runs user code runs in a subprocess with a timeout
and a memory limit (RLIMIT_AS), in an environment without the parent's secrets and with ``PYTHONHASHSEED``
fixed; tests also get ``random`` seeded through the ``hook/sitecustomize.py`` on their ``PYTHONPATH``. A
candidate that hangs or allocates without bound is killed and rejected with that reason; the run goes on.
See ``docs/verification.md``.

Every fifth captured call is held out: never replayed before the end, so no failure text about it
ever reaches the model; a candidate that passes the calls it was shown and fails a held-out one is
rejected as overfitted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from optiloop.progress import FULL_SUITE, NO_PROGRESS, Progress
from optiloop.types import Candidate, Change, Check, Target, Workload
from optiloop.verify import sites
from optiloop.verify.capture import CallLog, Capturer
from optiloop.verify.checks import CoveringTests, FullTests, HackCheck, ParsesCheck, TestRunner, WorkloadCheck
from optiloop.verify.exchange import Result
from optiloop.verify.replay import (
    HOLD_OUT_EVERY,
    MIN_CALLS,
    OVERFITTED,
    SECOND_SEED,
    WEAK_EVIDENCE,
    HeldOut,
    HeldOutCheck,
    ReplayCheck,
)
from optiloop.verify.replayer import ReplayChild, ReplayLimits, SelfChecks
from optiloop.workspace import Side, Workspace

__all__ = ["HOLD_OUT_EVERY", "MIN_CALLS", "OVERFITTED", "SECOND_SEED", "WEAK_EVIDENCE", "Gate", "GateSettings"]

SHOWN = {"parses": "parsing", "hacks": "hack check", "held-out": "held-out calls"}  # steps on a status line


@dataclass(frozen=True)
class GateSettings:
    """What the gates of a run check against: the same for every candidate tree."""

    tests: str  # the project's test command
    workload: Workload
    expected_stdout: str | None  # the workload's output on the baseline; None when it differs between runs
    timeout: float  # of a workload run (and the capture)
    artifacts: Path  # the run record's artifacts/: captures, replays' scratch files, held-out records
    replay_calls: int = 50  # calls captured per target; 0: no replay
    memory_mb: int | None = 4096
    replay_floor: float = 10.0  # a replay may take this many seconds ...
    replay_factor: float = 20.0  # ... plus this many times the captured calls' own time
    test_timeout: float | None = None  # of a test-suite run; None: ``timeout``


class Gate:
    """Verifies a staged candidate in ``side``'s tree; ``seconds`` holds how long each stage of the last
    ``verify`` took. The gates of ``--jobs`` candidate trees share the baseline tree: captures, self-checks
    and baseline test runs there happen one at a time, under ``baseline_lock``."""

    def __init__(self, workspace: Workspace, settings: GateSettings, side: Side = "candidate",
                 baseline_lock: threading.Lock | None = None, progress: Progress = NO_PROGRESS,
                 coverage: Callable[[], Mapping[str, tuple[str, ...]] | None] = lambda: None) -> None:
        s = settings
        self.coverage = coverage  # the covering tests of the profile's hot definitions, by ``path::qualname``
        self.ws = workspace
        self.settings = settings
        self.side = side
        self.progress = progress
        self.seconds: dict[str, float] = {}
        self.local_speedup: float | None = None  # the original's replay time over the candidate's, last verify
        self._baseline_lock = baseline_lock or threading.Lock()
        self.capturer = Capturer(workspace, s.workload, s.artifacts / "captures", s.replay_calls, s.timeout,
                                 s.memory_mb)
        limits = ReplayLimits(s.replay_floor, s.replay_factor, s.memory_mb)
        child = ReplayChild(workspace, s.workload, s.artifacts / "replays", s.memory_mb)
        self.originals = SelfChecks(child, limits, self._baseline_lock, self._took)
        runner = TestRunner(workspace, s.test_timeout or s.timeout, s.memory_mb)
        self.parses = ParsesCheck(workspace, side)
        self.hacks = HackCheck(workspace, side, s.workload)
        self.replay = ReplayCheck(child, self.originals, limits, side, self.capture, progress)
        self.covering = CoveringTests(runner, s.tests, side, self._baseline_lock)
        self.full = FullTests(runner, s.tests, side)
        self.output = WorkloadCheck(workspace, side, s.workload, s.expected_stdout, s.timeout, s.memory_mb)
        self.held_out = HeldOutCheck(workspace, child, self.originals, limits, side, s.artifacts / "held-out")
        self._held: list[tuple[Target, HeldOut]] = []  # the last verify's held-out calls, for its last step
        self._full: tuple[Candidate, Check] | None = None  # the full suite's passed check, if verify ran it

    def verify(self, candidate: Candidate, changes: Sequence[Change] = ()) -> tuple[Check, ...]:
        """The checks of the staged ``candidate``, cheapest first, up to the first that fails; ``changes``: the
        definitions it changes (the target's alone when empty), every one of which the checks cover."""
        self.seconds, self.local_speedup, self._held, self._full = {}, None, [], None
        steps: tuple[tuple[str, Callable[[Candidate], list[Check]]], ...] = (
            ("parses", lambda c: [self.parses.check(c.target, changes)]),
            ("hacks", lambda c: [self.hacks.check(c.target, changes)]),
            ("replay", lambda c: self._replay(c, changes)), ("tests", lambda c: self._tests(c, changes)),
            ("workload", lambda c: [self.output.check()]), ("held-out", self._held_out))
        checks: list[Check] = []
        for name, step in steps:
            self.progress.doing(SHOWN.get(name, name))
            start = time.perf_counter()
            new = step(candidate)
            self.seconds[name] = time.perf_counter() - start
            checks.extend(new)
            if not all(c.passed for c in new):
                break
        return tuple(checks)

    def _replay(self, candidate: Candidate, changes: Sequence[Change]) -> list[Check]:
        """The target's calls replayed, then those of every other changed definition the workload calls."""
        target = candidate.target
        more = sites.others(target, changes, self.ws.read) if changes else sites.Others((), ())
        checks: list[Check] = []
        if sites.target_replayable(target, more):
            found = self.replay.check(target)
            self.local_speedup = found.local_speedup
            self._held += [(target, found.held_out)] if found.held_out is not None else []
            checks += found.checks
            if not all(c.passed for c in checks):
                return checks
        for other in more.replay:
            log = self.capture(other)
            if log is None or log.calls == 0:
                continue  # the workload does not call it: the tests decide
            found = self.replay.check(other)
            self._held += [(other, found.held_out)] if found.held_out is not None else []
            checks += sites.labelled([c for c in found.checks if c.name != "imports" or not c.passed],
                                     other.qualname)
            if not all(c.passed for c in found.checks):
                return checks
        return checks + ([sites.not_replayed(more.skipped)] if more.skipped else [])

    def _held_out(self, candidate: Candidate) -> list[Check]:
        """The held-out calls of the target and of every other changed definition replayed, up to a failure."""
        checks: list[Check] = []
        for target, held in self._held:
            check = self.held_out.check(replace(candidate, target=target), held)
            own = target == candidate.target
            checks += [check] if own or not check.passed else sites.labelled([check], target.qualname)
            if not check.passed:
                break
        return checks

    def _tests(self, candidate: Candidate, changes: Sequence[Change] = ()) -> list[Check]:
        """The covering tests (of every changed definition) when the runner can select them and they pass on the
        accepted tree; the full suite then waits for ``confirm`` (after measuring). Otherwise the full suite
        runs here."""
        target = sites.covering_union(candidate.target, changes, self.coverage()) if changes else candidate.target
        covering = self.covering.check(target)
        if not covering.full_needed:
            return list(covering.checks)
        full = self.full.check()
        self._full = (candidate, full) if full.passed else None
        return [*covering.checks, full]

    def confirm(self, candidate: Candidate) -> Check:
        """The full test suite on the staged candidate, once it has measured faster; skipped (passed, saying
        so) when ``verify`` already ran it for this candidate. The detail gives the suite's wall time."""
        if self._full is not None and self._full[0] == candidate:
            return self.full.ran_before(self._full[1])
        self.progress.doing(FULL_SUITE)
        start = time.perf_counter()
        check = self.full.check("full suite")
        self.seconds["full suite"] = time.perf_counter() - start
        return check

    def prepare(self, candidate: Candidate, changes: Sequence[Change] = ()) -> None:
        """Make what verifying ``candidate`` reads from the baseline tree (its target's captured calls and the
        original's self-checks under both hash seeds), so gates of other candidate trees only read them."""
        log = self.capture(candidate.target)
        if log is not None:
            self.self_check(candidate.target, log)
            self.self_check(candidate.target, log, SECOND_SEED)

    def capture(self, target: Target) -> CallLog | None:
        """The captured calls of ``target`` on the baseline (made once per baseline commit)."""
        if self.settings.replay_calls <= 0:
            return None
        self.progress.doing("capturing calls")
        start = time.perf_counter()
        with self._baseline_lock:
            log = self.capturer.get(target)
        self._took("capture", time.perf_counter() - start)
        return log

    def self_check(self, target: Target, log: CallLog, seed: str = "0") -> Result:
        """The original replayed against its own capture under ``seed`` (``SelfChecks``)."""
        return self.originals.get(target, log, seed)

    def unstable_calls(self, target: Target, log: CallLog) -> tuple[int, ...]:
        """The captured calls that do not replay reproducibly even on the original; left out of replays."""
        return tuple(self.self_check(target, log).unstable)

    def held_out_record(self, candidate: Candidate) -> Path:
        """Where the specifics of ``candidate``'s held-out failure are written: the run record's
        ``artifacts/held-out/<target>-<hash of the verified module>.json``."""
        return self.held_out.record_path(candidate)

    def _took(self, what: str, seconds: float) -> None:
        self.seconds[what] = self.seconds.get(what, 0.0) + seconds
