"""One pyperf measurement of a shell command, in fresh processes.

pyperf runs as ``python -m pyperf command`` in a child: never a ``pyperf.Runner`` in optiloop's
own process. Its JSON output is kept as a raw artefact and read back with pyperf's public API.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pyperf

from optiloop import proc

TOO_FAST = 0.001  # seconds of workload beyond the cost of starting an empty command
STARTUP_SLACK = 30.0  # seconds pyperf itself may take to start, beyond the workload's own timeout


class MeasureError(Exception):
    """The measured command failed or timed out; carries the output tail."""


class TimedOut(MeasureError):
    """A run of the workload took longer than the timeout."""


class TooFast(MeasureError):
    """The workload finishes too quickly for a process-level timer to tell changes apart."""


def pyperf_command(
    cmd: str,
    cwd: Path,
    env: Mapping[str, str],
    out_json: Path,
    values: int,
    timeout: float,
    name: str = "workload",
    warmups: int = 0,
) -> tuple[float, ...]:
    """Run ``cmd`` ``warmups + values`` times in one pyperf worker process; returns seconds per
    measured run (warm-up runs stay in the JSON file, marked as such by pyperf)."""
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.unlink(missing_ok=True)
    argv = [
        sys.executable, "-m", "pyperf", "command",
        "--quiet", "--processes", "1", "--values", str(values), "--warmups", str(warmups), "--loops", "1",
        "--copy-env", "--name", name, "--output", str(out_json),
        "--", *proc.shell_argv(cmd),
    ]  # fmt: skip
    limit = timeout * (values + warmups) + min(STARTUP_SLACK, 2.0 + 2 * timeout)
    done = proc.run(argv, cwd, env, limit)
    if done.timed_out:
        raise TimedOut(f"it did not finish within --timeout {timeout:g} s per run (no result after {limit:.0f} s)")
    if not done.ok or not out_json.exists():
        raise MeasureError(_failure(cmd, cwd, env, timeout, done))
    bench = pyperf.Benchmark.load(str(out_json))
    return tuple(float(v) for v in bench.get_values())


def peak_rss(out_json: Path) -> int | None:
    """The peak resident memory in bytes of the measured command and its children (pyperf's
    ``command_max_rss``: the largest over the runs in the file), or None where it was not recorded."""
    try:
        bench = pyperf.Benchmark.load(str(out_json))
    except (OSError, ValueError):
        return None
    peaks = [r.get_metadata().get("command_max_rss") for r in bench.get_runs()]
    values = [int(v) for v in peaks if isinstance(v, (int, float)) and v > 0]
    return max(values) if values else None


def startup_cost(cwd: Path, env: Mapping[str, str], out_json: Path, timeout: float = 60.0, runs: int = 3) -> float:
    """Seconds pyperf measures for an empty command (``true``): what starting a process costs."""
    return min(pyperf_command("true", cwd, env, out_json, runs, timeout, name="empty", warmups=1))


def check_timeable(values: tuple[float, ...], cwd: Path, env: Mapping[str, str], out_json: Path,
                   more: Callable[[int], tuple[float, ...]] | None = None) -> None:
    """Raise ``TooFast`` when the workload's own work (beyond an empty command's time) is under ``TOO_FAST``
    or under the start-up cost itself. Both are the fastest of as many runs: load only ever adds time, so
    minima compare what the commands cost."""
    typical = min(values)
    if typical >= 0.010:  # cheap case first: 10 ms is far above any process start-up
        return
    if more is not None and len(values) < 5:  # as many runs of each, so that their minima compare
        values = (*values, *more(5 - len(values)))
        typical = min(values)
    empty = startup_cost(cwd, env, out_json, runs=max(5, len(values)))
    if typical - empty < max(TOO_FAST, empty):
        raise TooFast(f"the workload takes {typical * 1000:.2f} ms per run, no more than starting an empty "
                      f"command takes ({empty * 1000:.2f} ms): too fast to time")


def _failure(cmd: str, cwd: Path, env: Mapping[str, str], timeout: float, done: proc.Completed) -> str:
    """pyperf hides the command's own output: run it once more, directly, to say why it failed."""
    direct = proc.run(cmd, cwd, env, timeout)
    if direct.timed_out:
        return f"a run took longer than --timeout {timeout:g} s"
    if not direct.ok:
        last = direct.tail(1)
        return f"exit code {direct.returncode}" + (f": {last}" if last else "")
    return f"pyperf failed: {_reason(done)}"


def _reason(done: proc.Completed) -> str:
    """pyperf wraps the command's failure in its own traceback; keep the meaningful last line."""
    lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
    for line in reversed(lines):
        if "Command failed" in line or "Error" in line:
            return line.strip()
    return lines[-1].strip() if lines else "no output"
