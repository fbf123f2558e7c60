"""The one writer of a run record: ``.optiloop/runs/<run-id>/``.

``events.jsonl`` is append-only, one event per line (``codec.encode``), each line written whole, flushed and
fsynced; ``summary.json`` and other derived files are written atomically (write, then rename); raw artefacts
(profiles, pyperf JSON, captured calls) live under ``artifacts/``. ``RunLog`` reads it back.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from optiloop.journal import runs_dir, write_atomic
from optiloop.record.codec import encode, to_jsonable
from optiloop.record.events import Event

EVENTS = "events.jsonl"


class Journal:
    """Append-only events plus artefacts for one run."""

    def __init__(self, run_dir: Path) -> None:
        self.dir = run_dir
        self.artifacts = run_dir / "artifacts"
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self.events_file = run_dir / EVENTS
        self._lock = threading.Lock()  # --jobs: the verifying threads record events too, one whole line each

    @classmethod
    def create(cls, repo_root: Path, run_id: str) -> Journal:
        return cls(runs_dir(repo_root) / run_id)

    @property
    def run_id(self) -> str:
        return self.dir.name

    def write(self, event: Event) -> None:
        """Append ``event``, stamped with the time now."""
        stamped = replace(event, time=time.time())
        line = json.dumps(encode(stamped), sort_keys=False, default=str) + "\n"
        with self._lock, open(self.events_file, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def artifact(self, name: str) -> Path:
        path = self.artifacts / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def write_json(self, name: str, data: Any) -> Path:
        path = self.dir / name
        write_atomic(path, json.dumps(to_jsonable(data), indent=2, default=str) + "\n")
        return path

    def trim_torn_event(self) -> None:
        """Cut off a last event a kill left half-written, so that new events start on a line of their own."""
        data = self.events_file.read_bytes() if self.events_file.is_file() else b""
        if data and not data.endswith(b"\n"):
            with open(self.events_file, "r+b") as fh:
                fh.truncate(data.rfind(b"\n") + 1)
                fh.flush()
                os.fsync(fh.fileno())
