"""A plugin that cannot be used is named in one warning line, by the library and on the command line."""

from __future__ import annotations

import os
import warnings
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from optiloop.plugins import PluginWarning, describe, failure, registered
from tests.conftest import make_repo, optiloop, plugin_package


def test_describe_names_the_entry_point_and_its_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(plugin_package(tmp_path, "my-rules", "[optiloop.rules]\nr = my_rules:R\n", {})))
    (found,) = registered("optiloop.rules")
    assert describe(found) == "'r = my_rules:R' (my-rules 1.0)"
    assert describe(EntryPoint("r", "my_rules:R", "optiloop.rules")) == "'r = my_rules:R'"  # no package known


def test_failure_is_one_line() -> None:
    assert failure(ValueError("two\n  lines")) == "ValueError: two lines"
    assert failure(KeyboardInterrupt()) == "KeyboardInterrupt"


def test_no_plugins_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", PluginWarning)
        assert registered("optiloop.nothing-registers-this") == []


def test_the_cli_prints_a_skipped_rule_plugin_in_one_line(tmp_path: Path) -> None:
    plugins = plugin_package(tmp_path / "site", "team-rules", "[optiloop.rules]\nfast = team_rules_gone:Fast\n", {})
    repo = make_repo(tmp_path / "repo", {"work.py": "print(1)\n"})
    (repo / "work.py").write_text("print(2)\n")  # uncommitted: the run stops right after choosing the model
    done = optiloop("run", str(repo), "--model", "builtin", "--workload", "python work.py", "--tests", "true",
                    env={"PYTHONPATH": os.pathsep.join(filter(None, [str(plugins), os.environ.get("PYTHONPATH")]))})
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == ("optiloop: warning: rule plugin 'fast = team_rules_gone:Fast' (team-rules 1.0) failed to "
                        "load (ModuleNotFoundError: No module named 'team_rules_gone'); skipped — fix or uninstall "
                        "the package that provides it")
    assert len(lines) == 2 and lines[1].startswith("optiloop: 1 tracked file(s) have uncommitted changes")
    assert "Traceback" not in done.stderr
