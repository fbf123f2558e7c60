"""Files shipped with optiloop: prompt templates and example projects.

In a wheel they live in ``optiloop/_data/``; in a source checkout (editable install) they are the
top-level ``prompts/`` and ``examples/`` directories.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"optiloop's {name}/ directory is missing from the installation")
