"""Rendering prompt templates (Jinja, StrictUndefined) from ``prompts/`` or ``--prompts DIR``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from optiloop.resources import data_dir


class Prompts:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or data_dir("prompts")
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.directory)),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, name: str, **values: Any) -> str:
        return self._env.get_template(f"{name}.j2").render(**values)
