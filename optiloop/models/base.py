"""The one interface every model implements (``stages.Model``), and what a request to it may carry
(``types.Request``): both live where the loop reads them, and are named here for the models."""

from __future__ import annotations

from optiloop.stages import Metered, Model
from optiloop.types import Feedback, Refine, Repair, Request, Spend

__all__ = ["Feedback", "Metered", "Model", "Refine", "Repair", "Request", "Spend"]
