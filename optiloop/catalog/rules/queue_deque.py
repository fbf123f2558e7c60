"""queue-pop0-to-deque: a local list used as a FIFO queue becomes a ``collections.deque``.

``list.pop(0)`` shifts every remaining element; ``deque.popleft()`` is O(1). The guard accepts a
local assigned exactly once to a list display and otherwise used only as ``q.pop(0)``, ``q.pop()``,
``q.append(x)``, ``q.extend(xs)``, in truth tests and in ``len(q)``, all in the function's own code.
Everything deque does differently from list (indexing cost, slicing, equality with lists, repr,
being returned or passed on) is then unobservable; both raise ``IndexError`` when popping an empty
queue.
"""

from __future__ import annotations

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext
from optiloop.catalog.rules._bindings import can_import, function_local_names
from optiloop.catalog.rules._util import (
    NameUse,
    Replacement,
    SafeRule,
    is_truth_test,
    method_call,
    name_uses,
    plain_args,
    plural,
    quoted,
    replace_nodes,
    sole_arg_of,
    sole_assignment,
    uses_dynamic_scope,
)


def _deque_ref(ctx: RuleContext, func: cst.FunctionDef) -> tuple[cst.BaseExpression, str] | None:
    """How to name ``collections.deque`` in the module, and the import that provides it."""
    if can_import(ctx, "deque", "collections", func):
        return cst.Name("deque"), "from collections import deque"
    if can_import(ctx, "collections", None, func):
        return cst.Attribute(value=cst.Name("collections"), attr=cst.Name("deque")), "import collections"
    return None


def _popleft(updated: cst.CSTNode) -> cst.CSTNode:
    if not (isinstance(updated, cst.Call) and isinstance(updated.func, cst.Attribute)):
        raise TypeError("expected a method call")
    return updated.with_changes(func=updated.func.with_changes(attr=cst.Name("popleft")), args=())


class QueuePop0ToDeque(SafeRule):
    name = "queue-pop0-to-deque"
    explanation = "list.pop(0) is O(n); collections.deque.popleft() is O(1)"

    def _apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        uses = name_uses(func)
        if uses_dynamic_scope(uses):
            return None
        locals_ = function_local_names(func)
        len_ok = "len" not in ctx.taken_names and "len" not in locals_
        plan: dict[int, Replacement] = {}
        queues: list[cst.List] = []
        names: list[str] = []
        for name, name_use in uses.items():
            if name in locals_:
                queue = self._plan(name_use, len_ok, plan)
                if queue is not None:
                    queues.append(queue)
                    names.append(name)
        ref = _deque_ref(ctx, func) if queues else None
        if ref is None:
            return None
        constructor, import_line = ref

        def to_deque(updated: cst.CSTNode) -> cst.CSTNode:
            if not isinstance(updated, cst.List):
                raise TypeError("expected a list display")
            return cst.Call(func=constructor, args=[cst.Arg(updated)] if updated.elements else [])

        plan.update((id(queue), to_deque) for queue in queues)
        definition = replace_nodes(func, plan)
        if definition is None:
            return None
        said = f"{quoted(f'{n}.pop(0)' for n in names)} on a list {plural(names, 'is', 'are')} O(n), moving every " \
               "other item; a deque's popleft() is O(1)"
        return Rewrite(definition=definition, imports=(import_line,), explanation=said)

    def _plan(self, uses: list[NameUse], len_ok: bool, plan: dict[int, Replacement]) -> cst.List | None:
        """Plan the ``popleft()`` calls of one queue; its list display, to wrap in a deque, or None."""
        if not all(u.own_scope for u in uses):
            return None
        binding = [u for u in uses if sole_assignment(u) is not None]
        if len(binding) != 1:
            return None
        assign = sole_assignment(binding[0])
        if assign is None or not isinstance(assign.value, cst.List):
            return None
        local: dict[int, Replacement] = {}
        for use in uses:
            if use is binding[0] or is_truth_test(use):
                continue
            if len_ok and sole_arg_of(use, frozenset({"len"})) is not None:
                continue
            found = method_call(use)
            args = plain_args(found[1]) if found is not None else None
            if found is None or args is None:
                return None
            method, call = found
            if method == "pop" and len(args) == 1 and isinstance(args[0], cst.Integer) and args[0].evaluated_value == 0:
                local[id(call)] = _popleft
            elif not (method == "pop" and not args or method in ("append", "extend") and len(args) == 1):
                return None
        if not local:
            return None
        plan.update(local)
        return assign.value
