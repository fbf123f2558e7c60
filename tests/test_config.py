from pathlib import Path

import pytest

from optiloop.config import load_settings
from optiloop.errors import BadInput


def write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(body)
    return tmp_path


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    s = load_settings(tmp_path, {}, environ={})
    assert s.workload is None and s.min_speedup == 1.05 and s.max_iterations == 10


def test_layers_in_order(tmp_path: Path) -> None:
    write(tmp_path, '[tool.optiloop]\nworkload = "python w.py"\ntests = "pytest"\nmin_speedup = 1.2\n'
                    'max-iterations = 4\nexclude = ["gen/**"]\n')
    s = load_settings(tmp_path, {}, environ={})
    assert (s.workload, s.tests, s.min_speedup, s.max_iterations, s.exclude) == (
        "python w.py", "pytest", 1.2, 4, ("gen/**",))
    s = load_settings(tmp_path, {}, environ={"OPTILOOP_MIN_SPEEDUP": "1.3", "OPTILOOP_EXCLUDE": "a/**, b/**"})
    assert s.min_speedup == 1.3 and s.exclude == ("a/**", "b/**")
    s = load_settings(tmp_path, {"min_speedup": 1.5, "tests": None}, environ={"OPTILOOP_MIN_SPEEDUP": "1.3"})
    assert s.min_speedup == 1.5 and s.tests == "pytest"


def test_unknown_key_is_named(tmp_path: Path) -> None:
    write(tmp_path, '[tool.optiloop]\nworkloads = "python w.py"\n')
    with pytest.raises(BadInput) as info:
        load_settings(tmp_path, {}, environ={})
    assert "unknown setting 'workloads'" in str(info.value) and "workload" in info.value.hint


def test_bad_value_is_named(tmp_path: Path) -> None:
    with pytest.raises(BadInput) as info:
        load_settings(tmp_path, {"min_speedup": 0.5}, environ={})
    assert "min_speedup" in str(info.value)


def test_broken_toml(tmp_path: Path) -> None:
    write(tmp_path, "[tool.optiloop\n")
    with pytest.raises(BadInput, match="not valid TOML"):
        load_settings(tmp_path, {}, environ={})
