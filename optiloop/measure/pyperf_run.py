"""One pyperf measurement of a shell command, in fresh processes.

pyperf runs as ``python -m pyperf command`` in a child: never a ``pyperf.Runner`` in optiloop's
own process. Its JSON output is kept as a raw artefact and read back with pyperf's public API.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from statistics import median

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
    measured run (warm-up runs stay in the JSON file, marked as such by pyperf).

    The child is pyperf's worker itself (``--worker``), not a manager that starts one worker: each sample is
    a fresh process either way, and starting (and importing) pyperf once instead of twice halves what a
    sample costs beyond the workload, which on a short workload was most of a measurement's time."""
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.unlink(missing_ok=True)
    argv = [
        sys.executable, "-m", "pyperf", "command", "--worker",
        "--quiet", "--values", str(values), "--warmups", str(warmups), "--loops", "1",
        "--name", name, "--output", str(out_json),
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


CLEARLY_TIMEABLE = 0.050  # a run this long is far above any process start-up, even on a loaded machine
PAIRS = 5  # runs of the workload and of an empty command, taken in turn, when it is closer than that


def check_timeable(values: tuple[float, ...], cwd: Path, env: Mapping[str, str], out_json: Path,
                   more: Callable[[int], tuple[float, ...]]) -> None:
    """Raise ``TooFast`` when the workload's own work (beyond an empty command's time) is under ``TOO_FAST``
    or under the start-up cost itself. The workload (``more(1)``: one more run of it) and the empty command
    are run in turn, ``PAIRS`` times: the median of the paired differences is what the workload itself costs,
    and the load of the moment weighs on both runs of a pair alike (a neighbour that makes even an empty
    command take 13 ms no longer passes it for a workload)."""
    if min(values) >= CLEARLY_TIMEABLE:
        return
    work: list[float] = []
    empty: list[float] = []
    for i in range(PAIRS):
        work += more(1)
        empty += pyperf_command("true", cwd, env, out_json.with_name(f"{out_json.stem}-{i}.json"), 1, 60,
                                name="empty")
    own = median(w - e for w, e in zip(work, empty, strict=True))
    start = median(empty)
    if own < max(TOO_FAST, start):
        raise TooFast(f"the workload takes {median(work) * 1000:.2f} ms per run, no more than starting an empty "
                      f"command takes ({start * 1000:.2f} ms): too fast to time")


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
