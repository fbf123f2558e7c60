"""What a run is doing right now, for a status line: the stages say it here, the CLI shows it.

``app.prepare`` hands one ``Progress`` to everything that does long work (the baseline checks, the
measurer, the profiler, the loop's model calls and candidates, the gate); ``optiloop/cli/status.py``
draws it as a live line on stderr. The default, ``NO_PROGRESS``, does nothing. This module draws
nothing and imports nothing heavy, so every stage may depend on it.

A ``stage`` is the run's current piece of work (``baseline``, ``profiling``, ``asking the model``,
``candidate``), with the target and the candidate number it works on; ``doing`` names the step inside
it (``tests``, ``replay``, ``measuring``, ``confirming``); ``step`` counts (round 7 of 20). ``stage`` and
``doing`` restart the clock a status line shows, so a step that hangs shows how long it has hung. ``idle``
says nothing long is going on (a person is reading or typing).
"""

from __future__ import annotations

from typing import Protocol

# the stages and steps, as the status line shows them
SETUP = "setup"
BASELINE = "baseline"
PROFILING = "profiling"
ASKING = "asking the model"
CANDIDATE = "candidate"
WHOLE_RUN = "measuring the whole run"
REGRESSION = "regression check"
TESTS = "tests"
WORKLOAD = "workload"
MEASURING = "measuring"
CONFIRMING = "confirming"
FULL_SUITE = "full test suite"
COVERING = "finding the covering tests"
COUNTING = "counting cycles (valgrind)"
GUARD = "wall-time guard"
VERIFYING = "verifying candidates in parallel"


class Progress(Protocol):
    def stage(self, name: str, target: str | None = None, candidate: int | None = None) -> None:
        """``name`` begins now, working on ``target`` (a target's key; None: the whole workload) and, for
        a candidate, its number."""
        ...

    def doing(self, what: str) -> None:
        """The step of the current stage that begins now (the stage, target and candidate stay)."""
        ...

    def step(self, done: int, total: int, unit: str = "round") -> None:
        """How far the current step is: at ``unit`` ``done`` of ``total`` (e.g. measuring, round 7 of 20)."""
        ...

    def idle(self) -> None:
        """Nothing long is going on until the next ``stage`` or ``doing``."""
        ...


class NoProgress:
    """A ``Progress`` that shows nothing."""

    def stage(self, name: str, target: str | None = None, candidate: int | None = None) -> None:
        pass

    def doing(self, what: str) -> None:
        pass

    def step(self, done: int, total: int, unit: str = "round") -> None:
        pass

    def idle(self) -> None:
        pass


NO_PROGRESS: Progress = NoProgress()
