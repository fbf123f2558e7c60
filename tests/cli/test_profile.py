"""`optiloop profile` end to end: real py-spy (or the fallback) on a copy of an example repository."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import ROOT, git, optiloop, snapshot


def example_repo(tmp_path: Path, name: str = "routes") -> Path:
    repo = tmp_path / name
    shutil.copytree(ROOT / "examples" / name, repo, ignore=shutil.ignore_patterns("__pycache__", ".optiloop"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


def test_table_and_speedscope_file_without_changing_the_checkout(tmp_path: Path,
                                                                 python_on_path: dict[str, str]) -> None:
    repo = example_repo(tmp_path)
    before = snapshot(repo)
    out = tmp_path / "routes.speedscope.json"
    done = optiloop("profile", str(repo), "--rate", "200", "--output", str(out), env=python_on_path)
    assert done.returncode == 0, done.stderr
    first = next(line for line in done.stdout.splitlines() if line.startswith("│ 1 "))
    assert "reachable" in first and "routes/grid.py:20" in first and "if node in order:" in first
    assert "definitions under 1% are not shown" in done.stdout
    assert f"speedscope: {out}" in done.stdout
    assert json.loads(out.read_text())["profiles"][0]["type"] == "sampled"
    assert snapshot(repo) == before  # only .optiloop/ was written, and it is excluded from git
    assert list((repo / ".optiloop" / "profiles").glob("*/profiles/profile.txt"))


def test_json_with_the_fallback_profiler_and_prompt_sizes(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = example_repo(tmp_path, "wordfreq")
    env = {**python_on_path, "OPTILOOP_PYSPY": str(tmp_path / "missing" / "py-spy")}
    before = snapshot(repo)
    done = optiloop("profile", str(repo), "--json", "--targets", env=env)
    assert snapshot(repo) == before  # neither the workload nor the tests left anything behind
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("note: py-spy is unavailable") == 1
    report = json.loads(done.stdout)
    assert report["profiler"] == "fallback"
    top = report["hotspots"][0]
    assert top["function"] == "unique_words" and top["hottest_code"] == "if w not in seen:"
    sizes = {t["target"]: t for t in report["prompt"]["targets"]}
    unique = sizes["wordfreq/text.py::unique_words"]
    assert unique["covering_tests"] == ["test_text.TextTests.test_unique_words_first_seen_order"]
    assert report["prompt"]["median"]["context_tokens"] > 0 and report["prompt"]["approximation"]


def test_bad_input_is_one_line_and_changes_nothing(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = example_repo(tmp_path)
    (repo / "pyproject.toml").unlink()
    git(repo, "commit", "-qam", "no settings")
    done = optiloop("profile", str(repo), env=python_on_path)
    assert done.returncode == 2 and done.stderr.startswith("optiloop: no workload command given")
    assert "Traceback" not in done.stderr and not (repo / ".optiloop").exists()
    done = optiloop("profile", str(tmp_path), "--workload", "python x.py", env=python_on_path)
    assert done.returncode == 2 and "not inside a git repository" in done.stderr
    done = optiloop("profile", str(repo), "--workload", "python workload.py", "--output",
                    str(tmp_path / "nowhere" / "x.json"), env=python_on_path)
    assert done.returncode == 2 and "--output" in done.stderr and not (repo / ".optiloop").exists()
