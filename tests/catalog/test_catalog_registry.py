from __future__ import annotations

import re
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from optiloop.catalog import default_rules, find_function, module_level_names, rule_context
from optiloop.plugins import PluginWarning
from tests.conftest import plugin_package

BUILTIN_NAMES = [
    "membership-literal-to-set",
    "dict-keys-membership",
    "any-all-generator",
    "regex-hoist",
    "dedupe-list-to-set",
    "queue-pop0-to-deque",
    "recursive-cache",
    "count-with-counter",
    "group-by-dict",
    "sorted-first-to-min",
    "range-len-to-enumerate",
    "list-concat-to-append",
    "string-concat-join",
    "loop-invariant-hoist",
    "attribute-hoist",
]


def test_builtin_rules_in_order() -> None:
    rules = default_rules()
    assert [r.name for r in rules][: len(BUILTIN_NAMES)] == BUILTIN_NAMES
    for rule in rules:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
        assert rule.explanation and "\n" not in rule.explanation and len(rule.explanation) <= 110


RULES_MODULE = """
class PluginRule:
    name = "plugin-rule"
    explanation = "a rule from another package"

    def apply(self, func, ctx):
        return None


class NotARule:
    name = 3


class Duplicate(PluginRule):
    name = "regex-hoist"


class BadInit(PluginRule):
    def __init__(self):
        raise RuntimeError("needs a config file")


DUPLICATE = Duplicate()
"""
ENTRY_POINTS = """[optiloop.rules]
plugin-rule = myrules:PluginRule
missing = myrules_gone.rules:Rule
not-a-rule = myrules:NotARule
duplicate = myrules:DUPLICATE
bad-init = myrules:BadInit
"""


def test_entry_point_rules_are_added_and_broken_ones_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(plugin_package(tmp_path, "myrules", ENTRY_POINTS, {"myrules.py": RULES_MODULE})))
    with pytest.warns(PluginWarning) as caught:
        names = [r.name for r in default_rules()]
    assert names == [*BUILTIN_NAMES, "plugin-rule"]
    said = [str(w.message) for w in caught]
    assert said == [
        "rule plugin 'missing = myrules_gone.rules:Rule' (myrules 1.0) failed to load (ModuleNotFoundError: No "
        "module named 'myrules_gone'); skipped — fix or uninstall the package that provides it",
        "rule plugin 'not-a-rule = myrules:NotARule' (myrules 1.0) is not a rule (it needs a `name`, an "
        "`explanation` and an `apply` method, see docs/catalog.md); skipped — fix or uninstall the package that "
        "provides it",
        "rule plugin 'duplicate = myrules:DUPLICATE' (myrules 1.0) is named 'regex-hoist', which another rule has; "
        "skipped — rename the plugin's rule",
        "rule plugin 'bad-init = myrules:BadInit' (myrules 1.0) failed to load (RuntimeError: needs a config "
        "file); skipped — fix or uninstall the package that provides it",
    ]


def test_unreadable_plugin_metadata_keeps_the_builtins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(plugin_package(tmp_path, "broken", "[optiloop.rules]\nno-equals-sign\n", {})))
    with pytest.warns(PluginWarning, match=r"cannot read the 'optiloop.rules' plugins .*\(TypeError: .*none is used"):
        assert [r.name for r in default_rules()] == BUILTIN_NAMES


def test_module_level_names() -> None:
    module = cst.parse_module(
        textwrap.dedent(
            """
            import os.path
            import numpy as np
            from collections import deque, OrderedDict as OD
            X, (Y, *Z) = 1, (2, 3)
            A: int = 1
            B += 1
            if X:
                C = 1
            for D in []:
                pass
            def f(x):
                global G
                G = local = 1
            class K:
                attr = 1
            """
        )
    )
    assert module_level_names(module) == frozenset(
        {"os", "np", "deque", "OD", "X", "Y", "Z", "A", "B", "C", "D", "f", "G", "K"}
    )


def test_rule_context_and_find_function() -> None:
    module = cst.parse_module("class C:\n    def m(self):\n        pass\ndef f():\n    pass\n")
    ctx = rule_context(module, "C.m")
    assert ctx.is_method and ctx.qualname == "C.m" and ctx.taken_names == frozenset({"C", "f"})
    assert not rule_context(module, "f").is_method
    found = find_function(module, "C.m")
    assert found is not None and found[0].name.value == "m"
    assert find_function(module, "C.missing") is None
    assert ctx.fresh_name("C") == "C_2"


ODD_FUNCTIONS = [
    "async def f(x):\n    async for y in x:\n        await y\n    return [z async for z in x]\n",
    "def f(*a, **k):\n    yield from a\n",
    "def f(x):\n    match x:\n        case [1, *rest]:\n            return rest\n    return x in [1, 2]\n",
    "def f(x):\n    global g\n    nonlocal_ = lambda: (yield)\n    return x[::2] if x else {**x}\n",
    "def f(q):\n    q = []\n    q, = q.pop(0), \n    return q\n",
    "def f(x):\n    try:\n        pass\n    except* ValueError:\n        pass\n",
    "def f():\n    def inner(q=[]):\n        q.pop(0)\n        return 1 in [1, 2]\n    return inner\n",
    "def f[T](x: T) -> T:\n    return x\n",
]


@pytest.mark.parametrize("source", ODD_FUNCTIONS)
def test_rules_never_raise(source: str) -> None:
    module = cst.parse_module(source)
    found = find_function(module, "f")
    assert found is not None
    for rule in default_rules():
        result = rule.apply(found[0], rule_context(module, "f"))
        assert result is None or isinstance(result.definition, cst.FunctionDef)


def test_nested_definitions_are_left_alone() -> None:
    source = (
        "import re\n"
        "def f(d, xs):\n"
        "    def inner(q=[]):\n"
        "        seen = []\n"
        "        if xs[0] not in seen:\n"
        "            seen.append(xs[0])\n"
        "        q.pop(0)\n"
        "        return 1 in [1, 2], any([x for x in xs]), 'k' in d.keys(), re.findall('a', 'b'), seen\n"
        "    return inner\n"
    )
    module = cst.parse_module(source)
    found = find_function(module, "f")
    assert found is not None
    for rule in default_rules():
        assert rule.apply(found[0], rule_context(module, "f")) is None, rule.name
