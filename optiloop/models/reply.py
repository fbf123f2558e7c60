"""Reading a model's reply: the fenced code of a candidate, in one of the shapes a candidate may take.

- one ```python block holding the new definition of the target (plus imports and helpers);
- several ```python blocks, each headed by a first line ``# file: PATH`` naming the project file it changes
  (at most one unheaded block, for the target's file), each holding whole definitions that replace the
  same-named ones;
- one unified diff (a ```diff block, or a python block holding a diff).

The candidate's code is the blocks joined, each keeping its header (``edit.sites`` splits them again), or the
diff as sent.
"""

from __future__ import annotations

import ast
import re

_FENCE = re.compile(r"^```[ \t]*(?P<lang>[\w+-]*)[ \t]*\n(?P<code>.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
_PYTHON = ("python", "py", "python3", "")
_DIFF = ("diff", "patch", "udiff")


class ReplyError(ValueError):
    """The reply does not follow the contract; the message is fed back to the model."""


def _headed(code: str) -> bool:
    from optiloop.edit.sites import HEADER

    first = next((line for line in code.splitlines() if line.strip()), "")
    return HEADER.match(first) is not None


def extract_code(reply: str) -> tuple[str, str]:
    """``(code, rationale)`` from a reply; the rationale is the prose before the first block."""
    from optiloop.edit.patch import looks_like_diff

    blocks = [m for m in _FENCE.finditer(reply) if m["lang"].lower() in _PYTHON + _DIFF]
    if not blocks:
        raise ReplyError("the reply has no fenced ```python block; put the new definition in one")
    rationale = " ".join(reply[: blocks[0].start()].split()) or "no rationale given"
    diffs = [b for b in blocks if b["lang"].lower() in _DIFF or looks_like_diff(b["code"])]
    if diffs:
        if len(blocks) > 1:
            raise ReplyError(f"the reply has {len(blocks)} code blocks with a diff among them; send one diff, or "
                             "python blocks headed `# file: PATH`, not both")
        return diffs[0]["code"], rationale
    if len(blocks) == 1:
        return blocks[0]["code"], rationale
    unheaded = [b for b in blocks if not _headed(b["code"])]
    if len(unheaded) > 1:
        raise ReplyError(
            f"the reply has {len(blocks)} code blocks; put imports, helpers and the definition in one block, or, "
            "to change several files, start each block with a line `# file: PATH`")
    ordered = unheaded + [b for b in blocks if b not in unheaded]
    return "\n".join(b["code"].rstrip("\n") + "\n" for b in ordered), rationale


def checked_code(reply: str, qualname: str) -> tuple[str, str]:
    """``extract_code`` plus the check that the code is one the edit can read: the target's block defines the
    target and nothing it may not; every headed block parses; a diff names its files and hunks."""
    from optiloop.edit.patch import looks_like_diff, parse_diff
    from optiloop.edit.reply import read_reply
    from optiloop.edit.sites import blocks, is_multi
    from optiloop.types import Rejected

    code, rationale = extract_code(reply)
    if looks_like_diff(code):
        parsed = parse_diff(code)
        if isinstance(parsed, Rejected):
            raise ReplyError(parsed.reason)
        return code, rationale
    if not is_multi(code):
        read = read_reply(code, qualname)
        if isinstance(read, Rejected):
            raise ReplyError(read.reason)
        return code, rationale
    for path, text in blocks(code):
        try:
            ast.parse(text)
        except (SyntaxError, ValueError) as e:
            where = f"the block headed `# file: {path}`" if path else "the unheaded block"
            line = f"line {e.lineno}: {e.msg}" if isinstance(e, SyntaxError) else str(e)
            raise ReplyError(f"{where} does not parse: {line}") from None
    return code, rationale
