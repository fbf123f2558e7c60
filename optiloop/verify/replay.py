"""The checks made of replayed real calls: imports, replay (with its side effects and a second hash seed),
and the held-out calls.

One replay child imports the candidate's module and replays the target's captured calls: the ``imports``
check judges the import, ``ReplayCheck`` the calls. Every fifth captured call is held out: never replayed
before the end, so no failure text about it ever reaches the model; ``HeldOutCheck`` replays them last,
and a candidate that passes the calls it was shown and fails a held-out one is rejected as overfitted.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from optiloop.journal import write_atomic
from optiloop.progress import Progress
from optiloop.types import Candidate, Check, Target
from optiloop.verify.capture import CallLog
from optiloop.verify.exchange import Result
from optiloop.verify.replayer import (
    ChildRun,
    ReplayChild,
    ReplayLimits,
    SelfChecks,
    local_speedup,
    replay_failure,
    secs,
    without_marks,
)
from optiloop.workspace import Side, Workspace

WEAK_EVIDENCE = "weak evidence"  # marks a replay Check whose detail rests on few real calls
MIN_CALLS = 5
HOLD_OUT_EVERY = 5  # every 5th captured call is held out
SECOND_SEED = "1"
# the one detail of every held-out failure: nothing about which call failed, nor how
OVERFITTED = ("overfitted: passes the real calls it was checked on, but not the ones held out (calls from the same "
              "workload that are never shown to the model, not even in failure feedback; what differed is only in "
              "the run record, artifacts/held-out/)")


def imports_check(run: ChildRun, budget: float, memory_mb: int | None) -> Check:
    """Whether the candidate's module imported in the replay child ``run``, from the candidate's tree."""
    result, done = run.result, run.done
    if result.imported:
        why = f"{run.module} imports from the candidate tree"
    elif result.import_error:
        why = result.import_error
    elif done.timed_out:
        why = f"timed out after {secs(budget)} while importing {run.module}"
    elif run.out_of_memory:
        why = f"exceeded the memory limit of {memory_mb} MB while importing {run.module}"
    else:
        why = without_marks(done.tail()) or f"exit code {done.returncode}"
    return Check("imports", result.imported, why)


def evidence_check(log: CallLog | None, result: Result, unstable: int) -> Check:
    """The passed replay check: how many real calls replayed the same (``unstable`` were left out), and
    whether that is weak evidence (fewer than ``MIN_CALLS``, or none at all with ``replay_calls`` 0)."""
    replayed = result.replayed if log is not None else 0
    weak = replayed < MIN_CALLS
    if log is None:
        text = f"skipped: replay_calls is 0 ({WEAK_EVIDENCE}: no real calls were replayed)"
    else:
        text = (f"{replayed} real call(s) replayed with the same results, exceptions and argument state "
                f"(the workload made {log.total}")
        skipped = log.skipped + result.skipped
        text += f"; {skipped} could not be serialised" if skipped else ""
        text += f"; {unstable} left out: they do not replay reproducibly even on the original)" if unstable else ")"
        if weak:
            why = f": {log.problem}" if log.problem else ""
            text += f"; {WEAK_EVIDENCE}: fewer than {MIN_CALLS} calls could be replayed{why}"
    return Check("replay", True, text, replayed=replayed, weak=weak)


@dataclass(frozen=True)
class HeldOut:
    """The calls ``ReplayCheck`` kept back for ``HeldOutCheck`` (numbered from 1 in ``log``)."""

    log: CallLog
    calls: tuple[int, ...]


@dataclass(frozen=True)
class Replayed:
    """What ``ReplayCheck`` found: its checks, the original's replay time over the candidate's, and the
    held-out calls still to replay (None when there are none)."""

    checks: tuple[Check, ...]
    local_speedup: float | None = None
    held_out: HeldOut | None = None


class ReplayCheck:
    """The shown calls (all but the held-out ones and those that do not replay reproducibly even on the
    original) replayed against ``side``'s tree: same results, exceptions and argument state, no effects or
    output the original does not have, and the same results again under ``SECOND_SEED``."""

    def __init__(self, child: ReplayChild, originals: SelfChecks, limits: ReplayLimits, side: Side,
                 capture: Callable[[Target], CallLog | None], progress: Progress) -> None:
        self.child = child
        self.originals = originals
        self.limits = limits
        self.side = side
        self.capture = capture
        self.progress = progress

    def check(self, target: Target) -> Replayed:
        log = self.capture(target)
        self.progress.doing("replay")
        original = self.originals.get(target, log) if log is not None else Result()
        unstable = original.unstable
        held = [n for n in range(HOLD_OUT_EVERY, log.calls + 1, HOLD_OUT_EVERY) if n not in unstable] if log else []
        left_out = sorted({*unstable, *held})
        budget = self.limits.budget(log)
        run = self.child.run(target, log, self.side, budget, skip=left_out)
        imports = imports_check(run, budget, self.limits.memory_mb)
        if not imports.passed:
            return Replayed((imports,))
        failure = replay_failure(run, budget, log, original, self.limits)
        if failure is not None:
            kind, detail = failure
            return Replayed((imports, Check("side effects" if kind == "side effects" else "replay", False, detail)))
        checks = [imports, evidence_check(log, run.result, len(unstable))]
        if log is not None and run.result.replayed:
            checks.append(self.second_seed(target, log, left_out, budget))
        return Replayed(tuple(checks), local_speedup(original, run.result),
                        HeldOut(log, tuple(held)) if log is not None and held else None)

    def second_seed(self, target: Target, log: CallLog, left_out: list[int], budget: float) -> Check:
        """The shown calls again under another ``PYTHONHASHSEED``: a candidate whose results change with
        the seed where the original's do not lets set or dict order leak out."""
        unstable = self.originals.get(target, log, SECOND_SEED).unstable
        run = self.child.run(target, log, self.side, budget, SECOND_SEED, skip=sorted({*left_out, *unstable}))
        if run.result.mismatch:
            passed, detail = False, (f"order-dependent: under PYTHONHASHSEED={SECOND_SEED}, {run.result.mismatch} "
                                     "(the original's results do not change)")
        elif not run.result.done:
            passed, detail = False, (f"the replay under PYTHONHASHSEED={SECOND_SEED} failed: "
                                     f"{without_marks(run.done.tail()) or run.done.returncode}")
        else:
            passed, detail = True, f"same results under PYTHONHASHSEED={SECOND_SEED}"
        return Check("hash seed", passed, detail)


