"""What a Ray worker does with one candidate: the worker's half of ``executors.ray`` (no Ray import here).

A ``Job`` carries everything the worker needs besides the repository: the candidate and its edit, the
gate's settings, the run's environment (already without the parent's secrets: ``baseline.run_env``), the
setup command, the captured calls of the target with the original's self-checks (made on the head's
baseline, see ``ray.py`` for why), and whether to count cycles. The repository comes as git bundles from
Ray's object store: the branch at the first head the executor saw, and the commits since (empty when
none). ``evaluate`` builds (or reuses) a ``Place`` — a clone of the bundles with the run's two worktrees,
set up as on the head — stages the candidate, runs the ``Gate`` and the cycles count there, and returns a
``Done``.

The clone is made at a path of the same length as the head's repository, so a simulated count, which the
length of the paths reaches, is the count the head would have made. A worker process keeps its place
between tasks of one run (a Ray worker runs one task at a time); a new run's first task drops another
run's place.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import git

from optiloop import proc
from optiloop.executors.local import Evaluation
from optiloop.measure.cachegrind import CountError
from optiloop.measure.cycles import count_side
from optiloop.types import Candidate, Change, Check, Cost
from optiloop.verify import Gate, GateSettings
from optiloop.workspace import Workspace

ROOT_PREFIX = "olray-"  # short: the clone's path can then match the length of most repositories


@dataclass(frozen=True)
class Shipped:
    """What a job's run shares: which run, where it lives on the head, how its trees are made and run."""

    run_id: str
    subdir: str
    repo_path: str  # the head's repository root: the worker's clone gets a path of the same length
    head_root: str  # the head's ``Workspace.root``: paths in ``env`` under it point into the worker's root
    hooks_root: str  # the head's ``proc.HOOKS_ROOT``: optiloop's hooks on ``PYTHONPATH`` move to the worker's
    env: dict[str, str]  # the run's environment (no secrets beyond pass_env)
    shims: dict[str, str]  # the head's ``<root>/bin`` (the interpreter's shims), by name
    setup: tuple[str, float] | None  # the setup command and its timeout
    gate: GateSettings


@dataclass(frozen=True)
class Job:
    """One candidate to evaluate at ``head``."""

    run: Shipped
    base: str  # the commit the first bundle's branch is at
    head: str
    candidate: Candidate
    files: dict[str, str]  # its edit: paths relative to the repository's root
    captures: dict[str, bytes]  # artifacts/captures/<key>/<name> of the head, by "<key>/<name>"
    count_timeout: float | None  # count simulated cycles (within this many seconds) when the checks pass
    label: str  # the count's label, as the local executor names it
    changes: tuple[Change, ...] = ()  # the definitions the edit changes besides the target (a multi-site candidate)


@dataclass(frozen=True)
class Done:
    """A job's result, where it ran (``host:pid``), the worker's new held-out records, and how long it took."""

    evaluation: Evaluation
    worker: str
    artifacts: dict[str, bytes] = field(default_factory=dict)
    seconds: float = 0.0  # how long the worker took, its place's making (or moving) included


class Place:
    """A run's repository on this worker: a clone of the bundles at a path as long as the head's, and the run's
    worktrees in it (``Workspace``), set up once."""

    def __init__(self, job: Job, base_bundle: bytes) -> None:
        self.key = (job.run.run_id, job.base)
        self.root = Path(tempfile.mkdtemp(prefix=ROOT_PREFIX))
        try:
            self._make(job, base_bundle)
        except BaseException:  # e.g. the setup command fails here: the task fails, and leaves nothing behind
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def _make(self, job: Job, base_bundle: bytes) -> None:
        run = job.run
        self.artifacts = self.root / "a"
        self.bundles = self.root / "b"
        self.bundles.mkdir()
        clone = same_length(self.root, len(run.repo_path))
        git.Repo.init(clone)
        self.repo = git.Repo(clone)
        self.fetch(base_bundle, "base")
        self.repo.git.update_ref("--no-deref", "HEAD", job.base)  # no checkout: only the worktrees hold files
        self.ws = Workspace(self.repo, run.run_id, run.subdir, {})
        self.ws.env = moved_env(run, str(self.ws.root))
        self.ws.create(carry_dirty=False)
        if run.shims:
            (self.ws.root / "bin").mkdir(parents=True, exist_ok=True)
            for name, text in run.shims.items():
                (self.ws.root / "bin" / name).write_text(text, encoding="utf-8")
                (self.ws.root / "bin" / name).chmod(0o755)
        if run.setup is not None:
            self.ws.setup(*run.setup)
        self.head = job.base

    def fetch(self, bundle: bytes, name: str) -> None:
        path = self.bundles / f"{name}.bundle"
        path.write_bytes(bundle)
        self.repo.git.fetch("-q", str(path), "+refs/heads/*:refs/remotes/head/*")
        path.unlink()

    def move_to(self, head: str, tip_bundle: bytes) -> None:
        """The baseline tree at ``head`` (the commits since the base come in ``tip_bundle``)."""
        if head == self.head:
            return
        if tip_bundle:
            self.fetch(tip_bundle, "tip")
        git.Repo(self.ws.tree_dir("baseline")).git.reset("--hard", "-q", head)
        self.head = head

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def same_length(root: Path, length: int) -> Path:
    """A directory under ``root`` whose path is ``length`` characters long when it can be (else ``root/r``)."""
    room = length - len(str(root)) - 1
    return root / ("r" * room if room >= 1 else "r")


