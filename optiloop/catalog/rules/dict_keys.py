"""dict-keys-membership: drop a redundant ``.keys()`` in membership tests and loops.

* ``k in d.keys()`` / ``k not in d.keys()`` becomes ``k in d`` / ``k not in d``.
* ``for k in d.keys():`` (a statement or a comprehension clause) becomes ``for k in d:`` when ``d`` is
  a name or attribute chain and the loop neither calls a method on ``d`` nor assigns or deletes
  ``d[...]``.

For dicts and every ``collections.abc.Mapping`` the two spellings are the same operation (the keys
view delegates to the mapping), minus the view object and a method call.

Residual risk, left to the verification gate: an object that has ``keys()`` without being a proper
Mapping, or a subclass that overrides ``keys()`` or ``__contains__``/``__iter__`` inconsistently
(``email.message.Message`` is one), can answer differently; and where the original raised
``AttributeError`` because the object has no ``keys()`` at all, the rewrite raises ``TypeError`` or,
for a list or set, answers.
"""

from __future__ import annotations

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext
from optiloop.catalog.rules._util import Replacement, SafeRule, all_nodes, own_nodes, replace_nodes


def _keys_receiver(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """``X`` for ``X.keys()`` called without arguments."""
    if isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute):
        if node.func.attr.value == "keys":
            return node.func.value
    return None


def _name_chain(node: cst.BaseExpression) -> bool:
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)


def _targets(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Expressions that ``node`` assigns to or deletes."""
    if isinstance(node, cst.Assign):
        return [t.target for t in node.targets]
    if isinstance(node, (cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor, cst.NamedExpr)):
        return [node.target]
    if isinstance(node, cst.Del):
        return [node.target]
    if isinstance(node, cst.AsName):
        return [node.name]
    return []


def _mutates(region: list[cst.CSTNode], mapping: cst.BaseExpression, keys_call: cst.CSTNode) -> bool:
    """A method call on ``mapping`` (but ``keys_call``) or an assignment/deletion of ``mapping[...]``."""
    for node in region:
        if node is not keys_call and isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if node.func.value.deep_equals(mapping):
                return True
        for target in _targets(node):
            for inner in all_nodes(target):
                if isinstance(inner, cst.Subscript) and inner.value.deep_equals(mapping):
                    return True
    return False


def _drop_keys(updated: cst.CSTNode) -> cst.CSTNode:
    if isinstance(updated, cst.Call) and isinstance(updated.func, cst.Attribute):
        return updated.func.value
    raise TypeError("expected a .keys() call")


class DictKeysMembership(SafeRule):
    name = "dict-keys-membership"
    explanation = "`k in d.keys()` / `for k in d.keys()` build a keys view each time; `k in d` / `for k in d` do not"

    def _apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        plan: dict[int, Replacement] = {}
        for node in own_nodes(func):
            if isinstance(node, cst.ComparisonTarget) and isinstance(node.operator, (cst.In, cst.NotIn)):
                if _keys_receiver(node.comparator) is not None:
                    plan[id(node.comparator)] = _drop_keys
            elif isinstance(node, (cst.For, cst.CompFor)) and node.asynchronous is None:
                mapping = _keys_receiver(node.iter)
                if mapping is None or not _name_chain(mapping):
                    continue
                region = self._loop_region(node, func)
                if region is not None and not _mutates(region, mapping, node.iter):
                    plan[id(node.iter)] = _drop_keys
        definition = replace_nodes(func, plan)
        return None if definition is None else Rewrite(definition=definition)

    def _loop_region(self, loop: cst.For | cst.CompFor, func: cst.FunctionDef) -> list[cst.CSTNode] | None:
        """Nodes that run while the loop iterates: the body (and else), or the whole comprehension."""
        if isinstance(loop, cst.For):
            return all_nodes(loop.body) + (all_nodes(loop.orelse) if loop.orelse is not None else [])
        for node in own_nodes(func):
            if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
                clause: cst.CompFor | None = node.for_in
                while clause is not None:
                    if clause is loop:
                        return all_nodes(node)
                    clause = clause.inner_for_in
        return None
