"""``optiloop mcp``: one repository's run served to a coding agent over MCP on stdio (the official SDK's
``MCPServer``).

The server runs on a thread of its own; the run's work runs on the main thread (``worker.Worker``), one job at a
time. Each tool call submits a job and waits for it, sending what the stages report (``relay.Relay``) as progress
notifications. The run is opened (``app.prepare``, or ``app.resume``) by the first job, so the client's handshake
never waits for the baseline. A problem opening it is one line on stderr and the answer to every tool call.

Closing the connection stops whatever runs (as Ctrl-C stops a run) and ends the run as an interrupted one:
``optiloop run --resume <id>`` (or ``optiloop mcp --resume <id>``) takes it back.
"""

from __future__ import annotations

import re
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio
import git
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, InputRequiredResult, ToolAnnotations
from pydantic import Field, ValidationError

from optiloop import __version__
from optiloop.agent import results as r
from optiloop.agent.relay import Relay
from optiloop.agent.tools import MAX_NAME_CHARS, MAX_RATIONALE_CHARS, MAX_REPLY_CHARS, Agent
from optiloop.agent.worker import Job, Worker
from optiloop.errors import OptiloopError, RunFailure
from optiloop.prompts import Prompts
from optiloop.record import Note

T = TypeVar("T")
POLL = 0.1  # seconds between looks at a job (and at the progress it reported)
CLOSED = "interrupted"  # how a run ends when the connection closes: resumable, like one stopped by Ctrl-C
READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)

TargetArg = Annotated[str, Field(
    description="The target: its rank in `profile`, its dotted name, or path::qualname as `profile` gives it.",
    json_schema_extra={"maxLength": MAX_NAME_CHARS})]
ReplyArg = Annotated[str, Field(
    description="The candidate exactly as a model would reply: a fenced ```python block with the complete new "
                "definition of the target, optionally preceded by the imports and module-level helpers it needs "
                "(see the `contract` of `context`).",
    json_schema_extra={"maxLength": MAX_REPLY_CHARS})]
RationaleArg = Annotated[str, Field(
    description="One line: the one hypothesis this candidate tests (what it changes and why that is faster).",
    json_schema_extra={"maxLength": MAX_RATIONALE_CHARS})]
RefreshArg = Annotated[bool, Field(description="Profile the workload again (the branch as it is now) first.")]
AttemptArg = Annotated[int, Field(description="The attempt number `evaluate` returned.", ge=1)]


class OptiloopMCP(MCPServer[Any]):
    """``MCPServer`` whose argument errors are one line: the argument and what is wrong with it."""

    async def call_tool(self, name: str, arguments: dict[str, Any],
                        context: Context[Any, Any] | None = None) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if not isinstance(cause, ValidationError):
                raise
            what = "; ".join(f"`{'.'.join(str(p) for p in e['loc'])}`: {e['msg']}" for e in cause.errors()[:3])
            raise ToolError(f"bad arguments for {name}: {what}") from None


