"""Running commands in child processes: always a timeout, never the parent's secrets."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

# What a child that runs user code gets of optiloop's own environment (the convention tox uses: an
# allowlist). Anything else, API keys, database URLs and passwords among it, stays behind unless the user
# names it in ``pass_env``. Globs as in ``fnmatch``, matched case-sensitively.
BASE_ENV: tuple[str, ...] = (
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "LC_*", "TERM", "TZ", "TMPDIR", "TEMP", "TMP",
    "VIRTUAL_ENV", "PYTHON*", "LD_LIBRARY_PATH", "PYENV_ROOT", "PYENV_VERSION",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
)
# Interpreter start-up hooks: code the child would run that is not the project's (an interactive start-up
# file, a debugger hook, a prompt after the script).
STARTUP_HOOKS = frozenset({"PYTHONSTARTUP", "PYTHONBREAKPOINT", "PYTHONINSPECT"})
# A name in the base that still looks like a secret (``PYTHON_KEYRING_PASSWORD``) stays behind too.
_SECRET = re.compile(r"KEY|TOKEN|SECRET|PASS(WORD|WD)?|CREDENTIAL|AUTH|DSN|COOKIE|SESSION", re.IGNORECASE)


def passes(name: str, pass_env: Sequence[str] = ()) -> bool:
    """Whether a child gets the variable ``name``: named (or globbed) in ``pass_env``, or in ``BASE_ENV``
    and neither a start-up hook nor secret-shaped."""
    if any(fnmatchcase(name, glob) for glob in pass_env):
        return True
    if name in STARTUP_HOOKS or _SECRET.search(name):
        return False
    return any(fnmatchcase(name, glob) for glob in BASE_ENV)


def child_env(extra: Mapping[str, str] | None = None, base: Mapping[str, str] | None = None,
              pass_env: Sequence[str] = ()) -> dict[str, str]:
    """The environment for a child that runs user code: the parent's variables that ``passes`` allows,
    ``PYTHONHASHSEED`` fixed so that children are deterministic, then ``extra`` (what optiloop sets itself)."""
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if passes(k, pass_env)}
    env["PYTHONHASHSEED"] = "0"
    env.update(extra or {})
    return env


def withheld(pass_env: Sequence[str] = (), base: Mapping[str, str] | None = None) -> list[str]:
    """The names of the parent's variables that children do not get, sorted (names only, never values)."""
    source = os.environ if base is None else base
    return sorted(k for k in source if not passes(k, pass_env))


CANNOT_START = "could not start"  # how a run that never started begins its stderr
HOOKS_ROOT = str(Path(__file__).resolve().parent)  # optiloop's own start-up hooks live inside the package


def project_env(env: Mapping[str, str], project: Path) -> dict[str, str]:
    """``env`` for running code of the project in ``project``: its ``src/`` (when there is one) and the
    directory itself first on ``PYTHONPATH`` (after optiloop's hooks), so the project is imported from
    there even where the environment has it installed, editable or not, from another checkout."""
    first = [str(p) for p in (project / "src", project) if p.is_dir()]
    rest = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p not in first]
    hooks = [p for p in rest if p.startswith(HOOKS_ROOT)]
    return {**env, "PYTHONPATH": os.pathsep.join([*hooks, *first, *(p for p in rest if p not in hooks)])}


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def tail(self, lines: int = 12) -> str:
        """The last lines of the output, stderr first, for error messages and feedback."""
        text = (self.stderr.strip() + "\n" + self.stdout.strip()).strip()
        return "\n".join(text.splitlines()[-lines:])

    def why(self) -> str:
        """Why a failed command failed, in a few words for a one-line message: ``timed out``, its last
        line of output, or its exit code."""
        return "timed out" if self.timed_out else (self.tail(1) or f"exit code {self.returncode}")


def shell_argv(cmd: str) -> list[str]:
    """argv that runs a shell command line. bash execs a lone command in place, so a profiler that
    starts the shell sees the Python process from its first instruction; sh is the fallback."""
    shell = shutil.which("bash") or "/bin/sh"
    return [shell, "-c", cmd]


def run(
    cmd: str | Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    memory_mb: int | None = None,
) -> Completed:
    """Run ``cmd`` (a shell string or an argv list) and wait at most ``timeout`` seconds.

    The child gets its own process group, so a timeout kills everything it started. With
    ``memory_mb``, the child's address space is limited (RLIMIT_AS) to that many MiB, so an
    allocation beyond it fails with ``MemoryError`` instead of exhausting the machine.
    """
    argv = shell_argv(cmd) if isinstance(cmd, str) else list(cmd)
    start = time.perf_counter()
    try:
        child = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
            preexec_fn=_address_space_limit(memory_mb) if memory_mb else None,
        )
    except OSError as exc:  # could not start at all (a missing program or directory, arguments too long):
        # a failed run like a shell's 126/127, for the caller to report, never a crash of the whole run
        code = 127 if isinstance(exc, FileNotFoundError) else 126
        why = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
        return Completed(code, "", f"{CANNOT_START} `{argv[0]}`: {why}", time.perf_counter() - start)
    with child:
        try:
            out, err = child.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            _kill_group(child)
            out, err = child.communicate()
            timed_out = True
        except BaseException:  # an interrupt (Ctrl-C in a session): nothing the child started outlives it
            _kill_group(child)
            raise
    seconds = time.perf_counter() - start
    code = child.returncode if child.returncode is not None else -9
    return Completed(code, out or "", err or "", seconds, timed_out)


def _address_space_limit(memory_mb: int) -> Callable[[], None]:
    """A ``preexec_fn`` that caps the child's address space (inherited by everything it starts)."""
    import resource  # POSIX only; imported before the fork, never in the child

    limit = memory_mb * 1024 * 1024

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def _kill_group(child: subprocess.Popen[str]) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
