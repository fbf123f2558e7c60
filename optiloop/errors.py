"""Errors that end a run. Only the CLI turns them into a message and an exit code.

Exit codes: 1 the check found something (``CheckFailed``), 2 bad input (``BadInput``), 3 an error
during the run (``RunFailure``; ``RUN_ERROR`` for whatever else ends a run unexpectedly).
"""

from __future__ import annotations

FOUND = 1  # the check found something, e.g. a pull request's regression
BAD_INPUT = 2
RUN_ERROR = 3  # the model service, GitHub, a crash


class OptiloopError(Exception):
    """A failure with a one-line message and a hint that names the fix."""

    exit_code = RUN_ERROR

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class BadInput(OptiloopError):
    """The user's input or repository state is wrong; nothing was changed. Exit code 2."""

    exit_code = BAD_INPUT


class RunFailure(OptiloopError):
    """Something failed during the run itself (the model service, GitHub, a measurement). Exit code 3."""

    exit_code = RUN_ERROR


class CheckFailed(OptiloopError):
    """The run worked and found what its check looks for (a pull request's regression). Exit code 1."""

    exit_code = FOUND
