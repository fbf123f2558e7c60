"""Replies of language models kept in SQLite, keyed by provider, model and the exact conversation.

The cache lives in ``$XDG_CACHE_HOME/optiloop`` (``~/.cache/optiloop`` without it), so a rerun of
the same prompts is reproducible and free. Keys are hashes; keys and API keys are never stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Completion:
    """One answer of a model: its text and the tokens the service counted."""

    text: str
    input_tokens: int = 0
    output_tokens: int = 0


def cache_dir(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CACHE_HOME") or str(Path(environ.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "optiloop"


def cache_key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class ReplyCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._run("CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, text TEXT NOT NULL, "
                  "input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, created REAL NOT NULL)")

    @classmethod
    def default(cls, environ: Mapping[str, str] | None = None) -> ReplyCache:
        return cls(cache_dir(os.environ if environ is None else environ) / "replies.sqlite3")

    def _run(self, sql: str, args: tuple[object, ...] = ()) -> tuple[Any, ...] | None:
        with self._lock:
            db = sqlite3.connect(self.path, timeout=30)
            try:
                with db:
                    row: tuple[Any, ...] | None = db.execute(sql, args).fetchone()
                return row
            finally:
                db.close()

    def get(self, key: str) -> Completion | None:
        row = self._run("SELECT text, input_tokens, output_tokens FROM replies WHERE key = ?", (key,))
        return Completion(str(row[0]), int(row[1]), int(row[2])) if row else None

    def put(self, key: str, completion: Completion) -> None:
        self._run("INSERT OR REPLACE INTO replies VALUES (?, ?, ?, ?, ?)",
                  (key, completion.text, completion.input_tokens, completion.output_tokens, time.time()))
