"""Plugins other packages register through entry points: rules (``optiloop.rules``, see ``optiloop.catalog``)
and model providers (``optiloop.models``, see ``optiloop.models``).

A plugin that cannot be used is never dropped in silence: a ``PluginWarning`` names it and says why, in one
line (the CLI prints it as ``optiloop: warning: ...`` on stderr).
"""

from __future__ import annotations

import warnings
from importlib.metadata import EntryPoint, entry_points


class PluginWarning(UserWarning):
    """A registered plugin that is skipped, with the reason and the fix."""


def warn(message: str) -> None:
    warnings.warn(message, PluginWarning, stacklevel=3)


def failure(exc: BaseException) -> str:
    """``exc`` in one line: ``ModuleNotFoundError: No module named 'x'``."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def describe(ep: EntryPoint) -> str:
    """``'name = module:attr' (package 1.0)``: what was registered, and by which installed package."""
    dist = getattr(ep, "dist", None)
    name, version = getattr(dist, "name", None), getattr(dist, "version", None)
    if not name:
        return f"'{ep.name} = {ep.value}'"
    return f"'{ep.name} = {ep.value}' ({name} {version})" if version else f"'{ep.name} = {ep.value}' ({name})"


def registered(group: str) -> list[EntryPoint]:
    """The entry points of ``group``; none, with a warning, when the installed metadata cannot be read."""
    try:
        return list(entry_points(group=group))
    except Exception as exc:  # one package's broken metadata must not stop optiloop
        warn(f"cannot read the '{group}' plugins of the installed packages ({failure(exc)}); none is used — "
             "reinstall the package whose entry_points.txt is broken")
        return []
