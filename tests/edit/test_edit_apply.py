"""Candidates that apply: the definition replaced in place, imports and helpers added where they belong."""

from __future__ import annotations

from collections.abc import Callable

from optiloop.edit import apply_candidate
from optiloop.types import Applied

Apply = Callable[[str, str, str], str]  # the ``applied`` fixture of conftest.py

FUNCS = """\
import os


def slow(n):
    total = 0
    for i in range(n):
        total += i
    return total


def other():
    return os.sep
"""

FAST = "def slow(n):\n    return n * (n - 1) // 2\n"


def test_function_replaced(applied: Apply) -> None:
    assert applied(FUNCS, "slow", FAST) == """\
import os


def slow(n):
    return n * (n - 1) // 2


def other():
    return os.sep
"""


def test_applied_carries_a_unified_diff() -> None:
    result = apply_candidate(FUNCS, "slow", FAST, path="pkg/mod.py")
    assert isinstance(result, Applied)
    assert result.diff == (
        "--- a/pkg/mod.py\n+++ b/pkg/mod.py\n@@ -2,10 +2,7 @@\n \n \n def slow(n):\n"
        "-    total = 0\n-    for i in range(n):\n-        total += i\n-    return total\n"
        "+    return n * (n - 1) // 2\n \n \n def other():\n"
    )


def test_diff_of_a_module_without_final_newline_ends_with_a_newline() -> None:
    result = apply_candidate("def f():\n    return 1", "f", "def f():\n    return 2\n")
    assert isinstance(result, Applied)
    assert result.new_module == "def f():\n    return 2"
    assert result.diff.endswith(
        "-    return 1\n\\ No newline at end of file\n+    return 2\n\\ No newline at end of file\n"
    )


def test_comments_and_blank_lines_around_the_target_are_kept(applied: Apply) -> None:
    module = "X = 1\n\n\n# Sums numbers.\n# Hot.\ndef slow(n):\n    return sum(range(n))\n# after\n\nY = 2\n"
    reply = "# my comment above\ndef slow(n):\n    # new inner comment\n    return n * (n - 1) // 2\n"
    assert applied(module, "slow", reply) == (
        "X = 1\n\n\n# Sums numbers.\n# Hot.\ndef slow(n):\n    # new inner comment\n"
        "    return n * (n - 1) // 2\n# after\n\nY = 2\n"
    )


def test_method_replaced_in_a_four_space_class(applied: Apply) -> None:
    module = "class A:\n    def m(self, xs):\n        return [x for x in xs]\n\n    def n(self):\n"
    module += "        pass\n"
    reply = "def m(self, xs):\n    if not xs:\n        return []\n    return list(xs)\n"
    assert applied(module, "A.m", reply) == (
        "class A:\n    def m(self, xs):\n        if not xs:\n            return []\n        return list(xs)\n"
        "\n    def n(self):\n        pass\n"
    )


def test_method_replaced_in_a_two_space_class(applied: Apply) -> None:
    module = "class A:\n  def m(self, xs):\n    return [x for x in xs]\n\n  def n(self):\n    pass\n"
    reply = "def m(self, xs):\n    if not xs:\n        return []\n    return list(xs)\n"
    assert applied(module, "A.m", reply) == (
        "class A:\n  def m(self, xs):\n    if not xs:\n      return []\n    return list(xs)\n"
        "\n  def n(self):\n    pass\n"
    )


def test_method_replaced_in_a_tab_indented_class(applied: Apply) -> None:
    module = "class A:\n\tdef m(self, xs):\n\t\treturn [x for x in xs]\n\n\tdef n(self):\n\t\tpass\n"
    reply = "def m(self, xs):\n    if not xs:\n        # none\n        return []\n    return list(xs)\n"
    assert applied(module, "A.m", reply) == (
        "class A:\n\tdef m(self, xs):\n\t\tif not xs:\n\t\t\t# none\n\t\t\treturn []\n\t\treturn list(xs)\n"
        "\n\tdef n(self):\n\t\tpass\n"
    )


def test_reply_indentation_is_made_uniform(applied: Apply) -> None:
    module = "def f(x):\n    return x\n"
    reply = "def f(x):\n  if x:\n        return 1\n  return 0\n"
    assert applied(module, "f", reply) == "def f(x):\n    if x:\n        return 1\n    return 0\n"


