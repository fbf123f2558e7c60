"""Candidates that do not apply, each with a one-line reason naming what is wrong and where."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from optiloop.edit import apply_candidate
from optiloop.types import Rejected

Apply = Callable[[str, str, str], str]  # the ``rejected`` fixture of conftest.py

MODULE = """\
from collections import OrderedDict
from mylib import deque

cache = {}


class Box:
    size = 1

    def grow(self):
        self.size += 1
        return self.size

    def shrink(self):
        self.size -= 1


def slow(n):
    return sum(range(n))
"""

FAST = "def slow(n):\n    return n * (n - 1) // 2\n"


def test_reply_that_does_not_parse(rejected: Apply) -> None:
    reason = rejected(MODULE, "slow", "def slow(n):\n    return (n +\n")
    assert reason.startswith("the reply's code does not parse: line 2: ")


def test_future_import(rejected: Apply) -> None:
    reason = rejected(MODULE, "slow", "from __future__ import annotations\n" + FAST)
    assert reason == "line 1: `from __future__` imports cannot be added by a candidate; remove it"


def test_star_import(rejected: Apply) -> None:
    reason = rejected(MODULE, "slow", "from math import *\n" + FAST)
    assert reason == "line 1: `from math import *` is a star import; import names explicitly"


def test_top_level_expression(rejected: Apply) -> None:
    reason = rejected(MODULE, "slow", FAST + "\nprint(slow(10))\n")
    assert reason == (
        "line 4: `print(slow(10))` (an expression) is not allowed at the top level of the reply; "
        "send only imports, module-level helpers and the new `slow`"
    )


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ("if __name__ == '__main__':\n    slow(3)\n", "an `if` block"),
        ("for i in range(3):\n    slow(i)\n", "a `for` loop"),
        ("while False:\n    pass\n", "a `while` loop"),
        ("with open('f') as fh:\n    pass\n", "a `with` block"),
        ("try:\n    import numpy\nexcept ImportError:\n    numpy = None\n", "a `try` block"),
        ("cache[1] += 2\n", "an augmented assignment"),
        ("assert slow(1) == 0\n", "a `assert` statement"),
        ("'''Module docstring.'''\n", "an expression"),
    ],
)
def test_other_top_level_statements(rejected: Apply, statement: str, kind: str) -> None:
    reason = rejected(MODULE, "slow", statement + FAST)
    first = statement.splitlines()[0]
    assert reason.startswith(f"line 1: `{first}` ({kind}) is not allowed at the top level")


def test_assignment_to_an_attribute(rejected: Apply) -> None:
    reason = rejected(MODULE, "slow", "Box.size = 2\n" + FAST)
    assert reason == (
        "line 1: `Box.size = 2` assigns to an attribute or item; helpers may only bind new module-level names"
    )


def test_import_and_helper_on_one_line(rejected: Apply) -> None:
    reason = rejected(MODULE, "slow", "import math; _K = 2\n" + FAST)
    assert reason == "line 1: put imports and helpers on separate lines"


def test_reply_without_the_target(rejected: Apply) -> None:
    assert rejected(MODULE, "slow", "def fast(n):\n    return n\n") == "the reply does not define `slow`"
    assert rejected(MODULE, "Box.grow", "def shrink(self):\n    pass\n") == "the reply does not define `grow`"


def test_class_for_a_function(rejected: Apply) -> None:
    reason = rejected(MODULE, "slow", "class slow:\n    pass\n")
    assert reason == (
        "line 1: the reply defines `slow` as a class, but `slow` is a function; send `def slow(...)`"
    )


def test_function_for_a_class(rejected: Apply) -> None:
    reason = rejected(MODULE, "Box", "def Box():\n    return 1\n")
    assert reason == (
        "line 1: the reply defines `Box` as a function, but `Box` is a class; send the whole class"
    )


def test_class_wrapper_without_the_method(rejected: Apply) -> None:
    reason = rejected(MODULE, "Box.grow", "class Box:\n    def shrink(self):\n        self.size -= 1\n")
    assert reason == "line 1: the reply's `class Box` does not define `grow`"


def test_class_wrapper_changing_another_member(rejected: Apply) -> None:
    reply = (
        "class Box:\n    size = 1\n\n    def grow(self):\n        return 2\n\n"
        "    def shrink(self):\n        self.size = 0\n"
    )
    reason = rejected(MODULE, "Box.grow", reply)
    assert reason == (
        "line 7: the reply's `class Box` also changes or adds `shrink`; send only the new `grow`, "
        "or keep the class's other members as they are"
    )


def test_class_wrapper_adding_a_member(rejected: Apply) -> None:
    reply = "class Box:\n    extra = 3\n    def grow(self):\n        return 2\n"
    reason = rejected(MODULE, "Box.grow", reply)
    assert reason.startswith("line 2: the reply's `class Box` also changes or adds `extra = 3`;")


def test_target_missing_from_the_module() -> None:
    result = apply_candidate(MODULE, "Box.fly", "def fly(self):\n    pass\n", path="pkg/box.py")
    assert result == Rejected("`pkg/box.py` has no function, method or class `Box.fly`")


def test_module_that_does_not_parse(rejected: Apply) -> None:
    reason = rejected("def slow(n:\n", "slow", FAST)
    assert reason == "`module.py` does not parse: line 1: '(' was never closed"


def test_import_rebinding_a_module_assignment(rejected: Apply) -> None:
    reason = rejected(MODULE, "slow", "from functools import cache\n" + FAST)
    assert reason == (
        "line 1: `from functools import cache` would rebind `cache`, which the module binds otherwise "
        "at its line 4; use the module's `cache` or an alias"
    )


def test_import_rebinding_a_module_import(rejected: Apply) -> None:
    reason = rejected(MODULE, "slow", FAST + "from collections import deque\n")
    assert reason.startswith("line 3: `from collections import deque` would rebind `deque`,")


def test_helper_replacing_a_module_name(rejected: Apply) -> None:
    reason = rejected(MODULE, "slow", "cache = {0: 0}\n" + FAST)
    assert reason == "line 1: helper `cache` would replace the module's existing `cache`; give it a new name"


def test_helper_function_replacing_another_function(rejected: Apply) -> None:
    reason = rejected(MODULE, "Box.grow", "class Box:\n    pass\n\n\ndef grow(self):\n    return 2\n")
    assert reason == "line 1: helper `Box` would replace the module's existing `Box`; give it a new name"
    reason = rejected(MODULE, "Box.grow", "def slow(n):\n    return 0\n\n\ndef grow(self):\n    return 2\n")
    assert reason == "line 1: helper `slow` would replace the module's existing `slow`; give it a new name"


def test_result_that_does_not_compile(rejected: Apply) -> None:
    reason = rejected(MODULE, "slow", "def slow(n):\n    nonlocal total\n    return n\n")
    assert reason == (
        "the edited module does not compile: no binding for nonlocal 'total' found "
        "(line 19: `nonlocal total`)"
    )
    reason = rejected(MODULE, "Box", "class Box:\n    return 1\n")
    assert reason.startswith("the edited module does not compile: 'return' outside function")


def test_candidate_identical_to_the_current_code(rejected: Apply) -> None:
    current = "def slow(n):\n    return sum(range(n))\n"
    assert rejected(MODULE, "slow", current) == "the candidate is identical to the current code"
    assert rejected(MODULE, "slow", "from collections import OrderedDict\n" + current) == (
        "the candidate is identical to the current code"
    )


def test_candidate_differing_only_in_layout_and_comments(rejected: Apply) -> None:
    reply = 'def slow( n ):\n    """Sum."""\n    # the same\n    return sum(range(n))\n'
    assert rejected(MODULE, "slow", reply) == (
        "the candidate is identical to the current code except for layout, comments and docstrings"
    )


def test_target_hidden_in_a_block_is_reported_as_the_block(rejected: Apply) -> None:
    reason = rejected(MODULE, "slow", "if True:\n    " + FAST.replace("\n", "\n    "))
    assert reason.startswith("line 1: `if True:` (an `if` block) is not allowed at the top level")
