"""Run optiloop's builtin model on real PyPI projects at pinned versions, and check that it does no harm.

    python benchmarks/real_projects.py [--projects tabulate more-itertools packaging] [--max-iterations 4]
                                       [--rounds 5] [--cache ~/.cache/optiloop-bench] [--keep]

Per project: download its sdist (``pip download --no-deps --no-binary :all:``, cached), unpack it into a
fresh temp dir, make a virtual environment with its test dependencies and the project installed in it
(editable where the project says so), turn the directory into a git repository (the "user's checkout"),
run the project's own test suite, then ``optiloop run --model builtin --python <venv>/bin/python`` with
the workload script from ``benchmarks/real_projects/``, read the run record, run the project's tests
again on the optiloop branch (a detached worktree of its head) and measure the workload, base against
branch head, with ``optiloop compare`` (interleaved pyperf rounds in fresh processes).

Prints one table and three PASS/FAIL lines: no project's tests broken, no user checkout changed, no
slowdown committed. Exits 1 when one of them fails. See docs/real-projects.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optiloop.proc import Completed, child_env, project_env, run

HERE = Path(__file__).resolve().parent / "real_projects"
DEFAULT_CACHE = Path.home() / ".cache" / "optiloop-bench"
GIT_ID = ["-c", "user.name=optiloop bench", "-c", "user.email=bench@optiloop.invalid", "-c", "commit.gpgsign=false"]
QUIET = {"PYTHONDONTWRITEBYTECODE": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}  # keep the checkout as it is


@dataclass(frozen=True)
class Project:
    """A real project at a pinned version, with how to install it and run its tests."""

    name: str  # the PyPI name
    version: str
    module: str  # the import name, to check which copy the tests and workload import
    layout: str
    install: tuple[str, ...]  # pip arguments that install the project, run in its directory (none: not installed)
    test_deps: tuple[str, ...]
    tests: str  # the project's own test command, run in its directory with the venv's python first on PATH
    workload: str  # a script in benchmarks/real_projects/


PROJECTS: dict[str, Project] = {p.name: p for p in (
    Project("tabulate", "0.9.0", "tabulate", "flat, installed (copy in site-packages)", (".",), ("pytest",),
            "python -m pytest -q -p no:cacheprovider test", "tabulate_workload.py"),
    Project("more-itertools", "10.5.0", "more_itertools", "flat, editable", ("-e", "."), (),
            "python -m unittest", "more_itertools_workload.py"),
    Project("packaging", "24.2", "packaging", "src/, editable", ("-e", "."), ("pytest", "pretend"),
            "python -m pytest -q -p no:cacheprovider tests", "packaging_workload.py"),
    Project("idna", "3.10", "idna", "flat, not installed", (), ("pytest",),
            "python -m pytest -q -p no:cacheprovider tests", "idna_workload.py"),
)}


# -- pure parts: test counts, the run record, the table ---------------------------------------------

@dataclass(frozen=True)
class Tests:
    """One run of a project's test suite."""

    passed: int
    failed: int
    seconds: float
    ok: bool  # exit status 0

    def cell(self) -> str:
        return f"{self.passed} passed / {self.failed} failed, {self.seconds:.1f} s" + ("" if self.ok else " (exit≠0)")


def count_tests(output: str) -> tuple[int, int]:
    """Passed and failed (failures plus errors) tests from pytest's or unittest's summary in ``output``."""
    summary = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    if summary:
        line = summary[-1]
        found = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|errors?)", line)}
        return found.get("passed", 0), found.get("failed", 0) + found.get("error", 0) + found.get("errors", 0)
    ran = re.findall(r"^Ran (\d+) tests?", output, re.MULTILINE)
    if ran:
        total = int(ran[-1])
        bad = sum(int(n) for n in re.findall(r"(?:failures|errors)=(\d+)", output.rsplit("Ran ", 1)[-1]))
        return total - bad, bad
    return 0, 0


