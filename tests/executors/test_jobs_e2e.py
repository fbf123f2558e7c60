"""--jobs end to end: the same project run with one job and with two, in cycles, makes the same decisions with
the same counts (a count depends on what runs, not on what runs beside it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optiloop.measure import cachegrind
from tests.cli.test_run import project, run_args
from tests.conftest import git, optiloop
from tests.measure.test_cachegrind import SMALL_BENCH
from tests.models.fakeserver import SET_REPLY

pytestmark = pytest.mark.skipif(cachegrind.available() is None, reason="valgrind is not installed")


def recorded(repo: Path) -> list[dict[str, object]]:
    (run,) = (repo / ".optiloop" / "runs").iterdir()
    return [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]


WRONG = """Order from a set.
```python
def dedupe(items):
    return list(set(items))
```
"""
SAME = """The same loop, spelled differently.
```python
def dedupe(items):
    \"\"\"Items in first-seen order, without repeats.\"\"\"
    seen = []
    for x in items:
        if not x in seen:
            seen.append(x)
    return seen
```
"""


def test_one_job_and_three_jobs_decide_the_same(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    """Three candidates at once: one wrong (replay and tests), one no cheaper, one right; with --jobs 3 they are
    verified and counted together, with --jobs 1 one after another."""
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([WRONG, SAME, SET_REPLY]))
    found = {}
    for jobs in ("1", "3"):
        repo = project(tmp_path / f"r{jobs}", **{"bench.py": SMALL_BENCH})
        done = optiloop(*run_args(repo, "--max-iterations", "3", "--measure", "cycles", "--jobs", jobs,
                                  "--model", f"scripted:{replies}", "--candidates", "3"), env=python_on_path)
        assert done.returncode == 0, done.stderr
        events = recorded(repo)
        attempts = [(e["attempt"]["candidate"]["new_source"], e["accepted"],  # type: ignore[index]
                     (e["attempt"]["verdict"] or {}).get("cause"))  # type: ignore[index]
                    for e in events if e["event"] == "attempt"]
        counts = {e["label"]: e["cycles"] for e in events
                  if e["event"] == "cost" and str(e["label"]).startswith("cand-")}  # the candidates' own
        branch = git(repo, "branch", "--list", "optiloop/*").split()
        trailers = git(repo, "log", "--format=%(trailers:key=Optiloop-Speedup,valueonly)%(trailers:key=Optiloop-Target,"
                       "valueonly)", f"main..{branch[0]}") if branch else ""
        found[jobs] = (attempts, counts, trailers)
    (one, counts1, trailers1), (two, counts2, trailers2) = found["1"], found["3"]
    assert one == two and [(accepted, cause) for _, accepted, cause in one] == [
        (False, None), (False, "not-significant"), (True, "faster")]  # the same candidates, order and outcomes
    assert trailers1 == trailers2 and "pkg/core.py::dedupe" in trailers1  # the same commits
    assert set(counts1) == set(counts2) and counts1
    for label, cycles in counts1.items():  # each candidate's count, whichever tree counted it
        assert abs(cycles - counts2[label]) / cycles < 1e-5, label
