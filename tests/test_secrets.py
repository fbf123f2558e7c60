"""Secrets stay out of model-written code: canaries planted in secret-shaped variables of optiloop's own
environment never reach a child that runs the project's code (tests, workload, replay), the run record, a
report, a commit or a prompt; a name listed in ``pass_env`` does reach the tests. (The PR bot's GitHub
requests are checked with the same canaries in tests/bot/test_pr.py.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from optiloop.baseline import run_env, trimmed_hint
from optiloop.proc import child_env, passes, withheld
from optiloop.types import Workload
from tests.canaries import canaries, leaked
from tests.cli.test_models_e2e import everything_written, not_under_pytest, respond, run_args
from tests.cli.test_run import project
from tests.conftest import git, optiloop
from tests.models.fakeserver import serving


def test_the_child_environment_is_an_allowlist_plus_pass_env() -> None:
    planted = canaries()
    base = {**planted, "PATH": "/bin", "HOME": "/h", "LANG": "C.UTF-8", "LC_ALL": "C", "TERM": "xterm",
            "TMPDIR": "/t", "VIRTUAL_ENV": "/v", "PYTHONPATH": "/p", "PYTHONSTARTUP": "/s.py",
            "PYTHONBREAKPOINT": "pdb.set_trace", "PYTEST_CURRENT_TEST": "x", "MY_SERVICE_HOST": "db"}
    env = child_env(base=base)
    assert env == {"PATH": "/bin", "HOME": "/h", "LANG": "C.UTF-8", "LC_ALL": "C", "TERM": "xterm", "TMPDIR": "/t",
                   "VIRTUAL_ENV": "/v", "PYTHONPATH": "/p", "PYTHONHASHSEED": "0"}
    assert leaked(json.dumps(env), planted) == []
    passed = child_env(base=base, pass_env=("MY_SERVICE_*", "DATABASE_URL"))
    assert passed["MY_SERVICE_HOST"] == "db" and passed["DATABASE_URL"] == planted["DATABASE_URL"]
    assert leaked(json.dumps(passed), planted) == ["DATABASE_URL"]  # exactly what was named
    assert child_env({"OPTILOOP_SEED": "0"}, base=base)["OPTILOOP_SEED"] == "0"  # what optiloop sets itself
    assert not passes("PYTHONSTARTUP") and passes("PYTHONSTARTUP", ("PYTHONSTARTUP",))
    assert "DATABASE_URL" in withheld(base=base) and "PATH" not in withheld(base=base)


def test_run_env_and_the_failing_baseline_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    planted = canaries("NEEDED_BY_TESTS")
    for name, value in planted.items():
        monkeypatch.setenv(name, value)
    env = run_env(Workload("python bench.py"), pass_env=("NEEDED_BY_TESTS",))
    assert leaked(json.dumps(env), planted) == ["NEEDED_BY_TESTS"]
    hint = trimmed_hint(())
    assert "pass_env under [tool.optiloop]" in hint and "--pass-env NAME" in hint
    assert "withheld" in hint and leaked(hint, planted) == []  # names at most, never values
    named = trimmed_hint((), "KeyError: 'DATABASE_URL'")
    assert "its output names DATABASE_URL, which optiloop withheld" in named
    assert planted["DATABASE_URL"] not in named


DUMPER = '''\
import json, os, sys, uuid

_out = os.environ.get("CANARY_OUT")
if _out:  # every process that imports the package writes down what it was given
    with open(os.path.join(_out, uuid.uuid4().hex + ".json"), "w") as _fh:
        json.dump({"argv": sys.argv, "env": dict(os.environ)}, _fh)
'''


def test_canaries_reach_no_child_record_report_commit_or_prompt(
        tmp_path: Path, python_on_path: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    not_under_pytest(monkeypatch)
    repo = project(tmp_path / "repo", **{"pkg/__init__.py": DUMPER,
                                         "pyproject.toml": "[tool.optiloop]\nprofile_rate = 1000\n"})
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    planted = canaries()
    with serving(respond) as server:
        env = {**planted, **python_on_path, "XDG_CACHE_HOME": str(tmp_path / "cache"), "CANARY_OUT": str(dumps)}
        args = run_args(repo, "--model", "openai-compatible:x", "--base-url", f"{server.url}/v1",
                        "--pass-env", "CANARY_OUT", "--max-iterations", "1")
        done = optiloop(*args, env=env)
    assert done.returncode == 0, done.stderr
    branch = git(repo, "branch", "--list", "optiloop/*").split()[0]
    assert "Optiloop-Target: pkg/core.py::dedupe" in git(repo, "log", "--format=%B", f"main..{branch}")

    seen = [json.loads(p.read_text()) for p in dumps.iterdir()]
    kinds = {"tests": lambda argv: "unittest" in argv[0], "workload": lambda argv: argv[0].endswith("bench.py"),
             "replay": lambda argv: argv[0].endswith("replay_child.py")}
    for kind, match in kinds.items():
        mine = [d for d in seen if match(d["argv"])]
        assert mine, f"no {kind} child imported the package: {[d['argv'] for d in seen]}"
        for dump in mine:
            assert dump["env"]["CANARY_OUT"] == str(dumps)  # the pass_env name reached it
    for dump in seen:
        assert leaked(json.dumps(dump["env"]), planted) == [], dump["argv"]

    record = everything_written(repo, branch)  # the run record, its reports and the branch's commits
    assert (repo / ".optiloop" / "runs").is_dir() and "report.md" in str(list((repo / ".optiloop").rglob("*")))
    assert leaked(record, planted) == []
    assert leaked(done.stdout + done.stderr, planted) == []
    bodies = json.dumps([r.body for r in server.requests])
    assert server.requests and leaked(bodies, planted) == []  # the prompts
    for r in server.requests:  # the model's own key goes only where it belongs: the Authorization header
        assert leaked(json.dumps(r.headers), planted) == ["OPENAI_API_KEY"]
        assert r.headers["authorization"] == f"Bearer {planted['OPENAI_API_KEY']}"


def test_failing_baseline_tests_name_pass_env(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    needs = "import os, unittest\n\nclass T(unittest.TestCase):\n    def test_db(self):\n" \
            "        self.assertIn('SHOP_DB', os.environ)\n"
    repo = project(tmp_path / "repo", **{"tests/test_env.py": needs})
    env = {**python_on_path, "SHOP_DB": "sqlite://"}
    failing = optiloop(*run_args(repo), env=env)
    assert failing.returncode == 2 and failing.stderr.count("\n") == 1, failing.stderr
    assert "the tests fail before any change" in failing.stderr and "--pass-env NAME" in failing.stderr
    assert "SHOP_DB" in failing.stderr and "sqlite://" not in failing.stderr
    assert not (repo / ".optiloop").exists()
    nothing = tmp_path / "nothing.json"  # a model with no candidate: the run ends once the baseline passed
    nothing.write_text("[]")
    passing = optiloop(*run_args(repo, "--pass-env", "SHOP_*", "--model", f"scripted:{nothing}"), env=env)
    assert passing.returncode == 0, passing.stderr


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
