"""Rendering prompt templates (Jinja, StrictUndefined) from ``prompts/``, overridable per template.

With ``--prompts DIR`` every template found in DIR wins; the ones DIR lacks come from the shipped set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from optiloop.errors import BadInput
from optiloop.resources import data_dir

TEMPLATES = ("system", "optimize", "refine", "repair", "reply_problem", "context", "history", "hint", "parallel",
             "agent")


class Prompts:
    def __init__(self, directory: Path | None = None) -> None:
        shipped = data_dir("prompts")
        if directory is not None and not directory.is_dir():
            raise BadInput(f"the prompts directory {directory} does not exist",
                           "pass --prompts with a directory of .j2 templates, or leave it out")
        self.directory = directory or shipped
        dirs = [directory, shipped] if directory is not None else [shipped]
        self._env = jinja2.Environment(
            loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in dirs]),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, name: str, **values: Any) -> str:
        try:
            return self._env.get_template(f"{name}.j2").render(**values)
        except jinja2.TemplateError as exc:
            where = getattr(exc, "filename", None) or f"{name}.j2"
            raise BadInput(f"prompt template {where} cannot be rendered: {exc}",
                           "fix the template (only the documented variables exist)") from None
