from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from optiloop.catalog.rules.membership_set import MembershipLiteralToSet

RULE = MembershipLiteralToSet()
Fixture = Callable[..., Any]


def test_inline_literals_become_sets(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        def f(x, y):
            if x in ["a", "b", "c"]:
                return 1
            return y not in (1, -2, None, True, b"z")
        """,
    )
    assert applied.code == block(
        """
        def f(x, y):
            if x in {"a", "b", "c"}:
                return 1
            return y not in {1, -2, None, True, b"z"}
        """
    )
    assert applied.rewrite.imports == applied.rewrite.helpers == applied.rewrite.names == ()


def test_multiline_literal_keeps_its_layout(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        def f(x):
            return x in (
                "a",  # first
                "b",
            ) or x in (("c",))
        """,
    )
    assert applied.code == block(
        """
        def f(x):
            return x in {
                "a",  # first
                "b",
            } or x in ({"c",})
        """
    )


def test_local_used_only_for_membership(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        def f(words):
            vowels = ["a", "e", "i", "o", "u"]
            signs = "+", "-"
            n = 0
            for w in words:
                if w in vowels:
                    n += 1
            return n, [w for w in words if w not in vowels and w not in signs]
        """,
    )
    assert applied.code == block(
        """
        def f(words):
            vowels = {"a", "e", "i", "o", "u"}
            signs = {"+", "-"}
            n = 0
            for w in words:
                if w in vowels:
                    n += 1
            return n, [w for w in words if w not in vowels and w not in signs]
        """
    )


def test_module_constant_gets_frozenset_helper(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        STOPWORDS = ["the", "a", "an"]
        _SET = 1


        def count(words):
            return len([w for w in words if w not in STOPWORDS])


        def listed():
            return sorted(STOPWORDS)
        """,
        "count",
    )
    assert applied.code == block(
        """
        def count(words):
            return len([w for w in words if w not in _STOPWORDS_SET])
        """
    )
    assert applied.rewrite.helpers == ("_STOPWORDS_SET = frozenset(STOPWORDS)",)
    assert applied.rewrite.names == ("_STOPWORDS_SET",)


def test_method_uses_module_constant_and_fresh_name(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        KEYWORDS = ("if", "else")
        _KEYWORDS_SET = None


        class Lexer:
            def kind(self, word):
                return "kw" if word in KEYWORDS else "name"
        """,
        "Lexer.kind",
    )
    assert applied.code == block(
        """
        def kind(self, word):
            return "kw" if word in _KEYWORDS_SET_2 else "name"
        """
    )
    assert applied.rewrite.helpers == ("_KEYWORDS_SET_2 = frozenset(KEYWORDS)",)


@pytest.mark.parametrize(
    "source",
    [
        # a float is not in the accepted literal kinds
        "def f(x):\n    return x in [1.5, 2.5]\n",
        # an empty list would become an empty dict
        "def f(x):\n    return x in []\n",
        # not a literal element
        "def f(x, y):\n    return x in [1, y]\n",
        # a starred element
        "def f(x, ys):\n    return x in [1, *ys]\n",
        # the local is also returned
        "def f(x):\n    ok = [1, 2]\n    if x in ok:\n        return ok\n",
        # the local is iterated
        "def f(x):\n    ok = [1, 2]\n    return x in ok, [y for y in ok]\n",
        # the local is assigned twice
        "def f(x, c):\n    ok = [1, 2]\n    if c:\n        ok = [3]\n    return x in ok\n",
        # the local is used in a nested def
        "def f(x):\n    ok = [1, 2]\n    def g():\n        return x in ok\n    return g()\n",
        # locals() could see the changed value
        "def f(x):\n    ok = [1, 2]\n    print(locals())\n    return x in ok\n",
        # a literal inside a nested def is not this function's code
        "def f(x):\n    def g(y):\n        return y in [1, 2]\n    return g(x)\n",
        # a parameter, not a literal
        "def f(x, ok=(1, 2)):\n    return x in ok\n",
    ],
)
def test_refuses_locals_and_literals(rewrite: Fixture, source: str) -> None:
    assert rewrite(RULE, source) is None


@pytest.mark.parametrize(
    "module",
    [
        # mutated elsewhere in the module
        "NAMES = ['a', 'b']\ndef add(x):\n    NAMES.append(x)\ndef f(x):\n    return x in NAMES\n",
        # rebound through global
        "NAMES = ['a', 'b']\ndef reset():\n    global NAMES\n    NAMES = []\ndef f(x):\n    return x in NAMES\n",
        # bound twice
        "NAMES = ['a']\nNAMES = ['a', 'b']\ndef f(x):\n    return x in NAMES\n",
        # bound after the function, so a helper before it could not see it
        "def f(x):\n    return x in NAMES\nNAMES = ['a', 'b']\n",
        # the function also passes it on
        "NAMES = ['a', 'b']\ndef f(x):\n    print(NAMES)\n    return x in NAMES\n",
        # subscript assignment
        "NAMES = ['a', 'b']\nNAMES[0] = 'c'\ndef f(x):\n    return x in NAMES\n",
        # not ALL_CAPS
        "names = ['a', 'b']\ndef f(x):\n    return x in names\n",
        # a star import could rebind it
        "from os import *\nNAMES = ['a', 'b']\ndef f(x):\n    return x in NAMES\n",
        # not a literal of constants
        "NAMES = [str(1), 'b']\ndef f(x):\n    return x in NAMES\n",
    ],
)
def test_refuses_module_constants(rewrite: Fixture, module: str) -> None:
    assert rewrite(RULE, module) is None


def test_behaviour_is_unchanged(behaves_the_same: Fixture) -> None:
    source = """
        STOP = ["the", "a"]


        def f(words, extra):
            ok = (1, 2, 3)
            kept = [w for w in words if w not in STOP]
            return kept, extra in ok, extra not in [None, True, "x"]
        """
    behaves_the_same(
        RULE,
        source,
        ["f(['the', 'cat', 'a', 'dog'], 2)", "f([], None)", "f(['x'], 'x')", "f([], 1.0)", "f([], False)"],
    )


def test_residual_risk_unhashable_left_operand(rewrite: Fixture) -> None:
    """Documented: a set hashes the left operand, so an unhashable one now raises (the gate's job)."""
    applied = rewrite(RULE, "def f(x):\n    return x in [1, 2]\n")
    namespace: dict[str, Any] = {}
    exec(applied.module, namespace)
    with pytest.raises(TypeError):
        namespace["f"]([1])
