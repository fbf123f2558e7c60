"""`edit PATH ...` in a session: the person's editor gets the target's file and every file named, whole; what
they change becomes one candidate (a unified diff over the files), applied like a model's."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from optiloop.edit.sites import Project, apply_reply
from optiloop.session.repl import Session
from optiloop.types import HUMAN, Applied, Candidate, Hotspot, Target

EDITOR = '''\
import sys
from pathlib import Path

for name in sys.argv[1:]:  # every file at once, each at its project-relative path
    path = Path(name)
    text = path.read_text()
    if name.endswith("pkg/core.py"):
        path.write_text(text.replace("seen = []", "seen = set()").replace("seen.append(x)", "seen.add(x)"))
    elif name.endswith("pkg/other.py"):
        path.write_text(text.replace("return 1", "return 2"))
'''
CORE = "def dedupe(items):\n    seen = []\n    for x in items:\n        seen.append(x)\n    return len(seen)\n"
FILES = {"pkg/core.py": CORE, "pkg/other.py": "def one():\n    return 1\n", "pkg/same.py": "X = 1\n"}


def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[SimpleNamespace, list[str], list[Candidate]]:
    (tmp_path / "editor.py").write_text(EDITOR)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {tmp_path / 'editor.py'}")
    said: list[str] = []
    tried: list[Candidate] = []
    place = SimpleNamespace(read=lambda p: FILES[p] if p in FILES else open(p))  # open: a real OSError
    fake = SimpleNamespace(loop=SimpleNamespace(s=SimpleNamespace(place=place),
                                                attempt=lambda c, decide: tried.append(c)),
                           say=said.append, progress=said.append, decide=None)
    return fake, said, tried


def test_edit_opens_every_file_named_and_tries_what_changed_as_one_candidate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake, said, tried = session(tmp_path, monkeypatch)
    target = Target(Hotspot("dedupe", "pkg/core.py", 1, 0.5, 0.5), "def dedupe(items): ...\n", CORE)
    Session.edit_files(fake, target, ["pkg/other.py", "pkg/same.py"])  # type: ignore[arg-type]
    (candidate,) = tried
    assert candidate.author == HUMAN and candidate.rationale == "A person's edit of pkg/core.py, pkg/other.py."
    assert "--- a/pkg/same.py" not in candidate.new_source  # unchanged: not part of the candidate
    edit = apply_reply(CORE, "dedupe", candidate.new_source, "pkg/core.py", Project(read=FILES.__getitem__))
    assert isinstance(edit, Applied), edit
    assert [(c.path, c.qualname) for c in edit.changes] == [("pkg/core.py", "dedupe"), ("pkg/other.py", "one")]


def test_edit_of_files_outside_the_project_or_missing_opens_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake, said, tried = session(tmp_path, monkeypatch)
    target = Target(Hotspot("dedupe", "pkg/core.py", 1, 0.5, 0.5), "def dedupe(items): ...\n", CORE)
    Session.edit_files(fake, target, ["../elsewhere.py"])  # type: ignore[arg-type]
    Session.edit_files(fake, target, ["pkg/nope.py"])  # type: ignore[arg-type]
    assert tried == [] and said[0].startswith("`../elsewhere.py` is outside the project")
    assert said[1].startswith("cannot open pkg/nope.py")
