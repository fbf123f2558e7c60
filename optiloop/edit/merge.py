"""One block of a multi-site reply merged into its module.

A block holds imports, complete definitions (functions, classes, methods inside their class) and module-level
constants. Each definition replaces the module's same-named one (a class's members are merged by name: the
members the block names replace theirs, new ones are added, the others stay as they are); names the module lacks
are added as helpers, just before the first top-level statement the block changes. New imports join the
module's imports.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from optiloop.edit.apply import _blank_lines, _leading, _place_helpers, _reindented
from optiloop.edit.imports import ImportStmt, assigned, import_index, module_bindings, needed_imports
from optiloop.edit.normal import dump
from optiloop.types import Rejected

Named = cst.FunctionDef | cst.ClassDef


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _snippet(node: cst.CSTNode) -> str:
    text = next((s.strip() for s in _code(node).splitlines() if s.strip() and not s.strip().startswith(("#", "@"))),
                "")
    return text if len(text) <= 60 else text[:57] + "..."


def _assigned_names(stmt: cst.BaseStatement) -> tuple[str, ...] | None:
    """The names a one-assignment statement binds, or None when it is something else."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    if not isinstance(stmt.body[0], (cst.Assign, cst.AnnAssign)):
        return None
    tree = ast.parse(_code(stmt).strip()).body
    names = [t.id for s in tree for a in assigned(s) for t in ast.walk(a) if isinstance(t, ast.Name)]
    if not names or not all(isinstance(a, ast.Name) or isinstance(a, (ast.Tuple, ast.List))
                            for s in tree for a in assigned(s)):
        return None
    return tuple(names)


def _is_filler(stmt: cst.BaseStatement) -> bool:
    """``pass``, ``...`` or a docstring: what stands for members a class block leaves out."""
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    return all(isinstance(s, cst.Pass) or (isinstance(s, cst.Expr) and (
        isinstance(s.value, cst.Ellipsis) or isinstance(s.value, (cst.SimpleString, cst.ConcatenatedString))))
        for s in stmt.body)


def _decorators(node: Named) -> list[str]:
    return [_code(d.decorator).strip() for d in node.decorators]


def _match(body: Sequence[cst.BaseStatement], new: cst.BaseStatement, used: set[int]) -> int | None:
    """Which statement of ``body`` ``new`` replaces: the same-named definition (the one with the same decorators
    first, else the last) or the assignment of the same names; None when there is none."""
    if isinstance(new, (cst.FunctionDef, cst.ClassDef)):
        same = [i for i, s in enumerate(body) if isinstance(s, (cst.FunctionDef, cst.ClassDef))
                and s.name.value == new.name.value and i not in used]
        exact = [i for i in same if _decorators(body[i]) == _decorators(new)]  # type: ignore[arg-type]
        picked = exact or same
        return picked[-1] if picked else None
    names = _assigned_names(new)
    same = [i for i, s in enumerate(body) if names is not None and _assigned_names(s) == names and i not in used]
    return same[-1] if same else None


def _merge_members(old: cst.ClassDef, new: cst.ClassDef, line: int) -> cst.ClassDef | Rejected:
    """``old`` with the members ``new`` names merged in (``line``: where ``new`` starts in the reply)."""
    if not isinstance(old.body, cst.IndentedBlock) or not isinstance(new.body, cst.IndentedBlock):
        return Rejected(f"line {line}: write `class {new.name.value}` with its members on lines of their own")
    body = list(old.body.body)
    used: set[int] = set()
    added: list[cst.BaseStatement] = []
    for member in new.body.body:
        if _is_filler(member):
            continue
        if not isinstance(member, (cst.FunctionDef, cst.ClassDef)) and _assigned_names(member) is None:
            return Rejected(f"line {line}: `{_snippet(member)}` in `class {new.name.value}` is neither a definition "
                            "nor an assignment; send whole methods and class attributes only")
        index = _match(body, member, used)
        if index is None:
            lead = _blank_lines(1) if isinstance(member, (cst.FunctionDef, cst.ClassDef)) else ()
            added.append(_reindented(member).with_changes(leading_lines=lead))
            continue
        replaced = _replaced(body[index], member, line, f"`class {old.name.value}`")
        if isinstance(replaced, Rejected):
            return replaced
        body[index] = replaced
        used.add(index)
    return old.with_changes(body=old.body.with_changes(body=[*body, *added]))


