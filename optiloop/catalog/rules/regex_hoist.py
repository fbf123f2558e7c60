"""regex-hoist: compile a literal regular expression once, at module level.

``re.findall(r"[a-z]+", text)`` looks the pattern up in ``re``'s cache on every call (and recompiles it
once the cache has been flushed). With ``import re`` at module level, calls to ``re.compile``,
``match``, ``search``, ``fullmatch``, ``findall``, ``finditer``, ``sub``, ``subn`` and ``split`` whose
pattern is a plain string literal get a helper ``_FUNC_RE = re.compile(<pattern>[, flags])`` and call
its method instead; ``re.compile(<pattern>)`` itself becomes the helper's name.

Arguments are mapped through the module-level signatures, so the ``flags`` argument (positional or
keyword) moves into the helper and the rest keeps its position or keyword in the pattern method
(``re.sub(p, repl, s, count, flags)`` -> ``_F_RE.sub(repl, s, count)``). Flags must be ``re.X``-style
attributes or int literals combined with ``|``; ``re.DEBUG`` (it prints) and unknown flags refuse, as
do starred arguments, unknown keywords and f-strings. The pattern is compiled once while planning:
an invalid pattern, or one that warns, is left alone so no error moves to import time. Equal
pattern/flags pairs share one helper.
"""

from __future__ import annotations

import ast
import re
import warnings

import libcst as cst

from optiloop.catalog.base import Rewrite, RuleContext
from optiloop.catalog.rules._bindings import (
    function_local_names,
    module_bindings,
    module_imports_plainly,
    statement_index,
    top_level_index,
)
from optiloop.catalog.rules._util import (
    Replacement,
    SafeRule,
    code,
    is_str_literal,
    name_uses,
    own_nodes,
    plural,
    quoted,
    replace_nodes,
    short,
)

_SIGNATURES: dict[str, tuple[str, ...]] = {
    "compile": ("pattern", "flags"),
    "match": ("pattern", "string", "flags"),
    "search": ("pattern", "string", "flags"),
    "fullmatch": ("pattern", "string", "flags"),
    "findall": ("pattern", "string", "flags"),
    "finditer": ("pattern", "string", "flags"),
    "sub": ("pattern", "repl", "string", "count", "flags"),
    "subn": ("pattern", "repl", "string", "count", "flags"),
    "split": ("pattern", "string", "maxsplit", "flags"),
}
_FLAGS = frozenset(
    {
        "A",
        "ASCII",
        "I",
        "IGNORECASE",
        "L",
        "LOCALE",
        "M",
        "MULTILINE",
        "NOFLAG",
        "S",
        "DOTALL",
        "U",
        "UNICODE",
        "X",
        "VERBOSE",
    }
)


