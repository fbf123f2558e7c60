"""Each rule's explanation describes the code it was applied to: the names and calls it changed, never an
example from elsewhere (an attribute-hoist rationale once named ``math.sqrt`` in code without it)."""

from __future__ import annotations

import textwrap

import pytest

from optiloop.catalog.rules import BUILTIN_RULES
from optiloop.models import Request
from optiloop.models.builtin import BuiltinModel
from optiloop.targets import build_target
from optiloop.types import Hotspot
from tests.catalog.conftest import apply

RULES = {rule.name: rule for rule in (make() for make in BUILTIN_RULES)}

# rule -> (the code it rewrites, what its explanation says about that code)
CASES = {
    "attribute-hoist": (
        """\
            def f(xs):
                out = []
                for x in xs:
                    out.append(x)
                return out
        """,
        '`out.append` is looked up on every turn of the loop; a local looks it up once',
    ),
    "loop-invariant-hoist": (
        """\
            STOP = ['a', 'the']

            def f(words):
                n = 0
                for w in words:
                    if w in set(STOP):
                        n += 1
                return n
        """,
        '`set(STOP)` is recomputed on every turn of the loop, though the loop never changes `STOP`; now '
        'it is computed once before it',
    ),
    "regex-hoist": (
        """\
            import re

            def f(lines):
                return [re.findall(r'\\w+', line) for line in lines]
        """,
        "`re.findall(r'\\w+', ...)` looks its pattern up in re's cache on each call; `_F_RE` compiles it "
        'once',
    ),
    "dedupe-list-to-set": (
        """\
            def f(items):
                seen = []
                for x in items:
                    if x not in seen:
                        seen.append(x)
                return seen
        """,
        '`in` on the growing list `seen` scans it, O(n); a set beside it (`seen_set`) answers in O(1), '
        'and the list keeps its order',
    ),
    "list-concat-to-append": (
        """\
            def f(xs):
                out = []
                for x in xs:
                    out = out + [x * 2]
                return out
        """,
        '`out = out + [...]` copies the whole list each time; appending to it in place does not',
    ),
    "string-concat-join": (
        """\
            def f(rows):
                out = "header"
                for name, value in rows:
                    out += f"{name}={value}"
                return out
        """,
        '`out += ...` in a loop may copy the string every time; collecting the pieces in `out_parts` and '
        'joining once is linear',
    ),
    "sorted-first-to-min": (
        """\
            def f(xs):
                return sorted(xs)[0]
        """,
        '`sorted(xs)[0]` sorts everything to pick one element; min() finds it in one pass',
    ),
    "range-len-to-enumerate": (
        """\
            def f(xs: tuple):
                t = 0
                for i in range(len(xs)):
                    t += xs[i]
                return t
        """,
        '`for i in range(len(xs))` pays a len, a range and an index per element; iterating `xs` directly '
        'does not',
    ),
    "dict-keys-membership": (
        """\
            def f(keys):
                d = {}
                n = 0
                for k in keys:
                    if k in d.keys():
                        n += 1
                return n
        """,
        '`d.keys()` builds a keys view each time; `in` or `for` on `d` directly does not',
    ),
    "membership-literal-to-set": (
        """\
            def f(w):
                return w in ['a', 'an', 'the']
        """,
        "`in ['a', 'an', 'the']` scans a list or tuple of constants; a set of them is a hashed lookup",
    ),
    "any-all-generator": (
        """\
            def f(xs):
                return any([x > 3 for x in xs])
        """,
        '`any([...])` builds the whole list first; a generator stops at the first answer',
    ),
    "queue-pop0-to-deque": (
        """\
            def f(start):
                queue = [start]
                out = []
                while queue:
                    x = queue.pop(0)
                    out.append(x)
                return out
        """,
        "`queue.pop(0)` on a list is O(n), moving every other item; a deque's popleft() is O(1)",
    ),
    "count-with-counter": (
        """\
            def f(words):
                counts = {}
                for w in words:
                    counts[w] = counts.get(w, 0) + 1
                return counts
        """,
        'counting into `counts` one item at a time runs Python code per item; Counter counts in C and '
        'the dict stays a dict',
    ),
    "recursive-cache": (
        """\
            def fib(n):
                if n < 2:
                    return n
                return fib(n - 1) + fib(n - 2)
        """,
        '`fib` calls itself on overlapping subproblems and computes each again; it is pure, so '
        'functools.lru_cache can remember each result',
    ),
    "group-by-dict": (
        """\
            def f(rows: list, keys):
                out = {}
                for k in keys:
                    out[k] = [r for r in rows if r[0] == k]
                return out
        """,
        'scanning all of `rows` once per key is O(keys x items); one pass into a dict (`rows_by_key`) is '
        'O(items)',
    ),
}


def test_every_builtin_rule_has_a_case() -> None:
    assert sorted(CASES) == sorted(RULES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_explanation_names_what_was_rewritten(name: str) -> None:
    source, explanation = CASES[name]
    applied = apply(RULES[name], textwrap.dedent(source), "fib" if name == "recursive-cache" else "f")
    assert applied is not None and applied.rewrite.explanation == explanation


def test_a_builtin_rationale_names_only_code_the_target_has() -> None:
    source = "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x * 2)\n    return out\n"
    target = build_target(Hotspot("f", "m.py", 1, 0.9, 0.9), source)
    assert target is not None
    (candidate,) = BuiltinModel().propose(Request(target))
    assert candidate.rationale == ("attribute-hoist: `out.append` is looked up on every turn of the loop; a local "
                                   "looks it up once")
    assert "math" not in candidate.rationale
