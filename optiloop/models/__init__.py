"""Models behind one interface, chosen by a spec string."""

from __future__ import annotations

from pathlib import Path

from optiloop.errors import BadInput
from optiloop.models.base import Feedback, Model, Request

__all__ = ["Feedback", "Model", "Request", "resolve"]

KNOWN = "builtin, scripted:PATH"


def resolve(spec: str | None, base_dir: Path) -> tuple[Model, str]:
    """The model for ``spec``, and a note for the user when the choice was made for them."""
    if spec is None or spec.strip() == "":
        from optiloop.models.builtin import BuiltinModel

        return BuiltinModel(), "no --model given: using the offline builtin model (no key needed)"
    kind, _, arg = spec.partition(":")
    if kind == "builtin" and not arg:
        from optiloop.models.builtin import BuiltinModel

        return BuiltinModel(), ""
    if kind == "scripted" and arg:
        from optiloop.models.scripted import ScriptedModel

        path = Path(arg) if Path(arg).is_absolute() else base_dir / arg
        return ScriptedModel(path), ""
    raise BadInput(f"unknown model '{spec}'", f"use one of: {KNOWN}")