def reason_kind(reason: str) -> str:
    """The kind of a rejection without its numbers and details: ``tests failed``, ``not significant``...
    (a measurement's outcome word in front, as in ``unknown: not significant: ...``, is left out)."""
    rest = re.sub(r"^(unknown|slower|faster)\s*:\s*", "", reason.strip())
    head = re.split(r"[:;(]", rest if re.match(r"[A-Za-z]", rest) else reason, maxsplit=1)[0].strip()
    return re.sub(r"\s+", " ", re.sub(r"\d+(\.\d+)?x?", "N", head)) or "unknown"


@dataclass
class Record:
    """What a run record (``events.jsonl``) says about one run."""

    run_id: str = ""
    branch: str = ""
    base: str = ""
    profiles: int = 0
    hotspots: int = 0  # in the first profile
    targets: list[str] = field(default_factory=list)  # asked the model about, in order
    proposed: int = 0
    tried: int = 0
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    commits: list[str] = field(default_factory=list)
    stop_reason: str = ""
    error: str | None = None
    finished: bool = False
    notes: list[str] = field(default_factory=list)


def summarise(events: Iterable[Mapping[str, Any]]) -> Record:
    """The counts the table shows, from the events of one run (see docs/run-record.md)."""
    rec = Record()
    outcome: dict[int, Mapping[str, Any]] = {}  # candidate number -> its last attempt event
    for e in events:
        kind = e.get("event")
        if kind == "run_started":
            rec.run_id, rec.branch, rec.base = (str(e.get(k, "")) for k in ("run_id", "branch", "base"))
        elif kind == "profile":
            rec.profiles += 1
            if rec.profiles == 1:
                rec.hotspots = len(e.get("hotspots") or ())
        elif kind == "proposals":
            rec.proposed += int(e.get("count", 0))
            target = str(e.get("target", ""))
            if target and target not in rec.targets:
                rec.targets.append(target)
        elif kind == "attempt":
            attempt = e.get("attempt") or {}
            outcome[int(attempt.get("number", len(outcome) + 1))] = e
        elif kind == "note":
            rec.notes.append(str(e.get("text", "")))
        elif kind == "run_finished":
            rec.finished = True
            rec.error = e.get("error")
            rec.stop_reason = str(e.get("stop_reason", ""))
            rec.commits = [str(c) for c in e.get("accepted") or ()]
    rec.tried = len(outcome)
    for e in outcome.values():
        if e.get("accepted"):
            rec.accepted += 1
        else:
            rec.rejected[reason_kind(str(e.get("reason", "")))] += 1
    return rec


def read_events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass
class Row:
    """One project's line in the table, and what the bar needs."""

    project: Project
    before: Tests | None = None
    on_branch: Tests | None = None
    record: Record | None = None
    committed: int | None = None  # commits on the branch after the base (None: not known)
    speedup: Mapping[str, Any] | None = None  # ``optiloop compare --json`` (None: nothing committed)
    checkout_unchanged: bool | None = None
    imports_from: str = ""  # where the branch's tests import the project from
    wall: float = 0.0
    failure: str = ""  # a step that failed, with its error text


def speedup_cell(row: Row) -> str:
    if row.speedup is None:
        return "no commit: base = head" if row.committed == 0 else "not measured"
    s = row.speedup
    return f"{s['speedup']:.3f}x [{s['ci_low']:.3f}, {s['ci_high']:.3f}]"


