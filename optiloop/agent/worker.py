"""The run's work, one job at a time, on the main thread, while the MCP server answers on another thread.

The loop and its stages are not thread-safe and run user code in child processes that an interrupt must be able
to stop, so everything a tool does runs here, on the thread that called ``serve`` (the main thread: only it can
be interrupted like Ctrl-C, which is how a long evaluation is stopped when the client cancels it or closes the
connection). The server's handlers ``submit`` jobs and wait for their ``Future``.

A job may itself wait for further jobs (``take`` and ``run``): an accepted candidate waits inside the loop's
``decide`` hook for the agent's ``commit`` while other tools go on answering.
"""

from __future__ import annotations

import signal
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from optiloop.errors import OptiloopError


class Abandoned(OptiloopError):
    """The client cancelled the call while its job ran: the job was stopped."""


class Closed(OptiloopError):
    """The connection is closed: no job runs any more."""


@dataclass(eq=False)
class Job:
    name: str  # the tool it does
    fn: Callable[[], Any]
    changes: bool = False  # it changes the run (an evaluation, an undo): an uncommitted speedup is set aside first
    commits: int | None = None  # the attempt a ``commit`` job commits
    check: Callable[[], Any] | None = None  # what it was sent, checked before anything is set aside for it
    future: Future[Any] = field(default_factory=Future)
    _checked: Any = None

    def checked(self) -> Any:
        """What ``check`` returned (checked once)."""
        if self._checked is None and self.check is not None:
            self._checked = self.check()
        return self._checked


def settle(future: Future[Any], result: Any = None, error: BaseException | None = None) -> None:
    """Give ``future`` its outcome unless it has one (a job may answer its caller before it ends)."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class Worker:
    def __init__(self, on_abandon: Callable[[], None] = lambda: None) -> None:
        self.on_abandon = on_abandon  # called on this thread after a job was stopped for a cancelled call
        self.running: Job | None = None
        self.waiting = False  # in ``take``, with no job running
        self._jobs: deque[Job] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.current_thread()
        self._abandon: Job | None = None
        self._interrupted = False  # an interrupt was sent for the job that runs now
        self._target: Job | None = None  # the job the interrupt on its way is for

    def install(self) -> None:
        """Take SIGINT on this (the main) thread: the interrupts ``abandon`` and ``close`` send, and Ctrl-C."""
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        signal.signal(signal.SIGINT, self.on_signal)

    def on_signal(self, signum: int, frame: object) -> None:
        """An interrupt stops the job it was sent for if that job still runs (one that has just ended is not
        followed into the next); a SIGINT from outside (Ctrl-C) always stops."""
        target, self._target = self._target, None
        if target is None or target is self.running:
            raise KeyboardInterrupt

    # -- from the server's thread --------------------------------------------------------------

    def submit(self, job: Job) -> Future[Any]:
        with self._cond:
            if self._closed:
                settle(job.future, error=Closed("the connection is closing; nothing more is done"))
            else:
                self._jobs.append(job)
                self._cond.notify_all()
        return job.future

    def abandon(self, job: Job) -> None:
        """The client cancelled the call of ``job``: drop it if it waits, stop it if it runs (an interrupt, like
        Ctrl-C in a session: its child processes are killed and it leaves no attempt)."""
        with self._cond:
            if job in self._jobs:
                self._jobs.remove(job)
                settle(job.future, error=Abandoned(f"{job.name} was cancelled"))
                return
            if self.running is not job or job.future.done() or self._interrupted:
                return
            self._abandon, self._interrupted = job, True
        self._interrupt(job)

    def close(self) -> None:
        """The connection is closed: no more jobs; a job that runs (and is not waiting for the agent) is
        interrupted, and whatever waits in ``take`` hears that nothing more comes."""
        with self._cond:
            self._closed = True
            for job in self._jobs:
                settle(job.future, error=Closed("the connection closed"))
            self._jobs.clear()
            self._cond.notify_all()
            running = self.running
            stop = running is not None and not self.waiting and not self._interrupted
            self._interrupted = self._interrupted or stop
        if stop and running is not None:
            self._interrupt(running)

    def _interrupt(self, job: Job) -> None:
        self._target = job
        if self._thread.ident is not None:
            signal.pthread_kill(self._thread.ident, signal.SIGINT)

    # -- on the worker's thread ----------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def take(self) -> Job | None:
        """The next job, waiting for one; None once the connection is closed."""
        with self._cond:
            self.waiting = True
            try:
                while not self._jobs and not self._closed:
                    self._cond.wait()
                return self._jobs.popleft() if self._jobs else None
            finally:
                self.waiting = False

    def first(self, job: Job) -> None:
        """Put ``job`` back at the head of the queue (to run once the job that took it ends)."""
        with self._cond:
            if self._closed:
                settle(job.future, error=Closed("the connection closed"))
            else:
                self._jobs.appendleft(job)

    def run(self, job: Job) -> None:
        """Run one job; its outcome (or error) goes to its future. An interrupt that was not a cancelled call's
        is passed on: the connection is closing, or the process was told to stop."""
        if not job.future.set_running_or_notify_cancel():
            return
        outer, self.running = self.running, job
        try:
            result = job.fn()
        except KeyboardInterrupt:
            if self._abandon is job:
                self._abandon = None
                settle(job.future, error=Abandoned(f"{job.name} was cancelled and stopped; nothing of it was kept"))
                self.on_abandon()
                return
            settle(job.future, error=Closed(f"{job.name} was interrupted"))
            raise
        except Exception as exc:
            settle(job.future, error=exc)
        else:
            settle(job.future, result)
        finally:
            self.running = outer
            if outer is None:
                self._interrupted = False

    def serve(self) -> None:
        """Run jobs until the connection is closed (a job that ran then was stopped). Ctrl-C is passed on."""
        while True:
            try:
                job = self.take()
                if job is None:
                    return
                self.run(job)
            except KeyboardInterrupt:
                if not self._closed:
                    raise
                return
