"""What one ``optiloop pr`` did, as JSON for ``--json`` (``pr-schema.json``, in the style of the run
report's ``schema.json``, whose report it embeds as ``run``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optiloop.bot.changed import Key
from optiloop.bot.event import PullRequest
from optiloop.bot.pr import Posted, Regression

SCHEMA_VERSION = 1


@dataclass
class PrOutcome:
    """Filled in as ``optiloop pr`` goes; ``data()`` is its JSON."""

    request: PullRequest
    head: str = ""  # the head commit's sha, once resolved
    changed: set[Key] = field(default_factory=set)
    hot: set[Key] = field(default_factory=set)
    run_dir: Path | None = None  # the run's record, when a run was made
    accepted: int = 0
    regression: Regression | None = None
    comment: str = ""  # the comment's Markdown
    posted: Posted | None = None  # None: not posted (no GitHub)
    suggestion: str = ""
    skipped: str = ""  # why nothing was done at all (a fork), else ""
    notes: list[str] = field(default_factory=list)

    def data(self) -> dict[str, Any]:
        from optiloop.report.jsonreport import report_data, verdict_data
        from optiloop.report.record import RunRecord

        pr = self.request
        return {
            "schema_version": SCHEMA_VERSION,
            "pull_request": {"repo": pr.repo, "number": pr.number, "base": pr.base, "head": self.head or pr.head,
                             "fork": pr.fork},
            "skipped": self.skipped,
            "changed": [{"path": p, "qualname": q, "hot": (p, q) in self.hot} for p, q in sorted(self.changed)],
            "run": report_data(RunRecord.load(self.run_dir)) if self.run_dir is not None else None,
            "accepted": self.accepted,
            "regression": None if self.regression is None else {
                "base": self.regression.base, "head": self.regression.head, "skipped": self.regression.skipped,
                "allowed": self.regression.allowed, "fails": self.regression.fails(),
                "line": self.regression.line(), "verdict": verdict_data(self.regression.verdict)},
            "comment": {"body": self.comment, "posted": bool(self.posted and self.posted.action),
                        "action": self.posted.action if self.posted else "",
                        "url": self.posted.url if self.posted else ""},
            "suggestion": self.suggestion,
            "notes": list(self.notes),
        }  # fmt: skip
