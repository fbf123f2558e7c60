"""group-by-dict: a nested-loop group-by becomes one pass that builds a dict.

    for city in cities:
        members = [p for p in people if p[1] == city]
        ...

becomes::

    people_by_key = _group_by_key(people, lambda p: p[1])
    for city in cities:
        members = (list(people_by_key.get(city, ()))
                   if people_by_key is not None and (type(city) is str or type(city) is int)
                   else [p for p in people if p[1] == city])
        ...

The original scans every item for every key, O(keys x items); the index is built once and each
lookup is O(group). What keeps it exact:

* The index is only used when every item's key and the looked-up key are exactly ``str`` or ``int``,
  for which ``==`` and dict lookup agree (not ``float`` NaN, not ``True`` vs ``1``, not a class with
  its own ``__eq__``). Otherwise, and when computing any item's key raises, the helper returns
  ``None`` and the original comprehension runs, raising what it raised.
* Each lookup returns a fresh list, in item order, as the comprehension did.
* The items are a local bound once to a list/tuple display or comprehension or ``list()``/
  ``tuple()``/``sorted()`` by a top-level statement before the loop (not inside ``if``/``for``/
  ``try``), and only read afterwards (indexed, measured, iterated, tested for membership), so they
  cannot change while the loop runs; or a parameter annotated ``list``/``tuple`` and never rebound,
  in a loop that calls nothing but builtins and ``append``/``add``/``extend`` on other names.
* The key is the element itself, ``item[<literal>]`` or ``item.attr``; the element kept is the item
  itself; the comprehension has one ``for`` and one ``if``, inside the loop's body.

Residual risk, left to the gate: an item type whose ``__getitem__`` or property has side effects (it
now runs once per item instead of once per item and key), and a caller that passes an iterator for a
parameter annotated ``list``.
"""

from __future__ import annotations

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext
from optiloop.catalog.rules._bindings import function_names
from optiloop.catalog.rules._evidence import annotation_name, early_values, makes_sequence, params, reads_in_place
from optiloop.catalog.rules._hoist import ancestry, insert_before
from optiloop.catalog.rules._loops import _inside, body_statement
from optiloop.catalog.rules._util import (
    NameUse,
    Replacement,
    SafeRule,
    all_nodes,
    code,
    fresh_local,
    own_nodes,
    quoted,
    replace_nodes,
)

_HELPER = '''def {name}(items, key):
    """Items grouped by ``key(item)`` in order, or None when a key is not exactly str or int (where
    ``==`` and dict lookup could disagree) or computing one raises: the caller then scans as before."""
    index = {{}}
    try:
        for item in items:
            k = key(item)
            if type(k) is not str and type(k) is not int:
                return None
            index.setdefault(k, []).append(item)
    except Exception:
        return None
    return index'''

_SAFE_CALLS = frozenset({"len", "list", "tuple", "sorted", "sum", "min", "max", "abs", "int", "str", "float"})
_SAFE_METHODS = frozenset({"append", "add", "extend"})


def _key_of(expr: cst.BaseExpression, item: str) -> bool:
    """``item``, ``item[<literal>]`` or ``item.attr``."""
    if isinstance(expr, cst.Name):
        return expr.value == item
    if isinstance(expr, cst.Attribute):
        return isinstance(expr.value, cst.Name) and expr.value.value == item
    if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name) and expr.value.value == item:
        if len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
            index = expr.slice[0].slice.value
            return isinstance(index, (cst.Integer, cst.SimpleString))
    return False


def _pattern(comp: cst.ListComp, key_name: str) -> tuple[str, str, cst.BaseExpression] | None:
    """``(items, item, key expression)`` for ``[item for item in items if KEY == key_name]``."""
    for_in = comp.for_in
    if for_in.inner_for_in is not None or for_in.asynchronous is not None or len(for_in.ifs) != 1:
        return None
    if not (isinstance(for_in.target, cst.Name) and isinstance(comp.elt, cst.Name)):
        return None
    if not isinstance(for_in.iter, cst.Name):
        return None
    item = for_in.target.value
    if comp.elt.value != item or item == key_name:
        return None
    test = for_in.ifs[0].test
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    target = test.comparisons[0]
    if not isinstance(target.operator, cst.Equal):
        return None
    left, right = test.left, target.comparator
    for key_expr, other in ((left, right), (right, left)):
        if isinstance(other, cst.Name) and other.value == key_name and _key_of(key_expr, item):
            return for_in.iter.value, item, key_expr
    return None


