"""Candidates that change several definitions in several files, on a real git repository (the tagfeed example):
a reply that changes the tests or the workload is refused, a two-file reply is verified, measured and committed
with every changed file and definition, and a run killed between its `accepting` event and the commit resumes
and commits both files. A unified diff over two definitions goes through the same gate."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ROOT, git, make_repo, optiloop, snapshot

EXAMPLE = ROOT / "examples" / "tagfeed"
TESTS_EDIT = '''Make the tests lenient.
```python
# file: tests/test_feed.py
import unittest
```
'''
# the speedup needs two definitions changed together (where the tags are built and where they grow), and the
# caller in another file keeps the bound method out of its loop
TWO_FILES = '''A set where the tags are built and where they grow; the caller looks `has` up once.
```python
# file: tagfeed/tags.py
class TagSet:
    def __init__(self, tags=()):
        self._tags = set()
        for tag in tags:
            self.add(tag)

    def add(self, tag):
        self._tags.add(tag.strip().lower())
```

```python
# file: tagfeed/feed.py
def tagged_posts(posts, known):
    """For each post, the known tags among its hashtags, in the order they appear."""
    has = TagSet(known).has
    out = []
    for post in posts:
        out.append([word for word in _hashtags(r"#(\\w+)", post) if has(word)])
    return out
```
'''
WORKLOAD_DIFF = '''Fewer posts.
```diff
--- a/workload.py
+++ b/workload.py
@@ -6,1 +6,1 @@
-def posts(seed=5, count=3000, vocabulary=1500):
+def posts(seed=5, count=30, vocabulary=1500):
```
'''
# two definitions by diff: a module-level compiled regex added, and the caller that passes it
REGEX_DIFF = '''Compile the hashtag pattern once.
```diff
--- a/tagfeed/feed.py
+++ b/tagfeed/feed.py
@@ -5,5 +5,7 @@
 from tagfeed.tags import TagSet

+_HASHTAG = re.compile(r"#(\\w+)")
+

 def _hashtags(pattern, text):
     return re.findall(pattern, text)
@@ -15,4 +17,4 @@
     out = []
     for post in posts:
-        out.append([word for word in _hashtags(r"#(\\w+)", post) if has(word)])
+        out.append([word for word in _hashtags(_HASHTAG, post) if has(word)])
     return out
```
'''


def tagfeed(path: Path) -> Path:
    files = {p.relative_to(EXAMPLE).as_posix(): p.read_text() for p in EXAMPLE.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts}
    return make_repo(path, files)


def events(repo: Path, run_id: str) -> list[dict[str, object]]:
    lines = (repo / ".optiloop" / "runs" / run_id / "events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_multi_site_replies_are_refused_verified_committed_and_resumed(
        tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = tagfeed(tmp_path / "repo")
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([TESTS_EDIT, TWO_FILES]))
    before = snapshot(repo)
    args = ["run", str(repo), "--model", f"scripted:{replies}", "--rounds", "3", "--min-speedup", "1.01"]

    first = optiloop(*args, "--max-iterations", "2", env=python_on_path)
    assert first.returncode == 0, first.stderr
    (run,) = (repo / ".optiloop" / "runs").iterdir()
    found = events(repo, run.name)
    attempts = [e["attempt"] for e in found if e["event"] == "attempt"]
    assert attempts[0]["edit"]["reason"].startswith("the candidate changes the tests (tests/test_feed.py)")
    two = attempts[1]
    assert two["commit"], two
    assert [(c["path"], c["qualname"]) for c in two["edit"]["changes"]] == [
        ("tagfeed/tags.py", "TagSet.__init__"), ("tagfeed/tags.py", "TagSet.add"), ("tagfeed/feed.py", "tagged_posts")]
    branch = f"optiloop/{run.name}"
    assert git(repo, "show", "--format=", "--name-only", branch).split() == ["tagfeed/feed.py", "tagfeed/tags.py"]
    message = git(repo, "log", "-1", "--format=%B", branch)
    assert "Also changes:\n- tagfeed/tags.py::TagSet.__init__ (changed)" in message
    assert f"Optiloop-Run: {run.name}" in message
    assert snapshot(repo) == before

    # killed between the `accepting` event and its commit: the record ends there, the branch has no commit
    kept = next(i for i, e in enumerate(found) if e["event"] == "accepting")
    (run / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in found[:kept + 1]))
    git(repo, "branch", "-f", branch, "main")
    replies.write_text(json.dumps([WORKLOAD_DIFF, REGEX_DIFF]))  # what the model answers after the resume
    resumed = optiloop("run", "--resume", run.name, str(repo), "--max-iterations", "4", env=python_on_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "attempt 2 was killed before its commit; committed now as" in resumed.stderr + resumed.stdout
    shown = git(repo, "log", "--format=%s", "--name-only", f"main..{branch}")
    assert "tagfeed/feed.py\ntagfeed/tags.py" in shown
    later = [e["attempt"] for e in events(repo, run.name) if e["event"] == "attempt"][1:]
    numbers = [a["number"] for a in later]
    assert numbers == [2, 3, 4], resumed.stdout + resumed.stderr  # the reconciled commit, then the run goes on
    assert later[1]["edit"]["reason"].startswith("the candidate changes the workload (workload.py)")
    regex = later[2]
    assert [(c["qualname"], c["kind"]) for c in regex["edit"]["changes"]] == [
        ("_HASHTAG", "added"), ("tagged_posts", "changed")]
    assert [c["name"] for c in regex["checks"]][:2] == ["parses", "hack check"]
    assert all(c["passed"] for c in regex["checks"]), regex["checks"]
    assert snapshot(repo) == before
