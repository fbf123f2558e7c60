"""Multi-site replies: blocks headed by their file, class blocks merged by member, unified diffs, and the rules
every shape keeps (no tests, workload or files outside the project; public names and signatures stay; a private
signature changes only with every use of it)."""

from __future__ import annotations

import pytest

from optiloop.edit.sites import Project, apply_reply, refusal
from optiloop.models.reply import ReplyError, checked_code, extract_code
from optiloop.types import Applied, Rejected

INDEX = '''\
"""An index."""

import re


class Index:
    """Items, looked up."""

    def __init__(self, items):
        self.items = list(items)

    def has(self, x):
        return x in self.items


def _skip(s, i, chars):
    while i < len(s) and s[i] in chars:
        i += 1
    return i


def parse(s):
    return _skip(s, 0, " ")
'''
USE = '''\
from pkg.index import _skip


def words(s):
    return _skip(s, 1, " ")
'''
FILES = {"pkg/index.py": INDEX, "pkg/use.py": USE, "tests/test_index.py": "X = 1\n", "bench.py": "print(1)\n",
         "pkg/vendored.py": "Y = 1\n"}


def read(path: str) -> str:
    if path not in FILES:
        raise FileNotFoundError(path)
    return FILES[path]


PROJECT = Project(read=read, files=lambda: ["pkg/index.py", "pkg/use.py"],
                  refuse=refusal(lambda p: p != "pkg/vendored.py", ["bench.py"]))
SKIP_TWO_ARGS = '''\
# file: pkg/index.py
def _skip(s, i):
    while i < len(s) and s[i] == " ":
        i += 1
    return i


def parse(s):
    return _skip(s, 0)
'''


def apply(reply: str, qualname: str = "Index.has") -> Applied | Rejected:
    return apply_reply(INDEX, qualname, reply, "pkg/index.py", PROJECT)


def test_a_class_block_changes_the_members_it_names_and_keeps_the_others() -> None:
    edit = apply("class Index:\n    def __init__(self, items):\n        self.items = set(items)\n")
    assert isinstance(edit, Applied), edit
    assert edit.new_module == INDEX.replace("list(items)", "set(items)")
    assert [(c.qualname, c.kind) for c in edit.changes] == [("Index.__init__", "changed")]
    assert edit.written("pkg/index.py") == {"pkg/index.py": edit.new_module}


def test_the_one_definition_shape_is_applied_as_before() -> None:
    edit = apply("def has(self, x):\n    return self.items.__contains__(x)\n")
    assert isinstance(edit, Applied) and [c.qualname for c in edit.changes] == ["Index.has"]
    refused = apply("def other():\n    return 1\n")
    assert isinstance(refused, Rejected) and refused.reason == "the reply does not define `has`"


def test_a_private_signature_changes_with_every_use_of_it_across_files() -> None:
    alone = apply(SKIP_TWO_ARGS, "_skip")
    assert isinstance(alone, Rejected)
    assert alone.reason.startswith("the candidate changes the signature of the private `_skip` but not its use at "
                                   "pkg/use.py:5 in `words`")
    edit = apply(SKIP_TWO_ARGS + '# file: pkg/use.py\ndef words(s):\n    return _skip(s, 1)\n', "_skip")
    assert isinstance(edit, Applied), edit
    assert dict(edit.files)["pkg/use.py"] == USE.replace(', " ")', ")")
    assert [(c.path, c.qualname) for c in edit.changes] == [
        ("pkg/index.py", "_skip"), ("pkg/index.py", "parse"), ("pkg/use.py", "words")]
    assert "--- a/pkg/index.py" in edit.diff and "--- a/pkg/use.py" in edit.diff


@pytest.mark.parametrize(("reply", "reason"), [
    ("# file: tests/test_index.py\nX = 2\n", "the candidate changes the tests (tests/test_index.py)"),
    ("# file: bench.py\nZ = 2\n", "the candidate changes the workload (bench.py)"),
    ("# file: ../outside.py\nZ = 2\n", "`../outside.py` is outside the project"),
    ("# file: pkg/vendored.py\nY = 2\n", "which the run's include/exclude settings leave out"),
    ("# file: pkg/nope.py\nY = 2\n", "names no file of the project"),
    ("# file: pkg/index.py\ndef parse(s, strip):\n    return 0\n", "changes the signature of the public `parse`"),
    ("--- a/pkg/index.py\n+++ b/pkg/index.py\n@@ -21,2 +21,0 @@\n-def parse(s):\n-    return _skip(s, 0, \" \")\n",
     "removes the public name `parse`"),
    ("# file: pkg/use.py\nwhile True:\n    pass\n", "is not allowed at the top level of a block"),
    ("# file: pkg/index.py\nre = None\n", "would rebind `re`"),
])
def test_what_a_multi_site_reply_may_not_do(reply: str, reason: str) -> None:
    edit = apply(reply)
    assert isinstance(edit, Rejected) and reason in edit.reason, edit


def test_a_unified_diff_over_two_files_is_applied_where_its_lines_are() -> None:
    diff = '''\
--- a/pkg/index.py
+++ b/pkg/index.py
@@ -3,3 +3,3 @@
     def __init__(self, items):
-        self.items = list(items)
+        self.items = frozenset(items)

--- a/pkg/use.py
+++ b/pkg/use.py
@@ -4,2 +4,2 @@
 def words(s):
-    return _skip(s, 1, " ")
+    return _skip(s, 1, (" ",))
'''
    edit = apply(diff)
    assert isinstance(edit, Applied), edit
    assert edit.new_module == INDEX.replace("list(items)", "frozenset(items)")  # found 6 lines below its header
    assert [(c.path, c.qualname) for c in edit.changes] == [("pkg/index.py", "Index.__init__"),
                                                            ("pkg/use.py", "words")]
    stale = apply(diff.replace("self.items = list", "self.things = list"))
    assert isinstance(stale, Rejected) and "does not match the current file" in stale.reason


def test_replies_hold_headed_blocks_or_one_diff() -> None:
    reply = ("Two files.\n```python\n# file: a.py\nX = 1\n```\n\n```python\n# file: b.py\nY = 2\n```\n")
    code, why = extract_code(reply)
    assert code == "# file: a.py\nX = 1\n\n# file: b.py\nY = 2\n" and why == "Two files."
    diff = "```diff\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-X = 1\n+X = 2\n```\n"
    assert checked_code(diff, "f")[0].startswith("--- a/a.py")
    with pytest.raises(ReplyError, match="start each block with a line `# file: PATH`"):
        extract_code("```python\nX = 1\n```\n```python\nY = 2\n```\n")
    with pytest.raises(ReplyError, match="the block headed `# file: b.py` does not parse"):
        checked_code("```python\n# file: b.py\ndef (:\n```\n", "f")
    with pytest.raises(ReplyError, match="send one diff"):
        extract_code(diff + reply)
