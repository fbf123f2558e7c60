"""Language models through the real OpenAI and Anthropic SDKs, against a loopback server."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from optiloop.errors import BadInput, RunFailure
from optiloop.models import ModelOptions, Refine, Repair, Request, resolve
from optiloop.models.chat import ChatModel, RetryPolicy
from optiloop.models.providers import retry_after
from optiloop.targets import build_target
from optiloop.types import Hotspot, Target, Usage
from tests.models.fakeserver import FakeModelServer, Fault, Seen, serving

MODULE = "import math\n\n\ndef slow(xs):\n    return sorted(xs)[0]\n"
GOOD = "Use min: one pass, no sort.\n```python\ndef slow(xs):\n    return min(xs)\n```\n"
KEY = "sk-test-SECRET-0123456789"
PROVIDERS = ["openai-compatible", "anthropic"]


def target() -> Target:
    t = build_target(Hotspot("slow", "m.py", 4, 0.6, 0.7, ((5, 0.55),)), MODULE)
    assert t is not None
    return t


@pytest.fixture
def server() -> Iterator[FakeModelServer]:
    with serving() as s:
        yield s


def model(kind: str, server: FakeModelServer, tmp_path: Path, **more: object) -> ChatModel:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "ANTHROPIC_API_KEY": KEY, "OPENAI_API_KEY": KEY}
    base = f"{server.url}/v1" if kind != "anthropic" else server.url
    opts = ModelOptions(base_url=base, environ=env, request_timeout=float(more.pop("timeout", 5.0)),  # type: ignore[arg-type]
                        cache=bool(more.pop("cache", True)), **more)  # type: ignore[arg-type]
    m, _ = resolve(f"{kind}:fake-model", tmp_path, opts)
    assert isinstance(m, ChatModel)
    m.retry = RetryPolicy(attempts=3, base_delay=0.01, max_delay=2.0)
    return m


@pytest.mark.parametrize("kind", PROVIDERS)
def test_a_reply_becomes_a_candidate_with_its_usage(kind: str, server: FakeModelServer, tmp_path: Path) -> None:
    server.replies.append(GOOD)
    got = model(kind, server, tmp_path).propose(Request(target(), hint="xs is never empty"))
    assert [c.new_source for c in got] == ["def slow(xs):\n    return min(xs)\n"]
    assert got[0].rationale == "Use min: one pass, no sort." and got[0].origin == f"{kind}:fake-model"
    seen = server.requests[0]
    assert seen.path.endswith("/chat/completions" if kind != "anthropic" else "/messages")
    assert "return sorted(xs)[0]  # 55%" in seen.prompt and "xs is never empty" in seen.prompt
    assert "import math" in seen.prompt  # the target's context
    assert got[0].usage.input_tokens == len(seen.prompt) // 4 and got[0].usage.output_tokens == len(GOOD) // 4
    assert KEY not in seen.prompt


@pytest.mark.parametrize("kind", PROVIDERS)
def test_broken_replies_go_back_with_their_problem(kind: str, server: FakeModelServer, tmp_path: Path) -> None:
    server.replies += ["Here:\n```python\ndef slow(xs):\n    return min(", "```python\ndef fast(xs):\n    pass\n```",
                       GOOD]
    m = model(kind, server, tmp_path)
    got = m.propose(Request(target()))
    assert len(got) == 1 and len(server.requests) == 3
    assert "no fenced" in server.requests[1].last_user  # the truncated block
    assert "does not define `slow`" in server.requests[2].last_user
    assert server.requests[2].body["messages"][-2]["role"] == "assistant"
    assert m.spent().calls == 3


def test_at_most_two_repair_turns(server: FakeModelServer, tmp_path: Path) -> None:
    server.replies += ["no code"] * 5
    m = model("openai-compatible", server, tmp_path)
    assert m.propose(Request(target())) == []
    assert len(server.requests) == 3 and len(m.problems) == 3


@pytest.mark.parametrize("kind", PROVIDERS)
def test_retries_honour_retry_after_and_survive_faults(kind: str, server: FakeModelServer, tmp_path: Path) -> None:
    server.faults += [Fault(429, {"retry-after": "0.3"}), Fault(500), Fault(malformed=True)]
    server.replies.append(GOOD)
    waits: list[float] = []
    m = model(kind, server, tmp_path)
    m.retry = RetryPolicy(attempts=4, base_delay=0.01)
    m.sleep = waits.append
    assert len(m.propose(Request(target()))) == 1
    assert len(server.requests) == 4 and m.spent().retries == 3 and m.spent().calls == 1
    assert waits[0] == 0.3 and max(waits[1:]) < 0.1


def test_a_slow_reply_times_out_and_is_retried(server: FakeModelServer, tmp_path: Path) -> None:
    server.faults.append(Fault(delay=1.5))
    server.replies.append(GOOD)
    m = model("openai-compatible", server, tmp_path, timeout=0.5)
    assert len(m.propose(Request(target()))) == 1 and m.spent().retries == 1


def test_giving_up_after_the_retries_is_a_clear_stop(server: FakeModelServer, tmp_path: Path) -> None:
    server.faults += [Fault(503)] * 3
    with pytest.raises(RunFailure, match="kept failing after 3 tries: .* HTTP 503"):
        model("openai-compatible", server, tmp_path).propose(Request(target()))


def test_retry_after_forms() -> None:
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after({}) is None


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_a_rejected_key_stops_without_showing_it(kind: str, tmp_path: Path) -> None:
    with serving(key="the-right-key") as server:
        m = model(kind, server, tmp_path)
        with pytest.raises(RunFailure) as info:
            m.propose(Request(target()))
    assert "rejected the API key (HTTP 401)" in str(info.value) and KEY not in str(info.value)
    assert len(server.requests) == 1  # no retries on 401


def test_missing_keys_name_the_fix(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    with pytest.raises(BadInput, match="No key found for openai:gpt-4o — set OPENAI_API_KEY .*--model builtin"):
        resolve("openai:gpt-4o", tmp_path, ModelOptions(environ=env))
    with pytest.raises(BadInput, match="set ANTHROPIC_API_KEY"):
        resolve("anthropic:claude-sonnet-4-5", tmp_path, ModelOptions(environ=env))
    with pytest.raises(BadInput, match="set MY_KEY, or pass --model builtin"):
        resolve("openai:gpt-4o", tmp_path, ModelOptions(api_key_env="MY_KEY", environ=env))
    with pytest.raises(BadInput, match="--base-url"):
        resolve("openai-compatible:llama3", tmp_path, ModelOptions(environ=env))
    # a local server needs no key
    m, _ = resolve("openai-compatible:llama3", tmp_path, ModelOptions(base_url="http://127.0.0.1:9/v1", environ=env))
    assert m.name == "openai-compatible:llama3"
    with pytest.raises(BadInput, match="no price is known for openai:my-finetune"):
        resolve("openai:my-finetune", tmp_path, ModelOptions(max_cost=1.0, environ={**env, "OPENAI_API_KEY": "k"}))


def test_the_key_from_api_key_env_is_sent(server: FakeModelServer, tmp_path: Path) -> None:
    server.replies.append(GOOD)
    env = {"XDG_CACHE_HOME": str(tmp_path), "LOCAL_LLM_KEY": KEY}
    m, _ = resolve("openai-compatible:x", tmp_path, ModelOptions(api_key_env="LOCAL_LLM_KEY",
                                                                 base_url=f"{server.url}/v1", environ=env))
    m.propose(Request(target()))
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_candidates_in_parallel_and_duplicates_dropped(server: FakeModelServer, tmp_path: Path) -> None:
    def respond(seen: Seen) -> str:
        if "attempt 1)" in seen.prompt:
            return GOOD
        if "attempt 2)" in seen.prompt:
            return "Same, reformatted.\n```python\ndef slow(xs):\n    # one pass\n    return min( xs )\n```"
        return "Unchanged.\n```python\ndef slow(xs):\n    return sorted(xs)[0]\n```"

    server.respond = respond
    m = model("openai-compatible", server, tmp_path)
    got = m.propose(Request(target(), n=3))
    assert len(server.requests) == 3 and m.spent().calls == 3
    assert [c.new_source for c in got] == ["def slow(xs):\n    return min(xs)\n"]
    assert "Prefer a different idea" in server.requests[1].prompt or "Prefer a different idea" in server.requests[
        2].prompt


def test_the_cache_makes_a_rerun_free(server: FakeModelServer, tmp_path: Path) -> None:
    server.replies.append(GOOD)
    first = model("anthropic", server, tmp_path).propose(Request(target()))
    again = model("anthropic", server, tmp_path)
    noisier = build_target(Hotspot("slow", "m.py", 4, 0.58, 0.69, ((5, 0.53),)), MODULE)  # the next run's profile
    assert noisier is not None
    cached = again.propose(Request(noisier))
    assert [c.new_source for c in cached] == [first[0].new_source] and cached[0].usage == Usage()
    assert len(server.requests) == 1 and again.spent().cache_hits == 1 and again.spent().cost_usd == 0
    rows = sqlite3.connect(tmp_path / "cache" / "optiloop" / "replies.sqlite3").execute(
        "SELECT key, text FROM replies").fetchall()
    assert len(rows) == 1 and KEY not in repr(rows)
    uncached = model("anthropic", server, tmp_path, cache=False)
    server.replies.append(GOOD)
    uncached.propose(Request(target()))
    assert len(server.requests) == 2


def test_repair_and_refine_prompts(server: FakeModelServer, tmp_path: Path) -> None:
    server.respond = lambda seen: GOOD
    m = model("openai-compatible", server, tmp_path)
    t = target()
    m.propose(Request(t, repair=Repair("def slow(xs):\n    return xs[0]\n", "tests: AssertionError: 3 != 1")))
    assert "AssertionError: 3 != 1" in server.requests[-1].prompt and "return xs[0]" in server.requests[-1].prompt
    from optiloop.verify.gate import OVERFITTED
    m.propose(Request(t, repair=Repair("def slow(xs):\n    return 1\n", f"held-out calls: {OVERFITTED}")))
    assert "not on other real calls from the same workload" in server.requests[-1].prompt
    assert "replay of real calls from the workload gave different results" not in server.requests[-1].prompt
    faster = build_target(Hotspot("slow", "m.py", 4, 0.2, 0.2, ((5, 0.18),)),
                          "import math\n\n\ndef slow(xs):\n    return min(xs)\n")
    assert faster is not None
    m.propose(Request(faster, refine=Refine(t, 1.8)))
    prompt = server.requests[-1].prompt
    assert "1.80x faster" in prompt and "return sorted(xs)[0]  # 55%" in prompt and "return min(xs)  # 18%" in prompt
    m.propose(Request(faster, refine=Refine(t, 1.03, committed=False, reason="not significant")))
    prompt = server.requests[-1].prompt
    assert "1.03x faster, which was not enough to be accepted\n(not significant)" in prompt
    assert "return min(xs)  # 18%" in prompt


def test_prompts_dir_overrides_only_what_it_holds(server: FakeModelServer, tmp_path: Path) -> None:
    mine = tmp_path / "prompts"
    mine.mkdir()
    (mine / "system.j2").write_text("You are terse. Target: {{ target.qualname }}\n")
    server.replies.append(GOOD)
    model("openai-compatible", server, tmp_path, prompts=str(mine)).propose(Request(target()))
    assert server.requests[0].body["messages"][0]["content"] == "You are terse. Target: slow\n"
    assert "Make `slow` in `m.py` faster." in server.requests[0].last_user  # shipped optimize.j2
    (mine / "optimize.j2").write_text("{{ no_such_variable }}")
    with pytest.raises(BadInput, match="optimize.j2 cannot be rendered"):
        model("openai-compatible", server, tmp_path, prompts=str(mine)).propose(Request(target()))
    with pytest.raises(BadInput, match="does not exist"):
        model("openai-compatible", server, tmp_path, prompts=str(tmp_path / "nope"))


def test_cache_keys_leave_out_what_differs_between_runs() -> None:
    from optiloop.models import Feedback
    from optiloop.models.chat import without_numbers

    def request(heat: float, sha: str, seconds: str) -> Request:
        t = build_target(Hotspot("slow", "m.py", 4, heat, heat, ((5, heat),)), MODULE)
        assert t is not None
        return Request(t, (Feedback("x", "idea", f"accepted as {sha}"), Feedback("x", "other", "slower: 0.8x")),
                       repair=Repair("def slow(xs): ...", f"tests: Ran 2 tests in {seconds}\nFAILED"))

    one = without_numbers(request(0.61, "0d6ee5b16cac", "0.004s"))
    assert one == without_numbers(request(0.58, "86b8c58775ab", "0.007s"))
    assert one != without_numbers(Request(target()))
