from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from optiloop.catalog.rules.regex_hoist import RegexHoist

RULE = RegexHoist()
Fixture = Callable[..., Any]


def test_calls_use_a_module_level_pattern(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        import re


        def tokenize(text):
            words = re.findall(r"[a-z]+", text.lower())
            first = re.match(r"[a-z]+", text)
            return words, first, re.compile(r"\\d+")
        """,
        "tokenize",
    )
    assert applied.code == block(
        """
        def tokenize(text):
            words = _TOKENIZE_RE.findall(text.lower())
            first = _TOKENIZE_RE.match(text)
            return words, first, _TOKENIZE_RE_2
        """
    )
    assert applied.rewrite.helpers == (
        '_TOKENIZE_RE = re.compile(r"[a-z]+")',
        '_TOKENIZE_RE_2 = re.compile(r"\\d+")',
    )
    assert applied.rewrite.names == ("_TOKENIZE_RE", "_TOKENIZE_RE_2")
    assert applied.rewrite.imports == ()


def test_flags_move_into_the_helper(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        import re

        _CLEAN_RE = None


        class Cleaner:
            def _clean(self, s):
                s = re.sub("a+", "b", s, 2, re.I | re.M)
                s = re.sub("a+", repl="b", string=s, flags=re.I | re.M)
                parts = re.split(b"x", s, maxsplit=1)
                return re.subn(pattern="y", repl="z", string=s, count=3, flags=2)
        """,
        "Cleaner._clean",
    )
    assert applied.code == block(
        """
        def _clean(self, s):
            s = _CLEAN_RE_2.sub("b", s, 2)
            s = _CLEAN_RE_2.sub(repl="b", string=s)
            parts = _CLEAN_RE_3.split(s, maxsplit=1)
            return _CLEAN_RE_4.subn(repl="z", string=s, count=3)
        """
    )
    assert applied.rewrite.helpers == (
        '_CLEAN_RE_2 = re.compile("a+", re.I | re.M)',
        '_CLEAN_RE_3 = re.compile(b"x")',
        '_CLEAN_RE_4 = re.compile("y", 2)',
    )


def test_multiline_pattern_with_comment(rewrite: Fixture, block: Fixture) -> None:
    applied = rewrite(
        RULE,
        """
        import re


        def f(s):
            return re.search(
                r"(\\d+)"  # digits
                r"-(\\w+)",
                s,
            )
        """,
    )
    assert applied.code == block(
        """
        def f(s):
            return _F_RE.search(
                s,
            )
        """
    )
    assert applied.rewrite.helpers == ('_F_RE = re.compile(r"(\\d+)"  # digits\n    r"-(\\w+)")',)
    namespace: dict[str, Any] = {}
    exec(applied.module, namespace)
    assert namespace["f"]("x 12-ab").groups() == ("12", "ab")


@pytest.mark.parametrize(
    "source",
    [
        # an f-string pattern
        "import re\ndef f(s, x):\n    return re.findall(f'{x}+', s)\n",
        # a pattern held in a variable
        "import re\ndef f(s, p):\n    return re.findall(p, s)\n",
        # re is not imported at module level
        "def f(s):\n    import re\n    return re.findall('a', s)\n",
        # re is imported under another name
        "import re as regex\ndef f(s):\n    return regex.findall('a', s)\n",
        # re is rebound in the module
        "import re\nre = None\ndef f(s):\n    return re.findall('a', s)\n",
        # flags that are not static
        "import re\ndef f(s, fl):\n    return re.findall('a', s, fl)\n",
        # re.DEBUG prints at compile time
        "import re\ndef f(s):\n    return re.findall('a', s, re.DEBUG)\n",
        # starred arguments cannot be mapped
        "import re\ndef f(args):\n    return re.sub('a', *args)\n",
        # an invalid pattern must keep failing at call time, not import time
        "import re\ndef f(s):\n    return re.findall('(', s)\n",
        # too many positional arguments
        "import re\ndef f(s):\n    return re.match('a', s, 0, 1)\n",
        # an unknown keyword
        "import re\ndef f(s):\n    return re.match('a', s, pos=1)\n",
        # not a pattern function
        "import re\ndef f(s):\n    return re.escape('a')\n",
        # only inside a nested function
        "import re\ndef f(s):\n    def g():\n        return re.findall('a', s)\n    return g\n",
        # imported after the function
        "def f(s):\n    return re.findall('a', s)\nimport re\n",
    ],
)
def test_refuses(rewrite: Fixture, source: str) -> None:
    assert rewrite(RULE, source) is None


def test_behaviour_is_unchanged(behaves_the_same: Fixture) -> None:
    source = """
        import re


        def f(s):
            return (
                re.findall(r"\\w+", s),
                re.sub(r"\\s+", " ", s, 1),
                re.split(r",\\s*", s, 1, re.I),
                bool(re.fullmatch("[a-z ,]*", s, flags=re.IGNORECASE)),
                [m.span() for m in re.finditer("o", s)],
                re.search("x", s) is None,
            )
        """
    behaves_the_same(RULE, source, ["f('Hello,  world, foo')", "f('')", "f('x,x')", "f(None)"])
