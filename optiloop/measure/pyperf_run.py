"""One pyperf measurement of a shell command, in fresh processes.

pyperf runs as ``python -m pyperf command`` in a child: never a ``pyperf.Runner`` in optiloop's
own process. Its JSON output is kept as a raw artefact and read back with pyperf's public API.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import pyperf

from optiloop import proc


class MeasureError(Exception):
    """The measured command failed or timed out; carries the output tail."""


def pyperf_command(
    cmd: str,
    cwd: Path,
    env: Mapping[str, str],
    out_json: Path,
    values: int,
    timeout: float,
    name: str = "workload",
) -> tuple[float, ...]:
    """Run ``cmd`` ``values`` times in one pyperf worker process; returns seconds per run."""
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.unlink(missing_ok=True)
    argv = [
        sys.executable, "-m", "pyperf", "command",
        "--quiet", "--processes", "1", "--values", str(values), "--warmups", "0", "--loops", "1",
        "--copy-env", "--name", name, "--output", str(out_json),
        "--", *proc.shell_argv(cmd),
    ]  # fmt: skip
    done = proc.run(argv, cwd, env, timeout * values + 60)
    if done.timed_out:
        raise MeasureError(f"timed out after {timeout * values + 60:.0f} s")
    if not done.ok or not out_json.exists():
        raise MeasureError(f"exit code {done.returncode}: {_reason(done)}")
    bench = pyperf.Benchmark.load(str(out_json))
    return tuple(float(v) for v in bench.get_values())


def _reason(done: proc.Completed) -> str:
    """pyperf wraps the command's failure in its own traceback; keep the meaningful last line."""
    lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
    for line in reversed(lines):
        if "Command failed" in line or "Error" in line:
            return line.strip()
    return lines[-1].strip() if lines else "no output"
