"""``optiloop profile``: where the workload's time goes, as a ranked table and a speedscope file.

The workload (and with ``--targets`` the tests) runs in the user's checkout with
``PYTHONDONTWRITEBYTECODE=1`` and pytest's cache off; optiloop itself writes only under
``.optiloop/profiles/<id>/`` (kept out of ``git status`` through ``info/exclude``) and the ``--output``
file if one is given. What the workload itself writes is up to the workload.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table
from rich.text import Text

from optiloop import vcs
from optiloop.cli.common import errors_to_exit, out, progress, say
from optiloop.cli.options import PassEnv
from optiloop.config import excluded_globs, load_settings
from optiloop.context import estimate_tokens, hottest_line, prompt_material
from optiloop.errors import BadInput
from optiloop.journal import RECORD_DIR, new_run_id
from optiloop.paths import Scope, scripts_in
from optiloop.proc import child_env
from optiloop.profiling import InPlace, PySpyProfiler
from optiloop.profiling.addressable import bound, footer, unreachable
from optiloop.profiling.collapsed import Resolver, own_time, parse_raw
from optiloop.targets import FindTargets
from optiloop.types import Hotspot, Profile, Target, Workload


def _line_text(root: Path, h: Hotspot, line: int) -> str:
    try:
        lines = (root / h.path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def _rows(root: Path, profile: Profile, in_scope: Callable[[str], bool]) -> list[dict[str, Any]]:
    stacks = parse_raw(profile.raw_path.read_text(encoding="utf-8")) if profile.raw_path else []
    own = own_time(stacks, Resolver(root, in_scope))
    rows = []
    for rank, h in enumerate(profile.hotspots, 1):
        hot = hottest_line(h)
        rows.append({
            "rank": rank, "function": h.qualname, "path": h.path, "line": h.line,
            "self_frac": round(h.self_frac, 4), "total_frac": round(h.total_frac, 4),
            "own_frac": round(own[(h.path, h.qualname)] / profile.samples, 4) if profile.samples else 0.0,
            "hottest_line": hot[0] if hot else None, "hottest_line_frac": round(hot[1], 4) if hot else None,
            "hottest_code": _line_text(root, h, hot[0]) if hot else "",
        })  # fmt: skip
    return rows


def _table(rows: list[dict[str, Any]], samples: int) -> Table:
    table = Table(title=f"hot definitions ({samples} samples)")
    for col in ("#", "function", "file:line", "self %", "incl %", "hottest line"):
        table.add_column(col, overflow="fold", justify="right" if col.endswith("%") or col == "#" else "left")
    for r in rows:
        hot = f"{r['hottest_line']} ({r['hottest_line_frac']:.0%}): {r['hottest_code']}" if r["hottest_line"] else ""
        cells = (str(r["rank"]), r["function"], f"{r['path']}:{r['line']}", f"{r['self_frac']:.1%}",
                 f"{r['total_frac']:.1%}", hot)
        table.add_row(*(Text(c) for c in cells))  # code is shown as written, never read as markup
    return table


def _sizes(targets: list[Target]) -> dict[str, Any]:
    """Tokens (chars/4) of each target's prompt material against sending its whole module."""
    per = [{
        "target": t.key,
        "context_tokens": estimate_tokens(prompt_material(t)),
        "file_tokens": estimate_tokens(t.module_source),
        "covering_tests": list(t.covering_tests),
    } for t in targets]  # fmt: skip
    context = [estimate_tokens(prompt_material(t)) for t in targets]
    whole = [estimate_tokens(t.module_source) for t in targets]
    median = {
        "context_tokens": statistics.median(context) if context else 0,
        "file_tokens": statistics.median(whole) if whole else 0,
    }
    return {"targets": per, "median": median, "approximation": "tokens = characters / 4"}


