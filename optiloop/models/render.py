"""A request as the prompts a language model is sent: the system prompt and the first user message."""

from __future__ import annotations

from optiloop.context import annotate_heat, shown_tests
from optiloop.models.base import Request
from optiloop.prompts import Prompts
from optiloop.types import Target


def annotated(target: Target) -> str:
    return annotate_heat(target.source, target.hotspot.line, target.hotspot.line_heat)


def render_request(prompts: Prompts, request: Request, sample: int = 0) -> tuple[str, str]:
    """``(system, user)`` for sample ``sample`` of ``request.n``."""
    tests, more = shown_tests(request.target)
    values = {
        "target": request.target,
        "tests": tests,
        "more_tests": more,
        "annotated_source": annotated(request.target),
        "history": request.history,
        "hint": request.hint,
        "n": request.n,
        "sample": sample,
        "repair": request.repair,
        "refine": request.refine,
        "original_annotated": annotated(request.refine.original) if request.refine else "",
    }
    return prompts.render("system", **values), prompts.render(request.kind, **values)


def render_problem(prompts: Prompts, request: Request, problem: str) -> str:
    """The message that sends a reply's problem back to the model."""
    return prompts.render("reply_problem", target=request.target, problem=problem.rstrip("."))
