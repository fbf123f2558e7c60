"""any-all-generator: ``any([e for x in xs])`` -> ``any(e for x in xs)``.

The list comprehension builds every element before ``any``/``all`` looks at the first; the generator
stops at the first deciding element. Stopping early must not skip anything observable, so the guard
requires that the element expression, every ``if`` condition and every inner ``for`` iterable contain
no call, subscript, attribute access, f-string, await, yield, walrus, lambda or nested comprehension.
The outermost iterable is evaluated once in both forms, but the generator may leave it partly
consumed; so it must be a name or attribute chain, a display or string literal, ``range``/
``enumerate``/``zip``/``reversed`` of such, or ``.items()``/``.keys()``/``.values()``/``.split()``/
``.splitlines()`` on a name or attribute chain.

Residual risk, left to the verification gate: an operator in a skipped element can still raise
(``x > 0`` on a str, ``1 / x`` on zero) or run a user-defined dunder; the rewrite only changes
behaviour where the original raised or relied on such a side effect, or where the outermost name
holds an iterator that is read again afterwards.
"""

from __future__ import annotations

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext
from optiloop.catalog.rules._bindings import function_local_names
from optiloop.catalog.rules._util import (
    COMPREHENSIONS,
    Replacement,
    SafeRule,
    all_nodes,
    is_hashable_literal,
    own_nodes,
    plural,
    quoted,
    replace_nodes,
)

_UNSAFE = (
    cst.Call,
    cst.Subscript,
    cst.Attribute,
    cst.FormattedString,
    cst.Await,
    cst.Yield,
    cst.NamedExpr,
    cst.Lambda,
    *COMPREHENSIONS,
)
_ITER_BUILTINS = frozenset({"range", "enumerate", "zip", "reversed"})
_MATERIALIZING_METHODS = frozenset({"items", "keys", "values", "split", "splitlines"})


def _name_chain(node: cst.BaseExpression) -> bool:
    """``a`` or ``a.b.c``."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)


def _plain_value(node: cst.BaseExpression) -> bool:
    return _name_chain(node) or is_hashable_literal(node) or isinstance(node, cst.Float)


def _no_side_effects(node: cst.CSTNode) -> bool:
    return not any(isinstance(n, _UNSAFE) for n in all_nodes(node))


def _safe_iterable(node: cst.BaseExpression, shadowed: frozenset[str]) -> bool:
    if _plain_value(node):
        return True
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return all(isinstance(e, cst.Element) and _plain_value(e.value) for e in node.elements)
    if not isinstance(node, cst.Call) or any(a.star or a.keyword is not None for a in node.args):
        return False
    if not all(_plain_value(a.value) for a in node.args):
        return False
    func = node.func
    if isinstance(func, cst.Name):
        return func.value in _ITER_BUILTINS and func.value not in shadowed
    if not isinstance(func, cst.Attribute):
        return False
    return func.attr.value in _MATERIALIZING_METHODS and _name_chain(func.value)


def _safe_comprehension(comp: cst.ListComp, shadowed: frozenset[str]) -> bool:
    if not _no_side_effects(comp.elt):
        return False
    clause: cst.CompFor | None = comp.for_in
    first = True
    while clause is not None:
        if clause.asynchronous is not None or not all(_no_side_effects(c.test) for c in clause.ifs):
            return False
        if not (_safe_iterable(clause.iter, shadowed) if first else _no_side_effects(clause.iter)):
            return False
        first, clause = False, clause.inner_for_in
    return True


def _to_generator(updated: cst.CSTNode) -> cst.CSTNode:
    if not isinstance(updated, cst.Call):
        raise TypeError("expected a call")
    arg = updated.args[0]
    listcomp = arg.value
    if not isinstance(listcomp, cst.ListComp):
        raise TypeError("expected any/all of a list comprehension")
    generator = cst.GeneratorExp(elt=listcomp.elt, for_in=listcomp.for_in, lpar=[], rpar=[])
    return updated.with_changes(args=[arg.with_changes(value=generator)])


class AnyAllGenerator(SafeRule):
    name = "any-all-generator"
    explanation = "any([...])/all([...]) build the whole list first; a generator stops at the first answer"

    def _apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        shadowed = ctx.taken_names | function_local_names(func)
        plan: dict[int, Replacement] = {}
        kinds: list[str] = []
        for node in own_nodes(func):
            if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Name)):
                continue
            if node.func.value not in ("any", "all") or node.func.value in shadowed or len(node.args) != 1:
                continue
            arg = node.args[0]
            if arg.star or arg.keyword is not None or not isinstance(arg.value, cst.ListComp):
                continue
            if _safe_comprehension(arg.value, shadowed):
                plan[id(node)] = _to_generator
                kinds.append(f"{node.func.value}([...])")
        definition = replace_nodes(func, plan)
        if definition is None:
            return None
        said = f"{quoted(kinds)} {plural(kinds, 'builds', 'build')} the whole list first; a generator stops at " \
               "the first answer"
        return Rewrite(definition=definition, explanation=said)
