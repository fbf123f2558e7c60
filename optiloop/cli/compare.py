"""``optiloop compare``: two git refs of the same repository, measured interleaved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from optiloop.cli.bench import fmt_seconds, progress_bar
from optiloop.cli.common import errors_to_exit, say
from optiloop.cli.options import MEASURE_SETTINGS, with_settings
from optiloop.config import Settings, load_settings
from optiloop.errors import BadInput
from optiloop.layout import resolve_python
from optiloop.measure.standalone import Compared, CompareSettings, compare
from optiloop.proc import child_env
from optiloop.record.codec import to_jsonable


def compare_settings(settings: Settings, min_speedup: float) -> CompareSettings:
    """How ``optiloop compare`` and the PR bot's regression check measure, from the run's settings."""
    python = resolve_python(settings.python, Path.cwd()) if settings.python else None
    return CompareSettings(settings.rounds, min_speedup, settings.timeout, settings.measure_budget,
                           settings.setup, python, settings.measure)


def compare_text(c: Compared) -> list[str]:
    """The plain headline, the two refs' times, then the statistics and any hint."""
    v = c.verdict
    lines = [f"{c.ref_b} ({c.sha_b[:10]}) against {c.ref_a} ({c.sha_a[:10]}): {v.plain}"]
    if v.baseline is not None and v.candidate is not None:
        lines.append(f"  {c.ref_a}: {fmt_seconds(v.baseline.mean)} ± {fmt_seconds(v.baseline.stdev)}   "
                     f"{c.ref_b}: {fmt_seconds(v.candidate.mean)} ± {fmt_seconds(v.candidate.stdev)}   "
                     f"({v.rounds} interleaved rounds in {v.seconds:.1f} s)")
    lines.append(f"  statistics: {v.reason}")
    if v.advice:
        lines.append(f"  hint: {v.advice}")
    if c.why:
        lines.append(f"  measured in {'simulated cycles' if v.measure == 'cycles' else 'wall time'}: {c.why}")
    return lines


def compare_json(c: Compared) -> dict[str, object]:
    v = c.verdict
    return {"ref_a": c.ref_a, "ref_b": c.ref_b, "sha_a": c.sha_a, "sha_b": c.sha_b, "speedup": v.speedup,
            "ci_low": v.ci_low, "ci_high": v.ci_high, "significant": v.significant, "faster": v.accepted,
            "headline": v.plain, "reason": v.reason, "rounds": v.rounds, "seconds": v.seconds, "stopped": v.stopped,
            "a": to_jsonable(v.baseline), "b": to_jsonable(v.candidate), "instructions": v.instructions,
            "measure": v.measure, "measure_why": c.why, "cycles": v.cycles, "tolerance": v.tolerance,
            "peak_memory": v.peak_memory,
            "wall": None if v.guard is None else {"speedup": v.guard.speedup, "ci_low": v.guard.ci_low,
                                                  "ci_high": v.guard.ci_high, "rounds": v.guard.rounds}}


@with_settings(*MEASURE_SETTINGS)
def compare_command(
    ref_a: Annotated[str, typer.Argument(help="The reference: a commit, branch or tag.")],
    ref_b: Annotated[str, typer.Argument(help="The ref measured against REF_A (speedup > 1: REF_B is faster).")],
    path: Annotated[Path, typer.Option(help="The project: the repository or a directory inside it.")] = Path("."),
    min_speedup: Annotated[float, typer.Option(help="Speedup REF_B must reach to count as faster.")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    *,
    flags: dict[str, Any],
) -> None:
    """Measure the workload at two git refs, interleaved, and print the speedup with its interval."""
    with errors_to_exit():
        if not path.is_dir():
            raise BadInput(f"{path} is not a directory", "pass --path of a directory inside the repository")
        settings = load_settings(path, flags)
        if not settings.workload:
            raise BadInput("no workload command given",
                           "pass --workload CMD or set workload = \"...\" under [tool.optiloop] in pyproject.toml")
        if min_speedup < 1.0:
            raise BadInput(f"--min-speedup {min_speedup} is below 1.0", "pass 1.0 or more")
        env = child_env(pass_env=settings.pass_env)
        how = compare_settings(settings, min_speedup)
        with progress_bar("measuring interleaved rounds") as update:
            result = compare(path, ref_a, ref_b, settings.workload, how, env, update)
        if as_json:
            say(json.dumps(compare_json(result), indent=2))
        else:
            for line in compare_text(result):
                say(line)
