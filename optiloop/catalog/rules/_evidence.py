"""Evidence about what a local name holds, shared by the builtin rules."""

from __future__ import annotations

import libcst as cst

from optiloop.catalog.base import RuleContext
from optiloop.catalog.rules._util import NameUse, sole_assignment

SEQUENCE_ANNOTATIONS = frozenset({"list", "List", "tuple", "Tuple", "str"})
_SEQUENCE_CALLS = frozenset({"list", "sorted", "tuple"})


def annotation_name(node: cst.BaseExpression) -> str | None:
    """``list`` for ``list``, ``typing.List`` or ``list[int]``."""
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
