"""Replies read from a file, for demos and tests: ``scripted:PATH``.

The file is a JSON list; each item is a reply string or ``{"reply": ..., "target": QUALNAME}``
(a reply with a target is only given for that target). Each request takes the next matching
reply. A reply that breaks the contract is skipped with its problem noted, as a real model would
be asked again, at most ``MAX_REPAIRS`` times per request. Every rendered prompt is kept in
``prompts`` so tests can see what a real model would have been told.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from optiloop.errors import BadInput
from optiloop.models.base import Request
from optiloop.models.render import render_request
from optiloop.models.reply import ReplyError, checked_code
from optiloop.prompts import Prompts
from optiloop.types import Candidate, Usage

MAX_REPAIRS = 3


def load_replies(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"cannot read the scripted replies {path}: {exc.strerror}",
                       "pass scripted:PATH with the path of a JSON file") from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path} is not valid JSON: {exc}", "write a JSON list of reply strings") from None
    if not isinstance(data, list):
        raise BadInput(f"{path} must hold a JSON list of replies", "write a JSON list of reply strings")
    items = []
    for item in data:
        entry = {"reply": item} if isinstance(item, str) else item
        if not isinstance(entry, dict) or not isinstance(entry.get("reply"), str):
            raise BadInput(f"{path}: every reply must be a string or an object with a 'reply' string",
                           "fix the file")
        items.append(entry)
    return items


class ScriptedModel:
    def __init__(self, path: Path, prompts: Prompts | None = None) -> None:
        self.name = f"scripted:{path.name}"
        self.replies = load_replies(path)
        self.prompts_dir = prompts or Prompts()
        self.prompts: list[str] = []
        self.problems: list[str] = []

    def _next_reply(self, qualname: str) -> str | None:
        for i, entry in enumerate(self.replies):
            if entry.get("target") in (None, qualname):
                return str(self.replies.pop(i)["reply"])
        return None

    def propose(self, request: Request) -> list[Candidate]:
        target = request.target
        system, prompt = render_request(self.prompts_dir, request)
        self.prompts.append(prompt)
        usage = Usage(prompt_chars=len(system) + len(prompt))  # what a real model would have been sent
        out: list[Candidate] = []
        repairs = 0
        while len(out) < request.n and repairs <= MAX_REPAIRS:
            reply = self._next_reply(target.qualname)
            if reply is None:
                break
            try:
                code, rationale = checked_code(reply, target.qualname)
            except ReplyError as exc:
                self.problems.append(str(exc))
                repairs += 1
                continue
            out.append(Candidate(target=target, new_source=code, rationale=rationale, origin=self.name, usage=usage))
        return out
