"""The run's ``Progress`` as MCP progress notifications.

The stages report what they do through ``optiloop.progress.Progress`` (on the worker's thread); ``Relay`` turns
each report into one line, ``candidate 2 · pkg/core.py::dedupe · measuring round 3/6``, and hands it to every
tool call that is waiting for the work right now. Each waiting call sends the lines it gets as progress
notifications of its own request (when the client asked for them with a progress token).
"""

from __future__ import annotations

import threading
from collections import deque


class Listener:
    """The lines one waiting call has not sent yet."""

    def __init__(self) -> None:
        self._lines: deque[str] = deque()

    def hear(self, line: str) -> None:
        self._lines.append(line)

    def drain(self) -> list[str]:
        out = []
        while self._lines:
            out.append(self._lines.popleft())
        return out


class Relay:
    """A ``Progress`` whose lines go to the listeners registered now."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._stage = ""
        self._target: str | None = None
        self._candidate: int | None = None
        self._doing = ""

    def listen(self) -> Listener:
        listener = Listener()
        with self._lock:
            self._listeners.append(listener)
            now = self._line("") if self._stage else ""
        if now:  # a call that starts waiting in the middle of a stage hears where the work is
            listener.hear(now)
        return listener

    def forget(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    # -- Progress ----------------------------------------------------------------------------

    def stage(self, name: str, target: str | None = None, candidate: int | None = None) -> None:
        with self._lock:
            self._stage, self._target, self._candidate, self._doing = name, target, candidate, ""
        self._send("")

    def doing(self, what: str) -> None:
        with self._lock:
            self._doing = what
        self._send("")

    def step(self, done: int, total: int, unit: str = "round") -> None:
        self._send(f"{unit} {done}/{total}")

    def idle(self) -> None:
        with self._lock:
            self._stage = ""

    def _line(self, count: str) -> str:
        head = f"candidate {self._candidate}" if self._candidate is not None else self._stage
        step = " ".join(p for p in (self._doing, count) if p)
        return " · ".join(p for p in (head, self._target or "", step) if p)

    def _send(self, count: str) -> None:
        with self._lock:
            line = self._line(count)
            listeners = list(self._listeners)
        for listener in listeners:
            listener.hear(line)
