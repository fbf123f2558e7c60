"""The offline model: candidates from the catalog of verified rewrite rules.

For a target it applies every rule that matches; the combination of all matching rules comes
first, then each rule alone. Each candidate still goes through the same gate and measurement as a
language model's.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from optiloop.catalog import default_rules, rule_context
from optiloop.catalog.base import Rewrite, Rule, RuleContext
from optiloop.models.base import Request
from optiloop.types import Candidate, Target


def _definition(target: Target) -> cst.FunctionDef | None:
    try:
        node = cst.parse_module(target.source).body[0]
    except (cst.ParserSyntaxError, IndexError):
        return None
    return node if isinstance(node, cst.FunctionDef) else None


def render(rewrite: Rewrite) -> str:
    """A candidate's source per the reply contract: imports, helpers, then the definition."""
    parts = []
    if rewrite.imports:
        parts.append("\n".join(rewrite.imports))
    if rewrite.helpers:
        parts.append("\n".join(rewrite.helpers))
    parts.append(cst.Module(body=[rewrite.definition]).code.strip("\n"))
    return "\n\n\n".join(parts) + "\n"


def _combine(first: Rewrite, second: Rewrite) -> Rewrite:
    return Rewrite(
        definition=second.definition,
        imports=tuple(dict.fromkeys(first.imports + second.imports)),
        helpers=first.helpers + second.helpers,
        names=first.names + second.names,
    )


class BuiltinModel:
    """Implements ``Model`` with no network and no key."""

    name = "builtin"

    def __init__(self, rules: Sequence[Rule] | None = None) -> None:
        self.rules = tuple(rules) if rules is not None else default_rules()

    def _apply_all(self, func: cst.FunctionDef, ctx: RuleContext) -> list[tuple[Rule, Rewrite]]:
        found = []
        for rule in self.rules:
            rewrite = rule.apply(func, ctx)
            if rewrite is not None:
                found.append((rule, rewrite))
        return found

    def _chain(self, func: cst.FunctionDef, ctx: RuleContext, rules: Sequence[Rule]) -> tuple[list[Rule], Rewrite]:
        """Apply ``rules`` one after another, each to the previous one's result."""
        applied: list[Rule] = []
        total = Rewrite(definition=func)
        for rule in rules:
            step = rule.apply(total.definition, ctx.with_names(total.names))
            if step is not None:
                total = _combine(total, step)
                applied.append(rule)
        return applied, total

    def propose(self, request: Request) -> list[Candidate]:
        target = request.target
        func = _definition(target)
        if func is None:
            return []
        try:
            module = cst.parse_module(target.module_source)
        except cst.ParserSyntaxError:
            return []
        ctx = rule_context(module, target.qualname)
        singles = self._apply_all(func, ctx)
        options: list[tuple[list[Rule], Rewrite]] = []
        if len(singles) > 1:
            options.append(self._chain(func, ctx, [rule for rule, _ in singles]))
        options.extend(([rule], rewrite) for rule, rewrite in singles)
        return [self._candidate(target, rules, rewrite) for rules, rewrite in options if rules]

    def _candidate(self, target: Target, rules: list[Rule], rewrite: Rewrite) -> Candidate:
        rationale = "\n".join(f"{r.name}: {r.explanation}" for r in rules)
        origin = f"builtin:{'+'.join(r.name for r in rules)}"
        return Candidate(target=target, new_source=render(rewrite), rationale=rationale, origin=origin)
