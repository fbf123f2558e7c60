"""dict-keys-membership: drop a redundant ``.keys()`` in membership tests and loops.

* ``k in d.keys()`` / ``k not in d.keys()`` becomes ``k in d`` / ``k not in d``.
* ``for k in d.keys():`` (a statement or a comprehension clause) becomes ``for k in d:`` when the loop
  neither calls a method on ``d`` nor assigns or deletes ``d[...]``.

For dicts and every ``collections.abc.Mapping`` the two spellings are the same operation (the keys
view delegates to the mapping), minus the view object and a method call. They are not the same for
other objects with a ``keys()`` method: ``sqlite3.Row`` (``in`` looks at values),
``email.message.Message`` (``in`` ignores case), or a duck-typed ``update(other)`` argument that
has ``keys()`` and ``__getitem__`` but no key iteration. So ``d`` must be a plain name with evidence
that it is a mapping:

* a local bound only by assignments of a dict display or comprehension, ``dict(...)``, or
  ``defaultdict``/``OrderedDict``/``Counter`` from ``collections``;
* a parameter annotated ``dict``/``Dict``/``Mapping``/``MutableMapping``/``defaultdict``/
  ``OrderedDict``/``Counter`` (possibly subscripted or dotted) and never rebound;
* a module-level name bound once, by such an assignment, and not a local of the function.

Residual risk, left to the verification gate: a dict subclass that overrides ``keys()`` or
``__contains__``/``__iter__`` inconsistently, a caller that ignores the annotation, or another
module rebinding a module-level dict.
"""

from __future__ import annotations

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext
from optiloop.catalog.rules._bindings import function_binding_counts, has_star_import, module_bindings
from optiloop.catalog.rules._bindings import module_imports_plainly as imports_plainly
from optiloop.catalog.rules._evidence import annotation_name, params
from optiloop.catalog.rules._util import (
    NameUse,
    Replacement,
    SafeRule,
    all_nodes,
    name_uses,
    own_nodes,
    plural,
    quoted,
    replace_nodes,
)

_MAPPING_TYPES = frozenset(
    {"dict", "Dict", "Mapping", "MutableMapping", "defaultdict", "DefaultDict", "OrderedDict", "Counter"}
)
_COLLECTIONS_MAPPINGS = frozenset({"defaultdict", "OrderedDict", "Counter"})


def _keys_receiver(node: cst.BaseExpression) -> cst.Name | None:
    """``d`` for ``d.keys()`` called without arguments on a plain name."""
    if isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute):
        if node.func.attr.value == "keys" and isinstance(node.func.value, cst.Name):
            return node.func.value
    return None


