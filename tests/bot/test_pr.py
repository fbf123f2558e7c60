"""`optiloop pr` end to end: real git repositories (base + head commits), a local bare remote, and a
loopback server that mimics the GitHub REST endpoints the bot uses."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource

from optiloop import report
from optiloop.bot.pr import MARKER
from optiloop.types import fmt_ratio
from tests.bot.fakegithub import FakeGitHub, read_outputs, serve
from tests.canaries import canaries, leaked
from tests.conftest import git, make_repo, optiloop

CORE = '''\
def checksum(values):
    total = 0
    for v in values:
        total = (total * 31 + v) % 1000003
    return total


def dedupe(items):
    seen = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen


def label(n):
    return "n=" + str(n)
'''

TESTS = '''\
import unittest

from pkg.core import checksum, dedupe, label


class CoreTests(unittest.TestCase):
    def test_checksum(self):
        self.assertEqual(checksum([1, 2]), 33)

    def test_dedupe(self):
        self.assertEqual(dedupe([3, 1, 3, 2, 1]), [3, 1, 2])

    def test_label(self):
        self.assertEqual(label(3), "n=3")
'''

BENCH = '''\
from pkg.core import checksum, dedupe, label

data = [(i * 7919) % 2500 for i in range(5000)]
out = dedupe(data)
print(len(out), checksum(data * 20), label(len(out)))
'''

TOKEN = "ghs_thisIsNotARealToken0123"
RUN_FLAGS = ["--workload", "python bench.py", "--tests", "python -m unittest discover -s tests -q",
             "--rounds", "3", "--max-iterations", "1"]


def pr_repo(tmp_path: Path, head_core: str) -> Path:
    """main holds the base; branch feature (checked out) the PR's head commit; origin is a bare repo."""
    repo = make_repo(tmp_path / "repo", {"pkg/__init__.py": "", "pkg/core.py": CORE, "tests/test_core.py": TESTS,
                                         "bench.py": BENCH})
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "pkg" / "core.py").write_text(head_core)
    git(repo, "commit", "-q", "-am", "the pull request's change")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main", "feature")
    return repo


def github_env(gh: FakeGitHub, python_on_path: dict[str, str], token: str | None = TOKEN) -> dict[str, str]:
    env = {**python_on_path, "GITHUB_API_URL": gh.url, "NO_PROXY": "127.0.0.1", "GITHUB_ACTIONS": "",
           "GITHUB_EVENT_NAME": "", "GITHUB_EVENT_PATH": "", "GITHUB_REPOSITORY": "", "GITHUB_STEP_SUMMARY": "",
           "GITHUB_TOKEN": token or ""}
    return env


def events(repo: Path) -> list[dict[str, object]]:
    runs = sorted((repo / ".optiloop" / "runs").iterdir())
    return [json.loads(line) for line in (runs[-1] / "events.jsonl").read_text().splitlines()]