def test_method_in_a_class_wrapper_with_unchanged_members(applied: Apply) -> None:
    module = (
        'class A:\n    """Doc."""\n\n    k = 2\n\n    def m(self):\n        return 1\n\n'
        "    def n(self):\n        return 2\n"
    )
    reply = (
        'class A:\n    """Doc."""\n    k = 2\n\n    def m(self):\n        return 10\n\n    ...\n\n'
        "    def n(self):\n        return (2)\n"
    )
    assert applied(module, "A.m", reply) == module.replace("return 1\n", "return 10\n")


def test_nested_class_method_replaced(applied: Apply) -> None:
    module = (
        "class Outer:\n    class Inner:\n        def m(self):\n            return 1\n\n"
        "    def m(self):\n        return 0\n"
    )
    expected = module.replace("return 1", "return 2")
    assert applied(module, "Outer.Inner.m", "def m(self):\n    return 2\n") == expected
    assert applied(module, "Outer.Inner.m", "class Inner:\n    def m(self):\n        return 2\n") == expected
    wrapped = "class Outer:\n    class Inner:\n        def m(self):\n            return 2\n"
    assert applied(module, "Outer.Inner.m", wrapped) == expected


def test_decorator_changed_added_and_removed(applied: Apply) -> None:
    module = "import functools\n\n\n@functools.lru_cache(maxsize=128)\ndef f(x):\n    return x\n"
    changed = "@functools.lru_cache(maxsize=None)\ndef f(x):\n    return x\n"
    assert applied(module, "f", changed) == module.replace("128", "None")
    added = "@functools.cache\n@functools.lru_cache(maxsize=128)\ndef f(x):\n    return x\n"
    assert applied(module, "f", added) == module.replace("@functools.lru", "@functools.cache\n@functools.lru")
    removed = applied(module, "f", "def f(x):\n    return x\n")
    assert removed == "import functools\n\n\ndef f(x):\n    return x\n"


def test_decorated_method_keeps_comment_above_its_decorator(applied: Apply) -> None:
    module = "class A:\n    # cached\n    @property\n    def v(self):\n        return 1\n"
    assert applied(module, "A.v", "@property\ndef v(self):\n    return 2\n") == module.replace("1", "2")


def test_property_setter_or_getter_chosen_by_decorators(applied: Apply) -> None:
    module = (
        "class A:\n    @property\n    def v(self):\n        return self._v\n\n"
        "    @v.setter\n    def v(self, value):\n        self._v = value\n"
    )
    getter = "@property\ndef v(self):\n    return self.__dict__['_v']\n"
    assert applied(module, "A.v", getter) == module.replace("return self._v", "return self.__dict__['_v']")
    setter = "@v.setter\ndef v(self, value):\n    self.__dict__['_v'] = value\n"
    assert applied(module, "A.v", setter) == module.replace("self._v = value", "self.__dict__['_v'] = value")


def test_async_function_and_method_replaced(applied: Apply) -> None:
    module = "async def f():\n    return 1\n\n\nclass A:\n    async def g(self):\n        return 2\n"
    assert applied(module, "f", "async def f():\n    return 3\n") == module.replace("1", "3")
    assert applied(module, "A.g", "async def g(self):\n    return 4\n") == module.replace("2", "4")


def test_whole_class_replaced(applied: Apply) -> None:
    module = "X = 1\n\n\nclass P:\n    def __init__(self, x):\n        self.x = x\n"
    reply = "class P:\n    __slots__ = ('x',)\n\n    def __init__(self, x):\n        self.x = x\n"
    assert applied(module, "P", reply) == "X = 1\n\n\n" + reply


def test_definition_inside_a_module_level_block_replaced(applied: Apply) -> None:
    module = "try:\n    from fast import f\nexcept ImportError:\n    def f(x):\n        return x\n"
    assert applied(module, "f", "def f(x):\n    return +x\n") == module.replace("return x", "return +x")


def test_imports_added_after_existing_imports(applied: Apply) -> None:
    reply = "import re\nfrom collections import deque as dq\n\n" + FAST
    assert applied(FUNCS, "slow", reply).startswith(
        "import os\nimport re\nfrom collections import deque as dq\n\n\ndef slow(n):\n"
    )


def test_imports_the_module_has_are_skipped(applied: Apply) -> None:
    header = "import os\nimport re\nfrom collections import OrderedDict, deque\n\n\n"
    reply = "import re\nfrom collections import deque\nimport os\n" + FAST.replace("//", "/")
    assert applied(header + FAST, "slow", reply) == header + FAST.replace("//", "/")


