"""`optiloop run` end to end on real git repositories in temporary directories."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from optiloop import report
from tests.conftest import git, make_repo, optiloop, snapshot

CORE = '''\
def dedupe(items):
    """Items in first-seen order, without repeats."""
    seen = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen


def total(items):
    return sum(items)
'''

TESTS = '''\
import unittest

from pkg.core import dedupe, total


class CoreTests(unittest.TestCase):
    def test_dedupe(self):
        self.assertEqual(dedupe([3, 1, 3, 2, 1]), [3, 1, 2])

    def test_total(self):
        self.assertEqual(total([1, 2]), 3)
'''

BENCH = '''\
from pkg.core import dedupe, total

data = [(i * 7919) % 1500 for i in range(6000)]
for _ in range(3):
    out = dedupe(data)
print(len(out), out[:3], total(out))
'''

WORKLOAD = "python bench.py"
TEST_CMD = "python -m unittest discover -s tests -q"


def project(path: Path, **extra: str) -> Path:
    files = {"pkg/__init__.py": "", "pkg/core.py": CORE, "tests/test_core.py": TESTS, "bench.py": BENCH,
             **extra}
    return make_repo(path, files)


def run_args(repo: Path, *more: str) -> list[str]:
    return ["run", str(repo), "--workload", WORKLOAD, "--tests", TEST_CMD, "--rounds", "3", *more]


def test_run_commits_a_speedup_and_leaves_the_checkout_alone(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = project(tmp_path / "repo")
    (repo / "notes.txt").write_text("untracked, must survive\n")
    (repo / "pkg" / "core.py").write_text(CORE + "\n# stashed work\n")
    git(repo, "stash")
    before = snapshot(repo)

    done = optiloop(*run_args(repo, "--max-iterations", "3"), env=python_on_path)

    assert done.returncode == 0, done.stderr
    assert snapshot(repo) == before
    branches = git(repo, "branch", "--list", "optiloop/*").split()
    assert len(branches) == 1
    branch = branches[0]
    log = git(repo, "log", "--format=%H%n%B%n--end--", f"main..{branch}")
    assert "Speed up `pkg.core.dedupe`" in log
    for trailer in ("Optiloop-Speedup:", "Optiloop-Target: pkg/core.py::dedupe", "Optiloop-Model: builtin",
                    "Optiloop-Run:"):
        assert trailer in log
    assert f"Committed 1 speedup(s) to branch {branch}" in done.stdout
    assert "git -C" in done.stdout and "log --stat" in done.stdout
    # the branch's code passes the tests
    check = tmp_path / "check"
    git(repo, "worktree", "add", "-q", str(check), branch)
    from optiloop.proc import child_env, run

    assert run(TEST_CMD, check, child_env(python_on_path), 120).ok
    assert "seen" in (check / "pkg" / "core.py").read_text()
    git(repo, "worktree", "remove", "--force", str(check))
    # the run record
    runs = list((repo / ".optiloop" / "runs").iterdir())
    assert len(runs) == 1
    assert (runs[0] / "summary.json").exists() and (runs[0] / "events.jsonl").exists()
    assert list((runs[0] / "artifacts" / "profiles").glob("*.txt"))
    assert not (repo / ".optiloop" / "worktrees" / runs[0].name).exists()
    assert "/.optiloop/" in (repo / ".git" / "info" / "exclude").read_text()


def test_allow_dirty_carries_changes_into_the_branch(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = project(tmp_path / "repo")
    (repo / "pkg" / "core.py").write_text(CORE.replace("return sum(items)", "return sum(items) + 0"))
    git(repo, "add", "pkg/core.py")
    (repo / "README.md").write_text("not staged\n")
    git(repo, "add", "README.md")
    (repo / "README.md").write_text("changed after staging\n")
    before = snapshot(repo)

    refused = optiloop(*run_args(repo, "--max-iterations", "1"), env=python_on_path)
    assert refused.returncode == 2
    assert "uncommitted changes" in refused.stderr and "--allow-dirty" in refused.stderr
    assert snapshot(repo) == before

    done = optiloop(*run_args(repo, "--max-iterations", "1", "--allow-dirty"), env=python_on_path)
    assert done.returncode == 0, done.stderr
    assert snapshot(repo) == before
    branch = git(repo, "branch", "--list", "optiloop/*").split()[0]
    subjects = git(repo, "log", "--format=%s", "--reverse", f"main..{branch}").splitlines()
    assert subjects[0] == "optiloop: carry uncommitted changes from the checkout"
    assert git(repo, "show", f"{branch}:README.md") == "changed after staging\n"
    assert "sum(items) + 0" in git(repo, "show", f"{branch}:pkg/core.py")


CHECKSUM = '''\
def checksum(data):
    h = 0
    for x in data:
        h = (h * 31 + x) % 1000003
    return h
'''
CHECKSUM_TESTS = "from pkg.sums import checksum\n\n\ndef test_checksum():\n    assert checksum([1, 2]) == 33\n"
CHECKSUM_BENCH = "from pkg.sums import checksum\n\nprint(checksum(list(range(300000))))\n"


def test_a_run_that_commits_nothing_removes_its_branch_and_says_why(tmp_path: Path,
                                                                    python_on_path: dict[str, str]) -> None:
    """No builtin rule matches the one hot function: the run says so, commits nothing and leaves no branch;
    its record still names the branch it would have had, and runs, show and report read it."""
    repo = make_repo(tmp_path / "repo", {"pkg/__init__.py": "", "pkg/sums.py": CHECKSUM, "bench.py": CHECKSUM_BENCH,
                                         "tests/test_sums.py": CHECKSUM_TESTS,
                                         "pyproject.toml": "[tool.optiloop]\nprofile_rate = 1000\n"})
    before = snapshot(repo)
    done = optiloop("run", str(repo), "--workload", WORKLOAD, "--tests", "python -m pytest -q -p no:cacheprovider",
                    "--rounds", "3", "--max-iterations", "2", env=python_on_path)
    assert done.returncode == 0, done.stderr
    assert "note: no builtin rule matches pkg.sums.checksum, the hottest function" in done.stderr
    (run,) = (repo / ".optiloop" / "runs").iterdir()
    branch = f"optiloop/{run.name}"
    assert f"No speedup was accepted, so the branch {branch} was removed." in done.stdout
    assert git(repo, "branch", "--list", "optiloop/*") == "" and snapshot(repo) == before
    assert git(repo, "worktree", "list").count("\n") == 1
    finished = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()][-1]
    assert finished["event"] == "run_finished" and finished["branch_removed"] is True

    listed = json.loads(optiloop("runs", str(repo), "--json").stdout)
    assert [(r["id"], r["branch"], r["accepted"]) for r in listed] == [(run.name, branch, 0)]
    shown = optiloop("show", "--path", str(repo))
    assert shown.returncode == 0, shown.stderr
    assert f"branch {branch} (removed: nothing was committed)" in shown.stdout
    assert "noise floor " in shown.stdout and "(A/A, 5 rounds)" in shown.stdout
    md = optiloop("report", "--path", str(repo))
    assert md.returncode == 0 and f"`{branch}` (removed: nothing was committed)" in md.stdout
    data = json.loads(optiloop("report", "--path", str(repo), "--format", "json").stdout)
    assert data["run"]["branch"] == branch and data["run"]["branch_removed"] is True
    assert any("no builtin rule matches pkg.sums.checksum" in n for n in data["run"]["notes"])
    undo = optiloop("undo", "--path", str(repo), "--yes")
    assert undo.returncode == 2 and "committed nothing, so its branch" in undo.stderr


def test_json_puts_the_report_alone_on_stdout_and_quiet_keeps_stderr_still(
        tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = project(tmp_path / "repo")
    done = optiloop(*run_args(repo, "--max-iterations", "1", "--json", "--quiet"), env=python_on_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    jsonschema.validate(data, json.loads((Path(report.__file__).parent / "schema.json").read_text()),
                        cls=jsonschema.Draft202012Validator)
    (run,) = (repo / ".optiloop" / "runs").iterdir()
    assert data["run"]["id"] == run.name and data["run"]["status"] == "finished"
    assert data["run"]["branch"] == f"optiloop/{run.name}" and data["counts"]["attempts"] == 1
    assert data == json.loads(optiloop("report", "last", "--path", str(repo), "--format", "json").stdout)
    assert done.stderr == ""  # --quiet: no progress lines, and with --json no summary table either


def listing(repo: Path) -> list[str]:
    """Every path in the checkout outside .git (git's own bookkeeping is checked through git)."""
    return sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if ".git" not in p.relative_to(repo).parts)


