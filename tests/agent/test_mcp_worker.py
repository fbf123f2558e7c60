"""The worker that runs the MCP server's jobs on the main thread, and the relay of their progress."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import wait

import pytest

from optiloop.agent.relay import Relay
from optiloop.agent.worker import Abandoned, Closed, Job, Worker


@pytest.fixture
def restore_sigint() -> Iterator[None]:
    """``Worker.install`` takes SIGINT on this (the main) thread, as in `optiloop mcp`; given back afterwards."""
    assert threading.current_thread() is threading.main_thread()
    before = signal.getsignal(signal.SIGINT)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def from_another_thread(*steps: object) -> threading.Thread:
    def run() -> None:
        for step in steps:
            step()  # type: ignore[operator]

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_jobs_run_in_order_on_the_serving_thread_and_their_outcomes_reach_the_futures() -> None:
    worker = Worker()
    ran: list[tuple[str, threading.Thread]] = []

    def fail() -> None:
        raise ValueError("bad")

    jobs = [Job("a", lambda: ran.append(("a", threading.current_thread())) or 1),
            Job("b", fail), Job("c", lambda: ran.append(("c", threading.current_thread())) or 3)]
    thread = from_another_thread(*(lambda j=j: worker.submit(j) for j in jobs),
                                 lambda: wait([j.future for j in jobs]), worker.close)
    worker.serve()
    thread.join()
    assert [name for name, _ in ran] == ["a", "c"] and {t for _, t in ran} == {threading.main_thread()}
    assert jobs[0].future.result() == 1 and jobs[2].future.result() == 3
    with pytest.raises(ValueError, match="bad"):
        jobs[1].future.result()
    late = worker.submit(Job("late", lambda: 4))
    with pytest.raises(Closed):
        late.result()


def test_a_job_may_serve_the_jobs_that_come_while_it_waits() -> None:
    """As an accepted candidate waits for `commit`: it answers its caller, runs what comes, puts one back."""
    worker = Worker()
    order: list[str] = []
    status = Job("status", lambda: order.append("status"))
    commit = Job("commit", lambda: order.append("commit"), commits=1)
    outer = Job("evaluate", lambda: None)

    def evaluate() -> str:
        outer.future.set_result("answered early")
        while (job := worker.take()) is not None:
            if job.commits == 1:
                worker.first(job)
                return "done"
            worker.run(job)
        return "closed"

    outer.fn = evaluate
    thread = from_another_thread(lambda: worker.submit(outer), lambda: outer.future.result(),
                                 lambda: worker.submit(status), lambda: status.future.result(),
                                 lambda: worker.submit(commit), lambda: commit.future.result(), worker.close)
    worker.serve()
    thread.join()
    assert outer.future.result() == "answered early" and order == ["status", "commit"]


def test_a_cancelled_job_is_dropped_while_it_waits_and_interrupted_while_it_runs(restore_sigint: None) -> None:
    stopped: list[str] = []
    worker = Worker(on_abandon=lambda: stopped.append("reset"))
    worker.install()
    started = threading.Event()

    def long() -> None:
        started.set()
        while True:
            time.sleep(0.01)

    running, waiting, after = Job("long", long), Job("waiting", lambda: 1), Job("after", lambda: 2)
    thread = from_another_thread(lambda: worker.submit(running), lambda: worker.submit(waiting),
                                 lambda: worker.submit(after), started.wait, lambda: worker.abandon(waiting),
                                 lambda: worker.abandon(running), lambda: after.future.result(), worker.close)
    worker.serve()
    thread.join()
    with pytest.raises(Abandoned, match="cancelled and stopped"):
        running.future.result()
    with pytest.raises(Abandoned, match="waiting was cancelled"):
        waiting.future.result()
    assert after.future.result() == 2 and stopped == ["reset"]


def test_closing_stops_the_job_that_runs_and_serving_ends(restore_sigint: None) -> None:
    worker = Worker()
    worker.install()
    started = threading.Event()

    def long() -> None:
        started.set()
        while True:
            time.sleep(0.01)

    job = Job("long", long)
    thread = from_another_thread(lambda: worker.submit(job), started.wait, worker.close)
    worker.serve()
    thread.join()
    with pytest.raises(Closed, match="long was interrupted"):
        job.future.result()


def test_an_interrupt_for_a_job_that_has_ended_is_not_followed_into_the_next(restore_sigint: None) -> None:
    worker = Worker()
    worker.install()
    first = Job("first", lambda: None)
    worker.run(first)
    worker._target = first  # as when ``abandon`` sent it just as the job ended
    signal.raise_signal(signal.SIGINT)  # arrives late: dropped
    second = Job("second", lambda: 2)
    worker.run(second)
    assert second.future.result() == 2
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C from outside still stops
        signal.raise_signal(signal.SIGINT)


def test_the_relay_sends_each_step_as_one_line_to_the_calls_waiting_now() -> None:
    relay = Relay()
    early = relay.listen()
    relay.stage("candidate", "pkg/core.py::dedupe", 2)
    relay.doing("measuring")
    late = relay.listen()  # starts waiting mid-stage: hears where the work is
    relay.step(3, 12)
    relay.forget(early)
    relay.stage("profiling")
    assert early.drain() == ["candidate 2 · pkg/core.py::dedupe", "candidate 2 · pkg/core.py::dedupe · measuring",
                             "candidate 2 · pkg/core.py::dedupe · measuring round 3/12"]
    assert late.drain() == ["candidate 2 · pkg/core.py::dedupe · measuring",
                            "candidate 2 · pkg/core.py::dedupe · measuring round 3/12", "profiling"]
    assert late.drain() == []
