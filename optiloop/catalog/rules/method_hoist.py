"""attribute-hoist: a method or module function looked up on every turn of a loop is looked up once.

``out.append(x)`` in a loop looks up ``append`` on every iteration; ``out_append = out.append``
before the loop and ``out_append(x)`` inside does it once. The same for ``math.sqrt(x)``.

The guard: for a method, the object is a local bound exactly once, to a list/dict/set display or
comprehension (or ``list()``/``dict()``/``set()`` of a builtin that is not shadowed), by a top-level
statement (not inside ``if``/``for``/``try``) before the one that holds the loop, and used only in the
function's own code. Its type is then a builtin whose methods cannot be replaced, and the name always
means that one object, so the bound method is the same on every turn. The method must exist on that
type. For a module function, the module is ``math``, ``cmath`` or ``operator``, imported plainly
(``import math``) at module level and not rebound in the function, and the attribute exists in the
running interpreter's module. Residual risk, left to the gate: code elsewhere replacing ``math.sqrt``
while the loop runs.
"""

from __future__ import annotations

import cmath
import math
import operator
from dataclasses import replace
from types import ModuleType

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext
from optiloop.catalog.rules._bindings import function_names, module_imports_plainly
from optiloop.catalog.rules._hoist import Hoisted, ancestry, hoist, in_loop
from optiloop.catalog.rules._loops import top_level_index
from optiloop.catalog.rules._util import (
    NameUse,
    Replacement,
    SafeRule,
    own_nodes,
    plural,
    quoted,
    sole_assignment,
)

_MODULES: dict[str, ModuleType] = {"math": math, "cmath": cmath, "operator": operator}


def _builtin_type(value: cst.BaseExpression, shadowed: frozenset[str]) -> type | None:
    if isinstance(value, (cst.List, cst.ListComp)):
        return list
    if isinstance(value, (cst.Dict, cst.DictComp)):
        return dict
    if isinstance(value, (cst.Set, cst.SetComp)):
        return set
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value not in shadowed:
        return {"list": list, "dict": dict, "set": set}.get(value.func.value)
    return None


class AttributeHoist(SafeRule):
    name = "attribute-hoist"
    explanation = "a method or module function looked up on every turn of a loop is looked up once, into a local"

    def _apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        names = function_names(func, ctx)
        if names is None or not isinstance(func.body, cst.IndentedBlock):
            return None
        uses, counts, shadowed = names
        parents = ancestry(func)
        calls: list[Hoisted] = []
        for node in own_nodes(func):
            if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)):
                continue
            owner, attr = node.func.value, node.func.attr.value
            if not isinstance(owner, cst.Name) or attr.startswith("_"):
                continue
            index = in_loop(func, node, parents)
            if index is None or not self._allowed(func, owner.value, attr, index, uses, counts, shadowed, ctx):
                continue
            calls.append(Hoisted(node, f"{owner.value}.{attr}", f"{owner.value}_{attr}", index))
        rewrite = hoist(func, ctx, uses, calls, _call_local)
        if rewrite is None:
            return None
        sources = [c.source for c in calls]
        return replace(rewrite, explanation=f"{quoted(sources)} {plural(sources, 'is', 'are')} looked up on every "
                                            f"turn of the loop; a local looks {plural(sources, 'it', 'them')} "
                                            "up once")

    def _allowed(
        self,
        func: cst.FunctionDef,
        owner: str,
        attr: str,
        index: int,
        uses: dict[str, list[NameUse]],
        counts: dict[str, int],
        shadowed: frozenset[str],
        ctx: RuleContext,
    ) -> bool:
        if owner in _MODULES and owner not in counts:
            return module_imports_plainly(ctx.module, owner) and hasattr(_MODULES[owner], attr)
        if counts.get(owner) != 1 or not all(u.own_scope for u in uses.get(owner, [])):
            return False
        for use in uses.get(owner, []):
            assign = sole_assignment(use)
            if assign is None:
                continue
            kind = _builtin_type(assign.value, shadowed)
            where = top_level_index(func, use.ancestors)
            return kind is not None and hasattr(kind, attr) and where is not None and where < index
        return False


def _call_local(local: str) -> Replacement:
    def replace(updated: cst.CSTNode) -> cst.CSTNode:
        if not isinstance(updated, cst.Call):
            raise TypeError("expected a call")
        return updated.with_changes(func=cst.Name(local))

    return replace
