"""A small GitHub REST client: the few endpoints the PR bot uses, on one kept HTTP connection.

The token comes from ``GITHUB_TOKEN`` and the API root from ``GITHUB_API_URL`` (GitHub Enterprise:
``https://HOST/api/v3``). Every failure becomes a ``RunFailure`` whose one line names the fix; a 5xx
answer or a dropped connection is retried a couple of times with a short backoff first. The token is
sent only to the API root's host and never appears in a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx2

from optiloop.errors import RunFailure

DEFAULT_API = "https://api.github.com"
BACKOFF = (0.5, 1.5)  # seconds before the second and the third try of a failed request
TIMEOUT = 30.0
MAX_PAGES = 50


def _link_next(header: str) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header, if any."""
    for part in header.split(","):
        url, _, params = part.partition(";")
        if 'rel="next"' in params.replace(" ", ""):
            return url.strip().strip("<>")
    return None


def _github_said(response: httpx2.Response) -> str:
    """GitHub's own message for a failed request, with the field errors of a 422."""
    try:
        data = response.json()
    except ValueError:
        return response.text.strip().splitlines()[0][:200] if response.text.strip() else response.reason_phrase
    if not isinstance(data, dict):
        return response.reason_phrase
    said = str(data.get("message") or response.reason_phrase)
    details = []
    for item in data.get("errors") or ():
        if isinstance(item, dict):
            details.append(str(item.get("message") or " ".join(f"{k}={v}" for k, v in item.items())))
        else:
            details.append(str(item))
    return f"{said} ({'; '.join(details)})" if details else said


class GitHub:
    """The REST endpoints of one repository (``OWNER/NAME``)."""

    def __init__(self, repo: str, token: str, api_url: str = DEFAULT_API,
                 sleep: Callable[[float], None] = time.sleep, backoff: tuple[float, ...] = BACKOFF) -> None:
        self.repo = repo
        self.api_url = api_url.rstrip("/")
        self.sleep = sleep
        self.backoff = backoff
        self._client = httpx2.Client(
            base_url=self.api_url,
            headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
                     "User-Agent": "optiloop-pr-bot", "Authorization": f"Bearer {token}"},
            timeout=TIMEOUT,
            follow_redirects=False,
        )

    @classmethod
    def from_env(cls, repo: str, env: Mapping[str, str]) -> GitHub | None:
        """A client when ``GITHUB_TOKEN`` is set; None without a token."""
        token = env.get("GITHUB_TOKEN", "").strip()
        if not token:
            return None
        return cls(repo, token, env.get("GITHUB_API_URL") or DEFAULT_API)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> GitHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the endpoints ---------------------------------------------------------------------------

    def pull(self, number: int) -> dict[str, Any]:
        return self._object("GET", f"/repos/{self.repo}/pulls/{number}", what=f"pull request #{number}")

    def comments(self, number: int) -> list[dict[str, Any]]:
        """Every comment of the PR's conversation, all pages."""
        return self._pages(f"/repos/{self.repo}/issues/{number}/comments", f"comments of #{number}")

    def create_comment(self, number: int, body: str) -> dict[str, Any]:
        return self._object("POST", f"/repos/{self.repo}/issues/{number}/comments", {"body": body},
                            what=f"a comment on #{number}")

    def update_comment(self, comment_id: int, body: str) -> dict[str, Any]:
        return self._object("PATCH", f"/repos/{self.repo}/issues/comments/{comment_id}", {"body": body},
                            what=f"comment {comment_id}")

    def open_pulls(self, head: str) -> list[dict[str, Any]]:
        """Open pull requests whose head is ``head`` (a branch of this repository)."""
        owner = self.repo.split("/")[0]
        return self._pages(f"/repos/{self.repo}/pulls", f"pull requests from {head}",
                           {"state": "open", "head": f"{owner}:{head}"})

    def create_pull(self, title: str, head: str, base: str, body: str) -> dict[str, Any]:
        return self._object("POST", f"/repos/{self.repo}/pulls",
                            {"title": title, "head": head, "base": base, "body": body,
                             "maintainer_can_modify": True},
                            what=f"a pull request from {head} into {base}")

    # -- plumbing --------------------------------------------------------------------------------

    def _object(self, method: str, path: str, payload: dict[str, Any] | None = None,
                what: str = "") -> dict[str, Any]:
        data = self._request(method, path, what, payload).json()
        if not isinstance(data, dict):
            raise RunFailure(f"GitHub API: {method} {path} answered with something other than an object",
                             f"check that GITHUB_API_URL ({self.api_url}) is a GitHub REST API root")
        return data

    def _pages(self, path: str, what: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        url: str | None = path
        query: dict[str, str] | None = {**(params or {}), "per_page": "100"}
        for _ in range(MAX_PAGES):
            if url is None:
                break
            response = self._request("GET", url, what, params=query)
            page = response.json()
            if not isinstance(page, list):
                raise RunFailure(f"GitHub API: GET {path} answered with something other than a list",
                                 f"check that GITHUB_API_URL ({self.api_url}) is a GitHub REST API root")
            items.extend(p for p in page if isinstance(p, dict))
            url, query = _link_next(response.headers.get("link", "")), None  # the next link keeps the query
            if url is not None and not self._same_host(url):
                raise RunFailure(f"GitHub API: the next page of {what} is on another host ({urlsplit(url).netloc})",
                                 "optiloop sends the token to GITHUB_API_URL's host only")
        return items

    def _same_host(self, url: str) -> bool:
        return urlsplit(url).netloc == urlsplit(self.api_url).netloc

    def _request(self, method: str, url: str, what: str, payload: dict[str, Any] | None = None,
                 params: dict[str, str] | None = None) -> httpx2.Response:
        waits = [*self.backoff, None]
        for wait in waits:
            try:
                response = self._client.request(method, url, json=payload, params=params)
            except httpx2.TransportError as exc:
                if wait is None:
                    raise RunFailure(f"GitHub API at {self.api_url} cannot be reached ({type(exc).__name__}: "
                                     f"{exc})", "check GITHUB_API_URL and the network") from None
                self.sleep(wait)
                continue
            if response.status_code >= 500 and wait is not None:
                self.sleep(wait)
                continue
            if response.status_code >= 400:
                raise self._failure(method, url, what, response)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _failure(self, method: str, url: str, what: str, response: httpx2.Response) -> RunFailure:
        status = response.status_code
        said = _github_said(response)
        where = f"GitHub API: {method} {urlsplit(url).path or url} failed with {status}"
        if status == 401:
            return RunFailure(f"{where}: {said}", "GITHUB_TOKEN is not a valid token for this API; pass a "
                              "fresh one (in Actions: GITHUB_TOKEN: ${{ github.token }})")
        if status == 403 or status == 429:
            if response.headers.get("x-ratelimit-remaining") == "0" or status == 429:
                return RunFailure(f"{where}: rate limited ({said})", "wait for the rate limit to reset, then rerun")
            return RunFailure(f"{where}: {said}", "the token lacks permission: give the workflow "
                              "`permissions: pull-requests: write` (and `contents: write` with --push)")
        if status == 404:
            return RunFailure(f"{where}: {what} not found",
                              f"check --repo ({self.repo}) and --pr, and that the token can see the repository")
        if status == 422:
            return RunFailure(f"{where}: GitHub said: {said}", "fix what GitHub names above and rerun")
        if status >= 500:
            return RunFailure(f"{where} {len(self.backoff) + 1} times: {said}",
                              "GitHub is having trouble; rerun the job later")
        return RunFailure(f"{where}: {said}", "check the token, --repo and --pr")
