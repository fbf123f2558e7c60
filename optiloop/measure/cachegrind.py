"""Simulated cost of one whole run of a command: valgrind's cachegrind counts every instruction and every
simulated cache miss of the command and all the processes it starts.

The counts do not depend on the machine's load, its clock or its neighbours: a run counted twice gives the
same figures up to a tiny tolerance (addresses and path lengths that differ between the trees), which a
run measures once at its start (an A/A count) and records. They cost time: a simulated run takes about
50 times as long as a plain one.

Cost model: the estimated cycle count is Itamar Turner-Trauring's formula, the one iai, iai-callgrind and
yab use (https://pythonspeed.com/articles/consistent-benchmarking-in-ci/):

    cycles = L1 hits + 5 * LL hits + 35 * RAM accesses

where the accesses are instruction fetches, data reads and data writes; an L1 hit is an access that did not
miss L1; an LL hit one that missed L1 but not the last-level cache; a RAM access one that missed both. The
cache geometry is fixed (I1 and D1: 32 KiB, 8-way, 64-byte lines; LL: 8 MiB, 16-way) instead of read from
the host's CPUID, so the same run costs the same on every machine. ``docs/measurement.md`` compares the
figure with wall time on real candidates.
"""

from __future__ import annotations

import functools
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from optiloop import proc
from optiloop.types import Cost

CACHES = ("--I1=32768,8,64", "--D1=32768,8,64", "--LL=8388608,16,64")
SLOWDOWN = 50  # a simulated run takes about this many times a plain run's wall time (measured here: 45-55x)
PACKAGE = "valgrind"  # Debian's and Ubuntu's package (and Homebrew's, Fedora's) that provides it


class CountError(Exception):
    """The command failed, timed out or could not run under valgrind; the message says which."""


def parse(text: str) -> dict[str, int]:
    """The ``summary:`` totals of one cachegrind output file, by event name."""
    events = re.search(r"^events:\s*(.+)$", text, re.MULTILINE)
    summary = re.search(r"^summary:\s*(.+)$", text, re.MULTILINE)
    if events is None or summary is None:
        return {}
    return dict(zip(events[1].split(), (int(v) for v in summary[1].split()), strict=False))


def cost_of(files: Iterable[Path]) -> Cost | None:
    """The summed cost of cachegrind output files (one per process); None when none holds a summary."""
    totals: dict[str, int] = {}
    processes = 0
    for path in files:
        found = parse(path.read_text(encoding="utf-8", errors="replace"))
        if not found:
            continue
        processes += 1
        for name, value in found.items():
            totals[name] = totals.get(name, 0) + value

    def total(*names: str) -> int:
        return sum(totals.get(n, 0) for n in names)

    if not processes:
        return None
    return Cost(total("Ir"), total("Ir", "Dr", "Dw"), total("I1mr", "D1mr", "D1mw"), total("ILmr", "DLmr", "DLmw"),
                processes)


@functools.cache
def available() -> str | None:
    """valgrind's version where it is installed and runs here (checked once per process), else None."""
    exe = shutil.which("valgrind")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory(prefix="optiloop-valgrind-") as tmp:
        done = proc.run([exe, "--version"], Path(tmp), proc.child_env(), 30)
    return done.stdout.strip() if done.ok else None


def argv(cmd: str, out_dir: Path) -> list[str]:
    """valgrind running ``cmd`` through the shell: every child followed, one output file per process."""
    return [shutil.which("valgrind") or "valgrind", "--tool=cachegrind", "--cache-sim=yes", "--branch-sim=no",
            "--trace-children=yes", *CACHES, f"--cachegrind-out-file={out_dir}/cachegrind.out.%p",
            f"--log-file={out_dir}/valgrind.%p.log", *proc.shell_argv(cmd)]


def count(cmd: str, cwd: Path, env: Mapping[str, str], out_dir: Path, timeout: float) -> Cost:
    """Run ``cmd`` once under cachegrind; its output files stay in ``out_dir`` (emptied first)."""
    if available() is None:
        raise CountError(f"valgrind is not installed (install the `{PACKAGE}` package)")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    done = proc.run(argv(cmd, out_dir), cwd, env, timeout)
    if done.timed_out:
        raise CountError(f"one simulated run took longer than {timeout:.0f} s")
    if not done.ok:
        raise CountError(_why(done, out_dir))
    cost = cost_of(sorted(out_dir.glob("cachegrind.out.*")))
    if cost is None:
        raise CountError("valgrind wrote no counts")
    return cost


def _why(done: proc.Completed, out_dir: Path) -> str:
    """Why a simulated run failed: valgrind's own complaint (an unsupported instruction, a JIT it rejects)
    where its log has one, else the command's last line of output."""
    for log in sorted(out_dir.glob("valgrind.*.log")):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            text = re.sub(r"^==\d+==\s*", "", line).strip()
            if re.search(r"unhandled instruction|unrecognised instruction|Fatal error|valgrind: ", text, re.I):
                return f"valgrind cannot run it: {text}"
    return f"it fails under valgrind ({done.why()})"

