"""The interactive session (``optiloop session``): a person steers the loop one candidate at a time."""

from __future__ import annotations

from optiloop.session.repl import Session

__all__ = ["Session"]
