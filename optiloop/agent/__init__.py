"""``optiloop mcp``: a coding agent is the model; optiloop verifies, measures and commits (see ``server``).

Importing this package imports nothing heavy; ``serve`` loads the MCP SDK when it is called.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def serve(path: Path, flags: Mapping[str, Any], allow_dirty: bool = False, resume_id: str | None = None) -> int:
    """Serve the run of the repository at ``path`` over MCP on stdio until the client closes the connection."""
    from optiloop.agent.server import serve as serve_stdio

    return serve_stdio(path, flags, allow_dirty, resume_id)
