"""Finding definitions: spans, the definition around a line, the source of one, and the normal form."""

from __future__ import annotations

import ast

from optiloop.edit import DefSpan, definition_spans, enclosing_definition, find_definition, normalized

MODULE = '''\
"""Module doc."""

import functools


def plain(x):
    return x + 1


@functools.lru_cache(maxsize=None)
@staticmethod
def decorated(x):
    def inner(y):
        return y * 2

    key = lambda v: (
        v + 1
    )
    return inner(key(x))


class Outer:
    """Outer doc."""

    limit = 10

    def method(self):
        return self.limit

    class Inner:
        async def deep(self):
            return 1

    @property
    def value(self):
        return 3


async def fetch():
    class Local:
        pass

    return Local
'''


def test_spans_list_functions_methods_and_classes_in_order() -> None:
    assert definition_spans(MODULE) == (
        DefSpan("plain", "function", 6, 7, 7),
        DefSpan("decorated", "function", 10, 19, 13),
        DefSpan("Outer", "class", 22, 36, 23),
        DefSpan("Outer.method", "method", 27, 28, 28),
        DefSpan("Outer.Inner", "class", 30, 32, 31),
        DefSpan("Outer.Inner.deep", "method", 31, 32, 32),
        DefSpan("Outer.value", "method", 34, 36, 36),
        DefSpan("fetch", "function", 39, 43, 40),
    )


def test_nested_functions_and_lambdas_roll_up_to_the_enclosing_def() -> None:
    spans = definition_spans(MODULE)
    assert not any("inner" in s.qualname or "Local" in s.qualname for s in spans)
    assert enclosing_definition(spans, 14) == spans[1]  # inside the nested ``inner``
    assert enclosing_definition(spans, 17) == spans[1]  # inside the lambda
    assert enclosing_definition(spans, 41) == spans[7]  # inside a class nested in a function


def test_enclosing_definition_maps_class_body_lines_to_the_class() -> None:
    spans = definition_spans(MODULE)
    assert enclosing_definition(spans, 25) == spans[2]  # ``limit = 10``
    assert enclosing_definition(spans, 29) == spans[2]  # the blank line between methods
    assert enclosing_definition(spans, 30) == spans[4]  # ``class Inner:``
    assert enclosing_definition(spans, 32) == spans[5]


def test_enclosing_definition_counts_decorator_lines_and_misses_module_lines() -> None:
    spans = definition_spans(MODULE)
    assert enclosing_definition(spans, 10) == spans[1]
    assert enclosing_definition(spans, 34) == spans[6]
    assert enclosing_definition(spans, 3) is None
    assert enclosing_definition(spans, 20) is None
    assert enclosing_definition((), 5) is None


def test_spans_include_definitions_in_module_and_class_level_blocks() -> None:
    source = """\
try:
    from fast import f
except ImportError:
    def f():
        return 1

class A:
    if True:
        def m(self):
            pass
"""
    assert [(s.qualname, s.kind) for s in definition_spans(source)] == [
        ("f", "function"),
        ("A", "class"),
        ("A.m", "method"),
    ]


def test_spans_of_code_that_does_not_parse_are_empty() -> None:
    assert definition_spans("def f(:\n") == ()


def test_find_definition_of_a_function_is_its_exact_text() -> None:
    assert find_definition(MODULE, "plain") == "def plain(x):\n    return x + 1\n"


def test_find_definition_keeps_decorators_and_nested_code() -> None:
    found = find_definition(MODULE, "decorated")
    assert found is not None
    assert found.startswith("@functools.lru_cache(maxsize=None)\n@staticmethod\ndef decorated(x):\n")
    assert found.endswith("    return inner(key(x))\n")


def test_find_definition_of_a_method_parses_on_its_own() -> None:
    for qualname in ("Outer.method", "Outer.Inner.deep", "Outer.value", "Outer.Inner"):
        found = find_definition(MODULE, qualname)
        assert found is not None
        assert not found[0].isspace()
        ast.parse(found)
    assert find_definition(MODULE, "Outer.value") == "@property\ndef value(self):\n    return 3\n"
    assert find_definition(MODULE, "Outer.Inner.deep") == "async def deep(self):\n    return 1\n"


def test_find_definition_keeps_multiline_strings_exact() -> None:
    source = 'class A:\n    def m(self):\n        return """\nline one\n    line two\n"""\n'
    assert find_definition(source, "A.m") == 'def m(self):\n    return """\nline one\n    line two\n"""\n'


def test_find_definition_of_a_tab_indented_method() -> None:
    source = "class A:\n\tdef m(self):\n\t\tif self:\n\t\t\treturn 1\n"
    found = find_definition(source, "A.m")
    assert found == "def m(self):\n\tif self:\n\t\treturn 1\n"


def test_find_definition_of_a_missing_name_is_none() -> None:
    assert find_definition(MODULE, "missing") is None
    assert find_definition(MODULE, "decorated.inner") is None
    assert find_definition("def f(:\n", "f") is None


def test_normalized_ignores_layout_comments_and_docstrings() -> None:
    a = 'def f(x):\n    """Doc."""\n    # comment\n    return (x+1)\n'
    b = "def f( x ):\n    return x + 1  # other comment\n"
    assert normalized(a) == normalized(b)
    assert normalized(a) != normalized("def f(x):\n    return x + 2\n")


def test_normalized_of_indented_and_broken_code() -> None:
    assert normalized("    def m(self):\n        return 1\n") == normalized("def m(self):\n    return 1")
    assert normalized("  def f(:  \n") == "def f(:"
