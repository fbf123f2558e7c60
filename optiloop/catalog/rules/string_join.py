"""string-concat-join: ``s += piece`` in a loop becomes ``parts.append(piece)`` and one ``"".join``.

Repeated ``+=`` on a string may copy the whole string each time (CPython only sometimes resizes in
place); collecting the pieces and joining once is linear. The rewrite::

    s = ""                      s = ""
    for w in words:             s_parts = [s]
        s += w + " "     ->     for w in words:
    return s                        s_parts.append(w + " ")
                                s = "".join(s_parts)
                                return s

The guard: ``s`` is a local bound only by string-literal assignments (so it is a ``str``; one of them
directly in the function body before the loop, so it is bound when the loop starts) and by
``+=`` of str pieces; those in loops all sit in one ``for``/``while`` statement at the top level of
the function body (not inside ``try``/``with``, so an exception leaves the function and no one sees
``s`` half built);
the loop reads ``s`` nowhere else (not in the pieces, not in the ``while`` test); each piece is
evidently a ``str`` (a string literal, an f-string, ``str(...)``, ``repr(...)``, ``"...".join(...)``,
``x.upper()``-style str methods of those, or ``+`` of such pieces), because ``s + piece`` and
``"".join`` raise different errors at different times for anything else; no closures, no
``yield``/``await`` in the loop.
"""

from __future__ import annotations

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext
from optiloop.catalog.rules._bindings import function_names
from optiloop.catalog.rules._loops import LOOPS, _inside, parse_line, top_level_index
from optiloop.catalog.rules._util import (
    NameUse,
    Replacement,
    SafeRule,
    all_nodes,
    fresh_local,
    quoted,
    replace_nodes,
    sole_assignment,
)

_STR_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "title", "capitalize", "casefold"})


def _is_text_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.FormattedString):
        return True
    if isinstance(node, cst.SimpleString):
        return "b" not in node.prefix.lower()
    if isinstance(node, cst.ConcatenatedString):
        return _is_text_literal(node.left) and _is_text_literal(node.right)
    return False


def is_str(node: cst.BaseExpression, shadowed: frozenset[str]) -> bool:
    """``node`` certainly evaluates to a ``str`` (or raises before producing anything)."""
    if _is_text_literal(node):
        return True
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return is_str(node.left, shadowed) and is_str(node.right, shadowed)
    if not isinstance(node, cst.Call):
        return False
    func = node.func
    if isinstance(func, cst.Name):
        return func.value in ("str", "repr") and func.value not in shadowed
    if isinstance(func, cst.Attribute):
        if func.attr.value == "join":
            return _is_text_literal(func.value)
        return func.attr.value in _STR_METHODS and is_str(func.value, shadowed)
    return False


def _top_loop(func: cst.FunctionDef, use: NameUse) -> cst.CSTNode | None:
    """The loop statement at the function body's top level that holds ``use``."""
    if not isinstance(func.body, cst.IndentedBlock) or len(use.ancestors) < 3:
        return None
    stmt = use.ancestors[2]
    return stmt if isinstance(stmt, LOOPS) and any(stmt is s for s in func.body.body) else None


class StringConcatToJoin(SafeRule):
    name = "string-concat-join"
    explanation = "s += piece in a loop may copy the string every time; collecting pieces and joining once is linear"

    def _apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        names = function_names(func, ctx)
        if names is None:
            return None
        uses, counts, shadowed = names
        plan: dict[int, Replacement] = {}
        used_loops: set[int] = set()
        joined: dict[str, str] = {}  # the string -> the list of its pieces
        taken: dict[str, list[NameUse]] = dict(uses)
        for name, name_uses_ in uses.items():
            if name in counts and "str" not in shadowed:
                found = self._plan(func, name, name_uses_, counts[name], shadowed)
                if found is not None and id(found[0]) not in used_loops:
                    loop, augs = found
                    used_loops.add(id(loop))
                    parts = fresh_local(taken, ctx, f"{name}_parts")
                    taken[parts] = []
                    for aug in augs:
                        plan[id(aug)] = _append(parts)
                    plan[id(loop)] = _wrap(name, parts)
                    joined[name] = parts
        definition = replace_nodes(func, plan)
        if definition is None:
            return None
        said = f"{quoted(f'{n} += ...' for n in joined)} in a loop may copy the string every time; collecting the " \
               f"pieces in {quoted(joined.values())} and joining once is linear"
        return Rewrite(definition=definition, explanation=said)

    def _plan(
        self, func: cst.FunctionDef, name: str, uses: list[NameUse], count: int, shadowed: frozenset[str]
    ) -> tuple[cst.CSTNode, list[cst.AugAssign]] | None:
        if not all(u.own_scope for u in uses):
            return None
        augs: list[cst.AugAssign] = []
        inits = 0
        first: list[int] = []  # top-level statements that bind a string literal directly
        loop: cst.CSTNode | None = None
        for use in uses:
            parent = use.parent
            if isinstance(parent, cst.AugAssign) and parent.target is use.node:
                if not isinstance(parent.operator, cst.AddAssign) or not is_str(parent.value, shadowed):
                    return None
                here = _top_loop(func, use)
                if here is None:  # outside any loop: stays as it is, and s stays a str
                    inits += 1
                    continue
                if loop not in (None, here):
                    return None
                loop = here
                augs.append(parent)
                continue
            assign = sole_assignment(use)
            if assign is not None and _is_text_literal(assign.value):
                inits += 1
                index = top_level_index(func, use.ancestors)
                first += [index] if index is not None else []
        if loop is None or inits + len(augs) != count or not isinstance(func.body, cst.IndentedBlock):
            return None
        loop_index = next(i for i, stmt in enumerate(func.body.body) if stmt is loop)
        if not any(i < loop_index for i in first):  # s is surely a str when the loop starts
            return None
        for use in uses:  # inside the loop, only the += statements touch the name
            if _inside(use.node, loop) and not any(use.node is aug.target for aug in augs):
                return None
        for node in all_nodes(loop):
            if isinstance(node, (cst.Yield, cst.Await, cst.Global, cst.Nonlocal)):
                return None
        return loop, augs


def _append(parts: str) -> Replacement:
    def replace(updated: cst.CSTNode) -> cst.CSTNode:
        if not isinstance(updated, cst.AugAssign):
            raise TypeError("expected s += piece")
        call = cst.Call(func=cst.Attribute(cst.Name(parts), cst.Name("append")), args=[cst.Arg(updated.value)])
        return cst.Expr(call)

    return replace


def _wrap(name: str, parts: str) -> Replacement:
    def replace(updated: cst.CSTNode) -> cst.FlattenSentinel[cst.CSTNode]:
        first = parse_line(f"{parts} = [{name}]")
        last = parse_line(f'{name} = "".join({parts})')
        return cst.FlattenSentinel([first, updated, last])

    return replace
