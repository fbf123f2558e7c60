"""`optiloop compare`: two refs measured interleaved in throw-away worktrees; the checkout is untouched."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.cli.test_bench import one_line_error
from tests.conftest import git, make_repo, optiloop, snapshot

WORK = "n = {n}\nprint(sum(i * i for i in range(n)))\n"
OUTCOMES = ("faster", "slower", "not significant", "unknown")


def two_commits(path: Path) -> Path:
    repo = make_repo(path, {"work.py": WORK.format(n=400000)})
    (repo / "work.py").write_text(WORK.format(n=40000))
    git(repo, "commit", "-qam", "ten times less work")
    (repo / "notes.txt").write_text("an untracked file the user is working on\n")
    return repo


def test_compare_measures_two_refs_and_leaves_the_checkout_alone(tmp_path: Path,
                                                                 python_on_path: dict[str, str]) -> None:
    repo = two_commits(tmp_path / "repo")
    before = snapshot(repo)
    done = optiloop("compare", "HEAD~1", "HEAD", "--path", str(repo), "--workload", "python work.py",
                    "--rounds", "2", "--json", env=python_on_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["ref_a"] == "HEAD~1" and data["sha_b"] == git(repo, "rev-parse", "HEAD").strip()
    assert data["ci_low"] <= data["speedup"] <= data["ci_high"] and data["rounds"] >= 2
    assert len(data["a"]["samples"]) == len(data["b"]["samples"]) == data["rounds"]
    assert data["reason"].startswith(OUTCOMES)
    assert snapshot(repo) == before
    assert not (repo / ".optiloop").exists()
    assert git(repo, "worktree", "list").count("\n") == 1


def test_compare_prints_the_speedup_with_its_interval(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = two_commits(tmp_path / "repo")
    done = optiloop("compare", "HEAD~1", "HEAD", "--workload", "python work.py", "--rounds", "2",
                    cwd=repo, env=python_on_path)
    assert done.returncode == 0, done.stderr
    first, second, third = done.stdout.splitlines()[:3]
    assert first.startswith("HEAD (") and " against HEAD~1 (" in first
    assert first.split(": ", 1)[1].startswith(("Faster: ", "Slower: ", "Undecided ", "Not faster: ", "Too small"))
    assert " interleaved rounds in " in second
    assert third.startswith("  statistics: ") and "% CI " in third


def test_bad_refs_and_failing_workloads_are_one_line(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = two_commits(tmp_path / "repo")
    (repo / ".optiloop").mkdir()  # a record directory of earlier runs stays
    before = snapshot(repo)
    done = optiloop("compare", "no-such-branch", "HEAD", "--workload", "python work.py", cwd=repo)
    assert done.returncode == 2 and "'no-such-branch' is not a commit" in one_line_error(done)
    assert snapshot(repo) == before
    git(repo, "rm", "-q", "work.py")
    git(repo, "commit", "-qm", "remove the workload")
    before = snapshot(repo)
    done = optiloop("compare", "HEAD~1", "HEAD", "--workload", "python work.py", cwd=repo, env=python_on_path)
    assert done.returncode == 2
    line = one_line_error(done)
    assert "the workload command fails at HEAD " in line and "work.py" in line
    assert snapshot(repo) == before
    assert (repo / ".optiloop").is_dir() and not any((repo / ".optiloop").iterdir())


def test_compare_sets_up_each_ref_and_runs_the_projects_python(tmp_path: Path,
                                                               python_on_path: dict[str, str]) -> None:
    """A src/ layout that needs a generated module: --setup builds it in each ref's tree, and --python
    is the interpreter every run of the workload goes through."""
    work = "import pkg\nprint(sum(i * i for i in range(pkg.N * {k})))\n"
    repo = make_repo(tmp_path / "repo", {
        "src/pkg/__init__.py": "from pkg._generated import N\n",
        "work.py": work.format(k=10),
        ".gitignore": "_generated.py\n",
    })
    (repo / "work.py").write_text(work.format(k=1))
    git(repo, "commit", "-qam", "ten times less work")
    log = tmp_path / "python-calls.log"
    wrapper = tmp_path / "project-python"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    setup = "python -c \"open('src/pkg/_generated.py', 'w').write('N = 40000')\""
    before = snapshot(repo)
    done = optiloop("compare", "HEAD~1", "HEAD", "--workload", "python work.py", "--rounds", "2",
                    cwd=repo, env=python_on_path)
    assert done.returncode == 2 and "the workload command fails at HEAD~1" in one_line_error(done)
    done = optiloop("compare", "HEAD~1", "HEAD", "--workload", "python work.py", "--rounds", "2", "--json",
                    "--setup", setup, "--python", str(wrapper), cwd=repo, env=python_on_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rounds"] >= 2
    calls = log.read_text().splitlines()
    assert sum("open('src/pkg/_generated.py'" in c for c in calls) == 2  # the setup, once per ref
    assert sum(c.endswith("work.py") for c in calls) >= 4  # both refs' workload runs, through pyperf
    assert snapshot(repo) == before and not (repo / ".optiloop").exists()
    done = optiloop("compare", "HEAD~1", "HEAD", "--workload", "python work.py", "--setup", "exit 3", cwd=repo,
                    env=python_on_path)
    assert done.returncode == 2 and "the setup command fails at HEAD~1 (exit code 3)" in one_line_error(done)
    assert snapshot(repo) == before
