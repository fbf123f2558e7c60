"""Which definitions a pull request changed, from a real git diff between two commits."""

from __future__ import annotations

from pathlib import Path

import git as gitpython
import pytest

from optiloop.bot.changed import changed_definitions
from optiloop.errors import BadInput
from tests.conftest import git, make_repo

BASE = '''\
import re

LIMIT = 10


def alpha(x):
    y = x + 1
    z = y * 2
    return z


class Shop:
    tax = 0.2

    def total(self, items):
        s = 0
        for i in items:
            s += i
        return s

    def name(self):
        return "shop"


def beta(x):
    def inner(v):
        return v * 2
    return inner(x)


def gamma(x):
    a = x
    b = a
    return b
'''


def commit(repo: Path, rel: str, text: str) -> str:
    (repo / rel).parent.mkdir(parents=True, exist_ok=True)
    (repo / rel).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"change {rel}")
    return git(repo, "rev-parse", "HEAD").strip()


def changed(repo: Path, base: str = "main~1", head: str = "HEAD") -> set[tuple[str, str]]:
    return changed_definitions(gitpython.Repo(repo), base, head)


def test_lines_map_to_the_innermost_listed_definition(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"pkg/mod.py": BASE, "README.md": "x\n"})
    head = (BASE.replace("    z = y * 2", "    z = y * 3")  # alpha
            .replace('        return "shop"', '        return "Shop"')  # Shop.name
            .replace("        return v * 2", "        return v * 4")  # nested in beta: beta
            .replace("    tax = 0.2", "    tax = 0.25")  # the class's own line: Shop
            .replace("LIMIT = 10", "LIMIT = 11"))  # module level: nothing
    commit(repo, "pkg/mod.py", head)
    commit(repo, "README.md", "y\n")
    assert changed(repo, "main~2") == {("pkg/mod.py", "alpha"), ("pkg/mod.py", "Shop.name"),
                                       ("pkg/mod.py", "beta"), ("pkg/mod.py", "Shop")}


def test_removed_lines_count_for_the_definition_they_left(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"mod.py": BASE})
    head = BASE.replace("        for i in items:\n            s += i\n", "").replace("    b = a\n    return b\n",
                                                                                    "    return a\n")
    head = head.replace("import re\n\n", "")  # a removed import selects nothing
    commit(repo, "mod.py", head)
    assert changed(repo) == {("mod.py", "Shop.total"), ("mod.py", "gamma")}


def test_new_files_and_new_definitions_count_and_deleted_files_do_not(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"old.py": "def gone():\n    return 1\n", "keep.py": BASE})
    (repo / "old.py").unlink()
    (repo / "src" / "lib").mkdir(parents=True)
    (repo / "src" / "lib" / "new.py").write_text("def fresh():\n    return 2\n")
    (repo / "keep.py").write_text(BASE + "\n\ndef delta(x):\n    return x\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "files")
    assert changed(repo) == {("src/lib/new.py", "fresh"), ("keep.py", "delta")}


def test_the_diff_is_against_the_merge_base(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"mod.py": BASE})
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, "mod.py", BASE.replace("    y = x + 1", "    y = x + 2"))
    git(repo, "checkout", "-q", "main")
    commit(repo, "mod.py", BASE.replace("    a = x", "    a = -x"))  # main moved on: not the PR's change
    assert changed(repo, "main", "feature") == {("mod.py", "alpha")}


def test_an_unknown_ref_is_bad_input(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"mod.py": BASE})
    with pytest.raises(BadInput, match="base 'nope' is not a commit"):
        changed(repo, "nope")
