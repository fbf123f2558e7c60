"""membership-literal-to-set: test membership in a set of constants instead of a list or tuple.

Three shapes are rewritten, all in the function's own code (never inside a nested def or lambda):

* ``x in [c1, c2]`` / ``x not in (c1, c2)`` with only str/bytes/int/None/True/False literals becomes
  ``x in {c1, c2}``, which CPython compiles to a frozenset constant.
* A local assigned once to such a literal and used only as the right operand of ``in``/``not in``
  (possibly inside a comprehension of the function, which only reads it) is assigned the set instead.
* A module-level ALL_CAPS constant bound once, before the function, to such a literal and only read
  elsewhere in the module (membership tests, iteration, ``len()``-like builtins) gets a frozenset
  helper ``_NAME_SET = frozenset(NAME)``, used by the function's membership tests.

Residual risk, left to the verification gate: a set hashes the left operand, so an unhashable value
(a list, a dict) that a list scan would merely compare now raises ``TypeError``, and an object whose
``__eq__`` disagrees with its ``__hash__`` may be found by the scan but not by the set. A module
constant could also be rebound or mutated from another module, which this rule cannot see.
"""

from __future__ import annotations

import re

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext
from optiloop.catalog.rules._bindings import (
    function_local_names,
    has_star_import,
    module_bindings,
    module_level_names,
    statement_index,
    top_level_index,
)
from optiloop.catalog.rules._util import (
    NameUse,
    Replacement,
    SafeRule,
    code,
    is_iterated,
    is_membership_rhs,
    literal_elements,
    name_uses,
    own_nodes,
    plural,
    quoted,
    replace_nodes,
    set_display,
    short,
    sole_arg_of,
    sole_assignment,
    uses_dynamic_scope,
)

_CONSTANT_NAME = re.compile(r"_*[A-Z][A-Z0-9_]*")
_READING_BUILTINS = frozenset(
    {"len", "sorted", "tuple", "list", "set", "frozenset", "any", "all", "enumerate", "iter", "min", "max"}
)


def _to_set(updated: cst.CSTNode) -> cst.CSTNode:
    return set_display(updated)


def _renamer(name: str) -> Replacement:
    return lambda updated: cst.Name(name)


def _membership_only(uses: list[NameUse]) -> bool:
    """Every use is ``... in NAME`` in the function's own code or one of its comprehensions."""
    return all(is_membership_rhs(u) and not u.nested for u in uses)


class MembershipLiteralToSet(SafeRule):
    name = "membership-literal-to-set"
    explanation = "membership in a list/tuple of constants scans it; a set of constants is a hashed lookup"

    def _apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        plan: dict[int, Replacement] = {}
        shown: list[str] = []  # what the membership tests looked in
        for node in own_nodes(func):
            if isinstance(node, cst.ComparisonTarget) and isinstance(node.operator, (cst.In, cst.NotIn)):
                if literal_elements(node.comparator) is not None:
                    plan[id(node.comparator)] = _to_set
                    shown.append(short(f"in {code(node.comparator)}"))
        uses = name_uses(func)
        helpers: list[str] = []
        names: list[str] = []
        if not uses_dynamic_scope(uses):
            locals_ = function_local_names(func)
            for name, name_use in uses.items():
                if name in locals_:
                    shown += [f"in {name}"] if self._plan_local(name_use, plan) else []
                elif _CONSTANT_NAME.fullmatch(name) and _membership_only(name_use):
                    helper = self._constant_helper(name, ctx.with_names((*uses, *names)), ctx.qualname)
                    if helper is not None:
                        helpers.append(f"{helper} = frozenset({name})")
                        shown.append(f"in {name}")
                        names.append(helper)
                        for use in name_use:
                            plan[id(use.node)] = _renamer(helper)
        definition = replace_nodes(func, plan)
        if definition is None:
            return None
        said = f"{quoted(shown)} {plural(shown, 'scans', 'scan')} a list or tuple of constants; a set of them is a " \
               "hashed lookup"
        return Rewrite(definition=definition, helpers=tuple(helpers), names=tuple(names), explanation=said)

    def _plan_local(self, uses: list[NameUse], plan: dict[int, Replacement]) -> bool:
        """Plan a local bound once to constants and only tested for membership as a set; whether it was."""
        bindings = [u for u in uses if sole_assignment(u) is not None]
        if len(bindings) != 1 or not bindings[0].own_scope:
            return False
        assign = sole_assignment(bindings[0])
        if assign is None or literal_elements(assign.value) is None:
            return False
        reads = [u for u in uses if u is not bindings[0]]
        if reads and _membership_only(reads):
            plan[id(assign.value)] = _to_set
            return True
        return False

    def _constant_helper(self, name: str, ctx: RuleContext, qualname: str) -> str | None:
        """A fresh helper name when the module constant ``name`` can safely be frozen."""
        module = ctx.module
        if has_star_import(module):
            return None
        bindings = module_bindings(module, name)
        if len(bindings) != 1:
            return None
        uses = name_uses(module).get(name, [])
        binding = [u for u in uses if sole_assignment(u) is not None]
        if len(binding) != 1 or len(binding[0].ancestors) != 4:  # Module > line > Assign > AssignTarget
            return None
        assign = sole_assignment(binding[0])
        if assign is None or literal_elements(assign.value) is None:
            return None
        where = statement_index(module, assign)
        target = top_level_index(module, qualname.split(".")[0])
        if where is None or target is None or where >= target:
            return None
        for use in uses:
            if use is binding[0] or is_membership_rhs(use) or is_iterated(use):
                continue
            if isinstance(use.parent, cst.CompFor) and use.parent.iter is use.node:
                continue
            reader = sole_arg_of(use, _READING_BUILTINS)
            if reader is None or reader in module_level_names(module):
                return None
        return ctx.fresh_name(f"_{name.lstrip('_')}_SET")
