"""Running user commands with optiloop's ``sitecustomize`` hook: the profiler used when py-spy cannot be.

The hook (``sitehook.py``) is stdlib-only and is written as ``sitecustomize.py`` into a fresh
directory placed first on ``PYTHONPATH``, so child Python processes load it too; it chains to any
``sitecustomize`` it shadows.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from optiloop import proc
from optiloop.errors import RunFailure
from optiloop.profiling.collapsed import Stack, format_raw, parse_raw

HOOK_SOURCE = Path(__file__).with_name("sitehook.py")


def hook_env(env: Mapping[str, str], hook_dir: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """``env`` with ``hook_dir`` (holding ``sitecustomize.py``) first on ``PYTHONPATH``, plus ``extra``."""
    hook_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HOOK_SOURCE, hook_dir / "sitecustomize.py")
    out = dict(env)
    previous = out.get("PYTHONPATH", "")
    out["PYTHONPATH"] = str(hook_dir) + (os.pathsep + previous if previous else "")
    out.update(extra)
    return out


def _run(cmd: str, cwd: Path, env: Mapping[str, str], work: Path, extra: dict[str, str], timeout: float) -> None:
    shutil.rmtree(work, ignore_errors=True)
    hook = work.with_name(work.name + "-hook")
    child = hook_env(env, hook, {"OPTILOOP_SAMPLER_OUT": str(work), **extra})
    try:
        done = proc.run(cmd, cwd, child, timeout)
    finally:
        shutil.rmtree(hook, ignore_errors=True)
    if done.timed_out:
        raise RunFailure(f"profiling the workload timed out after {timeout:.0f} s")
    if not done.ok:
        raise RunFailure(f"the workload failed under the fallback profiler (exit {done.returncode}): {done.tail(1)}")


def cprofile(cmd: str, cwd: Path, env: Mapping[str, str], out: Path, timeout: float) -> list[Path]:
    """Run ``cmd`` once under cProfile (every Python process); returns the ``<pid>.prof`` files in ``out``."""
    _run(cmd, cwd, env, out, {"OPTILOOP_SAMPLER_CPROFILE": "1"}, timeout)
    return sorted(out.glob("*.prof"))


def sample(
    cmd: str, cwd: Path, env: Mapping[str, str], out: Path, rate: int, timeout: float
) -> list[tuple[Stack, int]]:
    """Run ``cmd`` with the stack sampler in each Python process (main threads only); the merged
    stacks go to ``out`` in py-spy's raw format and are returned."""
    work = out.with_name(out.stem + "-stacks")
    _run(cmd, cwd, env, work, {"OPTILOOP_SAMPLER_RATE": str(rate)}, timeout)
    stacks: list[tuple[Stack, int]] = []
    for dump in sorted(work.glob("*.txt")) if work.is_dir() else []:
        stacks += parse_raw(dump.read_text(encoding="utf-8", errors="replace"))
    shutil.rmtree(work, ignore_errors=True)
    out.write_text(format_raw(stacks), encoding="utf-8")
    return stacks
