"""The GitHub REST client against a loopback server that mimics GitHub's endpoints and failures."""

from __future__ import annotations

import pytest

from optiloop.bot.github import GitHub
from optiloop.bot.pr import MARKER, Posted, publish
from optiloop.errors import RunFailure
from tests.bot.fakegithub import serve

TOKEN = "ghs_secretvalue123"


def client(url: str, waits: list[float] | None = None) -> GitHub:
    return GitHub("octo/shop", TOKEN, url, sleep=(waits.append if waits is not None else lambda s: None))


def test_sends_the_token_and_api_headers_and_pages_through_comments() -> None:
    with serve() as gh:
        gh.per_page = 2
        gh.add_pull(7, "feature")
        for i in range(5):
            gh.add_comment(7, f"comment {i}")
        with client(gh.url) as api:
            bodies = [c["body"] for c in api.comments(7)]
        assert bodies == [f"comment {i}" for i in range(5)]
        pages = gh.seen("GET")
        assert [r.query.get("page", "1") for r in pages] == ["1", "2", "3"]
        assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in pages)
        assert pages[0].headers["accept"] == "application/vnd.github+json"
        assert pages[0].headers["x-github-api-version"] == "2022-11-28"


def test_publish_updates_the_marked_comment_instead_of_adding_one() -> None:
    with serve() as gh:
        gh.per_page = 1
        gh.add_comment(7, "LGTM")
        with client(gh.url) as api:
            first = publish(api, 7, f"{MARKER}\nfirst")
            second = publish(api, 7, f"{MARKER}\nsecond")
            nothing = publish(api, 8, f"{MARKER}\nnone", create=False)
        assert (first.action, second.action) == ("created", "updated")
        assert nothing == Posted("")
        assert [c["body"] for c in gh.comments[7]] == ["LGTM", f"{MARKER}\nsecond"]
        assert len(gh.seen("POST")) == 1 and len(gh.seen("PATCH")) == 1


@pytest.mark.parametrize(("status", "words"), [
    (401, "not a valid token"),
    (403, "pull-requests: write"),
    (404, "comments of #7 not found"),
    (422, "A pull request already exists"),
])
def test_failures_are_one_line_naming_the_fix(status: int, words: str) -> None:
    with serve() as gh:
        gh.fail("GET", "/issues/7/comments", status)
        with client(gh.url) as api, pytest.raises(RunFailure) as caught:
            api.comments(7)
    text = str(caught.value)
    assert words in text
    assert f"failed with {status}" in text
    assert "\n" not in text and TOKEN not in text


def test_server_errors_are_retried_with_backoff_then_reported() -> None:
    with serve() as gh:
        gh.add_pull(7, "feature")
        gh.fail("GET", "/pulls/7", 502, times=2)
        waits: list[float] = []
        with client(gh.url, waits) as api:
            assert api.pull(7)["head"]["ref"] == "feature"
        assert len(gh.seen("GET")) == 3 and len(waits) == 2 and waits[0] < waits[1]

        gh.fail("POST", "/issues/7/comments", 503, times=3)
        with client(gh.url) as api, pytest.raises(RunFailure) as caught:
            api.create_comment(7, "hello")
        assert "failed with 503 3 times" in str(caught.value) and "rerun" in str(caught.value)
        assert gh.comments.get(7) is None


def test_an_unreachable_api_is_one_line() -> None:
    with serve() as gh:
        url = gh.url
    with client(url) as api, pytest.raises(RunFailure) as caught:
        api.pull(7)
    assert "cannot be reached" in str(caught.value) and "GITHUB_API_URL" in str(caught.value)


def test_open_pulls_filters_by_head_branch_and_create_pull_posts_one() -> None:
    with serve() as gh:
        gh.add_pull(7, "feature")
        with client(gh.url) as api:
            assert api.open_pulls("optiloop/pr-7") == []
            made = api.create_pull("t", "optiloop/pr-7", "feature", "b")
            assert [p["number"] for p in api.open_pulls("optiloop/pr-7")] == [made["number"]]
        posted = gh.seen("POST")[0].body
        assert posted is not None and posted["base"] == "feature" and posted["head"] == "optiloop/pr-7"
        assert gh.seen("GET")[0].query["head"] == "octo:optiloop/pr-7"
