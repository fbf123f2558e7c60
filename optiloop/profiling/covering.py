"""Which tests exercise which definitions: found by running the test command once, with a hook.

The hook (``sitehook.py`` as ``sitecustomize``) watches calls into the given definitions with
``sys.setprofile`` and notes the running test: pytest's ``PYTEST_CURRENT_TEST`` node id, or the id
of the ``unittest.TestCase`` being run. Nested functions and lambdas count for their enclosing
definition. No name heuristics: a test covers a definition only if it really called it.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from optiloop import proc
from optiloop.profiling.fallback import hook_env


@dataclass(frozen=True)
class Span:
    """A definition to watch: ``key`` names it; lines ``start``-``end`` of ``file`` (absolute)."""

    key: str
    file: Path
    start: int
    end: int


@dataclass(frozen=True)
class Coverage:
    tests: dict[str, tuple[str, ...]]  # key → test ids that called it, sorted
    ok: bool  # the test command passed
    detail: str = ""


def covering_tests(
    tests_cmd: str, cwd: Path, env: Mapping[str, str], spans: list[Span], work: Path, timeout: float
) -> Coverage:
    """Run ``tests_cmd`` once from ``cwd`` and map each span's key to the tests that called it."""
    shutil.rmtree(work, ignore_errors=True)
    out = work / "hits"
    out.mkdir(parents=True)
    by_file: dict[str, list[list[object]]] = defaultdict(list)
    for span in spans:
        by_file[str(span.file)].append([span.start, span.end, span.key])
    targets = work / "targets.json"
    targets.write_text(json.dumps(by_file), encoding="utf-8")
    base = {k: v for k, v in env.items() if k != "PYTEST_CURRENT_TEST"}  # optiloop itself may run under pytest
    child = hook_env(base, work / "hook", {"OPTILOOP_COVER_OUT": str(out), "OPTILOOP_COVER_TARGETS": str(targets)})
    done = proc.run(tests_cmd, cwd, child, timeout)
    found: dict[str, set[str]] = defaultdict(set)
    for dump in sorted(out.glob("*.json")):
        try:
            data = json.loads(dump.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for test_id, keys in data.items():
            for key in keys:
                found[key].add(test_id)
    detail = "" if done.ok else ("timed out" if done.timed_out else done.tail(1))
    return Coverage({k: tuple(sorted(v)) for k, v in found.items()}, done.ok, detail)
