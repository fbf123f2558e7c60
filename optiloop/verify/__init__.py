"""The correctness gate: the project's tests and the workload, run on the candidate's tree."""

from __future__ import annotations

from typing import Protocol

from optiloop.types import Candidate, Check, Workload
from optiloop.workspace import Side, Workspace


class Verifier(Protocol):
    def verify(self, candidate: Candidate) -> tuple[Check, ...]:
        """Checks of the staged candidate, stopping at the first that fails."""
        ...


def first_difference(expected: str, got: str) -> str:
    """Where two outputs first differ, in one line a model can act on."""
    exp, act = expected.splitlines(), got.splitlines()
    for n, (a, b) in enumerate(zip(exp, act, strict=False), start=1):
        if a != b:
            return f"line {n}: expected {a[:120]!r}, got {b[:120]!r}"
    n = min(len(exp), len(act)) + 1
    if len(exp) > len(act):
        return f"line {n}: expected {exp[n - 1][:120]!r}, got end of output"
    return f"line {n}: expected end of output, got {act[n - 1][:120]!r}"


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
