"""A loopback GitHub REST server for the PR bot's tests: the endpoints the bot uses, with state.

It keeps pull requests and issue comments of one repository, answers with the shapes GitHub's REST
API answers with (comment and pull-request objects with ids, urls, users, timestamps; ``Link`` headers
for pages), records every request, and fails on demand: ``fail("GET", "/pulls/7", 404)`` answers the
next matching request with that status and a GitHub-style error body (a queue per rule).
``read_outputs`` reads a step's ``$GITHUB_OUTPUT`` file the way the Actions runner does.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

STAMP = "2026-11-24T06:00:00Z"
MESSAGES = {
    401: "Bad credentials",
    403: "Resource not accessible by integration",
    404: "Not Found",
    422: "Validation Failed",
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class FakeGitHub:
    repo: str = "octo/shop"
    url: str = ""
    per_page: int = 100  # page size the server uses (smaller than asked, to test pagination)
    requests: list[Seen] = field(default_factory=list)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    faults: list[tuple[str, str, int]] = field(default_factory=list)  # (method, path suffix, status)
    next_id: int = 1000
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- set-up ------------------------------------------------------------------------------------

    def add_pull(self, number: int, head_ref: str, base_ref: str = "main", head_sha: str = "0" * 40,
                 base_sha: str = "1" * 40, fork: bool = False) -> dict[str, Any]:
        head_repo = self._repo_obj("someone/shop" if fork else self.repo, fork)
        pull = {
            "url": f"{self.url}/repos/{self.repo}/pulls/{number}",
            "id": 500000 + number,
            "node_id": f"PR_kw{number}",
            "html_url": f"https://github.example/{self.repo}/pull/{number}",
            "number": number,
            "state": "open",
            "locked": False,
            "title": f"Pull request {number}",
            "user": self._user("contributor"),
            "body": "",
            "created_at": STAMP,
            "updated_at": STAMP,
            "draft": False,
            "head": {"label": f"{head_repo['owner']['login']}:{head_ref}", "ref": head_ref, "sha": head_sha,
                     "user": head_repo["owner"], "repo": head_repo},
            "base": {"label": f"{self.repo.split('/')[0]}:{base_ref}", "ref": base_ref, "sha": base_sha,
                     "user": self._user(self.repo.split("/")[0]), "repo": self._repo_obj(self.repo, False)},
        }
        self.pulls.append(pull)
        return pull

    def add_comment(self, number: int, body: str, login: str = "someone") -> dict[str, Any]:
        self.next_id += 1
        comment = {
            "url": f"{self.url}/repos/{self.repo}/issues/comments/{self.next_id}",
            "html_url": f"https://github.example/{self.repo}/pull/{number}#issuecomment-{self.next_id}",
            "issue_url": f"{self.url}/repos/{self.repo}/issues/{number}",
            "id": self.next_id,
            "node_id": f"IC_kw{self.next_id}",
            "user": self._user(login),
            "created_at": STAMP,
            "updated_at": STAMP,
            "author_association": "CONTRIBUTOR",
            "body": body,
        }
        self.comments.setdefault(number, []).append(comment)
        return comment

    def fail(self, method: str, path_suffix: str, status: int, times: int = 1) -> None:
        self.faults += [(method, path_suffix, status)] * times

    def seen(self, method: str | None = None) -> list[Seen]:
        return [r for r in self.requests if method is None or r.method == method]

    # -- answers -------------------------------------------------------------------------------------

    def _user(self, login: str) -> dict[str, Any]:
        return {"login": login, "id": abs(hash(login)) % 100000, "type": "Bot" if "[bot]" in login else "User",
                "html_url": f"https://github.example/{login}"}

    def _repo_obj(self, full_name: str, fork: bool) -> dict[str, Any]:
        owner = full_name.split("/")[0]
        return {"id": abs(hash(full_name)) % 100000, "name": full_name.split("/")[1], "full_name": full_name,
                "owner": self._user(owner), "private": False, "fork": fork,
                "html_url": f"https://github.example/{full_name}"}

    def handle(self, seen: Seen) -> tuple[int, Any, dict[str, str]]:
        for i, (method, suffix, status) in enumerate(self.faults):
            if method == seen.method and seen.path.endswith(suffix):
                del self.faults[i]
                body: dict[str, Any] = {"message": MESSAGES.get(status, "Error"),
                                        "documentation_url": "https://docs.github.com/rest"}
                if status == 422:
                    body["errors"] = [{"resource": "PullRequest", "code": "custom",
                                       "message": "A pull request already exists for octo:optiloop/pr-7."}]
                return status, body, {}
        prefix = f"/repos/{self.repo}"
        if not seen.path.startswith(prefix):
            return 404, {"message": "Not Found"}, {}
        rest = seen.path[len(prefix):]
        if match := re.fullmatch(r"/pulls/(\d+)", rest):
            found = [p for p in self.pulls if p["number"] == int(match.group(1))]
            return (200, found[0], {}) if found and seen.method == "GET" else (404, {"message": "Not Found"}, {})
        if match := re.fullmatch(r"/issues/(\d+)/comments", rest):
            number = int(match.group(1))
            if seen.method == "POST":
                assert seen.body is not None
                return 201, self.add_comment(number, seen.body["body"], "github-actions[bot]"), {}
            return self._page(self.comments.get(number, []), seen)
        if match := re.fullmatch(r"/issues/comments/(\d+)", rest):
            cid = int(match.group(1))
            for comment in (c for cs in self.comments.values() for c in cs):
                if comment["id"] == cid and seen.method == "PATCH":
                    assert seen.body is not None
                    comment["body"] = seen.body["body"]
                    comment["updated_at"] = "2026-11-24T07:00:00Z"
                    return 200, comment, {}
            return 404, {"message": "Not Found"}, {}
        if rest == "/pulls" and seen.method == "GET":
            pulls = [p for p in self.pulls if p["state"] == seen.query.get("state", "open")
                     and ("head" not in seen.query or p["head"]["label"] == seen.query["head"])]
            return self._page(pulls, seen)
        if rest == "/pulls" and seen.method == "POST":
            assert seen.body is not None
            number = max([p["number"] for p in self.pulls] + [0]) + 1
            pull = self.add_pull(number, seen.body["head"], seen.body["base"])
            pull["title"], pull["body"] = seen.body["title"], seen.body.get("body", "")
            pull["user"] = self._user("github-actions[bot]")
            return 201, pull, {}
        return 404, {"message": "Not Found"}, {}

    def _page(self, items: list[dict[str, Any]], seen: Seen) -> tuple[int, Any, dict[str, str]]:
        size = min(int(seen.query.get("per_page", "30")), self.per_page)
        page = int(seen.query.get("page", "1"))
        chunk = items[(page - 1) * size: page * size]
        headers = {}
        if page * size < len(items):
            query = "&".join(f"{k}={v}" for k, v in {**seen.query, "page": str(page + 1)}.items())
            last = "&".join(f"{k}={v}" for k, v in {**seen.query, "page": str(-(-len(items) // size))}.items())
            headers["Link"] = (f'<{self.url}{seen.path}?{query}>; rel="next", '
                               f'<{self.url}{seen.path}?{last}>; rel="last"')
        return 200, chunk, headers


def _handler(state: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            path = parts.path.removeprefix("/api/v3")  # served as GitHub Enterprise serves its API
            seen = Seen(self.command, path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                        {k.lower(): v for k, v in self.headers.items()}, json.loads(raw) if raw else None)
            with state.lock:
                state.requests.append(seen)
                status, body, headers = state.handle(seen)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve(repo: str = "octo/shop") -> Iterator[FakeGitHub]:
    state = FakeGitHub(repo)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/v3"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def read_outputs(path: Path) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` read the way the Actions runner reads it (``name=value`` or ``name<<DELIM``)."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").split("\n"))
    for line in lines:
        if "<<" in line:
            name, delimiter = line.split("<<", 1)
            outputs[name] = "\n".join(iter(lambda: next(lines), delimiter))
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs
