"""loop-invariant-hoist: ``set(STOP)``/``list(xs)``/``tuple(xs)``/``frozenset(xs)``/``len(xs)``
evaluated on every turn of a loop or comprehension is computed once, before it.

    def content(words):                        def content(words):
        return [w for w in words               STOPWORDS_set = set(STOPWORDS)
                if w not in set(STOPWORDS)]     return [w for w in words if w not in STOPWORDS_set]

The guard proves the argument cannot change and that sharing one result is unobservable:

* the argument is a plain name that is either a module-level name bound once, to a list/tuple/set
  display of hashable literals, that no code in the module mutates (no method call, item assignment,
  augmented assignment or ``global`` declaration naming it), or a local of the function bound once by
  a display or comprehension, in an earlier top-level statement (not inside ``if``/``for``/``try``), and
  only read afterwards (indexed,
  measured, iterated, tested for membership, or passed to these builtins), so no call can reach it;
* for ``set``/``frozenset`` the elements are known to be hashable (literals, or a set display or
  comprehension), so computing it early cannot raise where the loop would not have run;
* a ``list``/``set`` result is only tested for membership or iterated, never stored or mutated, so one
  shared object behaves like a fresh one each time (``tuple``/``frozenset``/``len`` are immutable);
* the builtin is not shadowed in the module or the function.
"""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext
from optiloop.catalog.rules._bindings import function_names, module_bindings
from optiloop.catalog.rules._evidence import early_values, reads_in_place
from optiloop.catalog.rules._hoist import Hoisted, ancestry, hoist, in_loop
from optiloop.catalog.rules._loops import constant
from optiloop.catalog.rules._util import (
    NameUse,
    SafeRule,
    all_nodes,
    literal_elements,
    own_nodes,
    plural,
    quoted,
)

_BUILTINS = frozenset({"set", "frozenset", "list", "tuple", "len"})
_NEED_HASHABLE = frozenset({"set", "frozenset"})
_IMMUTABLE_RESULT = frozenset({"frozenset", "tuple", "len"})


def _elements_hashable(value: cst.BaseExpression) -> bool:
    if isinstance(value, (cst.Set, cst.SetComp)):
        return True
    return literal_elements(value) is not None


def _call_of(node: cst.Call, shadowed: frozenset[str]) -> tuple[str, str] | None:
    """``(builtin, name)`` for ``builtin(name)``."""
    if not (isinstance(node.func, cst.Name) and node.func.value in _BUILTINS and node.func.value not in shadowed):
        return None
    if len(node.args) != 1 or node.args[0].keyword is not None or node.args[0].star:
        return None
    arg = node.args[0].value
    return (node.func.value, arg.value) if isinstance(arg, cst.Name) else None


def _result_read_only(call: cst.Call, parents: dict[int, tuple[cst.CSTNode, ...]]) -> bool:
    ancestors = parents.get(id(call), ())
    parent = ancestors[-1] if ancestors else None
    if isinstance(parent, cst.ComparisonTarget):
        return parent.comparator is call and isinstance(parent.operator, (cst.In, cst.NotIn))
    return isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is call


def _module_constant(ctx: RuleContext, name: str) -> cst.BaseExpression | None:
    """The value of a module-level name bound once, by ``NAME = <display>``, and never mutated."""
    bindings = module_bindings(ctx.module, name)
    if len(bindings) != 1 or not isinstance(bindings[0], cst.Assign) or len(bindings[0].targets) != 1:
        return None
    assign = bindings[0]
    if not isinstance(assign.targets[0].target, cst.Name):
        return None
    if not isinstance(assign.value, (cst.List, cst.Tuple, cst.Set)):
        return None
    for node in all_nodes(ctx.module):
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == name:
            return None  # a method call (STOP.append) or attribute use: give up
        if isinstance(node, (cst.AugAssign, cst.Del)):
            if any(isinstance(n, cst.Name) and n.value == name for n in all_nodes(node.target)):
                return None
        if isinstance(node, cst.AssignTarget) and isinstance(node.target, cst.Subscript):
            if isinstance(node.target.value, cst.Name) and node.target.value.value == name:
                return None
        if isinstance(node, cst.Global) and any(item.name.value == name for item in node.names):
            return None
    return assign.value


def _read_only(use: NameUse) -> bool:
    if reads_in_place(use):
        return True
    parent = use.parent
    arg, call = use.up(1), use.up(2)
    if isinstance(arg, cst.Arg) and isinstance(call, cst.Call) and isinstance(call.func, cst.Name):
        return call.func.value in _BUILTINS and len(call.args) == 1
    return isinstance(parent, cst.CompFor) and parent.iter is use.node


class LoopInvariantHoist(SafeRule):
    name = "loop-invariant-hoist"
    explanation = "set(...)/list(...)/len(...) of something the loop never changes is recomputed every turn"

    def _apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        names = function_names(func, ctx)
        if names is None or not isinstance(func.body, cst.IndentedBlock):
            return None
        uses, counts, shadowed = names
        parents = ancestry(func)
        found: list[Hoisted] = []
        invariant: list[str] = []
        for node in own_nodes(func):
            if not isinstance(node, cst.Call):
                continue
            call = _call_of(node, shadowed)
            index = in_loop(func, node, parents) if call is not None else None
            if call is None or index is None:
                continue
            builtin, name = call
            if builtin not in _IMMUTABLE_RESULT and not _result_read_only(node, parents):
                continue
            value = self._invariant(func, name, index, uses, counts, ctx)
            if value is None or (builtin in _NEED_HASHABLE and not _elements_hashable(value)):
                continue
            found.append(Hoisted(node, f"{builtin}({name})", f"{name.lower()}_{builtin}", index))
            invariant.append(name)
        rewrite = hoist(func, ctx, uses, found, lambda local: constant(cst.Name(local)))
        if rewrite is None:
            return None
        sources, kept = [h.source for h in found], list(dict.fromkeys(invariant))
        return replace(rewrite, explanation=f"{quoted(sources)} {plural(sources, 'is', 'are')} recomputed on every "
                                            f"turn of the loop, though the loop never changes {quoted(kept)}; now "
                                            f"{plural(sources, 'it is', 'they are')} computed once before it")

    def _invariant(
        self,
        func: cst.FunctionDef,
        name: str,
        index: int,
        uses: dict[str, list[NameUse]],
        counts: dict[str, int],
        ctx: RuleContext,
    ) -> cst.BaseExpression | None:
        """The value ``name`` holds, when it provably never changes after its binding, before ``index``."""
        if name not in counts:
            return _module_constant(ctx, name)
        if counts[name] != 1:
            return None
        values = early_values(func, uses.get(name, []), index, _read_only)
        displays = (cst.List, cst.Tuple, cst.Set, cst.ListComp, cst.SetComp)
        if not values or not all(isinstance(value, displays) for value in values):
            return None
        return values[-1]
