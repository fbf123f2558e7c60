"""A real worktree of the purpose-built shop project, with one gate (and so one capture per target)
shared by every case of a test module."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import git
import pytest

from optiloop.edit import apply_candidate, find_definition
from optiloop.proc import child_env
from optiloop.types import Applied, Candidate, Check, Hotspot, Target, Workload
from optiloop.verify import Gate, GateSettings
from optiloop.workspace import Workspace
from tests.conftest import make_repo
from tests.verify import shop

MEMORY_MB = 512
REPLAY_FLOOR = 4.0


def target(qualname: str, covering: tuple[str, ...] = ()) -> Target:
    source = find_definition(shop.CORE, qualname)
    assert source is not None, qualname
    return Target(Hotspot(qualname, shop.PATH, 1, 0.5, 0.5), source, shop.CORE, covering_tests=covering)


@dataclass
class Shop:
    ws: Workspace
    gate: Gate

    def check(self, qualname: str, new_source: str, covering: tuple[str, ...] = ()) -> tuple[Check, ...]:
        """Apply ``new_source`` for ``qualname`` the way the loop does, stage it and verify it."""
        tgt = target(qualname, covering)
        edit = apply_candidate(shop.CORE, qualname, new_source, shop.PATH)
        assert isinstance(edit, Applied), edit
        return self.check_module(tgt, edit.new_module, new_source)

    def check_module(self, tgt: Target, module: str, new_source: str = "") -> tuple[Check, ...]:
        self.ws.stage({shop.PATH: module})
        return self.gate.verify(Candidate(tgt, new_source, "test", "test"))

    def output_unchecked(self) -> Shop:
        """A gate of the same tree that does not compare the workload's output (as for a workload that prints
        timings): the held-out calls decide."""
        return Shop(self.ws, Gate(self.ws, replace(self.gate.settings, expected_stdout=None)))


@pytest.fixture(scope="module")
def shop_gate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    root = make_repo(tmp_path_factory.mktemp("shop") / "repo", shop.FILES)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    ws = Workspace(git.Repo(root), "verify-test", "", child_env({"PATH": path}))
    ws.create(carry_dirty=False)
    workload = Workload(shop.WORKLOAD_CMD)
    baseline = ws.run(workload.cmd, "baseline", 60)
    assert baseline.ok, baseline.tail()
    gate = Gate(ws, GateSettings(shop.TESTS_CMD, workload, baseline.stdout, timeout=60,
                                 artifacts=root / ".optiloop" / "artifacts", replay_calls=50, memory_mb=MEMORY_MB,
                                 replay_floor=REPLAY_FLOOR))
    try:
        yield Shop(ws, gate)
    finally:
        ws.discard()