BAD_INPUTS = {
    "not-a-repo": ("is not inside a git repository", "git init"),
    "a-file": ("is not a directory", "directory of a git repository"),
    "no-commits": ("has no commits", "commit"),
    "no-workload": ("no workload command given", "--workload"),
    "failing-workload": ("the workload command fails", "run successfully"),
    "failing-tests": ("the tests fail before any change", "pass on HEAD"),
    "syntax-error": ("syntax error in pkg/broken.py:1", "exclude"),
    "unknown-model": ("unknown model 'gpt-imaginary'", "builtin"),
    "too-fast-workload": ("too fast to time", "larger input"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2_and_changes_nothing(case: str, tmp_path: Path,
                                                          python_on_path: dict[str, str]) -> None:
    repo = tmp_path / "repo"
    args = run_args(repo)
    if case == "a-file":
        project(repo)
        args = ["run", str(repo / "bench.py"), "--workload", WORKLOAD, "--tests", TEST_CMD]
    elif case == "not-a-repo":
        repo.mkdir()
        (repo / "a.py").write_text("x = 1\n")
    elif case == "no-commits":
        make_repo(repo, {"a.py": "x = 1\n"}, commit=False)
    else:
        extra = {"pkg/broken.py": "def f(:\n    pass\n"} if case == "syntax-error" else {}
        project(repo, **extra)
        if case == "no-workload":
            args = ["run", str(repo), "--tests", TEST_CMD]
        elif case == "failing-workload":
            args = ["run", str(repo), "--workload", "python missing.py", "--tests", TEST_CMD]
        elif case == "failing-tests":
            args = ["run", str(repo), "--workload", WORKLOAD, "--tests", "python -c 'raise SystemExit(1)'"]
        elif case == "unknown-model":
            args = [*run_args(repo), "--model", "gpt-imaginary"]
        elif case == "too-fast-workload":
            args = ["run", str(repo), "--workload", "true", "--tests", TEST_CMD]
    before = listing(repo)
    exclude = repo / ".git" / "info" / "exclude"
    exclude_before = exclude.read_text() if exclude.exists() else None
    status_before = snapshot(repo) if (repo / ".git").exists() and case != "no-commits" else None

    done = optiloop(*args, env=python_on_path)

    message, hint = BAD_INPUTS[case]
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert message in lines[0] and hint in lines[0]
    assert "Traceback" not in done.stderr
    assert listing(repo) == before
    assert (exclude.read_text() if exclude.exists() else None) == exclude_before
    if status_before is not None:
        assert snapshot(repo) == status_before
        assert git(repo, "branch", "--list", "optiloop/*") == ""
        assert git(repo, "worktree", "list").count("\n") == 1
