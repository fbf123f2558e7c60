"""What every command shares: turning errors into one line and an exit code, printing a run.

Exit codes, as ruff's and pytest's: 0 done; 1 the check found something (``CheckFailed``: a pull
request's regression); 2 bad input (``BadInput``, and typer's usage errors); 3 an error during the run
(``RunFailure``, git, a file or program that went missing, a crash of optiloop itself); 130 Ctrl-C.
"""

from __future__ import annotations

import tempfile
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import git
import typer
from rich.console import Console

from optiloop.errors import RUN_ERROR, OptiloopError
from optiloop.plugins import PluginWarning

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
for _console in (out, err):
    if not _console.is_terminal:  # piped or captured: tables take their natural width, so no name is folded
        _console.width = max(_console.width, 1000)
_quiet = [False]  # --quiet: no progress lines (see ``status.status_line``)


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
    """``OptiloopError`` → ``optiloop: <what> — <fix>`` on stderr and its exit code; plugin warnings in one
    line; anything unexpected → one line naming the file that holds its traceback, exit code 3."""
    try:
        with plugin_warnings_to_stderr():
            yield
    except OptiloopError as exc:
        err.print(f"optiloop: {exc}", markup=False)
        raise typer.Exit(exc.exit_code) from None
    except git.GitCommandError as exc:
        err.print(f"optiloop: git failed: {' '.join(map(str, exc.command))}: {exc.stderr.strip()}", markup=False)
        raise typer.Exit(RUN_ERROR) from None
    except OSError as exc:  # a file or program that went missing under us: say which, no traceback
        where = f": {exc.filename}" if exc.filename else ""
        err.print(f"optiloop: {exc.strerror or exc}{where}", markup=False)
        raise typer.Exit(RUN_ERROR) from None
    except KeyboardInterrupt:
        err.print("optiloop: interrupted", markup=False)
        raise typer.Exit(130) from None
    except Exception as exc:  # a bug in optiloop: one line, the traceback in a file for the report
        if type(exc).__module__.split(".")[0] in ("typer", "click"):  # typer's own: an exit code, usage, abort
            raise
        log = crash_log(exc)
        saved = f"the traceback is in {log}" if log else "the traceback could not be saved"
        err.print(f"optiloop: internal error: {type(exc).__name__}: {exc} — this is a bug in optiloop; {saved}, "
                  "please report it with that file", markup=False)
        raise typer.Exit(RUN_ERROR) from None


def crash_log(exc: BaseException, directory: Path | None = None) -> Path | None:
    """Write ``exc``'s traceback to ``optiloop-crash-<time>-<n>.txt`` in the temporary directory; its path,
    or None when it could not be written."""
    where = Path(directory or tempfile.gettempdir())
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        fd, name = tempfile.mkstemp(prefix=f"optiloop-crash-{datetime.now():%Y%m%d-%H%M%S}-", suffix=".txt",
                                    dir=where)
        with open(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError:
        return None
    return Path(name)


def quiet(on: bool) -> None:
    """Progress lines off (``--quiet``) or on again."""
    _quiet[0] = on


def say(text: str) -> None:
    out.print(text, markup=False)


def progress(text: str) -> None:
    if not _quiet[0]:
        err.print(text, markup=False, style="dim")
