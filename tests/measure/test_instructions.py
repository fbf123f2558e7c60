"""perf stat output parsing, and that a machine without the counter is detected, never required."""

from __future__ import annotations

from pathlib import Path

from optiloop.measure import instructions
from optiloop.proc import child_env


def test_parse_a_counted_run() -> None:
    text = "# started on Tue Nov 24 03:50:00 2026\n\n1234567,,instructions:u,1000,100.00,,\n"
    assert instructions.parse_perf_csv(text) == 1234567


def test_parse_an_uncounted_run() -> None:
    assert instructions.parse_perf_csv("<not supported>,,instructions,0,100.00,,\n") is None
    assert instructions.parse_perf_csv("") is None


def test_detection_gives_a_boolean_and_is_cached() -> None:
    first = instructions.available()
    assert isinstance(first, bool) and instructions.available() is first
    assert instructions.available.cache_info().hits >= 1


def test_counting_gives_a_count_only_where_perf_counts(tmp_path: Path) -> None:
    counted = instructions.count("true", tmp_path, child_env(), tmp_path / "perf.csv", 30)
    assert (counted is not None and counted > 0) if instructions.available() else counted is None
