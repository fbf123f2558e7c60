"""Where run records live (``.optiloop/runs/<run-id>/``), run ids, and writing a file atomically.

The record itself (its events, one writer and one reader) is ``optiloop.record``.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timezone
from pathlib import Path

RECORD_DIR = ".optiloop"


def new_run_id() -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{secrets.token_hex(2)}"


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