class Service:
    """The tools, as the server calls them: each one a job on the worker."""

    def __init__(self, open_run: Callable[[Relay], Any]) -> None:
        self.worker = Worker(on_abandon=self._abandoned)
        self.relay = Relay()
        self.open_run = open_run
        self.agent: Agent | None = None
        self.failure: OptiloopError | None = None
        self.client = "agent"
        self.mcp = OptiloopMCP("optiloop", version=__version__, instructions=Prompts().render("agent"),
                               log_level="WARNING")  # stderr: optiloop's own lines, not one per tool error
        add = self.mcp.add_tool
        add(self.profile, title="Profile", annotations=READ, structured_output=True)
        add(self.context, title="Context of a target", annotations=READ, structured_output=True)
        add(self.evaluate, title="Evaluate a candidate", annotations=WRITE, structured_output=True)
        add(self.commit, title="Commit an accepted attempt", annotations=WRITE, structured_output=True)
        add(self.undo, title="Undo the last commit", annotations=WRITE, structured_output=True)
        add(self.status, title="Status", annotations=READ, structured_output=True)
        add(self.report, title="Report", annotations=READ, structured_output=True)

    # -- the tools (their docstrings are their descriptions) ------------------------------------

    async def profile(self, ctx: Context[Any, Any], refresh: RefreshArg = False) -> r.ProfileResult:
        """The project's hot definitions, ranked by the share of the workload's time a rewrite of each could
        remove, with their hottest lines; the baseline, the noise floor, the time outside the project's own code
        and the best speedup any rewrite could reach (Amdahl). Call it first. `refresh` profiles again."""
        return await self._call(ctx, "profile", lambda a: a.show_profile(refresh), r.ProfileResult)

    async def context(self, ctx: Context[Any, Any], target: TargetArg) -> r.ContextResult:
        """One target: its source with line heat, its callers and callees, the tests that cover it, what a
        candidate may change (`contract`), and what a model would be asked for it now, with the outcomes of the
        earlier attempts (`prompt`)."""
        return await self._call(ctx, "context", lambda a: a.show_context(target), r.ContextResult)

    async def evaluate(self, ctx: Context[Any, Any], target: TargetArg, reply: ReplyArg,
                       rationale: RationaleArg) -> r.EvaluateResult:
        """Try one candidate: it is applied to the run's branch (never to the user's checkout), checked (the
        reward-hack detector, real calls of the target replayed, the covering tests, the full test suite, the
        workload's output) and measured against the current code, interleaved. Returns the attempt number, every
        check with its result, the verdict (speedup, confidence interval, Amdahl) and, on rejection, the feedback
        a model would get. An accepted attempt waits for `commit`. Takes minutes; progress is reported."""
        job = Job("evaluate", lambda: None, changes=True,
                  check=lambda: self._agent().candidate(target, reply, rationale))
        job.fn = lambda: self._agent().evaluate(job, job.checked())
        return await self._run(ctx, job, r.EvaluateResult)

    async def commit(self, ctx: Context[Any, Any], attempt: AttemptArg) -> r.CommitResult:
        """Commit the accepted attempt on the run's branch (only an accepted one, right after its `evaluate`),
        with its evidence in the message; the new code is profiled again. Returns the sha."""
        return await self._run(ctx, Job("commit", lambda: self._agent().refuse_commit(attempt), commits=attempt),
                               r.CommitResult)

    async def undo(self, ctx: Context[Any, Any]) -> r.UndoResult:
        """Remove the last commit of this run from its branch and profile again."""
        return await self._run(ctx, Job("undo", lambda: self._agent().drop_last(), changes=True,
                                            check=lambda: self._agent().can_undo()), r.UndoResult)

    async def status(self, ctx: Context[Any, Any]) -> r.StatusResult:
        """The attempts so far and their outcomes, the budget spent (evaluations, seconds) and what is left."""
        return await self._call(ctx, "status", lambda a: a.status(), r.StatusResult)

    async def report(self, ctx: Context[Any, Any]) -> r.ReportResult:
        """The run so far as Markdown: the accepted speedups with their evidence, and every attempt."""
        return await self._call(ctx, "report", lambda a: a.report(), r.ReportResult)

    # -- calling the worker ----------------------------------------------------------------------

    async def _call(self, ctx: Context[Any, Any], name: str, fn: Callable[[Agent], T], out: type[T]) -> T:
        return await self._run(ctx, Job(name, lambda: fn(self._agent())), out)

    async def _run(self, ctx: Context[Any, Any], job: Job, out: type[T]) -> T:
        self._know_client(ctx)
        listener = self.relay.listen()
        future = self.worker.submit(job)
        sent = 0
        try:
            while not future.done():
                await anyio.sleep(POLL)
                for line in listener.drain():
                    sent += 1
                    await ctx.report_progress(sent, None, line)
        except anyio.get_cancelled_exc_class():
            self.worker.abandon(job)
            raise
        finally:
            self.relay.forget(listener)
        error = future.exception()
        if error is not None:
            raise ToolError(one_line(error)) from None
        result = future.result()
        assert isinstance(result, out), result
        return result

    def _agent(self) -> Agent:
        if self.failure is not None:
            raise OptiloopError(f"optiloop could not open the run: {self.failure}")
        assert self.agent is not None  # the first job opens the run or records why it could not
        return self.agent

    def _know_client(self, ctx: Context[Any, Any]) -> None:
        """The client's name, for the candidates' origin (``mcp:<name>``)."""
        params = getattr(ctx.session, "client_params", None)
        name = getattr(getattr(params, "client_info", None), "name", "") or ""
        cleaned = re.sub(r"[^\w.-]+", "-", name).strip("-")[:40]
        if cleaned:
            self.client = cleaned

    def _abandoned(self) -> None:
        if self.agent is not None:
            self.agent.p.workspace.reset_git()  # the interrupt may have killed gitpython's helpers

    # -- the run's life --------------------------------------------------------------------------

    def open(self) -> None:
        """The first job: open the run, measure the baseline and profile it. What fails is said on stderr once
        and answers every tool call from then on."""
        try:
            self.agent = Agent(self.open_run(self.relay), self.worker, lambda: f"mcp:{self.client}")
            self.agent.open()
            print(f"optiloop: run {self.agent.loop.run_id} is open on branch {self.agent.p.workspace.branch}",
                  file=sys.stderr, flush=True)
        except Exception as exc:
            self.failure = exc if isinstance(exc, OptiloopError) else RunFailure(one_line(exc))
            print(f"optiloop: {self.failure}", file=sys.stderr, flush=True)
        finally:
            self.relay.idle()