def _targets(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Expressions that ``node`` assigns to or deletes."""
    if isinstance(node, cst.Assign):
        return [t.target for t in node.targets]
    if isinstance(node, (cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor, cst.NamedExpr, cst.Del)):
        return [node.target]
    if isinstance(node, cst.AsName):
        return [node.name]
    return []


def _mutates(region: list[cst.CSTNode], mapping: str, keys_call: cst.CSTNode) -> bool:
    """A method call on ``mapping`` (but ``keys_call``) or an assignment/deletion of ``mapping[...]``."""
    for node in region:
        if node is not keys_call and isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if isinstance(node.func.value, cst.Name) and node.func.value.value == mapping:
                return True
        for target in _targets(node):
            for inner in all_nodes(target):
                if isinstance(inner, cst.Subscript) and isinstance(inner.value, cst.Name):
                    if inner.value.value == mapping:
                        return True
    return False


def _drop_keys(updated: cst.CSTNode) -> cst.CSTNode:
    if isinstance(updated, cst.Call) and isinstance(updated.func, cst.Attribute):
        return updated.func.value
    raise TypeError("expected a .keys() call")


class _Evidence:
    """Decides whether a name in the function is known to hold a mapping."""

    def __init__(self, func: cst.FunctionDef, ctx: RuleContext) -> None:
        self.func, self.ctx = func, ctx
        self.uses = name_uses(func)
        self.counts = function_binding_counts(func)
        self.memo: dict[str, bool] = {}

    def is_mapping(self, name: str) -> bool:
        if name not in self.memo:
            self.memo[name] = self._local(name) if name in self.counts else self._module_level(name)
        return self.memo[name]

    def _makes_mapping(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, (cst.Dict, cst.DictComp)):
            return True
        if not isinstance(value, cst.Call):
            return False
        func, module = value.func, self.ctx.module
        if isinstance(func, cst.Name) and func.value == "dict":
            return "dict" not in self.ctx.taken_names and "dict" not in self.counts
        if isinstance(func, cst.Name) and func.value in _COLLECTIONS_MAPPINGS and func.value not in self.counts:
            return imports_plainly(module, func.value, "collections")
        if isinstance(func, cst.Attribute) and func.attr.value in _COLLECTIONS_MAPPINGS:
            owner = func.value
            collections = isinstance(owner, cst.Name) and owner.value == "collections"
            return collections and "collections" not in self.counts and imports_plainly(module, "collections")
        return False

    def _local(self, name: str) -> bool:
        uses = self.uses.get(name, [])
        if any(isinstance(u.parent, cst.CompFor) and u.parent.target is u.node for u in uses):
            return False  # a comprehension variable of the same name would shadow it
        found = [p for p in params(self.func) if p.name.value == name]
        if found:
            annotation = found[0].annotation
            typed = annotation is not None and annotation_name(annotation.annotation) in _MAPPING_TYPES
            return typed and self.counts[name] == 1
        assigned = [u for u in uses if self._assigned_mapping(u)]
        return len(assigned) == self.counts[name]

    def _assigned_mapping(self, use: NameUse) -> bool:
        target, assign = use.up(1), use.up(2)
        return (
            use.own_scope
            and isinstance(target, cst.AssignTarget)
            and target.target is use.node
            and isinstance(assign, cst.Assign)
            and self._makes_mapping(assign.value)
        )

    def _module_level(self, name: str) -> bool:
        bindings = module_bindings(self.ctx.module, name)
        if len(bindings) != 1 or has_star_import(self.ctx.module):
            return False
        assign = bindings[0]
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
            return False
        target = assign.targets[0].target
        return isinstance(target, cst.Name) and target.value == name and self._makes_mapping(assign.value)


class DictKeysMembership(SafeRule):
    name = "dict-keys-membership"
    explanation = "`k in d.keys()` / `for k in d.keys()` build a keys view each time; `k in d` / `for k in d` do not"

    def _apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        plan: dict[int, Replacement] = {}
        mappings: list[str] = []
        evidence: _Evidence | None = None
        for node in own_nodes(func):
            keys_call: cst.BaseExpression | None = None
            if isinstance(node, cst.ComparisonTarget) and isinstance(node.operator, (cst.In, cst.NotIn)):
                keys_call = node.comparator
            elif isinstance(node, (cst.For, cst.CompFor)) and node.asynchronous is None:
                keys_call = node.iter
            mapping = _keys_receiver(keys_call) if keys_call is not None else None
            if keys_call is None or mapping is None:
                continue
            evidence = evidence or _Evidence(func, ctx)
            if not evidence.is_mapping(mapping.value):
                continue
            if isinstance(node, (cst.For, cst.CompFor)):
                region = self._loop_region(node, func)
                if region is None or _mutates(region, mapping.value, keys_call):
                    continue
            plan[id(keys_call)] = _drop_keys
            mappings.append(mapping.value)
        definition = replace_nodes(func, plan)
        if definition is None:
            return None
        said = f"{quoted(f'{m}.keys()' for m in mappings)} {plural(mappings, 'builds', 'build')} a keys view each " \
               f"time; `in` or `for` on {quoted(mappings)} directly does not"
        return Rewrite(definition=definition, explanation=said)

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
