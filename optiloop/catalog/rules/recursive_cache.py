"""recursive-cache: memoize a pure recursive module-level function.

The decorator added is ``@functools.lru_cache(maxsize=None, typed=True)``: the same unbounded C cache
as ``functools.cache``, but ``f(1)``, ``f(1.0)`` and ``f(True)`` keep separate entries, so a cached
result never comes back with the type of an earlier, merely equal argument.

The guard wants a function whose result depends only on its arguments and can be shared safely:

* a module-level ``def`` (not a method, not async, no decorators) bound once in the module, with only
  plain positional-or-keyword parameters whose defaults are constants;
* no ``global``/``nonlocal``/``yield``/``await``/``try``/``with``/``match``/``del``/imports/walrus,
  no nested def, lambda or class, no attribute access at all and no assignment to a subscript;
* calls only to itself and to pure builtins (none of them rebound), and reads only its parameters,
  its own locals, itself and those builtins, so no global state can go stale in the cache;
* every returned value is built from constants, parameters, arithmetic, comparisons, tuples,
  subscripts, recursive calls and pure builtins (``sorted`` excepted) of such values (locals count
  when every value assigned to them qualifies), so no shared mutable object escapes the cache;
* at least two recursive call sites, or one in a loop or comprehension: overlapping subproblems,
  where memoization pays. Single linear recursion gains nothing and would hit the recursion limit
  sooner, because each level also passes through the cache wrapper.

Residual risk, left to the verification gate: arguments must now be hashable (a list argument that
used to work raises ``TypeError``), results are shared between calls with equal arguments, and deep
recursion reaches ``RecursionError`` at a smaller depth.
"""

from __future__ import annotations

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext
from optiloop.catalog.rules._bindings import can_import, module_bindings
from optiloop.catalog.rules._util import (
    COMPREHENSIONS,
    SafeRule,
    all_nodes,
    is_hashable_literal,
    is_str_literal,
    name_uses,
)

PURE_BUILTINS = frozenset("len min max abs range sum int float str tuple sorted divmod pow round bool".split())
_ALWAYS_IMMUTABLE = frozenset({"len", "int", "float", "str", "bool", "range"})  # a number, str or range
_IMMUTABLE_FROM_ARGS = PURE_BUILTINS - _ALWAYS_IMMUTABLE - {"sorted"}  # min/max/sum... return or combine args
_CONSTANT_NAMES = frozenset({"True", "False", "None"})
_FORBIDDEN = (
    cst.Global,
    cst.Nonlocal,
    cst.Yield,
    cst.Await,
    cst.Try,
    cst.TryStar,
    cst.With,
    cst.Match,
    cst.Del,
    cst.Import,
    cst.ImportFrom,
    cst.NamedExpr,
    cst.FunctionDef,
    cst.Lambda,
    cst.ClassDef,
    cst.Attribute,
)
_DECORATOR = "functools.lru_cache(maxsize=None, typed=True)"
_UNKNOWN = None  # a binding whose value the return check cannot follow


