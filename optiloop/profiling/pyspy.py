"""Running ``py-spy record`` on a shell command."""

from __future__ import annotations

import shutil
import sys
import sysconfig
from collections.abc import Mapping
from pathlib import Path

from optiloop import proc
from optiloop.errors import RunFailure


def pyspy_binary() -> str:
    """py-spy installed beside this interpreter (a dependency of optiloop), else on PATH."""
    scripts = Path(sysconfig.get_path("scripts"))
    for candidate in (scripts / "py-spy", Path(sys.executable).parent / "py-spy"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("py-spy")
    if found is None:
        raise RunFailure("py-spy was not found", "reinstall optiloop: pip install optiloop")
    return found


def record(cmd: str, cwd: Path, env: Mapping[str, str], out: Path, rate: int, timeout: float) -> None:
    """Sample ``cmd`` and its child processes into ``out`` (collapsed stacks, full file names)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [
        pyspy_binary(), "record", "--rate", str(rate), "--format", "raw", "--full-filenames",
        "--subprocesses", "--output", str(out), "--", *proc.shell_argv(cmd),
    ]  # fmt: skip
    done = proc.run(argv, cwd, env, timeout)
    if done.timed_out:
        raise RunFailure(f"profiling the workload timed out after {timeout:.0f} s")
    if not done.ok or not out.exists():
        error = next((ln for ln in done.stderr.splitlines() if ln.startswith("Error:")), done.tail(3))
        raise RunFailure(f"py-spy could not profile the workload (exit {done.returncode}): {error}")
