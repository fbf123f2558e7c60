from pathlib import Path

from optiloop.profiling.collapsed import parse_raw
from optiloop.profiling.speedscope import SCHEMA, speedscope, write_speedscope

RAW = """\
process 1:"python w.py";main (/p/w.py:3);slow (/p/m.py:10) 6
process 1:"python w.py";main (/p/w.py:3);slow (/p/m.py:11) 3
process 1:"python w.py";main (/p/w.py:4) 1
process 1:"python w.py" 7
"""


def test_sampled_profile_with_one_frame_per_function_and_line(tmp_path: Path) -> None:
    doc = speedscope(parse_raw(RAW), "initial", rate=100)
    assert doc["$schema"] == SCHEMA
    frames = doc["shared"]["frames"]
    assert [(f["name"], f["line"]) for f in frames] == [("main", 3), ("slow", 10), ("slow", 11), ("main", 4)]
    (profile,) = doc["profiles"]
    assert profile["type"] == "sampled" and profile["unit"] == "seconds"
    assert profile["samples"] == [[0, 1], [0, 2], [3]]  # outermost first; the stack with no frame is left out
    assert profile["weights"] == [0.06, 0.03, 0.01] and abs(profile["endValue"] - 0.1) < 1e-9
    path = write_speedscope(tmp_path / "out" / "p.speedscope.json", parse_raw(RAW), "initial")
    assert path.read_text().startswith("{") and "sampled" in path.read_text()


def test_counts_without_a_rate() -> None:
    doc = speedscope(parse_raw(RAW), "x")
    assert doc["profiles"][0]["unit"] == "none" and doc["profiles"][0]["weights"] == [6, 3, 1]
