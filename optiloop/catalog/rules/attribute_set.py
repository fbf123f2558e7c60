"""A private list attribute used only for membership tests becomes a set, where it is built and where it grows.

``self._seen = []`` in ``__init__``, ``self._seen.append(x)`` in the class's methods and ``x in self._seen`` in
the hot method: each ``in`` scans the list. As a set, it is one hash lookup. The rule reads the whole class and
the whole module: every use of the attribute must be the one assignment in ``__init__`` (a list display, a
list comprehension or ``list(...)``), an ``append`` whose result is not used, or the right side of ``in`` /
``not in``; nothing else in the module may name an attribute of that name (a subclass, another object), and the
hot method must test membership in it. Iteration, indexing, ``len``, returning it or passing it on all keep the
list (order and repeats would show). What changes: ``__init__`` and every method that appends; the methods that
only test membership stay as they are.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from optiloop.catalog.sites import SiteRewrite, code_of, top_level, with_body

_MEMBERSHIP = (cst.In, cst.NotIn)


def _self_attr(node: cst.CSTNode, attr: str) -> bool:
    return m.matches(node, m.Attribute(value=m.Name("self"), attr=m.Name(attr)))


class _Uses(cst.CSTVisitor):
    """Classifies every attribute named ``attr`` under the visited node."""

    def __init__(self, attr: str) -> None:
        self.attr = attr
        self.ok: set[int] = set()  # ids of the Attribute nodes in an allowed position
        self.seen: list[cst.Attribute] = []
        self.tests = 0
        self.assigns: list[cst.Assign] = []

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == self.attr:
            self.seen.append(node)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        for target in node.comparisons:
            if isinstance(target.operator, _MEMBERSHIP) and _self_attr(target.comparator, self.attr):
                self.ok.add(id(target.comparator))
                self.tests += 1

    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "append"
                and _self_attr(call.func.value, self.attr) and len(call.args) == 1 and not call.args[0].star
                and call.args[0].keyword is None):
            self.ok.add(id(call.func.value))

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and _self_attr(node.targets[0].target, self.attr):
            self.assigns.append(node)
            self.ok.add(id(node.targets[0].target))


def _as_set(value: cst.BaseExpression) -> cst.BaseExpression | None:
    if isinstance(value, cst.List):
        if not value.elements:
            return cst.Call(func=cst.Name("set"))
        return cst.Set(elements=value.elements, lbrace=cst.LeftCurlyBrace(), rbrace=cst.RightCurlyBrace())
    if isinstance(value, cst.ListComp):
        return cst.SetComp(elt=value.elt, for_in=value.for_in)
    if (isinstance(value, cst.Call) and m.matches(value.func, m.Name("list")) and len(value.args) == 1
            and not value.args[0].star and value.args[0].keyword is None):
        return value.with_changes(func=cst.Name("set"))
    return None


class _ToSet(cst.CSTTransformer):
    def __init__(self, attr: str) -> None:
        super().__init__()
        self.attr = attr

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        if len(updated_node.targets) == 1 and _self_attr(updated_node.targets[0].target, self.attr):
            new = _as_set(updated_node.value)
            if new is not None:
                return updated_node.with_changes(value=new)
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        func = updated_node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "append" and _self_attr(func.value, self.attr):
            return updated_node.with_changes(func=func.with_changes(attr=cst.Name("add")))
        return updated_node


class AttributeListToSet:
    name = "attribute-set"
    explanation = ("a list attribute used only for membership tests is built as a set, so each `in` is a hash "
                   "lookup instead of a scan")

    def apply_sites(self, module: cst.Module, qualname: str) -> SiteRewrite | None:
        parts = qualname.split(".")
        if len(parts) != 2:
            return None
        found = top_level(module, parts[0], cst.ClassDef)
        if len(found) != 1:
            return None
        cls = module.body[found[0]]
        assert isinstance(cls, cst.ClassDef)
        members = list(cls.body.body) if isinstance(cls.body, cst.IndentedBlock) else []
        methods = {s.name.value: s for s in members if isinstance(s, cst.FunctionDef)}
        target, init = methods.get(parts[1]), methods.get("__init__")
        if target is None or init is None or len(methods) != sum(isinstance(s, cst.FunctionDef) for s in members):
            return None  # a method defined twice (a property's setter, say): leave it to a person
        for attr in self._tested(target):
            rewrite = self._rewrite(module, cls, members, init, attr)
            if rewrite is not None:
                return rewrite
        return None

    @staticmethod
    def _tested(method: cst.FunctionDef) -> list[str]:
        """The private attributes of ``self`` the method tests membership in."""
        found: list[str] = []
        for comparison in m.findall(method, m.Comparison()):
            assert isinstance(comparison, cst.Comparison)
            for target in comparison.comparisons:
                c = target.comparator
                if (isinstance(target.operator, _MEMBERSHIP) and isinstance(c, cst.Attribute)
                        and m.matches(c.value, m.Name("self")) and c.attr.value.startswith("_")
                        and not c.attr.value.startswith("__") and c.attr.value not in found):
                    found.append(c.attr.value)
        return found

    def _rewrite(self, module: cst.Module, cls: cst.ClassDef, members: list[cst.BaseStatement],
                 init: cst.FunctionDef, attr: str) -> SiteRewrite | None:
        everywhere = _Uses(attr)
        module.visit(everywhere)
        if not everywhere.tests or any(id(a) not in everywhere.ok for a in everywhere.seen):
            return None  # a use that is not membership, append or the one assignment; or a use outside
        in_class = _Uses(attr)
        cls.visit(in_class)
        if len(in_class.seen) != len(everywhere.seen):
            return None  # the attribute is named outside the class
        in_init = _Uses(attr)
        init.visit(in_init)
        if len(everywhere.assigns) != 1 or len(in_init.assigns) != 1 or _as_set(in_init.assigns[0].value) is None:
            return None
        changed: list[cst.BaseStatement] = []
        names: list[str] = []
        for member in members:
            if isinstance(member, cst.FunctionDef):
                new = cst.ensure_type(member.visit(_ToSet(attr)), cst.FunctionDef)
                if not new.deep_equals(member):
                    changed.append(new)
                    names.append(member.name.value)
        if not changed:
            return None
        block = code_of(with_body(cls, changed))
        where = ", ".join(f"`{cls.name.value}.{n}`" for n in names)
        return SiteRewrite(block, f"`self.{attr}` is only built and tested for membership, so it is now a set "
                                  f"(changed in {where}): each `in` is a hash lookup instead of a scan of the list")
