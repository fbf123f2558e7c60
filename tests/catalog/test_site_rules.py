"""The rules that need more than one definition: before and after, their guards, and the same behaviour."""

from __future__ import annotations

import textwrap
from typing import Any

import libcst as cst
import pytest

from optiloop.catalog.rules.attribute_set import AttributeListToSet
from optiloop.catalog.rules.regex_arg import RegexArgumentHoist
from optiloop.catalog.sites import SiteRule
from optiloop.edit.sites import apply_reply
from optiloop.models.base import Request
from optiloop.models.builtin import BuiltinModel
from optiloop.types import Applied, Hotspot, Target

SEEN = '''\
class Seen:
    """Remembers keys."""

    def __init__(self, keys):
        self._keys = list(keys)
        self.count = 0

    def add(self, key):
        self.count += 1
        if key not in self._keys:
            self._keys.append(key)

    def has(self, key):
        return key in self._keys
'''

MATCHES = '''\
import re


def _matches(pattern, text):
    return re.fullmatch(pattern, text) is not None


def count(lines):
    n = 0
    for line in lines:
        if _matches(r"\\d+-\\d+", line) or _matches(pattern=r"x+", text=line):
            n += 1
    return n
'''


def applied(rule: SiteRule, module: str, qualname: str) -> Applied:
    found = rule.apply_sites(cst.parse_module(module), qualname)
    assert found is not None and found.explanation
    edit = apply_reply(module, qualname, found.source, "m.py")
    assert isinstance(edit, Applied), edit
    return edit


def run(module: str, call: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(module, "m.py", "exec"), namespace)
    return eval(call, namespace)


def test_a_membership_list_attribute_becomes_a_set_where_it_is_built_and_where_it_grows() -> None:
    edit = applied(AttributeListToSet(), SEEN, "Seen.has")
    assert edit.new_module == SEEN.replace("list(keys)", "set(keys)").replace(".append(key)", ".add(key)")
    assert [(c.qualname, c.kind) for c in edit.changes] == [("Seen.__init__", "changed"), ("Seen.add", "changed")]
    call = "[(s.add(k), s.has(k), s.has(-k), s.count) for s in [Seen([1, 2, 2])] for k in (2, 3, 3)]"
    assert run(edit.new_module, call) == run(SEEN, call)


@pytest.mark.parametrize("use", [
    "    def first(self):\n        return self._keys[0]\n",  # indexing: order shows
    "    def size(self):\n        return len(self._keys)\n",  # repeats show
    "    def keys(self):\n        return self._keys\n",  # handed out
    "    def reset(self):\n        self._keys = []\n",  # built in a second place
    "    def more(self, ks):\n        self._keys += ks\n",  # grown otherwise
])
def test_any_other_use_of_the_attribute_keeps_the_list(use: str) -> None:
    assert AttributeListToSet().apply_sites(cst.parse_module(SEEN + "\n" + use), "Seen.has") is None


def test_the_attribute_named_outside_the_class_or_public_keeps_the_list() -> None:
    outside = SEEN + "\n\ndef peek(seen):\n    return seen._keys\n"
    assert AttributeListToSet().apply_sites(cst.parse_module(outside), "Seen.has") is None
    public = SEEN.replace("_keys", "keys")
    assert AttributeListToSet().apply_sites(cst.parse_module(public), "Seen.has") is None
    assert AttributeListToSet().apply_sites(cst.parse_module(SEEN), "Seen.add") is not None  # add tests too
    no_test = SEEN.replace("key in self._keys", "bool(key)")
    assert AttributeListToSet().apply_sites(cst.parse_module(no_test), "Seen.has") is None


def test_a_regex_a_caller_passes_in_a_loop_is_compiled_once_at_module_level() -> None:
    for target in ("_matches", "count"):  # from the callee's side and from the caller's
        edit = applied(RegexArgumentHoist(), MATCHES, target)
        assert '_MATCHES_RE = re.compile(r"\\d+-\\d+")' in edit.new_module
        assert '_matches(_MATCHES_RE, line) or _matches(pattern=_MATCHES_RE_2, text=line)' in edit.new_module
        assert [(c.qualname, c.kind) for c in edit.changes] == [
            ("_MATCHES_RE", "added"), ("_MATCHES_RE_2", "added"), ("count", "changed")]
        lines = "['1-2', 'xx', 'a-b', '12-3', '']"
        assert run(edit.new_module, f"count({lines})") == run(MATCHES, f"count({lines})") == 3


@pytest.mark.parametrize("change", [
    ("re.fullmatch(pattern, text)", "re.fullmatch(pattern, text, re.I)"),  # flags: a compiled pattern refuses them
    ("re.fullmatch(pattern, text)", "re.fullmatch(pattern.strip(), text)"),  # another use of the string
    ("return re", "pattern = pattern or 'x'\n    return re"),  # assigned
    ("    for line in lines:\n        if", "    line = lines[0]\n    if True:\n        if"),  # no loop
    ('r"\\d+-\\d+", line) or _matches(pattern=r"x+"', 'f"{n}", line) or _matches(pattern=b"x"'),  # no str literal
    ('r"\\d+-\\d+", line) or _matches(pattern=r"x+"', '"(", line) or _matches(pattern="["'),  # does not compile
    ("import re\n", "import re as regex\nre = regex\n"),
])
def test_the_regex_guards(change: tuple[str, str]) -> None:
    source = MATCHES.replace(*change)
    assert source != MATCHES
    assert RegexArgumentHoist().apply_sites(cst.parse_module(source), "_matches") is None


def test_the_builtin_model_offers_a_multi_site_candidate_the_editor_applies() -> None:
    module = textwrap.dedent(SEEN)
    target = Target(Hotspot("Seen.has", "m.py", 13, 0.5, 0.5), "    def has(self, key):\n", module)
    (candidate,) = BuiltinModel().propose(Request(target))
    assert candidate.origin == "builtin:attribute-set" and "a hash lookup" in candidate.rationale
    edit = apply_reply(module, "Seen.has", candidate.new_source, "m.py")
    assert isinstance(edit, Applied) and "set(keys)" in edit.new_module
