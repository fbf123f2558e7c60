"""Running ``py-spy record`` on a shell command."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from collections.abc import Mapping
from pathlib import Path

from optiloop import proc
from optiloop.errors import RunFailure

ENV_BINARY = "OPTILOOP_PYSPY"  # names the py-spy executable; a path that does not exist means "unavailable"
_REFUSED = ("permission denied", "operation not permitted", "ptrace", "elevated permissions", "cap_sys_ptrace",
            "not permitted")


class PySpyUnavailable(RunFailure):
    """py-spy is missing, or may not attach to processes here (ptrace refused, as in many containers)."""


class NativeUnsupported(RunFailure):
    """py-spy cannot unwind native stacks (``--native``) on this platform or for this process."""


def pyspy_binary(environ: Mapping[str, str] | None = None) -> str:
    """``$OPTILOOP_PYSPY`` if set; else py-spy installed beside this interpreter, else on PATH."""
    env = os.environ if environ is None else environ
    named = env.get(ENV_BINARY)
    if named:
        found = shutil.which(named) if os.sep not in named else (named if os.access(named, os.X_OK) else None)
        if found is None:
            raise PySpyUnavailable(f"{ENV_BINARY}={named} is not an executable")
        return found
    scripts = Path(sysconfig.get_path("scripts"))
    for candidate in (scripts / "py-spy", Path(sys.executable).parent / "py-spy"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("py-spy")
    if found is None:
        raise PySpyUnavailable("py-spy was not found", "reinstall optiloop: pip install optiloop")
    return found


def record(cmd: str, cwd: Path, env: Mapping[str, str], out: Path, rate: int, timeout: float,
           native: bool = False) -> None:
    """Sample ``cmd`` and its child processes into ``out`` (collapsed stacks, full file names); with
    ``native``, C/C++/Rust frames below the Python ones too (py-spy ``--native``).

    Raises ``PySpyUnavailable`` when py-spy is missing or may not attach, ``NativeUnsupported`` when it
    refuses ``--native``, ``RunFailure`` otherwise.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    argv = [
        pyspy_binary(), "record", "--rate", str(rate), "--format", "raw", "--full-filenames",
        "--subprocesses", *(["--native"] if native else []), "--output", str(out), "--", *proc.shell_argv(cmd),
    ]  # fmt: skip
    done = proc.run(argv, cwd, env, timeout)
    if done.returncode in (126, 127) and done.stderr.startswith(proc.CANNOT_START):  # not executable, ...
        raise PySpyUnavailable(f"py-spy could not be started: {done.stderr}")
    if done.timed_out:
        raise RunFailure(f"profiling the workload timed out after {timeout:.0f} s")
    if not done.ok or not out.exists():
        error = next((ln for ln in done.stderr.splitlines() if ln.startswith("Error:")), done.tail(3))
        message = f"py-spy could not profile the workload (exit {done.returncode}): {error}"
        if any(word in done.stderr.lower() for word in _REFUSED):
            raise PySpyUnavailable(message)
        if native and "native" in done.stderr.lower():
            raise NativeUnsupported(message)
        raise RunFailure(message)
