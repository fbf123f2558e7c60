"""Running only some tests: the command that runs just the tests that cover a target, with the same runner
(pytest or unittest) and options as the project's own test command, or None when that cannot be done safely."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SHELL = re.compile(r"[;&|<>`$()\n]")
_MAX_IDS_CHARS = 100_000  # test ids beyond this run as the full suite (one argument may hold 128 KiB)
_PYTEST_VALUE = {"-c", "-o", "-p", "-W", "-n", "-r", "--maxfail", "--rootdir", "--tb", "--ignore", "--ignore-glob",
                 "--junitxml", "--confcutdir", "--basetemp", "--durations", "--dist", "--import-mode", "--cov",
                 "--cov-report", "--log-level", "--timeout", "--color", "--capture"}
_PYTEST_SELECT = {"-k", "-m", "--deselect"}
_UNITTEST_FLAGS = {"-v", "-q", "-f", "-c", "-b", "--verbose", "--quiet", "--failfast", "--catch", "--buffer",
                   "--locals", "--durations"}


def covering_command(tests_cmd: str, test_ids: tuple[str, ...]) -> str | None:
    """A shell command that runs only ``test_ids`` with the same runner as ``tests_cmd``.

    pytest commands (``pytest ...``, ``python -m pytest ...``) keep their options and get node ids
    instead of paths and ``-k``/``-m`` selections; unittest commands (``python -m unittest [discover
    ...]``) get dotted ids, with the discovery top-level directory on ``PYTHONPATH``. None when the
    command is anything else (a script, make, tox, a pipeline) or there are no ids, or when the ids would
    not fit in one command line (``bash -c`` takes at most 128 KiB in its argument: E2BIG).
    """
    if not test_ids or _SHELL.search(tests_cmd) or sum(len(t) + 3 for t in test_ids) > _MAX_IDS_CHARS:
        return None
    try:
        words = shlex.split(tests_cmd)
    except ValueError:
        return None
    n = 0
    while n < len(words) and _ASSIGN.match(words[n]):
        n += 1
    env, rest = words[:n], words[n:]
    if not rest:
        return None
    program = Path(rest[0]).name
    if program in ("pytest", "py.test"):
        return shlex.join([*env, rest[0], *_pytest_options(rest[1:]), *test_ids])
    if not re.fullmatch(r"python[0-9.]*", program) or len(rest) < 3 or rest[1] != "-m":
        return None
    if rest[2] == "pytest":
        return shlex.join([*env, *rest[:3], *_pytest_options(rest[3:]), *test_ids])
    if rest[2] != "unittest":
        return None
    parsed = _unittest_args(rest[3:])
    if parsed is None:
        return None
    flags, top = parsed
    command = shlex.join([*env, *rest[:3], *flags, *test_ids])
    if top in ("", "."):
        return command
    return f"PYTHONPATH={shlex.quote(top)}${{PYTHONPATH:+:$PYTHONPATH}} {command}"


def _pytest_options(args: list[str]) -> list[str]:
    kept: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        if word in _PYTEST_SELECT:
            i += 2
            continue
        if any(word.startswith(opt + "=") for opt in _PYTEST_SELECT if opt.startswith("--")):
            i += 1
            continue
        if word.startswith("-"):
            kept.append(word)
            if word in _PYTEST_VALUE and i + 1 < len(args):
                kept.append(args[i + 1])
                i += 1
        i += 1
    return kept


def _unittest_args(args: list[str]) -> tuple[list[str], str] | None:
    """(flags to keep, top-level directory of the ids) for ``python -m unittest ARGS``."""
    discover = bool(args) and args[0] == "discover"
    words = args[1:] if discover else args
    flags: list[str] = []
    start, top, positional = ".", "", []
    i = 0
    while i < len(words):
        word = words[i]
        value = words[i + 1] if i + 1 < len(words) else ""
        if word in ("-s", "--start-directory"):
            start, i = value, i + 2
        elif word in ("-t", "--top-level-directory"):
            top, i = value, i + 2
        elif word in ("-p", "--pattern", "-k"):
            i += 2
        elif word in _UNITTEST_FLAGS:
            flags.append(word)
            i += 1
        elif word.startswith("-"):
            return None
        else:
            positional.append(word)
            i += 1
    if not discover:
        return flags, "."
    if positional:
        start = positional[0]
        top = positional[2] if len(positional) > 2 else top
    return flags, top or start
