"""Errors that end a run. Only the CLI turns them into a message and an exit code."""

from __future__ import annotations


class OptiloopError(Exception):
    """A failure with a one-line message and a hint that names the fix."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class BadInput(OptiloopError):
    """The user's input or repository state is wrong; nothing was changed. Exit code 2."""

    exit_code = 2


class RunFailure(OptiloopError):
    """Something failed during the run itself. Exit code 1."""

    exit_code = 1