def test_changed_hot_function_only_one_comment_updated_and_one_suggestion_pr(
        tmp_path: Path, python_on_path: dict[str, str]) -> None:
    head = CORE.replace("    seen = []\n", "    seen = []  # first-seen order\n").replace(
        'return "n=" + str(n)', 'return "n=%d" % n')
    repo = pr_repo(tmp_path, head)
    with serve() as gh:
        gh.add_pull(7, "feature", head_sha=git(repo, "rev-parse", "HEAD").strip())
        gh.add_comment(7, "Looks good to me")
        gh.fail("POST", "/pulls", 422)  # the first suggestion PR is refused: the comment still goes out
        args = ["pr", str(repo), "--base", "main", "--repo", "octo/shop", "--pr", "7", "--push",
                "--no-regression-check", *RUN_FLAGS]
        planted = canaries()  # secret-shaped variables beside the token: none may reach GitHub
        env = {**planted, **github_env(gh, python_on_path)}

        first = optiloop(*args, env={**env, "GITHUB_OUTPUT": str(tmp_path / "output")})
        assert first.returncode == 3  # an error during the run (GitHub), after the comment went out
        outputs = read_outputs(tmp_path / "output")  # set though the job fails (the push was refused)
        total = next(e for e in events(repo) if e["event"] == "total")["verdict"]
        assert outputs["speedup"] == fmt_ratio(total["speedup"])  # type: ignore[index]
        assert outputs["regression"] == "" and outputs["report"].endswith("report.html")
        assert Path(outputs["report"]).parent == sorted((repo / ".optiloop" / "runs").iterdir())[-1]
        assert first.stderr.strip().splitlines()[-1].startswith("optiloop: GitHub API: ")
        assert "A pull request already exists" in first.stderr
        record = events(repo)
        profile = next(e for e in record if e["event"] == "profile")
        hot = {f"{h['path']}::{h['qualname']}" for h in profile["hotspots"]}  # type: ignore[attr-defined]
        assert {"pkg/core.py::checksum", "pkg/core.py::dedupe"} <= hot  # checksum is hot but unchanged
        asked = {e["target"] for e in record if e["event"] in ("proposals", "candidate")}
        assert asked == {"pkg/core.py::dedupe"}  # label changed but is cold; checksum is hot but unchanged
        ours = [c for c in gh.comments[7] if MARKER in c["body"]]
        assert len(ours) == 1
        assert "1 verified speedup(s)" in ours[0]["body"] and "`pkg.core.dedupe`" in ours[0]["body"]
        assert "Not pushed as a pull request" in ours[0]["body"]
        assert len(gh.pulls) == 1  # only the PR itself

        second = optiloop(*args, env=env)
        assert second.returncode == 0, second.stderr
        ours = [c for c in gh.comments[7] if MARKER in c["body"]]
        assert len(ours) == 1 and len(gh.comments[7]) == 2  # updated in place, the human's comment kept
        assert "Suggested as #8" in ours[0]["body"]
        pulls = [r.body for r in gh.seen("POST") if r.path.endswith("/pulls")]
        assert len(pulls) == 2 and pulls[1] is not None  # the refused one, then the one made
        assert (pulls[1]["head"], pulls[1]["base"]) == ("optiloop/pr-7", "feature")
        pushed = git(tmp_path / "remote.git", "log", "--format=%B", "feature..optiloop/pr-7")
        assert "Optiloop-Target: pkg/core.py::dedupe" in pushed
        assert TOKEN not in first.stdout + first.stderr + second.stdout + second.stderr

        third = optiloop(*args, env=env)
        assert third.returncode == 0, third.stderr
        ours = [c for c in gh.comments[7] if MARKER in c["body"]]
        assert len(ours) == 1 and len(gh.comments[7]) == 2
        assert len([r for r in gh.seen("PATCH")]) == 2
        assert len([r for r in gh.seen("POST") if r.path.endswith("/pulls")]) == 2  # no second PR
        run_id = str(events(repo)[0]["run_id"])
        assert run_id in ours[0]["body"] and "updated with these commits" in ours[0]["body"]
        tip = git(tmp_path / "remote.git", "log", "-1", "--format=%B", "optiloop/pr-7")
        assert f"Optiloop-Run: {run_id}" in tip
        sent = json.dumps([(r.path, r.query, r.headers, r.body) for r in gh.requests])
        pushed_all = git(tmp_path / "remote.git", "log", "-p", "--all")
        assert leaked(sent + pushed_all + third.stdout + third.stderr, planted) == []


