"""What every command shares: turning errors into one line and an exit code, printing a run."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import git
import typer
from rich.console import Console

from optiloop.errors import OptiloopError
from optiloop.plugins import PluginWarning

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
for _console in (out, err):
    if not _console.is_terminal:  # piped or captured: tables take their natural width, so no name is folded
        _console.width = max(_console.width, 1000)


@contextmanager
def plugin_warnings_to_stderr() -> Iterator[None]:
    """A ``PluginWarning`` (a plugin that was skipped) as ``optiloop: warning: <what> — <fix>`` on stderr."""
    shown = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: TextIO | None = None, line: str | None = None, **_: Any) -> None:
        if issubclass(category, PluginWarning):
            err.print(f"optiloop: warning: {message}", markup=False)
        else:
            shown(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.simplefilter("default", PluginWarning)  # each one once, even where warnings are ignored
        warnings.showwarning = show
        yield


@contextmanager
def errors_to_exit() -> Iterator[None]:
    """``OptiloopError`` → ``optiloop: <what> — <fix>`` on stderr and its exit code; plugin warnings in one line."""
    try:
        with plugin_warnings_to_stderr():
            yield
    except OptiloopError as exc:
        err.print(f"optiloop: {exc}", markup=False)
        raise typer.Exit(exc.exit_code) from None
    except git.GitCommandError as exc:
        err.print(f"optiloop: git failed: {' '.join(map(str, exc.command))}: {exc.stderr.strip()}", markup=False)
        raise typer.Exit(1) from None
    except OSError as exc:  # a file or program that went missing under us: say which, no traceback
        where = f": {exc.filename}" if exc.filename else ""
        err.print(f"optiloop: {exc.strerror or exc}{where}", markup=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("optiloop: interrupted", markup=False)
        raise typer.Exit(130) from None


def say(text: str) -> None:
    out.print(text, markup=False)


def progress(text: str) -> None:
    err.print(text, markup=False, style="dim")
