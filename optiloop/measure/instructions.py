"""Instruction counts from ``perf stat -e instructions``: a second, low-noise signal beside times.

Many machines (containers, VMs, ``perf_event_paranoid``) do not allow the counter; that is found
out once per process and then nothing is counted. Never required.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from optiloop import proc


def parse_perf_csv(text: str) -> int | None:
    """The instruction count from ``perf stat -x,`` output, or None when it was not counted."""
    for line in text.splitlines():
        fields = line.split(",")
        if len(fields) >= 3 and fields[2].startswith("instructions"):
            value = fields[0].strip()
            return int(value) if value.isdigit() else None
    return None


def _perf_argv(cmd: str, out: Path) -> list[str]:
    perf = shutil.which("perf") or "perf"
    return [perf, "stat", "-e", "instructions", "-x", ",", "-o", str(out), "--", *proc.shell_argv(cmd)]


@functools.cache
def available() -> bool:
    """Whether ``perf stat -e instructions`` counts anything here (checked once per process)."""
    if shutil.which("perf") is None:
        return False
    with tempfile.TemporaryDirectory(prefix="optiloop-perf-") as tmp:
        out = Path(tmp) / "probe.csv"
        done = proc.run(_perf_argv("true", out), Path(tmp), proc.child_env(), 30)
        return done.ok and out.exists() and (parse_perf_csv(out.read_text(errors="replace")) or 0) > 0


def count(cmd: str, cwd: Path, env: Mapping[str, str], out: Path, timeout: float) -> int | None:
    """Instructions of one run of ``cmd`` (user and kernel, all its processes), or None."""
    if not available():
        return None
    out.unlink(missing_ok=True)
    done = proc.run(_perf_argv(cmd, out), cwd, env, timeout)
    if not done.ok or not out.exists():
        return None
    return parse_perf_csv(out.read_text(errors="replace"))


def fmt_count(n: int) -> str:
    return f"{n / 1e9:.3f}e9" if n >= 1e8 else f"{n:,}"