def _target_names(target: cst.BaseExpression) -> list[str] | None:
    """Names bound by an assignment target; None when it assigns anything but plain names."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        names: list[str] = []
        for element in target.elements:
            inner = _target_names(element.value)
            if inner is None:
                return None
            names.extend(inner)
        return names
    return None


class _Checker:
    """Collects locals and decides whether every returned value is immutable."""

    def __init__(self, func: cst.FunctionDef) -> None:
        self.func = func
        self.params = frozenset(p.name.value for p in func.params.params)
        self.sources: dict[str, list[cst.BaseExpression | None]] = {}
        self.comp_targets: set[str] = set()

    def collect(self, nodes: list[cst.CSTNode]) -> bool:
        """Record what each local is bound to; False on an assignment the rule does not accept."""
        for node in nodes:
            if isinstance(node, cst.Assign):
                for target in node.targets:
                    if not self._bind(target.target, node.value):
                        return False
            elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
                if node.value is None or not self._bind(node.target, node.value):
                    return False
            elif isinstance(node, cst.For):
                iterates_range = (
                    isinstance(node.iter, cst.Call)
                    and isinstance(node.iter.func, cst.Name)
                    and node.iter.func.value == "range"
                )
                if not self._bind(node.target, cst.Integer("0") if iterates_range else _UNKNOWN):
                    return False
            elif isinstance(node, cst.CompFor):
                names = _target_names(node.target)
                if names is None:
                    return False
                self.comp_targets.update(names)
        return True

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> bool:
        names = _target_names(target)
        if names is None:
            return False
        single = isinstance(target, cst.Name)
        for name in names:
            self.sources.setdefault(name, []).append(value if single else _UNKNOWN)
        return True

    def immutable(self, expr: cst.BaseExpression, following: frozenset[str] = frozenset()) -> bool:
        """``expr`` evaluates to a value built only from immutable pieces."""
        if is_hashable_literal(expr) or is_str_literal(expr) or isinstance(expr, (cst.Float, cst.Imaginary)):
            return True
        if isinstance(expr, cst.Name):
            return self._name_immutable(expr.value, following)
        if isinstance(expr, cst.UnaryOperation):
            return self.immutable(expr.expression, following)
        if isinstance(expr, (cst.BinaryOperation, cst.BooleanOperation)):
            return self.immutable(expr.left, following) and self.immutable(expr.right, following)
        if isinstance(expr, cst.Comparison):
            parts = [expr.left, *(c.comparator for c in expr.comparisons)]
            return all(self.immutable(p, following) for p in parts)
        if isinstance(expr, cst.IfExp):
            return self.immutable(expr.body, following) and self.immutable(expr.orelse, following)
        if isinstance(expr, cst.Tuple):
            elements = expr.elements
            return all(isinstance(e, cst.Element) and self.immutable(e.value, following) for e in elements)
        if isinstance(expr, cst.Subscript):
            return self.immutable(expr.value, following)
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name):
            if expr.func.value == self.func.name.value:
                return True
            if expr.func.value in _ALWAYS_IMMUTABLE:
                return True
            if expr.func.value in _IMMUTABLE_FROM_ARGS:
                return all(self._arg_immutable(a.value, following) for a in expr.args)
        return False

    def _arg_immutable(self, value: cst.BaseExpression, following: frozenset[str]) -> bool:
        """An argument whose elements (for a comprehension or display) or itself are immutable."""
        if isinstance(value, (cst.GeneratorExp, cst.ListComp, cst.SetComp)):
            return self.immutable(value.elt, following)
        if isinstance(value, (cst.List, cst.Set)):
            elements = value.elements
            return all(isinstance(e, cst.Element) and self.immutable(e.value, following) for e in elements)
        return self.immutable(value, following)

    def _name_immutable(self, name: str, following: frozenset[str]) -> bool:
        if name in _CONSTANT_NAMES or name in following:
            return True
        values = self.sources.get(name, [])
        if not values and name not in self.params and name not in self.comp_targets:
            return False
        return all(v is not None and self.immutable(v, following | {name}) for v in values)


class RecursiveCache(SafeRule):
    name = "recursive-cache"
    explanation = "a pure recursive function recomputes overlapping subproblems; lru_cache memoizes them"

    def _apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        if ctx.is_method or "." in ctx.qualname or func.asynchronous is not None or func.decorators:
            return None
        if ctx.qualname != func.name.value or not self._recurses(func):
            return None
        params = func.params
        if params.posonly_params or params.kwonly_params or params.star_kwarg is not None:
            return None
        if isinstance(params.star_arg, (cst.Param, cst.ParamStar)):
            return None
        for param in params.params:
            if param.default is not None and not (
                is_hashable_literal(param.default) or isinstance(param.default, cst.Float)
            ):
                return None
        nodes = all_nodes(func.body)
        if any(isinstance(n, _FORBIDDEN) for n in nodes):
            return None
        checker = _Checker(func)
        if not checker.collect(nodes):
            return None
        if not self._names_ok(func, checker, ctx):
            return None
        for node in nodes:
            if isinstance(node, cst.Return) and node.value is not None and not checker.immutable(node.value):
                return None
        if len(module_bindings(ctx.module, func.name.value)) != 1 or not can_import(ctx, "functools"):
            return None
        decorator = cst.Decorator(decorator=cst.parse_expression(_DECORATOR))
        said = f"`{func.name.value}` calls itself on overlapping subproblems and computes each again; it is pure, " \
               "so functools.lru_cache can remember each result"
        return Rewrite(definition=func.with_changes(decorators=[decorator]), imports=("import functools",),
                       explanation=said)

    def _names_ok(self, func: cst.FunctionDef, checker: _Checker, ctx: RuleContext) -> bool:
        """Only parameters, locals, the function itself and unshadowed pure builtins are read or called."""
        own = func.name.value
        bound = checker.params | set(checker.sources) | checker.comp_targets
        if bound & (PURE_BUILTINS | {own}):
            return False
        for node in all_nodes(func.body):
            if isinstance(node, cst.Call) and not isinstance(node.func, cst.Name):
                return False
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
                if node.func.value != own and node.func.value not in PURE_BUILTINS:
                    return False
        for name in name_uses(func.body):
            if name in PURE_BUILTINS and name in ctx.taken_names and name != own:
                return False
            if name not in bound | PURE_BUILTINS | _CONSTANT_NAMES | {own}:
                return False
        return True

    def _recurses(self, func: cst.FunctionDef) -> bool:
        """Self-calls only, at least two of them or one inside a loop or comprehension."""
        own = func.name.value
        sites = name_uses(func.body).get(own, [])
        calls = 0
        for use in sites:
            call = use.parent
            if not (isinstance(call, cst.Call) and call.func is use.node):
                return False
            looped = any(isinstance(a, (cst.For, cst.While, *COMPREHENSIONS)) for a in use.ancestors)
            calls += 2 if looped else 1
        return calls >= 2