def table(rows: list[Row]) -> str:
    head = ("project", "version", "layout", "tests before", "tests on branch", "targets profiled",
            "proposed", "tried", "accepted", "rejected by reason", "workload speedup (95% CI)", "wall")
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for r in rows:
        rec = r.record
        cells = (
            r.project.name, r.project.version, r.project.layout,
            r.before.cell() if r.before else "-",
            r.on_branch.cell() if r.on_branch else "-",
            f"{rec.hotspots} hot, {len(rec.targets)} sent to the model, {rec.profiles} profile(s)" if rec else "-",
            str(rec.proposed) if rec else "-",
            str(rec.tried) if rec else "-",
            str(rec.accepted) if rec else "-",
            (", ".join(f"{k}: {n}" for k, n in sorted(rec.rejected.items())) or "none") if rec else "-",
            speedup_cell(r),
            f"{r.wall:.0f} s",
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tests_kept(r: Row) -> bool:
    """The branch passes at least the tests the original passed, and fails none more."""
    return (r.before is not None and r.on_branch is not None and r.on_branch.ok >= r.before.ok
            and r.on_branch.passed >= r.before.passed and r.on_branch.failed <= r.before.failed)


def no_slowdown(r: Row) -> bool:
    """Nothing committed, or the branch head is not measurably slower than the base (CI high end >= 1)."""
    if r.committed is None:
        return False
    return r.committed == 0 or (r.speedup is not None and float(r.speedup["ci_high"]) >= 1.0)


def ran_through(r: Row) -> bool:
    """optiloop's run ended without an error, by its exit status and by its record."""
    return r.record is not None and r.record.finished and r.record.error is None and not r.failure


def bar(rows: list[Row]) -> list[str]:
    def line(what: str, bad: list[str]) -> str:
        return f"{'PASS' if not bad else 'FAIL'}: {what}" + (f" ({', '.join(bad)})" if bad else "")

    return [
        line("no project's tests broken", [r.project.name for r in rows if not tests_kept(r)]),
        line("no user checkout changed", [r.project.name for r in rows if r.checkout_unchanged is not True]),
        line("no slowdown committed", [r.project.name for r in rows if not no_slowdown(r)]),
        line("optiloop ran to the end without an error", [r.project.name for r in rows if not ran_through(r)]),
    ]


# -- the steps, each in a subprocess --------------------------------------------------------------

class StepFailed(Exception):
    """A step of the benchmark (not of optiloop's run) failed; its message says which and why."""


def step(argv: list[str], cwd: Path, env: Mapping[str, str], timeout: float, what: str) -> Completed:
    done = run(argv, cwd, env, timeout)
    if not done.ok:
        raise StepFailed(f"{what} failed (exit {done.returncode}{', timed out' if done.timed_out else ''}): "
                         f"{done.tail(6)}")
    return done


def git(repo: Path, *args: str) -> str:
    return step(["git", *GIT_ID, *args], repo, child_env(), 120, f"git {args[0]}").stdout.strip()


def fetch(p: Project, cache: Path) -> Path:
    """The project's sdist, downloaded once into ``cache``."""
    where = cache / f"{p.name}-{p.version}"
    found = sorted(where.glob("*.tar.gz")) if where.is_dir() else []
    if not found:
        where.mkdir(parents=True, exist_ok=True)
        step([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
              f"{p.name}=={p.version}", "-d", str(where)], where, child_env(QUIET), 600, f"pip download {p.name}")
        found = sorted(where.glob("*.tar.gz"))
    if not found:
        raise StepFailed(f"pip download {p.name}=={p.version} left no .tar.gz in {where}")
    return found[0]


def unpack(sdist: Path, into: Path) -> Path:
    with tarfile.open(sdist) as tar:
        tar.extractall(into, filter="data")
    tops = [d for d in into.iterdir() if d.is_dir()]
    if len(tops) != 1:
        raise StepFailed(f"{sdist.name} does not unpack into one directory")
    return tops[0]


def make_venv(p: Project, checkout: Path, venv: Path) -> Path:
    """A virtual environment with the project's test dependencies and the project installed."""
    step([sys.executable, "-m", "venv", str(venv)], checkout, child_env(), 300, "python -m venv")
    python = venv / "bin" / "python"
    if p.test_deps:
        step([str(python), "-m", "pip", "install", "-q", *p.test_deps], checkout, child_env(QUIET), 600,
             f"pip install {' '.join(p.test_deps)}")
    if p.install:
        step([str(python), "-m", "pip", "install", "-q", *p.install], checkout, child_env(QUIET), 600,
             f"pip install {' '.join(p.install)} ({p.name})")
    return python


def venv_env(venv: Path) -> dict[str, str]:
    """The venv's python first on PATH, then optiloop's own (py-spy lives there), then the rest."""
    path = os.pathsep.join([str(venv / "bin"), str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return child_env({"PATH": path, "VIRTUAL_ENV": str(venv), **QUIET})


def run_tests(p: Project, where: Path, env: Mapping[str, str], timeout: float) -> Tests:
    done = run(p.tests, where, env, timeout)
    passed, failed = count_tests(done.stdout + "\n" + done.stderr)
    return Tests(passed, failed, done.seconds, done.ok)


def imported_from(p: Project, where: Path, env: Mapping[str, str]) -> str:
    done = run(["python", "-c", f"import {p.module}; print({p.module}.__file__)"], where, env, 60)
    return done.stdout.strip() if done.ok else f"import failed: {done.tail(1)}"


def snapshot(repo: Path) -> dict[str, object]:
    """Everything about the user's checkout that optiloop must leave alone: files, index, HEAD, stash."""
    files = {p.relative_to(repo).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(repo.rglob("*"))
             if p.is_file() and p.relative_to(repo).parts[0] not in (".git", ".optiloop")}
    return {"files": files, "head": git(repo, "rev-parse", "HEAD"), "branch": git(repo, "symbolic-ref", "HEAD"),
            "status": git(repo, "status", "--porcelain", "--untracked-files=all"),
            "index": git(repo, "ls-files", "--stage"), "stash": git(repo, "stash", "list")}


def changes(before: Mapping[str, object], after: Mapping[str, object]) -> list[str]:
    """What differs between two snapshots, by key (``files`` down to the paths)."""
    out = [k for k in before if k != "files" and before[k] != after.get(k)]
    old, new = before.get("files"), after.get("files")
    if isinstance(old, dict) and isinstance(new, dict):
        out += [f"file {f}" for f in sorted(set(old) | set(new)) if old.get(f) != new.get(f)]
    return out


def optiloop(args: list[str], env: Mapping[str, str], timeout: float) -> Completed:
    return run([sys.executable, "-m", "optiloop", *args], Path.cwd(), env, timeout)


def bench(p: Project, work: Path, cache: Path, a: argparse.Namespace) -> Row:
    row = Row(p)
    start = time.perf_counter()
    try:
        _bench(row, work / p.name, cache, a)
    except StepFailed as e:
        row.failure = str(e)
    row.wall = time.perf_counter() - start
    return row


def _bench(row: Row, work: Path, cache: Path, a: argparse.Namespace) -> None:
    p = row.project
    work.mkdir(parents=True)
    checkout = unpack(fetch(p, cache), work / "checkout")
    say(p, f"unpacked into {checkout}")
    make_venv(p, checkout, work / "venv")
    env = venv_env(work / "venv")
    git(checkout, "init", "-q")
    git(checkout, "add", "-A")
    git(checkout, "commit", "-q", "-m", f"{p.name} {p.version} from its sdist")
    row.before = run_tests(p, checkout, env, a.test_timeout)
    say(p, f"tests before: {row.before.cell()}")
    before = snapshot(checkout)

    workload = f"python {HERE / p.workload}"
    flags = ["run", str(checkout), "--model", "builtin", "--python", str(work / "venv" / "bin" / "python"),
             "--workload", workload, "--tests", p.tests, "--max-iterations", str(a.max_iterations),
             "--rounds", str(a.rounds), "--time-budget", str(a.time_budget)]
    done = optiloop(flags, env, a.time_budget * 2 + 600)
    (work / "optiloop-run.log").write_text(done.stdout + "\n--- stderr\n" + done.stderr)
    say(p, f"optiloop run: exit {done.returncode} in {done.seconds:.0f} s")
    runs = sorted((checkout / ".optiloop" / "runs").glob("*/events.jsonl"))
    if not runs:
        raise StepFailed(f"optiloop run wrote no run record (exit {done.returncode}): {done.tail(4)}")
    row.record = rec = summarise(read_events(runs[-1]))
    for name, args in (("show", ["show", "last", "--path", str(checkout)]),
                       ("report.json", ["report", "last", "--path", str(checkout), "--format", "json"])):
        shown = optiloop(args, env, 300)
        (work / name).write_text(shown.stdout + shown.stderr)
    if not done.ok or rec.error:
        row.failure = f"optiloop run exit {done.returncode}: {rec.error or done.tail(1)}"
    say(p, f"record {rec.run_id}: {rec.proposed} proposed, {rec.tried} tried, {rec.accepted} accepted; "
           f"stop: {rec.stop_reason or '-'}")

    head = git(checkout, "rev-parse", rec.branch) if rec.branch else rec.base
    row.committed = int(git(checkout, "rev-list", "--count", f"{rec.base}..{head}"))
    branch_dir = work / "branch"
    git(checkout, "worktree", "add", "--detach", "-q", str(branch_dir), head)
    try:
        branch_env = project_env(env, branch_dir)
        row.imports_from = imported_from(p, branch_dir, branch_env)
        if not row.imports_from.startswith(str(branch_dir)):
            raise StepFailed(f"on the branch {p.module} is imported from {row.imports_from}, not {branch_dir}")
        row.on_branch = run_tests(p, branch_dir, branch_env, a.test_timeout)
        say(p, f"tests on branch ({head[:10]}): {row.on_branch.cell()}")
    finally:
        git(checkout, "worktree", "remove", "--force", str(branch_dir))
    if row.committed:
        compared = optiloop(["compare", rec.base, head, "--path", str(checkout), "--workload", workload,
                             "--rounds", str(a.rounds), "--json"], env, 1800)
        if not compared.ok:
            raise StepFailed(f"optiloop compare failed (exit {compared.returncode}): {compared.tail(4)}")
        row.speedup = json.loads(compared.stdout[compared.stdout.index("{"):])
        say(p, f"measured: {speedup_cell(row)}")
    changed = changes(before, snapshot(checkout))
    row.checkout_unchanged = not changed
    say(p, "the checkout is unchanged" if not changed else f"the checkout changed: {', '.join(changed[:10])}")


def say(p: Project, text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {p.name}: {text}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--projects", nargs="*", default=list(PROJECTS), choices=list(PROJECTS))
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where downloaded sdists are kept")
    parser.add_argument("--max-iterations", type=int, default=4, help="most candidates optiloop tries per project")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds at the first look")
    parser.add_argument("--time-budget", type=float, default=900, help="seconds one optiloop run may take")
    parser.add_argument("--test-timeout", type=float, default=900, help="seconds one test-suite run may take")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (checkouts, venvs, logs)")
    a = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="optiloop-real-"))
    started = time.perf_counter()
    try:
        rows = [bench(PROJECTS[name], work, a.cache.expanduser(), a) for name in a.projects]
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"optiloop run --model builtin --max-iterations {a.max_iterations} --rounds {a.rounds}; "
          f"speedup: optiloop compare base head, interleaved, 95% CI:")
    print(table(rows))
    for r in rows:
        if r.failure:
            print(f"{r.project.name}: {r.failure}")
    verdicts = bar(rows)
    print("\n".join(verdicts))
    print(f"total wall time {time.perf_counter() - started:.0f} s" + (f"; work directory {work}" if a.keep else ""))
    sys.exit(0 if all(v.startswith("PASS") for v in verdicts) else 1)


if __name__ == "__main__":
    main()
