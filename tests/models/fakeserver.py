"""A loopback model server for tests: OpenAI Chat Completions and Anthropic Messages on one port.

It serves scripted replies (``replies``, in order, then ``respond(prompt)``), and injects faults queued
in ``faults`` before them: an HTTP status with headers (429 with Retry-After, 500, 401), a reply slower
than the client's timeout, or a body that is not JSON. Token counts are chars/4 of what was sent and
returned, reported in each wire format's usage fields. Every request is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# a reply that makes test_run's dedupe project much faster (several e2e tests use it)
SET_REPLY = '''Keep a set beside the list: membership becomes O(1).
```python
def dedupe(items):
    """Items in first-seen order, without repeats."""
    seen = set()
    out = []
    for x in items:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out
```
'''


@dataclass
class Fault:
    status: int = 0  # an error status to answer with
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (past the client's timeout)
    malformed: bool = False  # answer 200 with a body that is not JSON


def tokens(text: str) -> int:
    return max(1, len(text) // 4)


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def prompt(self) -> str:
        """Everything the model was told: system prompt and all messages."""
        system = self.body.get("system", "")
        parts = [system if isinstance(system, str) else json.dumps(system)]
        parts += [m["content"] if isinstance(m["content"], str) else json.dumps(m["content"])
                  for m in self.body.get("messages", [])]
        return "\n".join(parts)

    @property
    def last_user(self) -> str:
        content = self.body["messages"][-1]["content"]
        return content if isinstance(content, str) else json.dumps(content)


class FakeModelServer:
    def __init__(self, respond: Callable[[Seen], str] | None = None, key: str | None = None) -> None:
        self.respond = respond
        self.key = key  # when set, other keys get 401 (with the key they sent echoed in the body)
        self.faults: list[Fault] = []
        self.replies: list[str] = []
        self.requests: list[Seen] = []
        self.errors: list[str] = []  # exceptions raised by respond()
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeModelServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, seen: Seen) -> Fault | str:
        with self.lock:
            self.requests.append(seen)
            if self.faults:
                return self.faults.pop(0)
            if self.replies:
                return self.replies.pop(0)
        if self.respond is None:
            return Fault(status=500)
        return self.respond(seen)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                sent_key = seen.headers.get("x-api-key") or seen.headers.get("authorization", "")[7:]
                if server.key is not None and sent_key != server.key:
                    with server.lock:
                        server.requests.append(seen)
                    err = {"error": {"type": "authentication_error", "message": f"Incorrect API key: {sent_key}"}}
                    self.send(401, json.dumps(err).encode())
                    return
                try:
                    action = server._next(seen)
                except Exception as exc:  # a bug in the test's respond(): answer 500 and keep it for the test
                    server.errors.append(f"{type(exc).__name__}: {exc}")
                    action = Fault(status=500)
                if isinstance(action, Fault):
                    time.sleep(action.delay)
                    if action.malformed:
                        self.send(200, b'{"choices": [ {"message": ')
                    elif action.status:
                        err = {"type": "error", "error": {"type": "api_error", "message": f"fault {action.status}"}}
                        self.send(action.status, json.dumps(err).encode(), action.headers)
                    else:
                        self.send(200, server.wire(seen, "```python\ndef late():\n    pass\n```"))
                    return
                self.send(200, server.wire(seen, action))

        return Handler

    def wire(self, seen: Seen, text: str) -> bytes:
        model = seen.body.get("model", "?")
        used_in, used_out = tokens(seen.prompt), tokens(text)
        if seen.path.endswith("/messages"):
            return json.dumps({
                "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
                "usage": {"input_tokens": used_in, "output_tokens": used_out},
            }).encode()
        return json.dumps({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": used_in, "completion_tokens": used_out, "total_tokens": used_in + used_out},
        }).encode()


@contextmanager
def serving(respond: Callable[[Seen], str] | None = None, key: str | None = None) -> Iterator[FakeModelServer]:
    server = FakeModelServer(respond, key).start()
    try:
        yield server
    finally:
        server.stop()
