"""The run record on disk: ``.optiloop/runs/<run-id>/``.

``events.jsonl`` is append-only, one JSON object per line, flushed and fsynced per event;
``summary.json`` and other derived files are written atomically (write, then rename);
raw artefacts (profiles, pyperf JSON, diffs) live under ``artifacts/``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optiloop.types import Attempt

RECORD_DIR = ".optiloop"


def new_run_id() -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{secrets.token_hex(2)}"


def to_jsonable(value: Any) -> Any:
    """Dataclasses, paths and tuples as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        out["type"] = type(value).__name__
        return out
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _types() -> dict[str, type]:
    from optiloop import types

    return {name: obj for name, obj in vars(types).items() if dataclasses.is_dataclass(obj) and isinstance(obj, type)}


def from_jsonable(value: Any, registry: dict[str, type] | None = None) -> Any:
    """The inverse of ``to_jsonable`` for the dataclasses of ``optiloop.types``: a dict with a known
    ``type`` becomes that dataclass again, lists become tuples (frozen dataclasses hold tuples)."""
    registry = registry if registry is not None else _types()
    if isinstance(value, list):
        return tuple(from_jsonable(v, registry) for v in value)
    if not isinstance(value, dict):
        return value
    cls = registry.get(value.get("type", ""))
    if cls is None:
        return {k: from_jsonable(v, registry) for k, v in value.items()}
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    return cls(**{k: from_jsonable(v, registry) for k, v in value.items() if k in names})


def runs_dir(repo_root: Path) -> Path:
    return repo_root / RECORD_DIR / "runs"


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` so that a reader, even after a kill -9 at any moment, finds
    either the old file (or none) or the whole new one: written to a hidden temporary name in the same
    directory, fsynced, then renamed over ``path``. A writer that fails midway leaves no temporary file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:  # the rename itself survives a crash only once the directory is synced
        fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class Journal:
    """Append-only events plus artefacts for one run."""

    def __init__(self, run_dir: Path) -> None:
        self.dir = run_dir
        self.artifacts = run_dir / "artifacts"
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self._events = run_dir / "events.jsonl"
        self._lock = threading.Lock()  # --jobs: the verifying threads record events too, one whole line each

    @classmethod
    def create(cls, repo_root: Path, run_id: str) -> Journal:
        return cls(runs_dir(repo_root) / run_id)

    @property
    def run_id(self) -> str:
        return self.dir.name

    def event(self, kind: str, **data: Any) -> None:
        record = {"event": kind, "time": time.time(), **to_jsonable(data)}
        line = json.dumps(record, sort_keys=False, default=str) + "\n"
        with self._lock, open(self._events, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def events(self) -> list[dict[str, Any]]:
        if not self._events.exists():
            return []
        with open(self._events, encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        # the last line is cut off when the run was killed while writing it: that event never happened
        return [json.loads(line) for line in lines[:-1] if line.strip()]

    def attempts(self) -> list[Attempt]:
        """The recorded attempts as ``Attempt`` values again, in order."""
        registry = _types()
        return [from_jsonable(e["attempt"], registry) for e in self.events() if e["event"] == "attempt"]

    def artifact(self, name: str) -> Path:
        path = self.artifacts / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def write_json(self, name: str, data: Any) -> Path:
        path = self.dir / name
        write_atomic(path, json.dumps(to_jsonable(data), indent=2, default=str) + "\n")
        return path
