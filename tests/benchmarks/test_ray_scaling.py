"""benchmarks/ray_scaling.py without a cluster: its candidates apply and are distinct, half of them right, and the
model is the one docs/scaling.md writes down. (Its real runs start clusters: not part of the suite.)"""

from __future__ import annotations

import pytest

from optiloop.edit import apply_candidate
from optiloop.types import Applied, Hotspot, Target
from tests.benchmarks.loader import load_benchmark
from tests.cli.test_run import CORE

scaling = load_benchmark("ray_scaling")


def test_the_candidates_apply_and_differ_half_of_them_right() -> None:
    target = Target(Hotspot("dedupe", "pkg/core.py", 1, 0.5, 0.5), "", CORE)
    found = scaling.candidates(target, 6)
    edits = [apply_candidate(CORE, "dedupe", c.new_source, "pkg/core.py") for c in found]
    assert all(isinstance(e, Applied) for e in edits)
    modules = [e.new_module for e in edits if isinstance(e, Applied)]
    assert len(set(modules)) == 6 and sum("seen = set()" in m for m in modules) == 3


def test_the_model_shares_the_workers_cost_and_not_the_heads() -> None:
    assert scaling.modelled(600.0, 0.5, 0.0, 1) == pytest.approx(3600 / 600.5)
    assert scaling.modelled(600.0, 0.5, 30.0, 64) == pytest.approx(3600 / (30.5 + 600 / 64))
    assert scaling.modelled(1.0, 1.0, 0.0, 10**9) < 3600  # the head's own time bounds it, however many workers
