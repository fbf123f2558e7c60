"""Evidence about what a local name holds, shared by the builtin rules."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from optiloop.catalog.base import RuleContext
from optiloop.catalog.rules._loops import is_store, top_level_index
from optiloop.catalog.rules._util import NameUse, is_iterated, is_membership_rhs, sole_arg_of, sole_assignment

SEQUENCE_ANNOTATIONS = frozenset({"list", "List", "tuple", "Tuple", "str"})
_SEQUENCE_CALLS = frozenset({"list", "sorted", "tuple"})


def annotation_name(node: cst.BaseExpression) -> str | None:
    """``list`` for ``list``, ``typing.List`` or ``list[int]`` (``Mapping`` for ``typing.Mapping``)."""
    if isinstance(node, cst.Subscript):
        node = node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return node.value if isinstance(node, cst.Name) else None


def params(func: cst.FunctionDef) -> list[cst.Param]:
    p = func.params
    star = [p.star_arg] if isinstance(p.star_arg, cst.Param) else []
    kwargs = [p.star_kwarg] if p.star_kwarg is not None else []
    return [*p.posonly_params, *p.params, *star, *p.kwonly_params, *kwargs]


def makes_sequence(value: cst.BaseExpression, shadowed: frozenset[str]) -> bool:
    """A list/tuple display or list comprehension, or ``list(...)``/``tuple(...)``/``sorted(...)``."""
    if isinstance(value, (cst.List, cst.Tuple, cst.ListComp)):
        return True
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
        return value.func.value in _SEQUENCE_CALLS and value.func.value not in shadowed
    return False


def is_sequence(
    func: cst.FunctionDef, name: str, uses: list[NameUse], counts: dict[str, int], ctx: RuleContext
) -> bool:
    """``name`` is a local that holds a list, tuple or str all through the function: a parameter annotated
    so and never rebound, or a local bound only by assignments of a list/tuple display or comprehension
    or a ``list()``/``tuple()``/``sorted()`` call."""
    if not all(u.own_scope for u in uses):
        return False
    shadowed = ctx.taken_names | frozenset(counts)
    found = [p for p in params(func) if p.name.value == name]
    if found:
        annotation = found[0].annotation
        typed = annotation is not None and annotation_name(annotation.annotation) in SEQUENCE_ANNOTATIONS
        return typed and counts.get(name) == 1 and found[0] not in (func.params.star_arg, func.params.star_kwarg)
    assigns = [a for a in (sole_assignment(u) for u in uses) if a is not None]
    all_sequences = all(makes_sequence(a.value, shadowed) for a in assigns)
    return bool(assigns) and len(assigns) == counts.get(name) and all_sequences


def reads_in_place(use: NameUse) -> bool:
    """A use that only reads the value and keeps no reference to it: ``for ... in NAME:``,
    ``... in NAME``, ``len(NAME)`` or ``NAME[i]`` (a load, not a store)."""
    if is_iterated(use) or is_membership_rhs(use) or sole_arg_of(use, frozenset({"len"})) is not None:
        return True
    parent = use.parent
    return isinstance(parent, cst.Subscript) and parent.value is use.node and not is_store(parent, use.ancestors[:-1])


def early_values(
    func: cst.FunctionDef, uses: list[NameUse], index: int, is_read: Callable[[NameUse], bool]
) -> list[cst.BaseExpression] | None:
    """The values a local is assigned (``NAME = value``), when every such assignment is a simple statement
    of ``func``'s body before its top-level statement ``index``, and every other use is in the function's
    own code (comprehensions included) and passes ``is_read``; None otherwise."""
    values: list[cst.BaseExpression] = []
    for use in uses:
        assign = sole_assignment(use) if use.own_scope else None
        if assign is not None:
            where = top_level_index(func, use.ancestors)
            if where is None or where >= index:
                return None
            values.append(assign.value)
        elif use.nested or not is_read(use):
            return None
    return values
