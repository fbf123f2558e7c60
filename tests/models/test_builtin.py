"""The builtin model: combinations of the matching rules, best first, bounded, without duplicates."""

from __future__ import annotations

import textwrap
from functools import cache

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext
from optiloop.edit import apply_candidate
from optiloop.models import Request
from optiloop.models.builtin import BuiltinModel, subsets
from optiloop.report.commit import commit_message
from optiloop.targets import build_target
from optiloop.types import Applied, Candidate, Hotspot, Target, Verdict

MODULE = textwrap.dedent(
    """
    import math

    STOP = ["a", "the"]


    def report(rows):
        keys = [r[0] for r in rows]
        out = []
        text = ""
        for i in range(len(keys)):
            if keys[i] not in set(STOP):
                out = out + [math.sqrt(len(keys[i]))]
                text += f"{keys[i]};"
        return text + str(len(out)) + str(sorted(r[1] for r in rows)[0])
    """
)


def _target(module: str, qualname: str) -> Target:
    target = build_target(Hotspot(qualname, "m.py", 1, 0.5, 0.5, ((2, 0.4),)), module)
    assert target is not None
    return target


@cache
def _proposed() -> tuple[Candidate, ...]:
    return tuple(BuiltinModel().propose(Request(_target(MODULE, "report"))))


def test_subsets_order_is_all_then_all_but_one_then_singles() -> None:
    assert list(subsets(0)) == []
    assert list(subsets(1)) == [(0,)]
    assert list(subsets(2)) == [(0, 1), (0,), (1,)]
    three = list(subsets(3))
    assert three == [(0, 1, 2), (0, 1), (0, 2), (1, 2), (0,), (1,), (2,)]
    assert len(list(subsets(5))) == 2**5 - 1 and len(set(subsets(5))) == 2**5 - 1


def test_combinations_are_bounded_distinct_and_best_first() -> None:
    candidates = _proposed()
    origins = [c.origin for c in candidates]
    assert len(candidates) == 8  # more combinations match; the model stops at its bound
    rules = origins[0].removeprefix("builtin:").split("+")
    assert {"range-len-to-enumerate", "list-concat-to-append", "string-concat-join", "sorted-first-to-min",
            "loop-invariant-hoist"} <= set(rules)
    assert all(len(o.split("+")) < len(rules) for o in origins[1:])
    assert len({c.new_source for c in candidates}) == len(candidates)
    assert len(set(origins)) == len(origins)
    for c in candidates:
        assert [line.split(":")[0] for line in c.rationale.splitlines()] == c.origin[len("builtin:"):].split("+")
        assert isinstance(apply_candidate(MODULE, "report", c.new_source, "m.py"), Applied), c.origin


def test_the_best_candidate_behaves_the_same() -> None:
    best = _proposed()[0]
    edited = apply_candidate(MODULE, "report", best.new_source, "m.py")
    assert isinstance(edited, Applied)
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    exec(compile(MODULE, "before", "exec"), before)
    exec(compile(edited.new_module, "after", "exec"), after)
    for rows in ([("abc", 1), ("the", 2), ("xy", 3)], [("q",)], [], [(1, 2)]):
        try:
            expected: object = before["report"](rows)  # type: ignore[operator]
        except Exception as exc:  # the behaviour includes which exception is raised
            expected = type(exc)
        try:
            got: object = after["report"](rows)  # type: ignore[operator]
        except Exception as exc:
            got = type(exc)
        assert got == expected


class _Named:
    def __init__(self, name: str, stem: str) -> None:
        self.name, self.explanation, self.stem = name, f"renames to {stem}", stem

    def apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        return Rewrite(definition=func.with_changes(name=cst.Name(f"{func.name.value}_{self.stem}")))


def test_duplicate_code_is_offered_once_and_a_small_limit_holds() -> None:
    # two rules that produce the same code: the second single is a duplicate and is dropped
    model = BuiltinModel([_Named("one", "x"), _Named("two", "x")], limit=8)
    candidates = model.propose(Request(_target("def f():\n    return 1\n", "f")))
    assert [c.origin for c in candidates] == ["builtin:one+two", "builtin:one"]
    assert len(BuiltinModel(limit=2).propose(Request(_target(MODULE, "report")))) == 2


def test_many_matching_rules_stay_bounded() -> None:
    # 2**24 - 1 combinations exist; the model must stop at its bound without listing them
    rules = [_Named(f"r{i}", f"x{i}") for i in range(24)]
    candidates = BuiltinModel(rules, limit=3).propose(Request(_target("def f():\n    return 1\n", "f")))
    assert [len(c.origin.split("+")) for c in candidates] == [24, 23, 23]


def test_with_no_matching_rule_it_proposes_nothing_and_says_why() -> None:
    model = BuiltinModel()
    target = _target("def add(a, b):\n    return a + b\n", "add")
    assert model.propose(Request(target)) == []
    assert model.nothing_for(target) == (
        f"no builtin rule matches m.add, the hottest function (50% of the samples): its code has none of the "
        f"{len(model.rules)} patterns the catalog rewrites, so the builtin model goes on to the next hot functions; "
        "a language model (--model) or your own `edit` in `optiloop session` can try it")


def test_rule_names_reach_the_commit_message() -> None:
    best = _proposed()[0]
    verdict = Verdict(speedup=1.5, ci_low=1.3, ci_high=1.7, significant=True, accepted=True, reason="faster")
    message = commit_message(best, verdict, (), "builtin", "run-1")
    assert "range-len-to-enumerate: `for i in range(len(keys))` pays" in message
    assert "string-concat-join: `text += ...` in a loop" in message
    assert "Optiloop-Model: builtin" in message
