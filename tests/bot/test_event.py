"""The pull request from flags or from a GitHub Actions event payload."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from optiloop.bot.event import pull_request
from optiloop.errors import BadInput


def payload(fork: bool = False, head_repo: bool = True) -> dict[str, Any]:
    base_repo = {"full_name": "octo/shop", "fork": False}
    return {
        "action": "synchronize",
        "number": 7,
        "pull_request": {
            "number": 7,
            "head": {"ref": "feature", "sha": "a" * 40,
                     "repo": ({"full_name": "someone/shop", "fork": True} if fork else base_repo) if head_repo
                     else None},
            "base": {"ref": "main", "sha": "b" * 40, "repo": base_repo},
        },
        "repository": base_repo,
    }


def actions_env(tmp_path: Path, data: dict[str, Any], event: str = "pull_request") -> dict[str, str]:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(data))
    return {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(path),
            "GITHUB_REPOSITORY": "octo/shop"}


def test_the_event_payload_gives_number_refs_and_branch(tmp_path: Path) -> None:
    pr = pull_request(actions_env(tmp_path, payload()))
    assert (pr.base, pr.head, pr.repo, pr.number, pr.fork, pr.head_ref) == (
        "b" * 40, "a" * 40, "octo/shop", 7, False, "feature")
    assert pr.on_github


def test_flags_win_over_the_payload(tmp_path: Path) -> None:
    pr = pull_request(actions_env(tmp_path, payload()), base="origin/main", head="HEAD", repo="me/fork", number=9)
    assert (pr.base, pr.head, pr.repo, pr.number) == ("origin/main", "HEAD", "me/fork", 9)


@pytest.mark.parametrize("head_repo", [True, False])
def test_a_fork_is_recognised_also_when_its_repository_is_gone(tmp_path: Path, head_repo: bool) -> None:
    assert pull_request(actions_env(tmp_path, payload(fork=True, head_repo=head_repo))).fork


def test_outside_actions_the_flags_are_all_there_is() -> None:
    pr = pull_request({}, base="main")
    assert (pr.base, pr.head, pr.on_github) == ("main", "HEAD", False)
    with pytest.raises(BadInput, match="no base commit"):
        pull_request({})
    with pytest.raises(BadInput, match="not a repository name"):
        pull_request({}, base="main", repo="just-a-name")
    with pytest.raises(BadInput, match="without a repository"):
        pull_request({}, base="main", number=3)


def test_pull_request_target_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="pull_request_target") as caught:
        pull_request(actions_env(tmp_path, payload(), "pull_request_target"))
    assert "secrets" in str(caught.value)
