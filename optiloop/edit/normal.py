"""A normal form of Python code: what the code does, not how it is laid out.

Two pieces of code with the same normal form differ only in formatting, comments and docstrings.
"""

from __future__ import annotations

import ast
import copy
import textwrap

_WITH_DOCSTRING = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, _WITH_DOCSTRING) and node.body and is_docstring(node.body[0]):
            node.body = node.body[1:]
    return tree


def dump(node: ast.AST) -> str:
    """``ast.dump`` of ``node`` without docstrings, so positions, comments and layout do not show."""
    return ast.dump(_strip_docstrings(copy.deepcopy(node)))


def normalized(source: str) -> str:
    """A normal form of ``source`` for deduplicating candidates; the stripped text if it does not parse."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except (SyntaxError, ValueError):
        return source.strip()
    return ast.dump(_strip_docstrings(tree))
