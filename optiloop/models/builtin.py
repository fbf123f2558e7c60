"""The offline model: candidates from the catalog of verified rewrite rules.

For a target it finds every rule that matches, then offers combinations of them, best first: all
rules chained together (a rule may match only after another's rewrite: ``xs = xs + [x]`` becomes
``xs.append(x)``, whose lookup can then be hoisted), then every combination of the matching rules that
leaves one out (in case that one breaks something), then each rule alone, then the remaining
combinations from larger to smaller. A
combination is the rules applied one after another, each to the previous one's result; its origin
names the rules that actually applied. At most ``MAX_CANDIDATES`` candidates, none with the same
code as an earlier one. Each candidate still goes through the same gate and measurement as a language
model's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain, combinations

import libcst as cst

from optiloop.catalog import default_rules, rule_context
from optiloop.catalog.base import Rewrite, Rule, RuleContext
from optiloop.catalog.rules import SITE_RULES
from optiloop.catalog.sites import SiteRule
from optiloop.models.base import Request
from optiloop.targets import dotted_name
from optiloop.types import Candidate, Target

MAX_CANDIDATES = 8


def subsets(n: int) -> Iterator[tuple[int, ...]]:
    """Index combinations of ``n`` matching rules, best first: all, all but one, each alone, the rest
    (larger before smaller), each once, each in rule order."""
    seen: set[tuple[int, ...]] = set()
    sizes = [n, n - 1, 1, *range(n - 2, 1, -1)]
    for size in sizes:
        if size < 1:
            continue
        for combo in combinations(range(n), size):
            if combo not in seen:
                seen.add(combo)
                yield combo


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

    def __init__(self, rules: Sequence[Rule] | None = None, limit: int = MAX_CANDIDATES,
                 site_rules: Sequence[SiteRule] | None = None) -> None:
        self.rules = tuple(rules) if rules is not None else default_rules()
        self.site_rules: tuple[SiteRule, ...] = tuple(site_rules) if site_rules is not None else (
            tuple(rule() for rule in SITE_RULES) if rules is None else ())
        self.limit = limit

    def _apply_all(self, func: cst.FunctionDef, ctx: RuleContext) -> list[tuple[Rule, Rewrite]]:
        found = []
        for rule in self.rules:
            rewrite = rule.apply(func, ctx)
            if rewrite is not None:
                found.append((rule, rewrite))
        return found

    def _chain(self, func: cst.FunctionDef, ctx: RuleContext,
               rules: Sequence[Rule]) -> tuple[list[tuple[Rule, str]], Rewrite]:
        """Apply ``rules`` one after another, each to the previous one's result; each applied rule comes with
        what it says about the code it changed."""
        applied: list[tuple[Rule, str]] = []
        total = Rewrite(definition=func)
        for rule in rules:
            step = rule.apply(total.definition, ctx.with_names(total.names))
            if step is not None:
                total = _combine(total, step)
                applied.append((rule, step.explanation or rule.explanation))
        return applied, total

    def propose(self, request: Request) -> list[Candidate]:
        """The one-function rules' candidates, then those of the rules that change several definitions."""
        target = request.target
        try:
            module = cst.parse_module(target.module_source)
        except cst.ParserSyntaxError:
            return []
        sites = self._sites(target, module)
        return self._functions(target, module, self.limit - len(sites)) + sites

    def _sites(self, target: Target, module: cst.Module) -> list[Candidate]:
        out: list[Candidate] = []
        for rule in self.site_rules:
            found = rule.apply_sites(module, target.qualname)
            if found is not None and len(out) < self.limit:
                out.append(Candidate(target=target, new_source=found.source, rationale=f"{rule.name}: "
                                     f"{found.explanation}", origin=f"builtin:{rule.name}"))
        return out

    def _functions(self, target: Target, module: cst.Module, limit: int) -> list[Candidate]:
        func = _definition(target)
        if func is None:
            return []
        ctx = rule_context(module, target.qualname)
        singles = self._apply_all(func, ctx)
        candidates: list[Candidate] = []
        sources: set[str] = set()
        first: Iterator[tuple[int, ...] | None] = iter([None] if singles else [])  # None: every rule, in order
        for combo in chain(first, subsets(len(singles))):  # lazy: there are 2**n - 1 subsets
            if len(candidates) >= limit:
                break
            if combo is None:  # a rule may match only after another's rewrite
                rules, rewrite = self._chain(func, ctx, self.rules)
            elif len(combo) == 1:
                rule, rewrite = singles[combo[0]]
                rules = [(rule, rewrite.explanation or rule.explanation)]
            else:
                rules, rewrite = self._chain(func, ctx, [singles[i][0] for i in combo])
            candidate = self._candidate(target, rules, rewrite) if rules else None
            if candidate is not None and candidate.new_source not in sources:
                sources.add(candidate.new_source)
                candidates.append(candidate)
        return candidates

    def nothing_for(self, target: Target) -> str:
        """What the run says when no rule matches the hottest target (``Loop``)."""
        name = dotted_name(target.path, target.qualname)
        return (f"no builtin rule matches {name}, the hottest function ({target.hotspot.self_frac:.0%} of the "
                f"samples): its code has none of the {len(self.rules)} patterns the catalog rewrites, so the builtin "
                "model goes on to the next hot functions; a language model (--model) or your own `edit` in "
                "`optiloop session` can try it")

    def _candidate(self, target: Target, rules: list[tuple[Rule, str]], rewrite: Rewrite) -> Candidate:
        """One line of rationale per applied rule, about the code it changed."""
        rationale = "\n".join(f"{r.name}: {said}" for r, said in rules)
        origin = f"builtin:{'+'.join(r.name for r, _ in rules)}"
        return Candidate(target=target, new_source=render(rewrite), rationale=rationale, origin=origin)