def _flag_value(node: cst.BaseExpression) -> int | None:
    """The value of ``re.I | re.M | 2``-style flags, or None when it is anything else."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        left, right = _flag_value(node.left), _flag_value(node.right)
        return None if left is None or right is None else left | right
    if isinstance(node, cst.Integer):
        value = ast.literal_eval(node.value)
        return value if isinstance(value, int) else None
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "re":
        if node.attr.value in _FLAGS and hasattr(re, node.attr.value):
            return int(getattr(re, node.attr.value))
    return None


def _literal(pattern: cst.BaseExpression) -> object:
    """The value of a (possibly multi-line, commented) string literal."""
    return ast.literal_eval(f"(\n{code(pattern).strip()}\n)")


def _compiles(pattern: cst.BaseExpression, flags: int) -> bool:
    """The literal pattern compiles with these flags, silently."""
    value = _literal(pattern)
    allowed = 0
    for flag in _FLAGS:
        allowed |= int(getattr(re, flag, 0))
    if not isinstance(value, (str, bytes)) or flags & ~allowed:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            re.compile(value, flags)
        except (re.error, Warning, ValueError, TypeError):
            return False
    return True


def _map_args(call: cst.Call, params: tuple[str, ...]) -> dict[str, cst.Arg] | None:
    """Which parameter each argument binds, or None when that is not exact."""
    bound: dict[str, cst.Arg] = {}
    positional = 0
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None:
            if positional >= len(params) or len(bound) > positional:
                return None
            bound[params[positional]] = arg
            positional += 1
        elif arg.keyword.value not in params or arg.keyword.value in bound:
            return None
        else:
            bound[arg.keyword.value] = arg
    return bound if "pattern" in bound else None


class RegexHoist(SafeRule):
    name = "regex-hoist"
    explanation = "re.<fn>(literal, ...) looks its pattern up in re's cache on each call; compile it once instead"

    def _apply(self, func: cst.FunctionDef, ctx: RuleContext) -> Rewrite | None:
        uses = name_uses(func)
        taken = ctx.with_names(tuple(uses))
        stem = f"_{func.name.value.strip('_').upper() or 'PATTERN'}_RE"
        helpers: dict[tuple[object, int], tuple[str, str]] = {}
        plan: dict[int, Replacement] = {}
        calls: list[str] = []
        for node in own_nodes(func):
            if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)):
                continue
            receiver, method = node.func.value, node.func.attr.value
            if not (isinstance(receiver, cst.Name) and receiver.value == "re" and method in _SIGNATURES):
                continue
            bound = _map_args(node, _SIGNATURES[method])
            if bound is None or not is_str_literal(bound["pattern"].value):
                continue
            pattern = bound["pattern"].value
            flags_arg = bound.get("flags")
            flags = 0 if flags_arg is None else _flag_value(flags_arg.value)
            if flags is None or not _compiles(pattern, flags):
                continue
            key = (_literal(pattern), flags)
            if key not in helpers:
                name = taken.fresh_name(stem)
                taken = taken.with_names((name,))
                flags_code = "" if flags_arg is None else f", {code(flags_arg.value).strip()}"
                helpers[key] = (name, f"{name} = re.compile({code(pattern).strip()}{flags_code})")
            helper = helpers[key][0]
            keep = [i for i, a in enumerate(node.args) if a is not bound["pattern"] and a is not flags_arg]
            plan[id(node)] = self._replacement(helper, method, keep, node.args[-1].comma)
            calls.append(short(f"re.{method}({code(pattern).strip()}, ...)", 50))
        if not plan or not self._re_imported_before(func, ctx):
            return None
        definition = replace_nodes(func, plan)
        if definition is None:
            return None
        made = list(helpers.values())
        said = f"{quoted(calls)} {plural(calls, 'looks its', 'look their')} pattern up in re's cache on each call; " \
               f"{quoted(n for n, _ in made)} {plural([n for n, _ in made], 'compiles it', 'compile them')} once"
        return Rewrite(definition=definition, helpers=tuple(h for _, h in made), names=tuple(n for n, _ in made),
                       explanation=said)

    def _re_imported_before(self, func: cst.FunctionDef, ctx: RuleContext) -> bool:
        """``re`` is the module ``import re`` binds, before the target, and not a local of ``func``."""
        module = ctx.module
        if not module_imports_plainly(module, "re") or "re" in function_local_names(func):
            return False
        where = statement_index(module, module_bindings(module, "re")[0])
        target = top_level_index(module, ctx.qualname.split(".")[0])
        return where is not None and target is not None and where < target

    def _replacement(
        self, helper: str, method: str, keep: list[int], last_comma: cst.Comma | cst.MaybeSentinel
    ) -> Replacement:
        if method == "compile":
            return lambda updated: cst.Name(helper)

        def to_method(updated: cst.CSTNode) -> cst.CSTNode:
            if not isinstance(updated, cst.Call):
                raise TypeError("expected a call")
            args = [updated.args[i] for i in keep]
            if args:
                args[-1] = args[-1].with_changes(comma=last_comma)
            func = cst.Attribute(value=cst.Name(helper), attr=cst.Name(method))
            return updated.with_changes(func=func, args=args)

        return to_method
