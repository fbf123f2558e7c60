"""A language model behind a chat API: prompts, repair turns, retries, candidates in parallel, cache, cost.

For a request of ``n`` candidates, ``n`` conversations run in threads. Each sends the rendered prompt;
a reply that breaks the contract (no block, several blocks, the wrong definition, code that does not
parse) goes back with its precise problem, at most ``max_repairs`` times. Candidates whose normalised
code is the same are kept once. Every call is counted in ``spent()``; replies come from the cache
when the same conversation was had before, and then cost nothing. The cache key is the conversation
rendered without what differs a little on every run (line heat, shares, sample counts, speedups,
commit ids, test durations): a rerun on the same code hits the cache.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from optiloop.edit import normalized
from optiloop.errors import RunFailure
from optiloop.models.base import Request, Spend
from optiloop.models.cache import Completion, ReplyCache, cache_key
from optiloop.models.pricing import Price
from optiloop.models.providers import Message, Transient, Transport
from optiloop.models.render import render_problem, render_request
from optiloop.models.reply import ReplyError, checked_code
from optiloop.prompts import Prompts
from optiloop.types import Candidate, Target, Usage


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries of one call, the first included
    base_delay: float = 0.5  # first backoff without Retry-After, doubled each time
    max_delay: float = 30.0  # longest wait, Retry-After included


_NUMBERS = re.compile(r"\b[0-9a-f]{7,40}\b|\d+(?:\.\d+)?")  # commit ids, measured ratios, counts
_SECONDS = re.compile(r"\d+(?:\.\d+)?\s?s\b")  # durations in test output ("Ran 3 tests in 0.004s")


def _plain(target: Target) -> Target:
    """The target without profile numbers: no shares, no heat, and its context without the comment lines
    (the context's profile summary, callers and sample counts are comments)."""
    context = "\n".join(ln for ln in target.context.splitlines() if not ln.lstrip().startswith("#"))
    hotspot = replace(target.hotspot, self_frac=0.0, total_frac=0.0, line_heat=())
    return replace(target, hotspot=hotspot, context=context)


def without_numbers(request: Request) -> Request:
    """The request with the run-to-run noise of profiles and measurements taken out (for cache keys)."""
    refine = request.refine and replace(request.refine, original=_plain(request.refine.original), speedup=0.0,
                                        reason=_NUMBERS.sub("#", request.refine.reason))
    repair = request.repair and replace(request.repair, failure=_SECONDS.sub("#s", request.repair.failure))
    history = tuple(replace(h, outcome=_NUMBERS.sub("#", h.outcome)) for h in request.history)
    return replace(request, target=_plain(request.target), refine=refine, repair=repair, history=history)


class ChatModel:
    def __init__(
        self,
        name: str,
        transport: Transport,
        prompts: Prompts,
        price: Price | None = None,
        cache: ReplyCache | None = None,
        retry: RetryPolicy = RetryPolicy(),
        max_repairs: int = 2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.transport = transport
        self.prompts = prompts
        self.price = price
        self.cache = cache
        self.retry = retry
        self.max_repairs = max_repairs
        self.sleep = sleep
        self.problems: list[str] = []  # contract problems sent back to the model, for the record
        self._spend = Spend()
        self._lock = threading.Lock()

    def spent(self) -> Spend:
        with self._lock:
            return self._spend

    def _count(self, **more: float) -> None:
        with self._lock:
            fields = {k: getattr(self._spend, k) + v for k, v in more.items()}
            self._spend = replace(self._spend, **fields)

    # -- one call ------------------------------------------------------------------------------

    def _call(self, system: str, messages: list[Message], stable_prompt: str) -> tuple[Completion, Usage]:
        key = cache_key(self.transport.provider, self.transport.model, system, stable_prompt, messages[1:])
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self._count(cache_hits=1)
                return hit, Usage()
        completion = self._with_retries(system, messages)
        cost = self.price.cost(completion.input_tokens, completion.output_tokens) if self.price else 0.0
        self._count(calls=1, input_tokens=completion.input_tokens, output_tokens=completion.output_tokens,
                    cost_usd=cost)
        if self.cache is not None:
            self.cache.put(key, completion)
        sent = len(system) + sum(len(str(m["content"])) for m in messages)  # what went out (a cache hit sends none)
        return completion, Usage(completion.input_tokens, completion.output_tokens, cost, sent)

    def _with_retries(self, system: str, messages: list[Message]) -> Completion:
        last = ""
        for attempt in range(self.retry.attempts):
            try:
                return self.transport.complete(system, messages)
            except Transient as exc:
                last = str(exc)
                if attempt + 1 == self.retry.attempts:
                    break
                self._count(retries=1)
                backoff = self.retry.base_delay * 2**attempt * (1 + random.random() / 4)
                wait = exc.retry_after if exc.retry_after is not None else backoff
                self.sleep(min(wait, self.retry.max_delay))
        raise RunFailure(f"the model kept failing after {self.retry.attempts} tries: {last}",
                         "try again later, or pass --model builtin")

    # -- one conversation ----------------------------------------------------------------------

    def _converse(self, request: Request, sample: int) -> Candidate | None:
        system, prompt = render_request(self.prompts, request, sample)
        stable_prompt = render_request(self.prompts, without_numbers(request), sample)[1]
        messages: list[Message] = [{"role": "user", "content": prompt}]
        total = Usage()
        for _turn in range(self.max_repairs + 1):
            completion, usage = self._call(system, messages, stable_prompt)
            total = Usage(total.input_tokens + usage.input_tokens, total.output_tokens + usage.output_tokens,
                          total.cost_usd + usage.cost_usd, total.prompt_chars or usage.prompt_chars)  # the first
            try:
                code, rationale = checked_code(completion.text, request.target.qualname)
            except ReplyError as exc:
                with self._lock:
                    self.problems.append(str(exc))
                messages = [*messages, {"role": "assistant", "content": completion.text},
                            {"role": "user", "content": render_problem(self.prompts, request, str(exc))}]
                continue
            return Candidate(request.target, code, rationale, self.name, total)
        return None

    def propose(self, request: Request) -> list[Candidate]:
        n = max(1, request.n)
        if n == 1:
            found = [self._converse(request, 0)]
        else:
            with ThreadPoolExecutor(max_workers=min(n, 8), thread_name_prefix="optiloop-model") as pool:
                found = list(pool.map(lambda i: self._converse(request, i), range(n)))
        out: list[Candidate] = []
        seen = {normalized(request.target.source)}
        for candidate in found:
            if candidate is None:
                continue
            form = normalized(candidate.new_source)
            if form not in seen:
                seen.add(form)
                out.append(candidate)
        return out
