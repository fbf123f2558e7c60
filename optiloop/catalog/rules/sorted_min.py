"""sorted-first-to-min: ``sorted(xs)[0]`` becomes ``min(xs)`` (and ``sorted(xs, reverse=True)[0]``
becomes ``max(xs)``).

Sorting is O(n log n) and builds a list; ``min``/``max`` is one O(n) pass. What stays the same:

* ``sorted`` is stable, so ``sorted(xs)[0]`` is the *first* of the smallest elements, which is what
  ``min`` returns; with ``reverse=True`` stability still keeps equal elements in input order, so the
  first of the largest, which is what ``max`` returns. ``key=`` is passed on unchanged.
* On empty input ``sorted(xs)[0]`` raises ``IndexError`` while ``min(xs)`` raises ``ValueError``:
  unless the input is a non-empty display, the rewrite calls a small module-level helper that uses
  ``default=`` and raises ``IndexError`` itself, so the exception type is preserved.

Refused: ``sorted(xs)[-1]`` (the *last* of equal largest elements, ``max`` gives the first), other
indexes or slices, starred or unknown arguments, ``reverse=`` that is not the literal ``True``/``False``,
and a module or function that rebinds ``sorted``/``min``/``max``. Residual risk, left to the gate:
element types whose ``<`` is not a total order (sets, or floats with NaN among them), for which the two
may pick different elements.
"""

from __future__ import annotations

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext
from optiloop.catalog.rules._bindings import function_local_names
from optiloop.catalog.rules._loops import ancestry, is_store
from optiloop.catalog.rules._util import Replacement, SafeRule, code, own_nodes, plural, quoted, replace_nodes, short

_HELPER = '''def {name}(items, key=None):
    """``sorted(items, key=key{reverse})[0]`` in one pass: the same element, the same IndexError."""
    nothing = object()
    found = {func}(items, key=key, default=nothing)
    if found is nothing:
        raise IndexError("list index out of range")
    return found'''


def _sorted_call(node: cst.Subscript) -> tuple[cst.Call, bool, cst.Arg | None] | None:
    """The ``sorted(...)`` call indexed by ``[0]``, whether it is reversed, and its ``key=`` argument."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    index = node.slice[0].slice.value
    if not (isinstance(index, cst.Integer) and index.evaluated_value == 0):
        return None
    call = node.value
    if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value == "sorted"):
        return None
    if not call.args or call.args[0].keyword is not None or call.args[0].star:
        return None
    reverse, key = False, None
    for arg in call.args[1:]:
        if arg.star or arg.keyword is None:
            return None
        if arg.keyword.value == "key":
            key = arg
        elif arg.keyword.value == "reverse" and code(arg.value) in ("True", "False"):
            reverse = code(arg.value) == "True"
        else:
            return None
    return call, reverse, key


def _non_empty_display(node: cst.BaseExpression) -> bool:
    if not isinstance(node, (cst.List, cst.Tuple, cst.Set)) or not node.elements:
        return False
    return not any(isinstance(e, cst.StarredElement) for e in node.elements)


class SortedFirstToMin(SafeRule):
    name = "sorted-first-to-min"
    explanation = "sorted(xs)[0] sorts everything to pick one element; min(xs) finds it in one pass"

    def _apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        shadowed = ctx.taken_names | function_local_names(func)
        if shadowed & {"sorted", "min", "max", "object", "IndexError"}:
            return None
        plan: dict[int, Replacement] = {}
        helpers: dict[str, str] = {}  # "min"/"max" -> helper name
        sources: list[str] = []
        picks: list[tuple[str, str]] = []  # (the code, min or max)
        parents = ancestry(func)
        for node in own_nodes(func):
            found = _sorted_call(node) if isinstance(node, cst.Subscript) else None
            if found is not None and is_store(node, parents.get(id(node), ())):
                continue  # ``sorted(xs)[0] = v`` (valid, pointless): min(xs) cannot be assigned to
            if found is None:
                continue
            call, reverse, key = found
            builtin = "max" if reverse else "min"
            if _non_empty_display(call.args[0].value):
                callee = builtin
            else:
                if builtin not in helpers:
                    taken = ctx.with_names(tuple(helpers.values()))
                    helpers[builtin] = taken.fresh_name(f"_sorted_first_{builtin}")
                    sources.append(
                        _HELPER.format(name=helpers[builtin], func=builtin, reverse=", reverse=True" if reverse else "")
                    )
                callee = helpers[builtin]
            plan[id(node)] = _replacement(callee, key is not None)
            picks.append((short(code(node)), builtin))
        definition = replace_nodes(func, plan)
        if definition is None:
            return None
        shown = [s for s, _ in picks]
        said = f"{quoted(shown)} {plural(shown, 'sorts', 'sort')} everything to pick one element; " \
               f"{' and '.join(sorted({f'{b}()' for _, b in picks}))} {plural(shown, 'finds', 'find')} it in one pass"
        return Rewrite(definition=definition, helpers=tuple(sources), names=tuple(helpers.values()), explanation=said)


def _replacement(callee: str, keyed: bool) -> Replacement:
    def replace(updated: cst.CSTNode) -> cst.CSTNode:
        if not (isinstance(updated, cst.Subscript) and isinstance(updated.value, cst.Call)):
            raise TypeError("expected sorted(...)[0]")
        call = updated.value
        args = [call.args[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)]
        if keyed:
            key = next(a for a in call.args[1:] if a.keyword is not None and a.keyword.value == "key")
            args.append(key.with_changes(comma=cst.MaybeSentinel.DEFAULT))
        return cst.Call(func=cst.Name(callee), args=args, lpar=updated.lpar, rpar=updated.rpar)

    return replace