def test_partly_present_import_adds_only_the_missing_names(applied: Apply) -> None:
    module = "from collections import OrderedDict\n\n\n" + FAST
    reply = "from collections import OrderedDict, deque, Counter\nfrom collections import deque\n"
    reply += FAST.replace("//", "/")
    assert applied(module, "slow", reply).startswith(
        "from collections import OrderedDict\nfrom collections import deque, Counter\n\n\ndef slow"
    )


def test_submodule_import_added_when_only_the_package_is_imported(applied: Apply) -> None:
    module = "import os\n\n\n" + FAST
    result = applied(module, "slow", "import os.path\n" + FAST.replace("//", "/"))
    assert result.startswith("import os\nimport os.path\n\n\n")


def test_type_checking_import_does_not_count_as_present(applied: Apply) -> None:
    module = "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from re import Pattern\n\n\n" + FAST
    result = applied(module, "slow", "from re import Pattern\n" + FAST.replace("//", "/"))
    assert "    from re import Pattern\nfrom re import Pattern\n\n\ndef slow" in result


def test_imports_go_to_the_top_when_the_module_has_none(applied: Apply) -> None:
    module = "# Licence header.\n\nX = 1\n\n\n" + FAST
    result = applied(module, "slow", "import math\n" + FAST.replace("//", "/"))
    assert result.startswith("# Licence header.\n\nimport math\n\nX = 1\n")


def test_docstring_and_future_imports_stay_first(applied: Apply) -> None:
    module = '"""Doc."""\n\nfrom __future__ import annotations\n\n__all__ = ["slow"]\n\n\n' + FAST
    result = applied(module, "slow", "import math\n" + FAST.replace("//", "/"))
    assert result.startswith(
        '"""Doc."""\n\nfrom __future__ import annotations\nimport math\n\n__all__ = ["slow"]\n'
    )
    bare = '"""Doc."""\n\n\n' + FAST
    assert applied(bare, "slow", "import math\n" + FAST.replace("//", "/")).startswith(
        '"""Doc."""\n\nimport math\n\n\ndef slow'
    )


def test_helpers_inserted_before_the_target_in_order(applied: Apply) -> None:
    reply = "import re\n\n_WORD = re.compile(r'\\w+')\n_LIMIT: int = 3\n\n\n"
    reply += "def _count(s):\n    return 1\n\n\n" + FAST
    assert applied(FUNCS, "slow", reply) == """\
import os
import re


_WORD = re.compile(r'\\w+')
_LIMIT: int = 3


def _count(s):
    return 1


def slow(n):
    return n * (n - 1) // 2


def other():
    return os.sep
"""


def test_helpers_for_a_method_go_before_its_outermost_class(applied: Apply) -> None:
    module = "X = 1\n\n\n# Box.\nclass A:\n    class B:\n        def m(self):\n            return 1\n"
    reply = "_TABLE = {1: 2}\n\ndef m(self):\n    return _TABLE[1]\n"
    assert applied(module, "A.B.m", reply) == (
        "X = 1\n\n\n_TABLE = {1: 2}\n\n\n# Box.\nclass A:\n    class B:\n        def m(self):\n"
        "            return _TABLE[1]\n"
    )


def test_helper_identical_to_a_module_statement_is_skipped(applied: Apply) -> None:
    module = "_TABLE = {1: 2}\n\n\ndef _g(x):\n    return x\n\n\n" + FAST
    reply = "_TABLE = {1 : 2}  # same\n\ndef _g( x ):\n    '''Doc.'''\n    return x\n\n"
    reply += FAST.replace("//", "/")
    assert applied(module, "slow", reply) == module.replace("//", "/")


def test_first_statement_target_gets_space_after_new_helpers(applied: Apply) -> None:
    quick = FAST.replace("//", "/")
    assert applied(FAST, "slow", "_K = 2\n" + quick) == "_K = 2\n\n\n" + quick


def test_crlf_module_keeps_its_line_endings(applied: Apply) -> None:
    module = "import os\r\n\r\n\r\ndef f():\r\n    return 1\r\n"
    result = applied(module, "f", "import re\ndef f():\n    return 2\n")
    assert result == "import os\r\nimport re\r\n\r\n\r\ndef f():\r\n    return 2\r\n"
