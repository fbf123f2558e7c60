"""Shared fixtures for the catalog rule tests: parse a module, apply a rule, render and run the result."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import libcst as cst
import pytest

from optiloop.catalog import find_function, rule_context
from optiloop.catalog.base import Rewrite, Rule


@dataclass(frozen=True)
class Applied:
    """A rule's rewrite of one function, with the rewritten function and module as text."""

    rewrite: Rewrite
    code: str  # the new definition, without the blank lines before it
    module: str  # the whole new module: imports first, helpers before the target's top-level statement


class _Swap(cst.CSTTransformer):
    def __init__(self, old: cst.FunctionDef, new: cst.FunctionDef) -> None:
        super().__init__()
        self.old, self.new = old, new

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        return self.new if original_node is self.old else updated_node


def apply(rule: Rule, source: str, qualname: str = "f") -> Applied | None:
    module = cst.parse_module(textwrap.dedent(source))
    found = find_function(module, qualname)
    assert found is not None, f"no function {qualname} in the test source"
    rewrite = rule.apply(found[0], rule_context(module, qualname))
    if rewrite is None:
        return None
    assert rewrite.explanation, f"{rule.name} rewrote the code without saying what it changed"
    swapped = module.visit(_Swap(found[0], rewrite.definition))
    top = qualname.split(".")[0]
    index = next(i for i, s in enumerate(swapped.body) if getattr(getattr(s, "name", None), "value", "") == top)
    helpers = [cst.parse_statement(h + "\n") for h in rewrite.helpers]
    imports = [cst.parse_statement(i + "\n") for i in rewrite.imports]
    body = [*imports, *swapped.body[:index], *helpers, *swapped.body[index:]]
    code = cst.Module(body=[]).code_for_node(rewrite.definition).lstrip("\n")
    return Applied(rewrite=rewrite, code=code, module=swapped.with_changes(body=body).code)


def _outcome(namespace: dict[str, Any], call: str) -> tuple[str, Any]:
    try:
        return ("ok", eval(call, namespace))
    except Exception as exc:  # the behaviour includes which exception is raised
        return ("raised", type(exc))


def same_behaviour(rule: Rule, source: str, calls: Iterable[str], qualname: str = "f") -> None:
    """Exec the original and the rewritten module and compare the results of ``calls``."""
    applied = apply(rule, source, qualname)
    assert applied is not None, "the rule refused the behavioural example"
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    exec(compile(textwrap.dedent(source), "<before>", "exec"), before)
    exec(compile(applied.module, "<after>", "exec"), after)
    for call in calls:
        assert _outcome(before, call) == _outcome(after, call), call


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture
def rewrite() -> Callable[..., Applied | None]:
    """``rewrite(rule, source, qualname="f")``: the rule's rewrite of that function, or None."""
    return apply


@pytest.fixture
def behaves_the_same() -> Callable[..., None]:
    """``behaves_the_same(rule, source, calls)``: the original and rewritten module agree on ``calls``."""
    return same_behaviour


@pytest.fixture
def block() -> Callable[[str], str]:
    """Dedent a triple-quoted expected-code block."""
    return dedent
