"""Reading a model's reply: one fenced python block holding the new definition."""

from __future__ import annotations

import re

_FENCE = re.compile(r"^```[ \t]*(?P<lang>[\w+-]*)[ \t]*\n(?P<code>.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


class ReplyError(ValueError):
    """The reply does not follow the contract; the message is fed back to the model."""


def extract_code(reply: str) -> tuple[str, str]:
    """``(code, rationale)`` from a reply; the rationale is the prose before the block."""
    blocks = [m for m in _FENCE.finditer(reply) if m["lang"].lower() in ("python", "py", "python3", "")]
    if not blocks:
        raise ReplyError("the reply has no fenced ```python block; put the new definition in one")
    if len(blocks) > 1:
        raise ReplyError(
            f"the reply has {len(blocks)} code blocks; put imports, helpers and the definition in one block"
        )
    block = blocks[0]
    rationale = " ".join(reply[: block.start()].split()) or "no rationale given"
    return block["code"], rationale


def checked_code(reply: str, qualname: str) -> tuple[str, str]:
    """``extract_code`` plus the check that the code defines the target and nothing it may not."""
    from optiloop.edit.reply import read_reply
    from optiloop.types import Rejected

    code, rationale = extract_code(reply)
    read = read_reply(code, qualname)
    if isinstance(read, Rejected):
        raise ReplyError(read.reason)
    return code, rationale