def test_regression_beyond_the_allowance_fails_the_job_and_prints_the_markdown(
        tmp_path: Path, python_on_path: dict[str, str]) -> None:
    slower = "import time\n\ntime.sleep(0.1)\n\n\n" + CORE  # module level: no definition changed
    repo = pr_repo(tmp_path, slower)
    env = {**python_on_path, "GITHUB_ACTIONS": "", "GITHUB_EVENT_NAME": "", "GITHUB_TOKEN": "",
           "GITHUB_OUTPUT": str(tmp_path / "output")}

    done = optiloop("pr", str(repo), "--base", "main", *RUN_FLAGS, "--fail-on-regression", "0.05", env=env)

    assert done.returncode == 1, done.stderr
    assert read_outputs(tmp_path / "output") == {"speedup": "", "regression": "true", "report": ""}
    assert done.stdout.startswith(MARKER)
    assert "changes no Python function" in done.stdout
    assert "Regression check, head" in done.stdout and "**slower: the head takes" in done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("optiloop: the head is ") and "more than --fail-on-regression 0.05 allows" in last
    assert not (repo / ".optiloop" / "runs").exists()  # no definition changed: no run was needed



def validate_pr_json(data: object) -> None:
    """``data`` against pr-schema.json, whose ``run`` and verdicts refer to the run report's schema.json."""
    here = Path(report.__file__).parent
    schemas = [json.loads((here / name).read_text()) for name in ("schema.json", "pr-schema.json")]
    registry = Registry().with_resources([(s["$id"], Resource.from_contents(s)) for s in schemas])
    jsonschema.Draft202012Validator(schemas[1], registry=registry).validate(data)


def test_json_holds_the_run_the_regression_and_the_comment_and_still_fails_the_job(
        tmp_path: Path, python_on_path: dict[str, str]) -> None:
    """--json: stdout is one JSON object (the run's report, the regression check, the comment), also when the
    job fails on a regression (exit code 1); the comment's Markdown is in it, not printed beside it. (Whether
    this busy machine measures the slowdown as a regression is not what is tested here: the exit code has to
    agree with the JSON either way.)"""
    head = "import time\n\ntime.sleep(0.3)\n\n\n" + CORE.replace("    seen = []\n", "    seen = []  # order\n")
    repo = pr_repo(tmp_path, head)
    env = {**python_on_path, "GITHUB_ACTIONS": "", "GITHUB_EVENT_NAME": "", "GITHUB_TOKEN": ""}

    done = optiloop("pr", str(repo), "--base", "main", *RUN_FLAGS, "--fail-on-regression", "0.05", "--json",
                    env=env)

    assert done.returncode in (0, 1), done.stderr
    data = json.loads(done.stdout)
    validate_pr_json(data)
    assert data["pull_request"]["head"] == git(repo, "rev-parse", "HEAD").strip()
    assert {"path": "pkg/core.py", "qualname": "dedupe", "hot": True} in data["changed"]
    assert data["run"]["run"]["mode"] == "pr" and data["run"]["attempts"][0]["target"] == "pkg.core.dedupe"
    assert data["accepted"] == data["run"]["counts"]["accepted"]
    regression = data["regression"]
    assert regression["allowed"] == 0.05 and regression["verdict"]["speedup"] > 1  # the head's time over the base's
    assert regression["fails"] == (done.returncode == 1)
    comment = data["comment"]
    assert comment["body"].startswith(MARKER) and "Regression check, head" in comment["body"]
    assert (comment["posted"], comment["action"], comment["url"]) == (False, "", "")  # no token: not posted
    if regression["fails"]:
        assert done.stderr.strip().splitlines()[-1].startswith("optiloop: the head is ")


def test_json_of_a_fork_says_why_nothing_was_done(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = pr_repo(tmp_path, CORE.replace("    seen = []\n", "    seen = []  # order\n"))
    with serve() as gh:
        done = optiloop("pr", str(repo), *RUN_FLAGS, "--json",
                        env=actions_env(tmp_path, repo, gh, python_on_path, fork=True, token=None))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)  # the notice went to stderr: stdout is the JSON alone
    validate_pr_json(data)
    assert "fork" in data["skipped"] and data["run"] is None and data["changed"] == []
    assert data["notes"] == [data["skipped"]] and data["pull_request"]["number"] == 7
    assert done.stderr.startswith("::notice::") and "fork" in done.stderr


