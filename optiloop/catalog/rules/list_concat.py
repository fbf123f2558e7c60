"""list-concat-to-append: ``xs = xs + [x]`` becomes ``xs.append(x)`` (``xs = xs + [a, b]`` becomes
``xs.extend((a, b))``).

``xs + [x]`` copies the whole list every time, so a loop that grows a list this way is quadratic;
``append`` is amortised O(1). The rewrite mutates the list instead of rebinding the name to a new one,
which is only unobservable when no one else can hold the old list. The guard requires that ``xs`` is a
local, bound only by assignments of a list display or comprehension and by ``xs = xs + [...]`` itself,
used only in the function's own code (no closures), and that every other use cannot keep a reference:
``len(xs)``, ``xs[i]`` reads, ``for ... in xs`` (whose body does not grow ``xs``: the loop would then
walk the new items too), ``... in xs`` and ``return xs``. Passing ``xs`` to any call, storing it,
yielding it or putting it in a container is refused. Starred elements are refused.
"""

from __future__ import annotations

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext
from optiloop.catalog.rules._bindings import function_names
from optiloop.catalog.rules._evidence import reads_in_place
from optiloop.catalog.rules._loops import _inside
from optiloop.catalog.rules._util import (
    NameUse,
    Replacement,
    SafeRule,
    is_iterated,
    own_nodes,
    plural,
    quoted,
    replace_nodes,
    sole_assignment,
)


def _concat(assign: cst.Assign, name: str) -> cst.List | None:
    """The list display in ``name = name + [...]``."""
    value = assign.value
    if not (isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add)):
        return None
    left, right = value.left, value.right
    if not (isinstance(left, cst.Name) and left.value == name and not left.lpar and isinstance(right, cst.List)):
        return None
    if not right.elements or any(isinstance(e, cst.StarredElement) for e in right.elements):
        return None
    return right


def _harmless(use: NameUse, is_generator: bool) -> bool:
    """A use that reads the list without keeping a reference to it."""
    parent = use.parent
    if reads_in_place(use):
        return True
    return isinstance(parent, cst.Return) and parent.value is use.node and not is_generator


class ListConcatToAppend(SafeRule):
    name = "list-concat-to-append"
    explanation = "xs = xs + [x] copies the whole list each time; xs.append(x) adds in place"

    def _apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        names = function_names(func, ctx)
        if names is None:
            return None
        uses, counts, _ = names
        is_generator = any(isinstance(node, cst.Yield) for node in own_nodes(func))
        plan: dict[int, Replacement] = {}
        lists: list[str] = []
        for name, name_uses_ in uses.items():
            if name in counts and "len" not in counts and "len" not in ctx.taken_names:
                planned = self._plan(name, name_uses_, counts[name], is_generator, ctx)
                plan.update(planned)
                lists += [name] if planned else []
        definition = replace_nodes(func, plan)
        if definition is None:
            return None
        said = f"{quoted(f'{n} = {n} + [...]' for n in lists)} {plural(lists, 'copies', 'copy')} the whole list " \
               f"each time; appending to {plural(lists, 'it', 'them')} in place does not"
        return Rewrite(definition=definition, explanation=said)

    def _plan(
        self, name: str, uses: list[NameUse], count: int, is_generator: bool, ctx: RuleContext
    ) -> dict[int, Replacement]:
        if not all(u.own_scope for u in uses) or any(isinstance(u.parent, cst.Param) for u in uses):
            return {}
        plan: dict[int, Replacement] = {}
        concats: list[cst.Assign] = []
        inits = 0
        for use in uses:
            assign = sole_assignment(use)
            if assign is not None:
                display = _concat(assign, name)
                if display is not None:
                    plan[id(assign)] = _to_method(name)
                    concats.append(assign)
                elif isinstance(assign.value, (cst.List, cst.ListComp)):
                    inits += 1
                else:
                    return {}
            elif not _harmless(use, is_generator) and not self._is_concat_operand(use, name):
                return {}
        for use in uses:  # appending to the list a ``for`` walks would make it walk the new items too
            loop = use.parent
            if is_iterated(use) and isinstance(loop, cst.For):
                if any(_inside(assign, loop) for assign in concats):
                    return {}
        if not plan or inits + len(plan) != count or inits == 0:
            return {}
        return plan

    @staticmethod
    def _is_concat_operand(use: NameUse, name: str) -> bool:
        op, assign = use.up(1), use.up(2)
        return isinstance(op, cst.BinaryOperation) and op.left is use.node and isinstance(assign, cst.Assign) and (
            _concat(assign, name) is not None
        )


def _to_method(name: str) -> Replacement:
    def replace(updated: cst.CSTNode) -> cst.CSTNode:
        if not (isinstance(updated, cst.Assign) and isinstance(updated.value, cst.BinaryOperation)):
            raise TypeError("expected an assignment")
        display = updated.value.right
        if not isinstance(display, cst.List):
            raise TypeError("expected a list display")
        if len(display.elements) == 1:
            method, arg = "append", display.elements[0].value
        else:
            method = "extend"
            arg = cst.Tuple([e.with_changes(comma=cst.MaybeSentinel.DEFAULT) for e in display.elements])
        call = cst.Call(func=cst.Attribute(cst.Name(name), cst.Name(method)), args=[cst.Arg(arg)])
        return cst.Expr(call)

    return replace