def _read_only(use: NameUse) -> bool:
    parent = use.parent
    return reads_in_place(use) or (isinstance(parent, cst.CompFor) and parent.iter is use.node)


def _plain_loop(loop: cst.For, items: str, shadowed: frozenset[str]) -> bool:
    for node in all_nodes(loop.body):
        if isinstance(node, (cst.Yield, cst.Await, cst.Lambda, cst.FunctionDef, cst.ClassDef)):
            return False
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Name) and func.value in _SAFE_CALLS and func.value not in shadowed:
                continue
            if isinstance(func, cst.Attribute) and func.attr.value in _SAFE_METHODS:
                if isinstance(func.value, cst.Name) and func.value.value != items:
                    continue
            return False
    return True


class GroupByDict(SafeRule):
    name = "group-by-dict"
    explanation = "scanning all items once per key is O(keys x items); one pass into a dict is O(items)"

    def _apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        names = function_names(func, ctx)
        if names is None or not isinstance(func.body, cst.IndentedBlock):
            return None
        uses, counts, shadowed = names
        if shadowed & {"list", "type", "str", "int", "Exception"}:
            return None
        parents = ancestry(func)
        helper = ctx.with_names(tuple(uses)).fresh_name("_group_by_key")
        taken = dict(uses)
        plan: dict[int, Replacement] = {}
        lines: dict[int, list[str]] = {}
        indexes: dict[tuple[str, str], str] = {}
        for node in own_nodes(func):
            if not isinstance(node, cst.ListComp):
                continue
            ancestors = parents.get(id(node), ())
            loops = [a for a in ancestors if isinstance(a, cst.For)]
            loop = loops[-1] if loops else None
            if loop is None or not isinstance(loop.target, cst.Name):
                continue
            key_name = loop.target.value
            found = _pattern(node, key_name)
            index = body_statement(func, node, ancestors)
            if found is None or index is None or counts.get(key_name) != 1 or not _inside(node, loop.body):
                continue
            items, item, key_expr = found
            if not self._stable(func, loop, items, index, uses, counts, shadowed):
                continue
            signature = (items, code(key_expr).replace(item, "\0"))
            if signature not in indexes:
                indexes[signature] = fresh_local(taken, ctx, f"{items}_by_key")
                taken[indexes[signature]] = []
                key_source = f"lambda {item}: {code(key_expr)}"
                lines.setdefault(index, []).append(f"{indexes[signature]} = {helper}({items}, {key_source})")
            plan[id(node)] = _lookup(indexes[signature], key_name)
        if not plan:
            return None
        insert_before(func, lines, plan)
        definition = replace_nodes(func, plan)
        if definition is None:
            return None
        scanned = [items for items, _ in indexes]
        said = f"scanning all of {quoted(scanned)} once per key is O(keys x items); one pass into a dict " \
               f"({quoted(indexes.values())}) is O(items)"
        return Rewrite(definition=definition, helpers=(_HELPER.format(name=helper),), names=(helper,),
                       explanation=said)

    def _stable(
        self,
        func: cst.FunctionDef,
        loop: cst.For,
        items: str,
        index: int,
        uses: dict[str, list[NameUse]],
        counts: dict[str, int],
        shadowed: frozenset[str],
    ) -> bool:
        """``items`` cannot change from before the top-level statement ``index`` to the loop's end."""
        if counts.get(items) != 1:
            return False
        item_uses = uses.get(items, [])
        if any(u.nested for u in item_uses):
            return False
        param = [p for p in params(func) if p.name.value == items]
        if param:
            annotation = param[0].annotation
            kind = annotation_name(annotation.annotation) if annotation is not None else None
            typed = kind in ("list", "List", "tuple", "Tuple")
            return typed and _plain_loop(loop, items, shadowed)
        values = early_values(func, item_uses, index, _read_only)
        return values is not None and all(makes_sequence(value, shadowed) for value in values)


def _lookup(index_name: str, key_name: str) -> Replacement:
    def replace(updated: cst.CSTNode) -> cst.CSTNode:
        if not isinstance(updated, cst.ListComp):
            raise TypeError("expected a list comprehension")
        fast = cst.parse_expression(
            f"list({index_name}.get({key_name}, ())) if {index_name} is not None "
            f"and (type({key_name}) is str or type({key_name}) is int) else SLOW"
        )
        assert isinstance(fast, cst.IfExp)
        slow = updated.with_changes(lpar=[], rpar=[])
        return fast.with_changes(orelse=slow, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])

    return replace