class HeldOutCheck:
    """The held-out calls, under both hash seeds. Every way they can fail (result, exception, argument
    state, side effects or output, hash seed, a hang, a crash) gives the same detail, which says nothing
    about the calls: what differed goes only to the run record (``record_path``), which no prompt reads."""

    def __init__(self, workspace: Workspace, child: ReplayChild, originals: SelfChecks, limits: ReplayLimits,
                 side: Side, records: Path) -> None:
        self.ws = workspace
        self.child = child
        self.originals = originals
        self.limits = limits
        self.side = side
        self.records = records  # the run record's artifacts/held-out/

    def check(self, candidate: Candidate, held: HeldOut) -> Check:
        target, log = candidate.target, held.log
        calls = list(held.calls)
        problem, replayed = self.problem(target, log, calls, "0")
        if problem is None:
            stable = [n for n in calls if n not in self.originals.get(target, log, SECOND_SEED).unstable]
            problem, _ = self.problem(target, log, stable, SECOND_SEED) if stable else (None, 0)
        if problem is not None:
            self.record(candidate, calls, problem)
        return Check("held-out calls", problem is None, OVERFITTED if problem is not None else (
            f"{replayed} held-out real call(s) replayed the same, also under PYTHONHASHSEED={SECOND_SEED}"))

    def problem(self, target: Target, log: CallLog, calls: list[int], seed: str) -> tuple[dict[str, str] | None, int]:
        """What went wrong replaying only ``calls`` under ``seed`` (None if nothing), and how many replayed."""
        keep = set(calls)
        skip = [n for n in range(1, log.calls + 1) if n not in keep]
        budget = self.limits.budget(log)
        run = self.child.run(target, log, self.side, budget, seed, skip=skip)
        failure = replay_failure(run, budget, log, self.originals.get(target, log, seed), self.limits)
        if failure is None:
            return None, run.result.replayed
        kind, detail = failure
        kind = "hash seed" if kind == "results" and seed != "0" else kind
        return {"kind": kind, "detail": detail, "hash_seed": seed}, run.result.replayed

    def record_path(self, candidate: Candidate) -> Path:
        """Where the specifics of ``candidate``'s held-out failure are written:
        ``<records>/<target>-<hash of the verified module>.json``."""
        target = candidate.target
        module = self.ws.read(target.path, self.side)
        digest = hashlib.sha1(f"{target.key}\n{module}".encode()).hexdigest()[:12]
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", target.qualname)[:60]
        return self.records / f"{slug}-{digest}.json"

    def record(self, candidate: Candidate, held: list[int], problem: dict[str, str]) -> None:
        """Write what the held-out replay found to the run record (never to a check's detail)."""
        path = self.record_path(candidate)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"target": candidate.target.key, "qualname": candidate.target.qualname, "origin": candidate.origin,
                  "rationale": candidate.rationale, "source": candidate.new_source, "held_out_calls": held, **problem}
        write_atomic(path, json.dumps(record, indent=2) + "\n")