def one_line(error: BaseException) -> str:
    """An error as the one line an MCP error carries; a bug is named as one, its traceback kept in a file."""
    from optiloop.cli.common import crash_log

    if isinstance(error, OptiloopError):
        return str(error)
    if isinstance(error, git.GitCommandError):
        return f"git failed: {' '.join(map(str, error.command))}: {str(error.stderr).strip()}"
    if isinstance(error, OSError):
        return f"{error.strerror or error}" + (f": {error.filename}" if error.filename else "")
    log = crash_log(error)
    saved = f"the traceback is in {log}" if log else "the traceback could not be saved"
    return f"internal error: {type(error).__name__}: {error} — this is a bug in optiloop; {saved}"


def serve(path: Path, flags: Mapping[str, Any], allow_dirty: bool = False, resume_id: str | None = None) -> int:
    """Serve the run until the client closes the connection; the exit code (2 when the run could not open)."""
    from optiloop import app

    def open_run(relay: Relay) -> app.Prepared:
        if resume_id is not None:
            return app.resume(path, resume_id, finished_ok=True, progress=relay)
        return app.prepare(path, flags, allow_dirty=allow_dirty, mode="mcp", progress=relay)

    service = Service(open_run)
    service.worker.install()
    signal.signal(signal.SIGTERM, _stop)  # a client that gives up waiting: stop as Ctrl-C stops a run
    thread = threading.Thread(target=_serve_stdio, args=(service,), name="optiloop-mcp", daemon=True)
    thread.start()  # the handshake goes on while the run opens; tool calls wait for it
    try:
        service.worker.run(Job("open", service.open))
        service.worker.serve()
    except KeyboardInterrupt:
        if not service.worker.closed:
            raise
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):  # the run is wound up now: let nothing cut that short
            signal.signal(sig, signal.SIG_IGN)
        if service.agent is not None:
            _close_run(service.agent, str(service.failure) if service.failure is not None else CLOSED)
    return service.failure.exit_code if service.failure is not None else 0


def _serve_stdio(service: Service) -> None:
    try:
        anyio.run(service.mcp.run_stdio_async)
    except Exception as exc:  # the transport broke: the run ends as if the connection had closed
        print(f"optiloop: the MCP connection failed: {one_line(exc)}", file=sys.stderr, flush=True)
    finally:
        service.worker.close()


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _close_run(agent: Agent, error: str) -> None:
    """The connection is gone: the run ends as an interrupted one (or with the error that kept it from starting),
    resumable, with its record and reports."""
    from optiloop.app import finish
    from optiloop.report import write_reports

    p = agent.p
    p.journal.write(Note(text=f"the agent's connection closed; `optiloop run --resume {p.loop.run_id}` or "
                            f"`optiloop mcp --resume {p.loop.run_id}` goes on with this run"))
    try:
        finish(p, p.loop.summary(), error)
    finally:
        write_reports(p.journal.dir)
