"""From hotspots to targets: the definition's current source and what a prompt needs beside it."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from optiloop.edit import find_definition
from optiloop.types import Hotspot, Profile, Target


def dotted_name(path: str, qualname: str, subdir: str = "") -> str:
    """``pkg/mod.py`` + ``Cls.meth`` → ``pkg.mod.Cls.meth`` (``src/`` and ``subdir`` dropped)."""
    rel = path[len(subdir) + 1:] if subdir and path.startswith(subdir + "/") else path
    parts = rel[:-3].split("/") if rel.endswith(".py") else rel.split("/")
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([*parts, qualname])


def module_imports(module_source: str) -> str:
    """The module's top-level import statements, as written."""
    try:
        module = cst.parse_module(module_source)
    except cst.ParserSyntaxError:
        return ""
    lines = [
        module.code_for_node(stmt).strip()
        for stmt in module.body
        if isinstance(stmt, cst.SimpleStatementLine)
        and any(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)
    ]
    return "\n".join(lines)


def annotate_heat(source: str, start: int, heat: tuple[tuple[int, float], ...]) -> str:
    """The definition's source with each hot line's share of samples in a trailing comment."""
    by_line = dict(heat)
    out = []
    for offset, text in enumerate(source.splitlines()):
        share = by_line.get(start + offset)
        out.append(f"{text}  # {share:.0%}" if share and share >= 0.005 else text)
    return "\n".join(out)


def build_target(hotspot: Hotspot, module_source: str) -> Target | None:
    source = find_definition(module_source, hotspot.qualname)
    if source is None:
        return None
    context = module_imports(module_source)
    return Target(hotspot=hotspot, source=source, module_source=module_source, context=context)


def targets_from(profile: Profile, read: Callable[[str], str]) -> list[Target]:
    """Targets for the profile's hotspots, hottest first; definitions that vanished are skipped."""
    out = []
    for hotspot in profile.hotspots:
        target = build_target(hotspot, read(hotspot.path))
        if target is not None:
            out.append(target)
    return out
