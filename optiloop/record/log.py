"""The one reader of run records: ``RunLog``, and finding a run by its id.

Resume, the reports, ``runs``/``show``, ``undo``, the session and the PR bot all read a run through
``RunLog.read`` and ask it for events by their class; none of them sees a line of ``events.jsonl``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from optiloop.errors import BadInput, OptiloopError
from optiloop.journal import runs_dir
from optiloop.record import legacy
from optiloop.record.codec import decode, registry, version_of
from optiloop.record.events import VERSION, AttemptRecorded, Event, RunFinished, RunStarted, Undone
from optiloop.record.journal import EVENTS
from optiloop.types import Attempt

E = TypeVar("E", bound=Event)


def _lines(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, JSON object) of each event line. The last line is cut short when the run was killed while
    writing it (every event ends with a newline): that event never happened. Damage elsewhere is bad input."""
    text = path.read_text(encoding="utf-8")
    out = []
    for number, line in enumerate(text.split("\n")[:-1], 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(f"the run record {path} is damaged at line {number}: {exc.msg}",
                           "that run cannot be read; start a new one") from None
        if not isinstance(data, dict):
            raise BadInput(f"the run record {path} is damaged at line {number}: not an event",
                           "that run cannot be read; start a new one")
        out.append((number, data))
    return out


@dataclass(frozen=True)
class RunLog:
    """The events of one run, typed, in the order they happened."""

    dir: Path
    events: tuple[Event, ...]
    version: int = VERSION  # the newest schema version among its events (0: written before versions existed)

    @staticmethod
    def read(run_dir: Path) -> RunLog:
        """The record in ``run_dir``: events of kinds this optiloop does not know are left out; version-0
        events get the facts their text holds as fields (``legacy``); a newer version is refused."""
        path = run_dir / EVENTS
        if not path.is_file():
            raise BadInput(f"{run_dir} holds no run record (no {EVENTS})", "pass the directory of one run")
        known = registry()
        events: list[Event] = []
        newest = 0
        for number, data in _lines(path):
            where = f"{path} (line {number})"
            version = version_of(data, where)
            newest = max(newest, version)
            event = decode(data, known, where)
            if event is not None:
                events.append(legacy.upgrade(event) if version == 0 else event)
        return RunLog(run_dir, tuple(events), newest)

    @property
    def id(self) -> str:
        return self.dir.name

    def all(self, kind: type[E]) -> tuple[E, ...]:
        return tuple(e for e in self.events if isinstance(e, kind))

    def first(self, kind: type[E]) -> E | None:
        return next((e for e in self.events if isinstance(e, kind)), None)

    def last(self, kind: type[E]) -> E | None:
        return next((e for e in reversed(self.events) if isinstance(e, kind)), None)

    @property
    def started(self) -> RunStarted | None:
        """The ``run_started`` event (``find_run`` returns only runs that have one)."""
        return self.first(RunStarted)

    @property
    def start(self) -> RunStarted:
        """The ``run_started`` event, or one of defaults for a record without it."""
        return self.started or RunStarted()

    @property
    def ended(self) -> RunFinished | None:
        """The last ``run_finished`` event."""
        return self.last(RunFinished)

    @property
    def finished(self) -> bool:
        """Whether the run ended without an error (one stopped by Ctrl-C or a failure may be resumed)."""
        return self.ended is not None and not self.ended.error

    @property
    def branch_removed(self) -> bool:
        """Whether the run removed its branch at its (last) end because it held no commit (``app.finish``)."""
        return self.ended is not None and self.ended.branch_removed

    @property
    def undone(self) -> tuple[str, ...]:
        """Commits taken back by ``optiloop undo`` (or a session's ``undo``), in order."""
        return tuple(u.commit for u in self.all(Undone))

    def attempts(self) -> list[Attempt]:
        """The recorded attempts, in order."""
        return [e.attempt for e in self.all(AttemptRecorded)]


def run_dirs(root: Path) -> list[Path]:
    """The run directories of the repository at ``root``, newest first (run ids start with a UTC time)."""
    where = runs_dir(root)
    if not where.is_dir():
        return []
    return sorted((p for p in where.iterdir() if (p / EVENTS).is_file()), key=lambda p: p.name, reverse=True)


def _readable(root: Path) -> tuple[list[RunLog], list[OptiloopError]]:
    """The runs of ``root`` that read and have a start, oldest first; and why the others did not read."""
    logs, problems = [], []
    for d in run_dirs(root):
        try:
            log = RunLog.read(d)
        except OptiloopError as exc:
            problems.append(exc)
            continue
        if log.started is not None:
            logs.append(log)
    return sorted(logs, key=lambda r: (r.start.time, r.id)), problems


def all_runs(root: Path) -> list[RunLog]:
    """The runs recorded in the repository at ``root`` that can be read, oldest first."""
    return _readable(root)[0]


def find_run(root: Path, run_id: str, unfinished: bool = False) -> RunLog:
    """The run ``run_id`` of the repository at ``root``: its id, a unique prefix of it, or ``last`` (the
    newest run that can be read; with ``unfinished``, the newest that did not finish)."""
    where = runs_dir(root)
    if run_id == "last":
        logs, problems = _readable(root)
        runs = [r for r in logs if not (unfinished and r.finished)]
        if runs:
            return runs[-1]
        if problems and not logs:
            raise problems[0]
        what = "is no unfinished run" if unfinished else "are no optiloop runs"
        raise BadInput(f"there {what} recorded in {where}", "start one with `optiloop run`")
    if not run_id or "/" in run_id or run_id in (".", ".."):
        raise BadInput(f"{run_id!r} is not a run id", "pass a run id such as 20260101-120000-abcd, or last")
    names = [d.name for d in run_dirs(root)]
    matches = [run_id] if run_id in names else [n for n in names if n.startswith(run_id)]
    if len(matches) > 1:
        raise BadInput(f"there is no run {run_id} in {where}", f"it matches {len(matches)} runs; give more of the id")
    log = RunLog.read(where / matches[0]) if matches else None
    if log is None or log.started is None:
        raise BadInput(f"there is no run {run_id} recorded in {where}", "see `optiloop runs` for the recorded ids")
    return log
