"""A regex a caller passes as a string literal, in a loop, to a function that only hands it to ``re``: compiled
once at module level, and the compiled pattern passed instead.

``for line in lines: if _matches(r"\\d+-\\d+", line): ...`` where ``def _matches(pattern, text): return
re.fullmatch(pattern, text) is not None``: each call goes through ``re``'s cache of compiled patterns (a type
check, a key built, a dict lookup). ``re``'s functions take a compiled pattern as well as a string, with the
same results, so the caller may compile it once. The rule reads both definitions: the callee must be a
module-level function whose parameter is used only as the first argument of ``re.match``, ``search``,
``fullmatch``, ``findall``, ``finditer``, ``sub``, ``subn`` or ``split`` without ``flags`` (a compiled
pattern refuses flags), never assigned, with no ``*args``/``**kwargs``; the caller passes a plain string
literal for it (by position or keyword) inside a ``for`` or ``while`` loop, and the literal must compile. The
target may be the callee (its callers change) or the caller itself.
"""

from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m

from optiloop.catalog.sites import SiteRewrite, code_of, top_level

RE_FUNCS = {"match": 2, "search": 2, "fullmatch": 2, "findall": 2, "finditer": 2, "sub": 4, "subn": 4, "split": 3}


def _param_index(func: cst.FunctionDef, name: str) -> int | None:
    params = func.params
    if params.star_arg is not cst.MaybeSentinel.DEFAULT and not isinstance(params.star_arg, cst.ParamStar):
        return None
    if params.star_kwarg is not None:
        return None
    positional = [*params.posonly_params, *params.params]
    return next((i for i, p in enumerate(positional) if p.name.value == name), None)


def _pattern_of(call: cst.CSTNode) -> cst.BaseExpression | None:
    """The pattern argument of a call ``re.<fn>(pattern, ...)`` made without flags, else None."""
    if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
            and m.matches(call.func.value, m.Name("re")) and call.func.attr.value in RE_FUNCS and call.args):
        return None
    first = call.args[0]
    if first.keyword is not None or first.star or any(a.star for a in call.args):
        return None
    if len(call.args) > RE_FUNCS[call.func.attr.value] or any(
            a.keyword is not None and a.keyword.value == "flags" for a in call.args):
        return None  # flags given: a compiled pattern refuses them
    return first.value


def _pattern_params(func: cst.FunctionDef) -> list[str]:
    """The parameters only ever used as the pattern of an ``re`` function called without flags."""
    patterns = [p for call in m.findall(func.body, m.Call()) if (p := _pattern_of(call)) is not None]
    found = []
    for param in [*func.params.posonly_params, *func.params.params]:
        name = param.name.value
        uses = m.findall(func.body, m.Name(name))
        if uses and all(any(u is p for p in patterns) for u in uses):
            found.append(name)  # an assignment to it would be a use that is not a pattern
    return found


class _Literals(cst.CSTTransformer):
    """Replaces the string literal passed for ``param`` in calls of ``callee`` inside loops."""

    def __init__(self, callee: str, index: int | None, param: str, names: dict[str, str], taken: set[str]) -> None:
        super().__init__()
        self.callee, self.index, self.param, self.names, self.taken = callee, index, param, names, taken
        self.loops = 0

    def visit_For(self, node: cst.For) -> None:
        self.loops += 1

    def leave_For(self, original_node: cst.For, updated_node: cst.For) -> cst.For:
        self.loops -= 1
        return updated_node

    def visit_While(self, node: cst.While) -> None:
        self.loops += 1

    def leave_While(self, original_node: cst.While, updated_node: cst.While) -> cst.While:
        self.loops -= 1
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if not self.loops or not m.matches(updated_node.func, m.Name(self.callee)):
            return updated_node
        args = list(updated_node.args)
        for i, arg in enumerate(args):
            by_position = arg.keyword is None and not arg.star and i == self.index
            by_keyword = arg.keyword is not None and arg.keyword.value == self.param
            if (by_position or by_keyword) and isinstance(arg.value, cst.SimpleString) and \
                    not set(arg.value.prefix.lower()) - {"r"}:
                literal = arg.value.value
                try:
                    re.compile(arg.value.evaluated_value)
                except (re.error, TypeError, ValueError):
                    continue
                if literal not in self.names:
                    stem = f"_{self.callee.strip('_').upper()}_RE"
                    name, n = stem, 2
                    while name in self.taken:
                        name, n = f"{stem}_{n}", n + 1
                    self.taken.add(name)
                    self.names[literal] = name
                args[i] = arg.with_changes(value=cst.Name(self.names[literal]))
        return updated_node.with_changes(args=args)


class RegexArgumentHoist:
    name = "regex-argument-hoist"
    explanation = ("a regex a caller passes as a string in a loop is compiled once at module level, so the callee's "
                   "`re` calls skip the lookup in `re`'s pattern cache")

    def apply_sites(self, module: cst.Module, qualname: str) -> SiteRewrite | None:
        if "." in qualname:
            return None
        funcs = {s.name.value: s for s in module.body if isinstance(s, cst.FunctionDef)}
        imports_re = any(m.matches(s, m.SimpleStatementLine(body=[m.Import(names=[m.ImportAlias(
            name=m.Name("re"), asname=None)])])) for s in module.body)
        if not imports_re or qualname not in funcs or len(top_level(module, qualname, cst.FunctionDef)) != 1:
            return None
        taken = {n.value for n in m.findall(module, m.Name()) if isinstance(n, cst.Name)}
        pairs = [(qualname, g) for g in funcs if g != qualname] + [(c, qualname) for c in funcs if c != qualname]
        for callee, caller in pairs:
            if len(top_level(module, caller, cst.FunctionDef)) != 1:
                continue
            for param in _pattern_params(funcs[callee]):
                names: dict[str, str] = {}
                swap = _Literals(callee, _param_index(funcs[callee], param), param, names, taken)
                new = cst.ensure_type(funcs[caller].visit(swap), cst.FunctionDef)
                if names:
                    return self._rewrite(module, new, names, callee, caller)
        return None

    @staticmethod
    def _rewrite(module: cst.Module, caller: cst.FunctionDef, names: dict[str, str], callee: str,
                 name: str) -> SiteRewrite:
        helpers = "".join(f"{var} = re.compile({literal})\n" for literal, var in names.items())
        block = helpers + "\n\n" + code_of(caller.with_changes(leading_lines=())).lstrip("\n")
        listed = ", ".join(f"`{v}`" for v in names.values())
        return SiteRewrite(block, f"`{name}` passed {len(names)} regex literal(s) to `{callee}` in a loop; they are "
                                  f"compiled once at module level ({listed}) and passed compiled, which `{callee}`'s "
                                  "`re` calls take as they are")
