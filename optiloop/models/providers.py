"""The wire: one chat completion through the official OpenAI or Anthropic SDK.

The SDKs' own retries are turned off (``max_retries=0``): ``ChatModel`` retries itself, so that it can
count retries, cap waits and stop at once on a rejected key. Errors become ``Transient`` (worth
another try: 429, 5xx, timeouts, unreadable bodies) or ``RunFailure`` (a clear stop). Messages never
quote a key or a response body that might echo one.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol, TypeVar

from optiloop.errors import RunFailure
from optiloop.models.cache import Completion

Message = dict[str, str]
T = TypeVar("T")
MAX_TOKENS = 4096


class Transient(Exception):
    """A failure worth retrying; ``retry_after`` is the server's Retry-After in seconds, if it sent one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Transport(Protocol):
    provider: str  # "openai" or "anthropic": which wire format
    model: str
    key_hint: str  # how to fix a rejected key

    def complete(self, system: str, messages: list[Message]) -> Completion: ...


def retry_after(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    raw = headers.get("retry-after")
    try:
        if ms is not None:
            return max(0.0, float(ms) / 1000)
        if raw is not None:
            return max(0.0, float(raw))
    except ValueError:
        parsed = email.utils.parsedate_tz(raw) if raw else None
        if parsed is not None:
            return max(0.0, email.utils.mktime_tz(parsed) - time.time())
    return None


def _call(sdk: ModuleType, what: str, key_hint: str, timeout: float, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except sdk.APITimeoutError:
        raise Transient(f"{what} did not answer within {timeout:g} s") from None
    except sdk.APIConnectionError:
        raise Transient(f"cannot connect to {what}") from None
    except sdk.APIStatusError as exc:
        status = int(exc.status_code)
        if status in (401, 403):
            raise RunFailure(f"{what} rejected the API key (HTTP {status})", key_hint) from None
        if status in (408, 409, 429) or status >= 500:
            raise Transient(f"{what} answered HTTP {status}", retry_after(exc.response.headers)) from None
        hint = "check the model name" if status == 404 else "check the model spec and --base-url"
        raise RunFailure(f"{what} refused the request (HTTP {status})", hint) from None
    except (sdk.APIResponseValidationError, ValueError) as exc:
        raise Transient(f"{what} sent a reply that is not valid JSON ({type(exc).__name__})") from None


class OpenAIChat:
    """Chat Completions, for ``openai:MODEL`` and ``openai-compatible:MODEL`` (with a base URL)."""

    provider = "openai"

    def __init__(self, model: str, api_key: str, base_url: str | None, timeout: float, key_hint: str) -> None:
        import openai

        self.model = model
        self.key_hint = key_hint
        self.timeout = timeout
        self.where = f"the OpenAI-compatible server at {base_url}" if base_url else "the OpenAI API"
        self._sdk = openai
        self._client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)

    def complete(self, system: str, messages: list[Message]) -> Completion:
        chat: list[Any] = [{"role": "system", "content": system}, *messages]
        resp = _call(self._sdk, self.where, self.key_hint, self.timeout,
                     lambda: self._client.chat.completions.create(model=self.model, messages=chat))
        choices = getattr(resp, "choices", None)
        if not choices:
            raise Transient(f"{self.where} sent a reply without choices")
        text = choices[0].message.content or ""
        usage = getattr(resp, "usage", None)
        return Completion(text, int(getattr(usage, "prompt_tokens", 0) or 0),
                          int(getattr(usage, "completion_tokens", 0) or 0))


class AnthropicChat:
    """Messages, for ``anthropic:MODEL`` (``ANTHROPIC_BASE_URL`` or ``--base-url`` point it elsewhere)."""

    provider = "anthropic"

    def __init__(self, model: str, api_key: str, base_url: str | None, timeout: float, key_hint: str) -> None:
        import anthropic

        self.model = model
        self.key_hint = key_hint
        self.timeout = timeout
        self.where = f"the Anthropic-compatible server at {base_url}" if base_url else "the Anthropic API"
        self._sdk = anthropic
        self._client = anthropic.Anthropic(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)

    def complete(self, system: str, messages: list[Message]) -> Completion:
        msgs: list[Any] = list(messages)
        resp = _call(self._sdk, self.where, self.key_hint, self.timeout,
                     lambda: self._client.messages.create(model=self.model, max_tokens=MAX_TOKENS, system=system,
                                                          messages=msgs))
        blocks = getattr(resp, "content", None) or []
        text = "".join(getattr(b, "text", "") for b in blocks if getattr(b, "type", "") == "text")
        usage = getattr(resp, "usage", None)
        return Completion(text, int(getattr(usage, "input_tokens", 0) or 0),
                          int(getattr(usage, "output_tokens", 0) or 0))
