"""dedupe-list-to-set: keep a set beside a list that is searched with ``in`` while it grows.

The classic "seen" idiom::

    seen = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen

becomes::

    seen = []
    seen_set = set()
    for x in items:
        if x not in seen_set:
            seen.append(x)
            seen_set.add(x)
    return seen

The list is kept, so its order and everything done with it afterwards are unchanged. The guard
requires that the list is created empty, grown only by ``seen.append(y)`` statements with a simple
name or constant ``y`` (so evaluating it twice is harmless), and otherwise only read: iterated by a
``for`` statement, returned (alone or in a returned tuple), truth-tested, or passed alone to
len/list/tuple/sorted/iter/enumerate. Any other mutation, aliasing, use in a nested scope or
comprehension, or ``locals()``-style access refuses.

Residual risk, left to the verification gate: the set hashes the items, so unhashable items (which a
list accepts) raise ``TypeError``, and items whose ``__eq__`` disagrees with ``__hash__`` compare
differently.
"""

from __future__ import annotations

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext
from optiloop.catalog.rules._bindings import function_local_names
from optiloop.catalog.rules._util import (
    NameUse,
    Replacement,
    SafeRule,
    fresh_local,
    is_iterated,
    is_membership_rhs,
    is_truth_test,
    method_call,
    name_uses,
    plain_args,
    plural,
    quoted,
    replace_nodes,
    sole_arg_of,
    sole_assignment,
    statement_after,
    uses_dynamic_scope,
)

_READERS = frozenset({"len", "list", "tuple", "sorted", "iter", "enumerate"})
_SIMPLE_VALUES = (cst.Name, cst.Integer, cst.Float, cst.SimpleString)


def _append_statement(use: NameUse) -> cst.Expr | None:
    """``NAME.append(y)`` as a whole expression statement with a simple ``y``: that statement."""
    found = method_call(use)
    stmt = use.up(3)
    if found is None or found[0] != "append" or not isinstance(stmt, cst.Expr) or stmt.value is not found[1]:
        return None
    args = plain_args(found[1])
    if args is None or len(args) != 1 or not isinstance(args[0], _SIMPLE_VALUES):
        return None
    return stmt


class DedupeListToSet(SafeRule):
    name = "dedupe-list-to-set"
    explanation = "`x in seen` on a growing list is O(n); a parallel set answers in O(1) and keeps list order"

    def _apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        uses = name_uses(func)
        if uses_dynamic_scope(uses):
            return None
        locals_ = function_local_names(func)
        shadowed = ctx.taken_names | locals_
        plan: dict[int, Replacement] = {}
        taken = ctx
        made: dict[str, str] = {}  # list -> its set
        for name, name_use in uses.items():
            if name in locals_:
                set_name = fresh_local(uses, taken, f"{name}_set")
                if self._plan(name_use, set_name, shadowed, plan):
                    taken = taken.with_names((set_name,))
                    made[name] = set_name
        definition = replace_nodes(func, plan)
        if definition is None:
            return None
        lists, sets = list(made), list(made.values())
        said = f"`in` on the growing list{plural(lists, '', 's')} {quoted(lists)} scans it, O(n); a set beside it " \
               f"({quoted(sets)}) answers in O(1), and the list keeps its order"
        return Rewrite(definition=definition, explanation=said)

    def _plan(self, uses: list[NameUse], set_name: str, shadowed: frozenset[str], plan: dict[int, Replacement]) -> bool:
        """Add this list's rewrite to ``plan`` when every use fits the idiom."""
        if "set" in shadowed or not all(u.own_scope for u in uses):
            return False
        binding = [u for u in uses if sole_assignment(u) is not None]
        if len(binding) != 1:
            return False
        assign = sole_assignment(binding[0])
        if assign is None or not isinstance(assign.value, cst.List) or assign.value.elements:
            return False
        local: dict[int, Replacement] = {}
        new_set = cst.Assign(targets=[cst.AssignTarget(cst.Name(set_name))], value=cst.Call(cst.Name("set")))
        after_assign = statement_after(assign, binding[0].ancestors[:-2], new_set)
        if after_assign is None:
            return False
        local[after_assign[0]] = after_assign[1]
        tests = appends = 0
        for use in uses:
            if use is binding[0]:
                continue
            stmt = _append_statement(use)
            if is_membership_rhs(use):
                local[id(use.node)] = lambda updated: cst.Name(set_name)
                tests += 1
            elif stmt is not None:
                value = stmt.value.args[0].value if isinstance(stmt.value, cst.Call) else None
                if value is None:
                    return False
                add = cst.Expr(
                    cst.Call(
                        func=cst.Attribute(value=cst.Name(set_name), attr=cst.Name("add")),
                        args=[cst.Arg(value)],
                    )
                )
                after = statement_after(stmt, use.ancestors[:-3], add)
                if after is None:
                    return False
                local[after[0]] = after[1]
                appends += 1
            elif not self._reads(use, shadowed):
                return False
        if tests == 0 or appends == 0:
            return False
        plan.update(local)
        return True

    def _reads(self, use: NameUse, shadowed: frozenset[str]) -> bool:
        """A use that only reads the list, so the set needs no update."""
        if is_iterated(use) or is_truth_test(use):
            return True
        if isinstance(use.parent, cst.Return) and use.parent.value is use.node:
            return True
        element, display, stmt = use.up(1), use.up(2), use.up(3)
        if isinstance(element, cst.Element) and isinstance(display, cst.Tuple) and isinstance(stmt, cst.Return):
            return stmt.value is display  # returned inside a tuple
        reader = sole_arg_of(use, _READERS)
        return reader is not None and reader not in shadowed