def profile(
    path: Annotated[Path, typer.Argument(help="The project: a git repository or a directory inside one.")] = Path("."),
    workload: Annotated[Optional[str], typer.Option(help="Shell command that exercises the code.")] = None,
    rate: Annotated[Optional[int], typer.Option(help="Samples per second (10-5000).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the hotspots as JSON.")] = False,
    output: Annotated[Optional[Path], typer.Option(help="Also write the speedscope JSON to this file.")] = None,
    targets: Annotated[bool, typer.Option(
        help="Also build each hot definition's prompt context (runs the tests once); report its size.")] = False,
    pass_env: PassEnv = None,
) -> None:
    """Profile the workload and rank the project's hot definitions by addressable time."""
    with errors_to_exit():
        repo = vcs.open_repo(path)
        root = Path(repo.working_dir).resolve()
        project = path.resolve()
        subdir = "" if project == root else project.relative_to(root).as_posix()
        settings = load_settings(project, {"workload": workload, "profile_rate": rate,
                                                 "pass_env": tuple(pass_env) if pass_env else None})
        if not settings.workload:
            raise BadInput("no workload command given",
                           "pass --workload CMD or set workload = \"...\" under [tool.optiloop] in pyproject.toml")
        if output is not None and not output.parent.is_dir():
            raise BadInput(f"the directory of --output {output} does not exist", "create it or pick another file")
        if targets and not settings.tests:
            raise BadInput("--targets needs the test command to find covering tests",
                           "set tests = \"...\" under [tool.optiloop] in pyproject.toml")
        scope = Scope(subdir, settings.include, excluded_globs(settings) + scripts_in(settings.workload))
        vcs.exclude_optiloop_dir(repo)
        record = root / RECORD_DIR / "profiles" / new_run_id()

        def artifact(name: str) -> Path:
            where = record / name
            where.parent.mkdir(parents=True, exist_ok=True)
            return where

        addopts = f"{os.environ.get('PYTEST_ADDOPTS', '')} -p no:cacheprovider".strip()
        env = child_env({"PYTHONDONTWRITEBYTECODE": "1", "PYTEST_ADDOPTS": addopts},  # nothing written in place
                        pass_env=settings.pass_env)
        profiler = PySpyProfiler(InPlace(root, subdir, env), Workload(settings.workload), artifact, scope.contains,
                                 settings.profile_rate, settings.timeout, on_note=lambda n: progress(f"note: {n}"))
        result = profiler.profile("profile")
        speedscope = record / "profiles" / "profile.speedscope.json"
        if output is not None:
            shutil.copyfile(speedscope, output)
        rows = _rows(root, result, scope.contains)
        report: dict[str, Any] = {
            "samples": result.samples, "profiler": "fallback" if profiler.fallback else "py-spy",
            "notes": profiler.notes, "cutoff": profiler.min_frac, "raw": str(result.raw_path),
            "speedscope": str(output or speedscope), "hotspots": rows,
            "breakdown": {c: round(share, 4) for c, share in result.breakdown},
            "addressable": round(result.addressable, 4),
            "bound": None if math.isinf(bound(result)) else round(bound(result), 4),
            "unreachable": unreachable(result, settings.min_speedup),
        }  # fmt: skip
        if targets:
            finder = FindTargets(root, project, scope.contains, settings.tests, env, artifact, settings.timeout)
            report["prompt"] = _sizes(finder(result, lambda rel: (root / rel).read_text(encoding="utf-8")))
        if as_json:
            say(json.dumps(report, indent=2))
            return
        out.print(_table(rows, result.samples))
        say(f"self % = the definition's own lines plus the library and builtin code it calls directly; "
            f"definitions under {profiler.min_frac:.0%} are not shown.")
        note = footer(result)
        if note is not None:
            say(note)
        if report["unreachable"]:
            say(f"{report['unreachable']}.")
        if "prompt" in report:
            med = report["prompt"]["median"]
            say(f"prompt context (tokens ~ chars/4): median {med['context_tokens']:g} per target, "
                f"against {med['file_tokens']:g} for the whole file")
            for t in report["prompt"]["targets"]:
                tests = ", ".join(t["covering_tests"]) or "none found"
                say(f"  {t['target']}: {t['context_tokens']} tokens (file {t['file_tokens']}); tests: {tests}")
        say(f"speedscope: {report['speedscope']}")
        if not rows:
            say(f"no definition in scope reached {profiler.min_frac:.0%} of the samples "
                "(check include/exclude under [tool.optiloop])")
