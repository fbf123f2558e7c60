"""The correctness gate.

``Gate`` is the full gate (parses → imports → replay of captured calls → covering tests → tests →
workload output; see ``docs/verification.md``). ``CommandVerifier`` is the plain one: tests, then the
workload, in the candidate tree.
"""

from __future__ import annotations

from typing import Protocol

from optiloop.types import Candidate, Check, Workload
from optiloop.verify.gate import MIN_CALLS, WEAK_EVIDENCE, Gate
from optiloop.verify.output import first_difference
from optiloop.workspace import Side, Workspace

__all__ = ["MIN_CALLS", "WEAK_EVIDENCE", "CommandVerifier", "Gate", "Verifier", "first_difference"]


class Verifier(Protocol):
    def verify(self, candidate: Candidate) -> tuple[Check, ...]:
        """Checks of the staged candidate, stopping at the first that fails."""
        ...


class CommandVerifier:
    """Runs the tests, then the workload, in the candidate tree.

    When the workload's standard output was the same on two baseline runs, it is deterministic,
    and the candidate's output must match it exactly.
    """

    def __init__(
        self,
        workspace: Workspace,
        tests: str,
        workload: Workload,
        expected_stdout: str | None,
        timeout: float,
        side: Side = "candidate",
    ) -> None:
        self.ws = workspace
        self.tests = tests
        self.workload = workload
        self.expected_stdout = expected_stdout
        self.timeout = timeout
        self.side = side

    def verify(self, candidate: Candidate) -> tuple[Check, ...]:
        tests = self.ws.run(self.tests, self.side, self.timeout)
        if not tests.ok:
            why = f"timed out after {self.timeout:.0f} s" if tests.timed_out else tests.tail()
            return (Check("tests", False, why),)
        checks = [Check("tests", True, f"`{self.tests}` passed")]
        run = self.ws.run(self.workload.cmd, self.side, self.timeout, self.workload.cwd)
        if not run.ok:
            why = f"timed out after {self.timeout:.0f} s" if run.timed_out else run.tail()
            return (*checks, Check("workload", False, why))
        if self.expected_stdout is not None and run.stdout != self.expected_stdout:
            where = first_difference(self.expected_stdout, run.stdout)
            return (*checks, Check("workload output", False, f"differs from the baseline's at {where}"))
        detail = "ran; output identical to the baseline's" if self.expected_stdout is not None else "ran"
        return (*checks, Check("workload", True, detail))
