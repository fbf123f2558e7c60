"""The profiler end to end: real py-spy on the planted project and the shipped examples, and the fallback."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from optiloop.profiling.collapsed import parse_raw
from optiloop.types import Profile
from tests.conftest import ROOT
from tests.profiling.planted import BASKET, SLOW_LINE, line_of, planted, profiler


def hottest(profile: Profile, qualname: str) -> int:
    spot = next(h for h in profile.hotspots if h.qualname == qualname)
    return max(spot.line_heat, key=lambda lh: lh[1])[0]


def check_planted(profile: Profile) -> None:
    names = [h.qualname for h in profile.hotspots]
    assert names[0] == "Basket.total"  # the planted hot method, found as Class.method
    assert hottest(profile, "Basket.total") == line_of(BASKET, SLOW_LINE)
    assert {"Basket.scale", "Basket.ranked"} <= set(names)  # a staticmethod and a property (its lambda rolls up)
    assert "cold" not in names and "Basket.build" not in names
    assert all(h.self_frac >= 0.01 for h in profile.hotspots)
    assert all(h.path == "shop/basket.py" for h in profile.hotspots)


def test_pyspy_finds_the_planted_method_and_its_slow_line(tmp_path: Path) -> None:
    root = planted(tmp_path / "proj")
    prof = profiler(root, tmp_path / "rec")
    profile = prof.profile("initial")
    assert not prof.fallback and prof.notes == []
    check_planted(profile)
    assert profile.raw_path == tmp_path / "rec" / "profiles" / "initial.txt"
    assert sum(c for _, c in parse_raw(profile.raw_path.read_text())) == profile.samples
    scope = json.loads((tmp_path / "rec" / "profiles" / "initial.speedscope.json").read_text())
    assert scope["profiles"][0]["type"] == "sampled"
    frames = scope["shared"]["frames"]
    assert any(f["name"].endswith("total") and f["line"] == line_of(BASKET, SLOW_LINE) for f in frames)
    assert not list(root.rglob("__pycache__"))  # the profiled tree gets no bytecode


@pytest.mark.parametrize(("example", "module", "hot", "slow"), [
    ("routes", "routes/grid.py", "reachable", "if node in order:"),
    ("wordfreq", "wordfreq/text.py", "unique_words", "if w not in seen:"),
])
def test_pyspy_on_the_examples(tmp_path: Path, example: str, module: str, hot: str, slow: str) -> None:
    root = tmp_path / example
    shutil.copytree(ROOT / "examples" / example, root, ignore=shutil.ignore_patterns("__pycache__"))
    package = module.split("/")[0] + "/"
    profile = profiler(root, tmp_path / "rec", "python workload.py", scope=package).profile("initial")
    assert profile.hotspots[0].qualname == hot
    assert hottest(profile, hot) == line_of((root / module).read_text(), slow)
    assert all(h.self_frac >= 0.01 for h in profile.hotspots)


def test_fallback_when_pyspy_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPTILOOP_PYSPY", str(tmp_path / "no-such-py-spy"))
    root = planted(tmp_path / "proj")
    prof = profiler(root, tmp_path / "rec")
    check_planted(prof.profile("initial"))
    check_planted(prof.profile("after-1"))
    assert prof.fallback and len(prof.notes) == 1  # said once, not once per profile
    assert "py-spy is unavailable" in prof.notes[0] and "no-such-py-spy" in prof.notes[0]
    assert list((tmp_path / "rec" / "profiles").glob("initial-cprofile/*.prof"))  # cProfile stats kept
    assert (tmp_path / "rec" / "profiles" / "after-1.speedscope.json").is_file()


def test_fallback_when_ptrace_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "py-spy"
    fake.write_text("#!/bin/sh\necho 'Error: Permission Denied: ptrace: Operation not permitted' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("OPTILOOP_PYSPY", str(fake))
    root = planted(tmp_path / "proj")
    prof = profiler(root, tmp_path / "rec")
    check_planted(prof.profile("initial"))
    assert prof.fallback and "Permission Denied" in prof.notes[0]


CHILD_RUNNER = '''\
import subprocess
import sys

subprocess.run([sys.executable, "work.py"], check=True)
'''


def test_fallback_follows_child_processes_and_keeps_sitecustomize(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPTILOOP_PYSPY", str(tmp_path / "no-such-py-spy"))
    root = planted(tmp_path / "proj")
    (root / "runner.py").write_text(CHILD_RUNNER)
    site = tmp_path / "site"
    site.mkdir()
    marker = tmp_path / "marker"
    (site / "sitecustomize.py").write_text(f"open({str(marker)!r}, 'a').write('x')\n")
    prof = profiler(root, tmp_path / "rec", "python runner.py")
    prof.ws.env["PYTHONPATH"] = str(site)
    profile = prof.profile("initial")
    check_planted(profile)  # all of it happened in the child process
    assert marker.read_text().startswith("xx")  # the user's sitecustomize ran in parent and child


FAKE_PY_SPY = """\
#!{python}
import subprocess
import sys

args = sys.argv[1:]
open(args[args.index("--output") + 1], "w").close()  # a recording with no samples in it
sys.exit(subprocess.call(args[args.index("--") + 1:]))
"""


def test_a_workload_too_brief_for_py_spy_goes_to_the_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "py-spy"
    fake.write_text(FAKE_PY_SPY.format(python=sys.executable))
    fake.chmod(0o755)
    monkeypatch.setenv("OPTILOOP_PYSPY", str(fake))
    root = planted(tmp_path / "proj")
    prof = profiler(root, tmp_path / "rec")
    check_planted(prof.profile("initial"))  # the fallback's samples, after two empty recordings
    assert prof.fallback and "before py-spy can attach" in prof.notes[0]


def test_a_pyspy_that_cannot_start_is_unavailable_not_a_failure(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from optiloop.proc import child_env
    from optiloop.profiling.pyspy import PySpyUnavailable, record

    broken = tmp_path / "py-spy"
    broken.write_bytes(b"\x7fELF not really")  # executable bit, but no program the kernel can start
    broken.chmod(0o755)
    monkeypatch.setenv("OPTILOOP_PYSPY", str(broken))
    with pytest.raises(PySpyUnavailable, match="could not be started"):
        record("true", tmp_path, child_env(), tmp_path / "out.txt", 100, 30)
