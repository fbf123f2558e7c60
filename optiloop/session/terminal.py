"""The session's use of the terminal: the person's editor, and readline's completion and history."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from optiloop.session.commands import Completer

Say = Callable[[str], None]


def open_editor(source: str, qualname: str, say: Say) -> str | None:
    """``$EDITOR`` (or ``$VISUAL``, or vi) on a temporary copy of ``source``; the text it leaves there."""
    name = f"{qualname.replace('.', '_')}.py"
    edited = edit_files({name: source}, say)
    if edited is None:
        return None
    if not edited[name].strip():
        say("the edited file is empty: nothing was tried")
        return None
    return edited[name]


def edit_files(files: dict[str, str], say: Say) -> dict[str, str] | None:
    """``$EDITOR`` (or ``$VISUAL``, or vi) on temporary copies of ``files`` (path -> text), all at once, each at
    its project-relative path; the texts it leaves there."""
    editor = os.environ.get("EDITOR") or os.environ.get("VISUAL") or "vi"
    with tempfile.TemporaryDirectory(prefix="optiloop-edit-") as tmp:
        paths = {rel: Path(tmp) / rel for rel in files}
        for rel, path in paths.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(files[rel], encoding="utf-8")
        try:
            done = subprocess.run([*shlex.split(editor), *map(str, paths.values())], check=False)
        except (OSError, ValueError) as exc:
            say(f"cannot start the editor `{editor}`: {exc}; set $EDITOR")
            return None
        if done.returncode != 0:
            say(f"the editor `{editor}` exited with code {done.returncode}: nothing was tried")
            return None
        return {rel: path.read_text(encoding="utf-8") for rel, path in paths.items()}


def ctrl_c_works() -> None:
    """Ctrl-C is how a person cancels a line or abandons a step: make sure it reaches the session even when
    it was started with SIGINT blocked or ignored (inherited from a launcher or a test runner), which would
    leave it deaf to Ctrl-C at the prompt."""
    if threading.current_thread() is not threading.main_thread():
        return
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, signal.SIG_DFL, None):
        signal.signal(signal.SIGINT, signal.default_int_handler)


@contextmanager
def line_editing(history: Path, names: Callable[[], list[str]]) -> Iterator[Callable[[], None]]:
    """Tab completion and a persistent history through readline, where the platform has it. Yields a
    function that saves the history so far (called after each command, so a killed session keeps it)."""
    try:
        import readline
    except ImportError:  # pragma: no cover - no readline on this platform: plain input()
        yield lambda: None
        return
    ctrl_c_works()
    rl: Any = readline
    completer = Completer(names, rl.get_line_buffer)
    old_completer, old_delims = rl.get_completer(), rl.get_completer_delims()
    rl.set_completer(completer)
    rl.set_completer_delims(" \t\n")
    rl.parse_and_bind("bind ^I rl_complete" if "libedit" in (rl.__doc__ or "") else "tab: complete")
    rl.clear_history()
    rl.set_history_length(1000)
    try:
        if history.is_file():
            rl.read_history_file(str(history))
    except OSError:
        pass

    def save() -> None:
        try:
            history.parent.mkdir(parents=True, exist_ok=True)
            rl.write_history_file(str(history))
        except OSError:
            pass

    try:
        yield save
    finally:
        save()
        rl.set_completer(old_completer)
        rl.set_completer_delims(old_delims)
