"""Candidates verified (and counted) on a Ray cluster: ``--executor ray`` (``pip install 'optiloop[ray]'``).

The head (the process running the loop) takes a candidate and up to ``jobs - 1`` of those queued behind it,
as ``LocalExecutor`` does, and sends each to the cluster as a Ray task (``remote.evaluate``). What a worker
needs travels through Ray itself: the repository as git bundles in the object store (the run branch once,
then the commits since, after each commit), and in the task's arguments the edit, the gate's settings, the
run's environment (without secrets beyond ``pass_env``), the setup command and the captured calls.

Captured calls and the original's self-checks are made on the head's baseline (``Gate.prepare``) and shipped
to the workers, not made again on each: they are what every candidate of a target is judged against, so
one capture per target and head keeps every candidate's replay, held-out calls and unstable calls exactly
what a local run would use, whichever worker replays them (a capture on a worker would run the workload
once more per candidate, and a call that replays unreproducibly might fall differently there); and they
are small (``--replay-calls`` calls of one function).

Results come back in the loop's order, whichever worker finishes first; measuring wall time, confirming
and committing stay on the head, one thing at a time. A task whose worker dies, or that outlives its
deadline, is tried once more (spread over the cluster); failing again, its candidate is given a failed
``worker`` check and the run goes on. ``progress`` shows the tasks queued, running and done per worker.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optiloop import proc
from optiloop.errors import BadInput
from optiloop.executors.local import Editor, LocalExecutor, SlotGate, digest
from optiloop.executors.remote import Done, Job, Shipped, evaluate, failed, worker_name
from optiloop.progress import NO_PROGRESS, Progress
from optiloop.record import CostCounted, Journal, Note
from optiloop.types import Candidate, Change, Check
from optiloop.verify.checks import FullTests
from optiloop.workspace import Workspace

INSTALL_HINT = "install it with `pip install 'optiloop[ray]'`, or pass --executor local"
POLL = 0.5  # seconds between looks at the tasks in flight (and redraws of the progress)


def connect(address: str | None) -> Any:
    """The ``ray`` module, connected to the cluster at ``address`` (``--ray-address``, else ``RAY_ADDRESS``);
    ``BadInput`` when Ray is not installed, no address is known or the cluster cannot be reached."""
    try:
        import ray
    except ImportError:
        raise BadInput("--executor ray needs Ray, which is not installed", INSTALL_HINT) from None
    address = address or os.environ.get("RAY_ADDRESS")
    if not address:
        raise BadInput("--executor ray needs the address of a Ray cluster",
                       "pass --ray-address HOST:PORT or set RAY_ADDRESS (start one with `ray start --head`)")
    if ray.is_initialized():
        return ray
    if (why := unreachable(address)) is not None:  # ray.init would retry for minutes
        raise BadInput(f"cannot reach the Ray cluster at {address}: {why}",
                       "start one with `ray start --head`, or fix --ray-address / RAY_ADDRESS")
    try:
        ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False, namespace="optiloop")
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise BadInput(f"cannot reach the Ray cluster at {address}: {str(exc).splitlines()[0] if str(exc) else exc}",
                       "start one with `ray start --head`, or fix --ray-address / RAY_ADDRESS") from None
    return ray


def unreachable(address: str, timeout: float = 5.0) -> str | None:
    """Why nothing answers at a ``HOST:PORT`` address (None when something does, or the address has another
    form, e.g. ``ray://``, which Ray itself checks)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "/" in host:
        return None
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        return exc.strerror or str(exc) or type(exc).__name__
    return None


def describe(address: str | None) -> str:
    """The run's first line about the cluster (``connect`` first)."""
    ray = connect(address)
    return (f"verifying candidates on the Ray cluster at {address or os.environ.get('RAY_ADDRESS')} "
            f"({cluster_cpus(ray)} CPUs)")


def cluster_cpus(ray: Any) -> int:
    """The CPUs of the cluster: ``--jobs`` when it is not given."""
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


@dataclass(frozen=True)
class RayOptions:
    """What the executor needs besides its stages: the cluster, the run's settings a worker uses."""

    ray: Any  # the connected ``ray`` module
    jobs: int
    setup: tuple[str, float] | None
    count_timeout: float | None  # simulated cycles are counted (within this many seconds) on the workers
    deadline: float  # seconds a task may take before it is given up and tried again


class RayExecutor(LocalExecutor):
    """The loop's verifier on a Ray cluster: ``LocalExecutor``'s batches, evaluated by cluster workers."""

    def __init__(self, trees: Workspace, make_gate: Callable[[str], SlotGate], editor: Editor, options: RayOptions,
                 shipped: Callable[[], Shipped], journal: Journal, progress: Progress = NO_PROGRESS) -> None:
        super().__init__(trees, make_gate, editor, options.jobs, None)
        self.repo = trees
        self.options = options
        self.ray = options.ray
        self.shipped = shipped  # what a job's run shares, made when the first batch is sent
        self.journal = journal
        self.progress = progress
        self.tasks = Tasks(options.ray, options.deadline, progress, lambda text: journal.write(Note(text=text)))
        self._run: Shipped | None = None
        self._base: tuple[str, Any] | None = None  # (commit, the bundle of the branch at it in the object store)
        self._tip: tuple[str, Any] | None = None  # (head, the bundle of the commits since the base)

    def confirm(self, candidate: Candidate) -> Check:
        """The full suite, on the head's candidate tree where ``verify`` staged the candidate; a passed check
        saying so when the worker already ran it (as a local gate would)."""
        ran = [c for c in self._last.checks if c.name == "tests" and c.passed] if self._last is not None else []
        return FullTests.ran_before(ran[-1]) if ran else self.gates[0].confirm(candidate)

    def _batch(self, head: str, batch: list[tuple[Candidate, dict[str, str], tuple[Change, ...]]]) -> None:
        for candidate, _, changes in batch:  # captures and self-checks, on the head's baseline, once per target
            self.gates[0].prepare(candidate, changes)
        base, tip = self._bundles(head)
        jobs = [self._job(head, candidate, files, changes) for candidate, files, changes in batch]
        done = self.tasks.run(jobs, base, tip)
        for (_, files, _), job, result in zip(batch, jobs, done, strict=True):
            self._took(job, result, files)

    def _took(self, job: Job, result: Done | str, files: dict[str, str]) -> None:
        """Keep what a task found (or why it failed), and write what the record gets from it."""
        if isinstance(result, str):
            found = failed(result)
        else:
            found = result.evaluation
            for name, data in result.artifacts.items():
                path = self.journal.artifact(f"held-out/{name}")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            if found.cost is not None:
                self.journal.write(CostCounted(label=job.label, side="candidate", cost=found.cost,
                                               cycles=found.cost.cycles))
        self._ready[(job.head, digest(files))] = found

    def _job(self, head: str, candidate: Candidate, files: dict[str, str], changes: tuple[Change, ...]) -> Job:
        if self._run is None:
            self._run = self.shipped()
        assert self._base is not None
        return Job(self._run, self._base[0], head, candidate, files, self._captures(candidate),
                   self.options.count_timeout, f"cand-{digest(files)}", changes)

    def _captures(self, candidate: Candidate) -> dict[str, bytes]:
        """The files of the target's capture at the current head (calls, meta, the original's self-checks)."""
        gate: Any = self.gates[0]
        where = Path(gate.capturer.dir) / gate.capturer.key(candidate.target)
        if not where.is_dir():
            return {}
        return {f"{where.name}/{p.name}": p.read_bytes() for p in sorted(where.iterdir()) if p.is_file()}

    def _bundles(self, head: str) -> tuple[Any, Any]:
        """The object-store refs of the branch at the first head (made once) and of the commits since."""
        if self._base is None:
            self._base = (head, self.ray.put(self._bundle(self.repo.branch)))
        if self._base[0] == head or self._behind(head, self._base[0]):  # e.g. a session's undo
            return self._base[1], self.ray.put(b"")
        if self._tip is None or self._tip[0] != head:
            self._tip = (head, self.ray.put(self._bundle(self.repo.branch, f"^{self._base[0]}")))
        return self._base[1], self._tip[1]

    def _behind(self, head: str, base: str) -> bool:
        """Whether ``head`` is already in the first bundle (an ancestor of its commit)."""
        repo = self.repo.repo
        return bool(repo.is_ancestor(repo.commit(head), repo.commit(base)))

    def _bundle(self, *revs: str) -> bytes:
        """``git bundle create`` of ``revs`` from the user's repository (read only; written to a temporary file)."""
        with tempfile.TemporaryDirectory(prefix="optiloop-bundle-") as tmp:
            path = Path(tmp) / "run.bundle"
            self.repo.repo.git.bundle("create", "-q", str(path), *revs)
            return path.read_bytes()


def shipped_run(trees: Workspace, gate: Any, setup: tuple[str, float] | None) -> Shipped:
    """What every job of the run shares (``gate``: the ``GateSettings``)."""
    bin_dir = trees.root / "bin"
    shims = {p.name: p.read_text(encoding="utf-8") for p in sorted(bin_dir.iterdir())} if bin_dir.is_dir() else {}
    return Shipped(trees.run_id, trees.subdir, str(Path(trees.repo.working_dir)), str(trees.root), proc.HOOKS_ROOT,
                   dict(trees.env), shims, setup, gate)


@dataclass
class Flight:
    """One task in flight: its job, the attempt (0, then 1 for the retry), when it was sent."""

    index: int
    job: Job
    attempt: int
    sent: float


class Tasks:
    """Sends jobs to the cluster and waits for all of them, each retried once when its worker dies or it
    outlives ``deadline``; shows the tasks queued, running and done per worker on ``progress``."""

    def __init__(self, ray: Any, deadline: float, progress: Progress, note: Callable[[str], None]) -> None:
        self.ray = ray
        self.note = note  # told of each task tried again
        self.deadline = deadline
        self.progress = progress
        self.board: Any = None
        self._remote: Any = None
        self.done_by: dict[str, int] = {}  # finished tasks per worker, over the run
        self.seconds: list[float] = []  # each finished task's time on its worker, over the run
        self._shown = ""

    def run(self, jobs: Sequence[Job], base: Any, tip: Any) -> list[Done | str]:
        """The result of each job (in ``jobs``' order): a ``Done``, or why it failed twice."""
        self._start()
        results: list[Done | str | None] = [None] * len(jobs)
        flights: dict[Any, Flight] = {}
        for i, job in enumerate(jobs):
            flight = Flight(i, job, 0, time.monotonic())
            flights[self._send(flight, base, tip)] = flight
        try:
            while flights:
                ready, _ = self.ray.wait(list(flights), num_returns=1, timeout=POLL)
                for ref in ready:
                    flight = flights.pop(ref)
                    self._finished(flight, ref, base, tip, flights, results)
                for ref, flight in list(flights.items()):
                    if time.monotonic() - flight.sent > self.deadline:
                        self.ray.cancel(ref, force=True)
                        flights.pop(ref)
                        self._failed(flight, f"timed out after {self.deadline:.0f} s", base, tip, flights, results)
                self._show(len(jobs), flights)
        except BaseException:  # an interrupt: nothing this run sent goes on running on the cluster
            for ref in flights:
                self.ray.cancel(ref, force=True)
            raise
        return [r if r is not None else "no result" for r in results]

    def _finished(self, flight: Flight, ref: Any, base: Any, tip: Any, flights: dict[Any, Flight],
                  results: list[Done | str | None]) -> None:
        try:
            done: Done = self.ray.get(ref)
        except self.ray.exceptions.RayError as exc:
            self._failed(flight, _why(exc), base, tip, flights, results)
            return
        self.done_by[done.worker] = self.done_by.get(done.worker, 0) + 1
        self.seconds.append(done.seconds)
        results[flight.index] = done

    def _failed(self, flight: Flight, why: str, base: Any, tip: Any, flights: dict[Any, Flight],
                results: list[Done | str | None]) -> None:
        if flight.attempt == 0:
            self.note(f"the Ray worker evaluating a candidate for {flight.job.candidate.target.key} "
                      f"({flight.job.label}) failed ({why}); evaluating it once more")
            again = Flight(flight.index, flight.job, 1, time.monotonic())
            flights[self._send(again, base, tip)] = again
            return
        results[flight.index] = f"the Ray worker evaluating it failed twice (the last time: {why})"

    def _send(self, flight: Flight, base: Any, tip: Any) -> Any:
        options: dict[str, Any] = {"max_retries": 0, "num_cpus": 1}
        if flight.attempt:
            options["scheduling_strategy"] = "SPREAD"
        return self._remote.options(**options).remote(flight.job, base, tip, self.board)

    def _start(self) -> None:
        if self._remote is not None:
            return
        self._remote, board = _definitions(self.ray)
        self.board = board.remote()

    def _show(self, total: int, flights: dict[Any, Flight]) -> None:
        """``ray: 1 queued, 2 running, 5 done · host:123 running 1, done 3 · ...``"""
        try:
            running: dict[str, str] = self.ray.get(self.board.running.remote(), timeout=5)
        except self.ray.exceptions.RayError:
            return
        keys = {f.job.label for f in flights.values()}
        now = {label: worker for label, worker in running.items() if label in keys}
        workers = sorted(set(now.values()) | set(self.done_by))
        per = " · ".join(f"{w} running {sum(1 for x in now.values() if x == w)}, done {self.done_by.get(w, 0)}"
                         for w in workers)
        shown = (f"ray: {len(flights) - len(now)} queued, {len(now)} running, {sum(self.done_by.values())} done"
                 + (f" · {per}" if per else ""))
        if shown != self._shown:  # ``doing`` restarts the status line's clock: only when something changed
            self.progress.doing(shown)
            self._shown = shown


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}".rstrip(": ")


def evaluate_task(job: Job, base: bytes, tip: bytes, board: Any) -> Done:
    """The Ray task (``ray.remote`` of it is made once Ray is imported): says where it runs, then evaluates."""
    board.started.remote(job.label, worker_name())
    return evaluate(job, base, tip)


class Board:
    """A Ray actor: which worker runs which task (by label), as the workers report it."""

    def __init__(self) -> None:
        self._running: dict[str, str] = {}

    def started(self, label: str, worker: str) -> None:
        self._running[label] = worker

    def running(self) -> dict[str, str]:
        return dict(self._running)


def _definitions(ray: Any) -> tuple[Any, Any]:
    """The remote function and the progress board's actor class (Ray is optional: made once it is imported)."""
    return ray.remote(max_retries=0)(evaluate_task), ray.remote(num_cpus=0)(Board)