def _replaced(current: cst.BaseStatement, new: cst.BaseStatement, line: int,
              where: str) -> cst.BaseStatement | Rejected:
    """What stands where ``current`` stood once ``new`` (its namesake, from line ``line`` of the reply) replaces
    it: ``current`` itself when the code is the same, a class merged member by member, any other statement
    whole. A definition replaced by another kind of statement is refused (``where``: the class or file)."""
    if dump(ast.parse(_code(current).strip()).body[0]) == dump(ast.parse(_code(new).strip()).body[0]):
        return current
    if isinstance(current, cst.ClassDef) and isinstance(new, cst.ClassDef):
        return _merge_members(current, new, line)
    if isinstance(current, cst.ClassDef) != isinstance(new, cst.ClassDef):
        return Rejected(f"line {line}: `{_snippet(new)}` replaces `{_snippet(current)}` of {where} by another "
                        "kind of definition")
    return _reindented(new).with_changes(leading_lines=_leading(current))


def _imports(stmt: cst.SimpleStatementLine, line: int) -> list[tuple[int, ImportStmt]] | Rejected:
    out: list[tuple[int, ImportStmt]] = []
    for imp in ast.parse(_code(stmt).strip()).body:
        if not isinstance(imp, (ast.Import, ast.ImportFrom)):
            return Rejected(f"line {line}: put imports and other statements on separate lines")
        if isinstance(imp, ast.ImportFrom) and imp.module == "__future__" and not imp.level:
            return Rejected(f"line {line}: `from __future__` imports cannot be added by a candidate; remove it")
        if any(alias.name == "*" for alias in imp.names):
            return Rejected(f"line {line}: `{_snippet(stmt)}` is a star import; import names explicitly")
        out.append((line, imp))
    return out


def _parse(code: str, path: str) -> tuple[cst.Module, dict[cst.CSTNode, int]] | Rejected:
    try:
        ast.parse(code)
        wrapper = MetadataWrapper(cst.parse_module(code))
    except SyntaxError as e:
        return Rejected(f"the block for {path} does not parse: line {e.lineno}: {e.msg}")
    except (ValueError, cst.ParserSyntaxError) as e:
        return Rejected(f"the block for {path} does not parse: {str(e).splitlines()[0]}")
    positions = wrapper.resolve(PositionProvider)
    return wrapper.module, {n: positions[n].start.line for n in wrapper.module.body}


def merge_block(module_source: str, code: str, path: str) -> str | Rejected:
    """``module_source`` with the block ``code`` merged in (see the module's doc); the result may be unchanged."""
    parsed = _parse(code, path)
    if isinstance(parsed, Rejected):
        return parsed
    block, lines = parsed
    try:
        module = cst.parse_module(module_source)
        bound = module_bindings(ast.parse(module_source).body)
    except (SyntaxError, ValueError, cst.ParserSyntaxError):
        return Rejected(f"`{path}` cannot be edited: it does not parse")
    body: list[cst.BaseStatement] = list(module.body)
    used: set[int] = set()
    helpers: list[cst.BaseStatement] = []
    imports: list[tuple[int, ImportStmt]] = []
    for stmt in block.body:
        line = lines[stmt]
        if isinstance(stmt, cst.SimpleStatementLine) and all(
                isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body):
            found = _imports(stmt, line)
            if isinstance(found, Rejected):
                return found
            imports += found
            continue
        if not isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) and _assigned_names(stmt) is None:
            if _is_filler(stmt):
                continue
            return Rejected(f"line {line}: `{_snippet(stmt)}` is not allowed at the top level of a block; send only "
                            "imports, whole definitions and module-level constants")
        index = _match(body, stmt, used)
        if index is None:
            names = [stmt.name.value] if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) else _assigned_names(stmt)
            taken = next((n for n in names or () if n in bound), None)
            if taken is not None:
                return Rejected(f"line {line}: `{_snippet(stmt)}` would rebind `{taken}`, which {path} binds "
                                f"otherwise at its line {bound[taken][0].line}; change that statement or pick a "
                                "new name")
            helpers.append(_reindented(stmt))
            continue
        replaced = _replaced(body[index], stmt, line, path)
        if isinstance(replaced, Rejected):
            return replaced
        body[index] = replaced
        used.add(index)
    new_imports = needed_imports(imports, bound)
    if isinstance(new_imports, Rejected):
        return new_imports
    if used:
        _place_helpers(body, min(used), helpers)
    else:
        body.extend(h.with_changes(leading_lines=_blank_lines(2)) for h in helpers)
    _place_imports(module, body, new_imports)
    return module.with_changes(body=body).code


def _place_imports(module: cst.Module, body: list[cst.BaseStatement], imports: list[str]) -> None:
    """Put ``imports`` after the module's docstring and top-of-file imports."""
    index, has_imports = import_index(module)
    new = [cst.parse_statement(text) for text in imports]
    if new and not has_imports and index < len(body) and not _leading(body[index]):
        body[index] = body[index].with_changes(leading_lines=_blank_lines(1))
    body[index:index] = new