def moved_env(run: Shipped, root: str) -> dict[str, str]:
    """The run's environment with the head's paths (its worktrees' root, optiloop's hooks) moved to this
    worker's: a worker's optiloop may be installed elsewhere, and its trees are elsewhere."""
    def move(value: str) -> str:
        return value.replace(run.head_root, root).replace(run.hooks_root, proc.HOOKS_ROOT)

    return {k: move(v) for k, v in run.env.items()}


_PLACES: dict[str, Place] = {}  # this worker process's place, by run id (one at a time)


def _drop_places() -> None:
    for known in _PLACES.values():
        known.close()
    _PLACES.clear()


def place_for(job: Job, base_bundle: bytes, tip_bundle: bytes) -> Place:
    """This process's place for ``job``'s run, made now (dropping any other) or moved to its head."""
    known = _PLACES.get(job.run.run_id)
    if known is None or known.key != (job.run.run_id, job.base):
        if not _PLACES:
            atexit.register(_drop_places)  # a worker process that exits cleanly leaves no clone behind
        _drop_places()
        known = _PLACES[job.run.run_id] = Place(job, base_bundle)
    known.move_to(job.head, tip_bundle)
    return known


def write_captures(directory: Path, captures: dict[str, bytes]) -> None:
    """The head's captures (and self-checks) under ``directory``, their ``meta.json`` pointing at the copies."""
    for rel, data in captures.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.name == "meta.json":
            meta = json.loads(data)
            if meta.get("path"):
                meta["path"] = str(path.parent / Path(meta["path"]).name)
            data = json.dumps(meta).encode()
        path.write_bytes(data)


def evaluate(job: Job, base_bundle: bytes, tip_bundle: bytes) -> Done:
    """Verify (and count) ``job``'s candidate in this worker's place; see the module's doc."""
    start = time.monotonic()
    where = place_for(job, base_bundle, tip_bundle)
    artifacts = where.artifacts / job.label
    shutil.rmtree(artifacts, ignore_errors=True)
    write_captures(artifacts / "captures", job.captures)
    where.ws.stage(job.files, "candidate", job.head)
    gate = Gate(where.ws, replace(job.run.gate, artifacts=artifacts), side="candidate")
    checks = gate.verify(job.candidate, job.changes)  # other changed functions' calls are captured here
    cost = count(where, job, artifacts) if all(c.passed for c in checks) else None
    held = artifacts / "held-out"
    found = {p.name: p.read_bytes() for p in held.glob("*.json")} if held.is_dir() else {}
    shutil.rmtree(artifacts, ignore_errors=True)
    return Done(Evaluation(checks, gate.local_speedup, cost, slot=1), worker_name(), found, time.monotonic() - start)


def count(where: Place, job: Job, artifacts: Path) -> Cost | None:
    """The candidate's simulated cost; None when the run counts no cycles, or the count failed (the head's
    measurer then counts it itself and says why)."""
    if job.count_timeout is None:
        return None
    try:
        return count_side(where.ws, "candidate", job.run.gate.workload, artifacts / "cost", job.count_timeout)
    except CountError:
        return None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def failed(reason: str) -> Evaluation:
    """The evaluation of a candidate whose worker died or timed out twice: a failed check saying so."""
    return Evaluation((Check("worker", False, reason),), None, None, slot=1)
