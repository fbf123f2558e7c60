"""The live status line of ``run``, ``session``, ``pr`` and ``demo``: what the run is doing, on stderr.

``StatusLine`` is the ``optiloop.progress.Progress`` the CLI hands to ``app.prepare``. Once anything has
taken longer than a second it draws one line at the bottom of the terminal, redrawn four times a second:

    ⠧ candidate 3 · wordfreq/count.py::top_words · measuring round 7/20 · 12s (run 2m31s)

the stage (or the candidate's number), the target, the step and how far it is, and how long the step has
taken so far (so a workload that hangs is seen hanging), then the whole run's time. The progress lines
printed meanwhile scroll above it. ``status_line`` gives a ``StatusLine`` only when stderr is a terminal
and ``--quiet`` is not given (then the dim progress lines are off too); otherwise nothing is drawn and
the progress lines go on as before, so a log or a pipe reads the same as without it.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from optiloop.cli import common
from optiloop.progress import NO_PROGRESS, Progress

DELAY = 1.0  # seconds something must take before the line shows


def elapsed(seconds: float) -> str:
    """``7s``, ``2m05s``, ``1h02m``."""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class StatusLine:
    """A ``Progress`` drawn as one live line on ``console`` (a terminal), shown after ``delay`` seconds
    of anything and kept until ``idle`` or ``close``. What ``also`` (consoles on the same terminal: stdout's)
    print meanwhile goes above the line too."""

    def __init__(self, console: Console, delay: float = DELAY, clock: Callable[[], float] = time.monotonic,
                 also: Sequence[Console] = ()) -> None:
        self.console = console
        self.also = tuple(also)
        self.delay = delay
        self.clock = clock
        self.started = clock()
        self.name = ""
        self.target: str | None = None
        self.candidate: int | None = None
        self.what = ""
        self.count: tuple[int, int, str] | None = None
        self.since = self.started
        self.shown = False
        self._lock = threading.Lock()
        self._live: Live | None = None
        self._spinner = Spinner("dots", style="cyan")

    # -- Progress ----------------------------------------------------------------------------

    def stage(self, name: str, target: str | None = None, candidate: int | None = None) -> None:
        with self._lock:
            self.name, self.target, self.candidate = name, target, candidate
            self.what, self.count, self.since = "", None, self.clock()
        self._start()

    def doing(self, what: str) -> None:
        with self._lock:
            self.what, self.count, self.since = what, None, self.clock()
        self._start()

    def step(self, done: int, total: int, unit: str = "round") -> None:
        with self._lock:
            self.count = (done, total, unit)
        self._start()

    def idle(self) -> None:
        """Take the line off the terminal (a person is about to read or type); the next stage brings it back."""
        live, self._live = self._live, None
        if live is not None:
            for other in self.also:
                other.pop_render_hook()
            live.stop()
        with self._lock:
            self.shown = False

    close = idle

    # -- drawing -----------------------------------------------------------------------------

    def text(self) -> str:
        """The line without its spinner."""
        with self._lock:
            parts = [f"candidate {self.candidate}" if self.candidate is not None else self.name]
            if self.target:
                parts.append(self.target)
            if self.what or self.count:
                count = f"{self.count[2]} {self.count[0]}/{self.count[1]}" if self.count else ""
                parts.append(" ".join(p for p in (self.what, count) if p))
            now = self.clock()
            parts.append(f"{elapsed(now - self.since)} (run {elapsed(now - self.started)})")
        return " · ".join(p for p in parts if p)

    def due(self) -> bool:
        """Whether the line shows: something has taken ``delay`` seconds since it was last taken off."""
        with self._lock:
            if not self.shown and self.name and self.clock() - self.since >= self.delay:
                self.shown = True
            return self.shown

    def render(self) -> RenderableType:
        if not self.due():
            return Group()
        frame = self._spinner.render(self.console.get_time())  # a Text: the spinner has no text of its own
        line = Text.assemble(frame if isinstance(frame, Text) else "", " ", (self.text(), "bold"))
        line.no_wrap, line.overflow = True, "ellipsis"
        return line

    def _start(self) -> None:
        if self._live is not None:
            return
        # stdout goes through the line only when it is the same terminal; a piped stdout (--json) is left alone
        self._live = Live(console=self.console, get_renderable=self.render, transient=True, refresh_per_second=4,
                          redirect_stdout=sys.stdout.isatty(), redirect_stderr=True)
        self._live.start()
        for other in self.also:  # the line moves down under what they print, as under the console's own output
            other.push_render_hook(self._live)


def wanted(console: Console, quiet: bool) -> bool:
    """A status line is drawn only on a real terminal (not a pipe, a file, or TERM=dumb), and not with --quiet."""
    return not quiet and console.is_terminal and not console.is_dumb_terminal


@contextmanager
def status_line(quiet: bool = False, console: Console | None = None) -> Iterator[Progress]:
    """The ``Progress`` a command hands to the run: a ``StatusLine`` on ``console`` (stderr) when one is
    ``wanted``, else one that draws nothing. With ``quiet`` the dim progress lines are off as well."""
    console = console if console is not None else common.err
    common.quiet(quiet)
    same_terminal = (common.out,) if console is common.err and common.out.is_terminal else ()
    line = StatusLine(console, also=same_terminal) if wanted(console, quiet) else None
    try:
        yield line if line is not None else NO_PROGRESS
    finally:
        if line is not None:
            line.close()
        common.quiet(False)