def test_the_regression_check_runs_the_setup_and_the_projects_python(
        tmp_path: Path, python_on_path: dict[str, str]) -> None:
    """A package that needs a generated (ignored) module: without --setup the workload cannot run at
    the head and the check is skipped; with it, both trees are built and the slower head is found."""
    repo = pr_repo(tmp_path, "import time\n\ntime.sleep(0.1)\n\n\n" + CORE)
    (repo / "pkg" / "__init__.py").write_text("from pkg._generated import READY\n")
    (repo / ".gitignore").write_text("_generated.py\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "the package needs a generated module")
    log = tmp_path / "python-calls.log"
    wrapper = tmp_path / "project-python"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    env = {**python_on_path, "GITHUB_ACTIONS": "", "GITHUB_EVENT_NAME": "", "GITHUB_TOKEN": ""}
    flags = ["pr", str(repo), "--base", "main", *RUN_FLAGS, "--fail-on-regression", "0.05"]

    done = optiloop(*flags, env=env)
    assert done.returncode == 0, done.stderr
    assert "Regression check: not measured" in done.stdout and "_generated" in done.stdout

    setup = "python -c \"open('pkg/_generated.py', 'w').write('READY = True')\""
    done = optiloop(*flags, "--setup", setup, "--python", str(wrapper), env=env)
    assert done.returncode == 1, done.stderr
    assert "**slower: the head takes" in done.stdout
    calls = log.read_text().splitlines()
    assert sum("_generated.py" in c for c in calls) == 2 and any(c.endswith("bench.py") for c in calls)
    assert not (repo / "pkg" / "_generated.py").exists()


def actions_env(tmp_path: Path, repo: Path, gh: FakeGitHub, python_on_path: dict[str, str], fork: bool,
                token: str | None) -> dict[str, str]:
    """What GitHub Actions sets for a pull_request event, with the event payload written to a file."""
    head_repo = {"full_name": "someone/shop" if fork else "octo/shop", "fork": fork}
    event = {"action": "synchronize", "number": 7, "pull_request": {
        "number": 7, "head": {"ref": "feature", "sha": git(repo, "rev-parse", "HEAD").strip(), "repo": head_repo},
        "base": {"ref": "main", "sha": git(repo, "rev-parse", "main").strip(),
                 "repo": {"full_name": "octo/shop", "fork": False}}}}
    (tmp_path / "event.json").write_text(json.dumps(event))
    return {**github_env(gh, python_on_path, token), "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(tmp_path / "event.json"), "GITHUB_REPOSITORY": "octo/shop",
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}


def test_in_actions_nothing_hot_changed_means_no_comment(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = pr_repo(tmp_path, CORE.replace('return "n=" + str(n)', 'return "n=%d" % n'))
    with serve() as gh:
        gh.add_pull(7, "feature")
        env = actions_env(tmp_path, repo, gh, python_on_path, fork=False, token=TOKEN)
        done = optiloop("pr", str(repo), "--no-regression-check", *RUN_FLAGS,
                        env={**env, "GITHUB_OUTPUT": str(tmp_path / "output")})
        assert done.returncode == 0, done.stderr
        assert "nothing found: no comment" in done.stderr and "::notice::" not in done.stdout
        outputs = read_outputs(tmp_path / "output")
        assert (outputs["speedup"], outputs["regression"]) == ("", "") and Path(outputs["report"]).is_file()
        assert "Stopped: " in done.stderr and done.stdout == ""  # the run's summary is not on stdout
        assert [r.path for r in gh.requests] == ["/repos/octo/shop/pulls/7", "/repos/octo/shop/issues/7/comments"]
        assert 7 not in gh.comments
    assert [e for e in events(repo) if e["event"] == "candidate"] == []
    assert "none of them is hot in the workload" in (tmp_path / "summary.md").read_text()


@pytest.mark.parametrize("token", [None, TOKEN], ids=["no-token", "read-only-token"])
def test_a_fork_gets_a_notice_and_no_request(tmp_path: Path, python_on_path: dict[str, str],
                                             token: str | None) -> None:
    """A fork's pull_request run has no secrets and at most a read-only token: nothing can be posted."""
    repo = pr_repo(tmp_path, CORE.replace("    seen = []\n", "    seen = []  # order\n"))
    with serve() as gh:
        done = optiloop("pr", str(repo), *RUN_FLAGS,
                        env=actions_env(tmp_path, repo, gh, python_on_path, fork=True, token=token))
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("::notice::") and "fork" in done.stdout
        assert gh.requests == []
    assert not (repo / ".optiloop").exists()


def test_nothing_found_comments_only_with_comment_when_empty(tmp_path: Path,
                                                            python_on_path: dict[str, str]) -> None:
    repo = pr_repo(tmp_path, "# a module comment\n" + CORE)  # no definition changed: nothing to target
    with serve() as gh:
        gh.add_pull(7, "feature")
        env = actions_env(tmp_path, repo, gh, python_on_path, fork=False, token=TOKEN)
        flags = ["pr", str(repo), "--no-regression-check", *RUN_FLAGS]
        done = optiloop(*flags, env=env)
        assert done.returncode == 0, done.stderr
        assert "nothing found: no comment" in done.stderr and gh.seen("POST") == []
        done = optiloop(*flags, "--comment-when-empty", env=env)
        assert done.returncode == 0, done.stderr
        [posted] = gh.seen("POST")
        assert posted.path == "/repos/octo/shop/issues/7/comments" and posted.body is not None
        assert posted.body["body"].startswith(MARKER) and "changes no Python function" in posted.body["body"]
        done = optiloop(*flags, "--comment-when-empty", env=env)  # a rerun edits that comment
        assert done.returncode == 0, done.stderr
        assert len(gh.seen("POST")) == 1 and len(gh.seen("PATCH")) == 1 and len(gh.comments[7]) == 1
    assert not (repo / ".optiloop" / "runs").exists()


def test_the_head_must_be_checked_out(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = pr_repo(tmp_path, CORE.replace("    seen = []\n", "    seen = []  # order\n"))
    done = optiloop("pr", str(repo), "--base", "main~0", "--head", "main", *RUN_FLAGS,
                    env={**python_on_path, "GITHUB_TOKEN": "", "GITHUB_EVENT_NAME": "", "GITHUB_REPOSITORY": ""})
    assert done.returncode == 2
    assert "not at the head" in done.stderr and "fetch-depth: 0" in done.stderr
    assert not (repo / ".optiloop").exists()


@pytest.mark.parametrize(("fault", "words"), [
    (("GET", "/pulls/7", 404), "pull request #7 not found — check --repo (octo/shop) and --pr"),
    (("GET", "/issues/7/comments", 403), "token lacks permission"),
    (("GET", "/pulls/7", 502), "failed with 502 3 times"),
])
def test_api_failures_end_in_one_line_before_any_work(tmp_path: Path, python_on_path: dict[str, str],
                                                      fault: tuple[str, str, int], words: str) -> None:
    repo = pr_repo(tmp_path, CORE.replace("    seen = []\n", "    seen = []  # order\n"))
    with serve() as gh:
        gh.add_pull(7, "feature")
        gh.fail(*fault, times=3)
        done = optiloop("pr", str(repo), "--base", "main", "--repo", "octo/shop", "--pr", "7", *RUN_FLAGS,
                        env=github_env(gh, python_on_path))
    assert done.returncode == 3
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optiloop: GitHub API: ") and words in lines[0]
    assert TOKEN not in done.stderr + done.stdout
    assert not (repo / ".optiloop").exists()


def test_push_without_github_is_bad_input(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = pr_repo(tmp_path, CORE.replace("    seen = []\n", "    seen = []  # order\n"))
    done = optiloop("pr", str(repo), "--base", "main", "--push", *RUN_FLAGS,
                    env={**python_on_path, "GITHUB_TOKEN": "", "GITHUB_EVENT_NAME": "", "GITHUB_REPOSITORY": ""})
    assert done.returncode == 2
    assert "--push needs GitHub" in done.stderr
