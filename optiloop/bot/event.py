"""Which pull request a bot run is about: from flags, or from the GitHub Actions event payload.

In GitHub Actions, ``GITHUB_EVENT_NAME``, ``GITHUB_EVENT_PATH`` and ``GITHUB_REPOSITORY`` say which
event started the job; a ``pull_request`` payload holds the PR's number and its base and head commits.
Flags win over the payload. ``pull_request_target`` is refused: it runs with a write token and
secrets, so checking out and running the PR's code there hands both to whoever opened the PR.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optiloop.errors import BadInput

REPO_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class PullRequest:
    """The pull request a run is about. ``base``/``head`` are what git is given (refs or shas);
    ``head_ref`` is the PR's branch name (where a suggestion PR goes), when known."""

    base: str
    head: str
    repo: str | None = None  # OWNER/NAME of the repository the PR is opened against
    number: int | None = None
    fork: bool = False  # the PR's branch lives in another repository
    head_ref: str | None = None
    event: str = ""  # GITHUB_EVENT_NAME, when run by GitHub Actions

    @property
    def on_github(self) -> bool:
        return self.repo is not None and self.number is not None


def in_actions(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def read_payload(env: Mapping[str, str]) -> dict[str, Any]:
    """The event payload GitHub Actions wrote to ``GITHUB_EVENT_PATH``; {} outside Actions."""
    where = env.get("GITHUB_EVENT_PATH")
    if not where:
        return {}
    try:
        data = json.loads(Path(where).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"cannot read the GitHub event payload {where}: {exc}",
                       "run inside GitHub Actions, or unset GITHUB_EVENT_PATH and pass --base/--head") from None
    return data if isinstance(data, dict) else {}


def _obj(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def pull_request(
    env: Mapping[str, str],
    base: str | None = None,
    head: str | None = None,
    repo: str | None = None,
    number: int | None = None,
) -> PullRequest:
    """The pull request from the flags, filled in from the Actions event where a flag is missing."""
    event = env.get("GITHUB_EVENT_NAME", "")
    if event == "pull_request_target":
        raise BadInput("optiloop pr does not run on pull_request_target",
                       "trigger the workflow on pull_request: pull_request_target would run the PR's code "
                       "with a write token and the repository's secrets")
    payload = read_payload(env) if event.startswith("pull_request") else {}
    pr = _obj(payload, "pull_request")
    pr_base, pr_head = _obj(pr, "base"), _obj(pr, "head")
    base_repo = _obj(pr_base, "repo")
    head_repo = _obj(pr_head, "repo") or None
    repo = repo or _str(env.get("GITHUB_REPOSITORY")) or _str(base_repo.get("full_name"))
    if repo is not None and not REPO_NAME.match(repo):
        raise BadInput(f"'{repo}' is not a repository name", "pass --repo OWNER/NAME")
    if number is None and isinstance(pr.get("number"), int):
        number = pr["number"]
    if number is not None and number < 1:
        raise BadInput(f"--pr {number} is not a pull request number", "pass the number shown on GitHub, e.g. --pr 12")
    if number is not None and repo is None:
        raise BadInput(f"--pr {number} given without a repository", "pass --repo OWNER/NAME as well")
    fork = False
    if pr:
        # a PR whose head repository was deleted has head.repo = null: treat it as a fork
        fork = head_repo is None or head_repo.get("full_name") != base_repo.get("full_name")
    base = base or _str(pr_base.get("sha"))
    head = head or _str(pr_head.get("sha")) or "HEAD"
    if base is None:
        raise BadInput("no base commit given", "pass --base REF (e.g. --base origin/main), or run on a "
                       "pull_request event in GitHub Actions")
    return PullRequest(base, head, repo, number, fork, _str(pr_head.get("ref")), event)
