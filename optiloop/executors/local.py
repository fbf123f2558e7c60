"""Candidates verified (and, with the cycles measure, counted) on this machine, up to ``--jobs`` at once.

The loop hands over one candidate at a time, in its own order, with the candidates queued behind it. When
the candidate is not ready yet, it and up to ``jobs - 1`` of those behind it are verified together, each in
a candidate worktree of its own (a ``Gate`` per tree), and the call returns once all of them are done: what
the loop does next, measuring wall time, confirming and committing, happens one thing at a time, on a
machine where no other candidate of this run is running. The candidates behind it come back from a cache
(kept per head of the branch: a commit makes the loop ask anew). The count of simulated cycles depends on
what runs, not on when or beside what, so a run makes the same decisions with ``--jobs 1`` and ``--jobs 4``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from optiloop.types import Applied, Candidate, Change, Check, Cost, EditResult

Editor = Callable[[str, str, str, str], EditResult]  # (module, qualname, new_source, path)
Job = tuple[Candidate, dict[str, str], tuple[Change, ...]]  # a candidate, the files it writes, what it changes
CostCounter = Callable[[str, str], "Cost | None"]  # (side, label) -> the cost in that tree, None if uncountable


class SlotGate(Protocol):
    """The gate of one candidate tree (a ``Gate`` with its ``side``)."""

    side: str
    local_speedup: float | None

    def verify(self, candidate: Candidate, changes: Sequence[Change] = ()) -> tuple[Check, ...]: ...

    def confirm(self, candidate: Candidate) -> Check: ...

    def prepare(self, candidate: Candidate, changes: Sequence[Change] = ()) -> None: ...


class Trees(Protocol):
    """The run's worktrees (a ``Workspace``)."""

    def head(self) -> str: ...

    def read(self, relpath: str) -> str: ...

    def stage(self, files: dict[str, str], side: str = "candidate", head: str | None = None) -> None: ...

    def ensure_slots(self, count: int) -> list[str]: ...


@dataclass(frozen=True)
class Evaluation:
    """What verifying one candidate in one tree found."""

    checks: tuple[Check, ...]
    local_speedup: float | None
    cost: Cost | None  # the simulated cost of the workload with the candidate, when it passed and was counted
    slot: int


def digest(files: dict[str, str]) -> str:
    return hashlib.sha1("\0".join(f"{k}\0{v}" for k, v in sorted(files.items())).encode()).hexdigest()[:16]


class LocalExecutor:
    """The loop's verifier: ``verify`` before measuring, ``confirm`` before committing (see the module's doc)."""

    def __init__(self, trees: Trees, make_gate: Callable[[str], SlotGate], editor: Editor, jobs: int = 1,
                 counter: CostCounter | None = None) -> None:
        self.trees = trees
        self.make_gate = make_gate
        self.editor = editor
        self.jobs = max(1, jobs)
        self.counter = counter
        self.gates: list[SlotGate] = [make_gate("candidate")]
        self.local_speedup: float | None = None  # of the last candidate ``verify`` returned
        self.cost: Cost | None = None  # likewise: its simulated cost, counted where it was verified
        self._ready: dict[tuple[str, str], Evaluation] = {}
        self._last: Evaluation | None = None

    def verify(self, candidate: Candidate, files: dict[str, str],
               upcoming: Sequence[Candidate] = (), changes: Sequence[Change] = ()) -> tuple[Check, ...]:
        """The checks of ``candidate`` (whose edit is ``files``, changing the definitions ``changes``), verified
        now together with up to ``jobs - 1`` of ``upcoming`` unless it was verified with an earlier batch;
        afterwards it is staged in the main candidate tree, where the loop measures and confirms it."""
        head = self.trees.head()
        key = (head, digest(files))
        if key not in self._ready:
            self._ready = {}  # an older head's or batch's results are never used again
            self._batch(head, [(candidate, files, tuple(changes)), *self._edits(upcoming)[: self.jobs - 1]])
        found = self._ready.pop(key)
        if found.slot != 0:
            self.trees.stage(files, "candidate", head)
        self._last = found
        self.local_speedup, self.cost = found.local_speedup, found.cost
        return found.checks

    def confirm(self, candidate: Candidate) -> Check:
        """The full suite, in the tree where the last candidate was verified (still staged there)."""
        slot = self._last.slot if self._last is not None else 0
        return self.gates[slot].confirm(candidate)

    def _edits(self, upcoming: Sequence[Candidate]) -> list[Job]:
        if self.jobs <= 1:
            return []
        found = []
        for c in upcoming:
            edit = self.editor(self.trees.read(c.target.path), c.target.qualname, c.new_source, c.target.path)
            if isinstance(edit, Applied):
                found.append((c, edit.written(c.target.path), edit.changed(c.target.path, c.target.qualname)))
        return found

    def _batch(self, head: str, batch: list[Job]) -> None:
        sides = self.trees.ensure_slots(len(batch))
        while len(self.gates) < len(batch):
            self.gates.append(self.make_gate(sides[len(self.gates)]))
        if len(batch) > 1:  # captures and self-checks run once, on the baseline, before the slots need them
            for candidate, _, changes in batch:
                self.gates[0].prepare(candidate, changes)
        for slot, (_, files, _) in enumerate(batch):
            self.trees.stage(files, sides[slot], head)
        if len(batch) == 1:
            results = [self._evaluate(0, *batch[0])]
        else:
            with ThreadPoolExecutor(max_workers=len(batch), thread_name_prefix="optiloop-slot") as pool:
                futures: list[Future[Evaluation]] = [pool.submit(self._evaluate, slot, *job)
                                                     for slot, job in enumerate(batch)]
                results = [f.result() for f in futures]
        for (_, files, _), result in zip(batch, results, strict=True):
            self._ready[(head, digest(files))] = result

    def _evaluate(self, slot: int, candidate: Candidate, files: dict[str, str],
                  changes: tuple[Change, ...] = ()) -> Evaluation:
        gate = self.gates[slot]
        checks = gate.verify(candidate, changes)
        cost = None
        if self.counter is not None and all(c.passed for c in checks):
            cost = self.counter(gate.side, f"cand-{digest(files)}")
        return Evaluation(checks, gate.local_speedup, cost, slot)
