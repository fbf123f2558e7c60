"""What each MCP tool does to the run, on the worker's thread (``worker.Worker``).

A coding agent takes the model's place: ``evaluate`` builds a ``Candidate`` from a reply, read by the same parser
the models' replies go through (``models.reply.checked_code``), and hands it to ``Loop.attempt`` with its own
``decide`` hook, the way a person's session does. A candidate that passes every check and measures faster waits
in that hook, inside the loop, for the agent's ``commit``; the ``evaluate`` call answers meanwhile. Whatever else
the agent then does that changes the run (another evaluation, an undo) sets it aside first, recorded with why.

Everything the agent sends is bad input until shown otherwise: each refusal is one ``BadInput`` line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePosixPath

from optiloop.agent import results as r
from optiloop.agent.worker import Job, Worker, settle
from optiloop.app import Prepared
from optiloop.edit import normalized
from optiloop.errors import BadInput
from optiloop.models import Refine, Repair, Request
from optiloop.models.render import annotated, render_request
from optiloop.models.reply import ReplyError, checked_code
from optiloop.prompts import Prompts
from optiloop.record import Note, RunLog
from optiloop.report import render
from optiloop.report.terminal import noise_line
from optiloop.session.steer import NOTHING_TO_UNDO, Steering
from optiloop.types import Attempt, Candidate, Target

MAX_REPLY_CHARS = 200_000
MAX_RATIONALE_CHARS = 1_000
MAX_NAME_CHARS = 1_000
TARGETS_HINT = "call `profile` for the ranked targets: a candidate is evaluated for one of them"


def prompts_of(prepared: Prepared) -> Prompts:
    """The run's prompt templates (``--prompts DIR`` relative to the project, as the models read it)."""
    given = prepared.settings.prompts
    if not given:
        return Prompts()
    path = Path(given)
    return Prompts(path if path.is_absolute() else prepared.workspace.project_dir("baseline") / path)


class Agent(Steering):
    def __init__(self, prepared: Prepared, worker: Worker, author: Callable[[], str]) -> None:
        super().__init__(prepared)
        self.worker = worker
        self.author = author  # ``mcp:<client>``: the candidates' origin and their commits' Optiloop-Model
        self.prompts = prompts_of(prepared)
        self.notes = list(prepared.notes)
        self.loop.on_note = self.notes.append
        self.pending: Attempt | None = None  # verified and measured faster, waiting for ``commit``
        self._evaluating: Job | None = None
        self._committing: Job | None = None

    def open(self) -> None:
        """Measure the baseline and profile it (a resumed run takes back its attempts first)."""
        note = ("the candidates come from a coding agent over MCP (their origin: `mcp:` and the client's name); the "
                f"model {self.p.loop.s.model.name} is the one `optiloop run --resume` would go on with")
        self.p.journal.write(Note(text=note))
        self.begin()
        self.notes.extend(n for n in self.loop.s.profiler.notes if n not in self.notes)
        if (noise := self.loop.s.measurer.noise) is not None:
            self.notes.append(noise_line(noise))

    # -- the tools -------------------------------------------------------------------------------

    def show_profile(self, refresh: bool) -> r.ProfileResult:
        if refresh:
            self.reprofile("agent")
        profile = self.loop.profile
        assert profile is not None  # ``open`` profiled
        from optiloop.profiling.addressable import unreachable

        baseline = self.loop.baseline
        return r.ProfileResult(
            run_id=self.loop.run_id, branch=self.p.workspace.branch, measure=self._measure(),
            baseline_seconds=baseline.mean if baseline is not None else None,
            noise_floor=r.noise_floor(self.loop.s.measurer.noise), min_speedup=self.p.settings.min_speedup,
            samples=profile.samples, addressable_share=profile.addressable, not_addressable=r.elsewhere(profile),
            best_possible_speedup=r.best_possible(profile),
            unreachable=unreachable(profile, self.p.settings.min_speedup),
            targets=r.target_infos(self.targets(), self.attempts()), notes=self.notes)

    def show_context(self, name: str) -> r.ContextResult:
        target = self.target(name)
        system, prompt = render_request(self.prompts, self.request(target))
        rank = next((i for i, t in enumerate(self.targets(), 1) if t.key == target.key), 0)
        return r.ContextResult(target=r.target_info(rank, target, self.attempts()), source=target.source,
                               annotated_source=annotated(target), context=target.context,
                               covering_tests=list(target.covering_tests), contract=system, prompt=prompt)

    def candidate(self, name: str, reply: str, rationale: str) -> Candidate:
        """The candidate the agent sent, once everything about it is shown to be good input."""
        self._budget_left()
        target = self.target(name)
        why = self._rationale(rationale)
        code = self._code(reply, target)
        self._not_again(target, code)
        author = self.author()
        return Candidate(target, code, why, author, author=author)

    def evaluate(self, job: Job, candidate: Candidate) -> r.EvaluateResult:
        """Apply, verify and measure ``candidate``; an accepted one waits for ``commit`` (this job answers its
        caller first, then goes on waiting inside the loop)."""
        self._evaluating = job
        try:
            attempt = self.loop.attempt(candidate, self._hold)
        except BaseException as exc:
            committing, self._committing = self._committing, None
            if committing is not None:
                settle(committing.future, error=exc if isinstance(exc, Exception) else RuntimeError(
                    "the commit was interrupted"))
            raise
        finally:
            self._evaluating = None
            self.loop.s.progress.idle()
        committing, self._committing = self._committing, None
        if committing is not None:
            settle(committing.future, self._committed(attempt))
        return self._evaluated(attempt, awaiting=False)  # dropped when the call had its answer from ``_hold``

    def refuse_commit(self, number: int) -> r.CommitResult:
        """``commit`` of anything but the attempt that waits for it (that one ``_hold`` takes): why not."""
        waiting = f"; attempt {self.pending.number} is the one that waits for `commit`" if self.pending else ""
        done = {a.number: a for a in self.loop.attempts}
        a = done.get(number)
        if a is None:
            raise BadInput(f"there is no attempt {number}: {len(done)} attempt(s) so far{waiting}",
                           "commit the number `evaluate` returned")
        if a.accepted:
            raise BadInput(f"attempt {number} is committed already, as {a.commit}{waiting}")
        if a.declined and a.verdict is not None and a.verdict.accepted:  # measured faster, then set aside
            raise BadInput(f"attempt {number} was {a.declined}{waiting}",
                           "evaluate it again, then commit it before doing anything else")
        raise BadInput(f"attempt {number} was not accepted ({a.headline}); only an accepted attempt can be "
                       f"committed{waiting}", "read its feedback, and evaluate a better candidate")

    def can_undo(self) -> None:
        if not any(a.accepted for a in self.loop.attempts):
            raise BadInput(NOTHING_TO_UNDO)

    def drop_last(self) -> r.UndoResult:
        sha, gone = self.undo("the agent")
        self.reprofile("after-undo")
        ws = self.p.workspace
        return r.UndoResult(sha=sha, attempt=gone.number if gone else None, branch=ws.branch, head=ws.head(),
                            targets=r.target_infos(self.targets(), self.attempts()))

    def status(self) -> r.StatusResult:
        budget, s = self.loop.budget, self.p.settings
        attempts = [r.attempt_info(a, awaiting=False) for a in self.loop.attempts]
        if self.pending is not None:
            attempts.append(r.attempt_info(self.pending, awaiting=True))
        return r.StatusResult(
            run_id=self.loop.run_id, branch=self.p.workspace.branch, base=self.p.base_sha,
            head=self.p.workspace.head(), evaluations=len(self.loop.attempts), max_iterations=s.max_iterations,
            seconds=round(budget.clock() - budget.started, 3), time_budget=s.time_budget,
            budget_spent=budget.reason(len(self.loop.attempts)),
            awaiting_commit=self.pending.number if self.pending else None, attempts=attempts, notes=self.notes)

    def report(self) -> r.ReportResult:
        return r.ReportResult(run_id=self.loop.run_id, markdown=render(self.p.journal.dir, "md"))

    # -- an accepted candidate waits for the agent --------------------------------------------------

    def _hold(self, attempt: Attempt) -> str:
        """The loop's ``decide`` hook: answer the ``evaluate`` call, then serve the agent's calls until it
        commits this attempt ("") or does something that sets it aside (the reason recorded)."""
        self.pending = attempt
        if self._evaluating is not None:
            settle(self._evaluating.future, self._evaluated(attempt, awaiting=True))
        self.loop.s.progress.idle()
        try:
            while (job := self.worker.take()) is not None:
                if job.commits == attempt.number:
                    if job.future.set_running_or_notify_cancel():
                        self._committing = job
                        return ""
                elif job.changes:
                    try:
                        job.checked()  # bad input sets nothing aside
                    except Exception as exc:
                        settle(job.future, error=exc)
                        continue
                    self.worker.first(job)  # it runs once this attempt is recorded
                    return f"set aside by the agent, who went on to {job.name} without committing it"
                else:
                    self.worker.run(job)
            return "set aside: the agent closed the connection without committing it"
        finally:
            self.pending = None

    def _evaluated(self, attempt: Attempt, awaiting: bool) -> r.EvaluateResult:
        if awaiting:
            step = (f"verified and faster: call `commit` with attempt {attempt.number} to keep it; evaluating "
                    "another candidate or `undo` first sets it aside")
            return r.evaluated(attempt, True, None, step)
        target = self.fresh(attempt.candidate.target)
        feedback = render_request(self.prompts, self.request(target))[1]
        return r.evaluated(attempt, False, feedback, "read the feedback, then evaluate a better candidate for this "
                                                      "or another target (`context` shows one)")

    def _committed(self, attempt: Attempt) -> r.CommitResult:
        if attempt.commit is None:  # the loop ends an attempt it was told to commit only by raising
            raise BadInput(f"attempt {attempt.number} was not committed: {attempt.reason}")
        v = attempt.verdict
        ws = self.p.workspace
        return r.CommitResult(attempt=attempt.number, sha=attempt.commit, branch=ws.branch,
                              subject=str(ws.repo.commit(attempt.commit).summary),
                              speedup=v.speedup if v is not None else 1.0,
                              targets=r.target_infos(self.targets(), self.attempts()))

    # -- reading what the agent sent -------------------------------------------------------------

    def target(self, name: str) -> Target:
        """The hot target ``name`` (rank, dotted name, qualname or path::qualname), as the code is now."""
        name = name.strip()
        if len(name) > MAX_NAME_CHARS:
            raise BadInput(f"the target name is {len(name):,} characters long", TARGETS_HINT)
        path, sep, _ = name.partition("::")
        if sep:
            self._in_project(path)
        try:
            return self.fresh(self.find(name))
        except BadInput as exc:
            raise BadInput(exc.message, TARGETS_HINT) from None

    def _in_project(self, path: str) -> None:
        ws = self.p.workspace
        rel = PurePosixPath(path.replace("\\", "/"))
        project = ws.project_dir("baseline").resolve()
        try:
            where = (ws.tree_dir("baseline") / rel).resolve()
        except (OSError, ValueError):  # a NUL byte, a loop of links
            raise BadInput(f"`{path!r}` is not a path of the project", TARGETS_HINT) from None
        if rel.is_absolute() or ".." in rel.parts or (where != project and project not in where.parents):
            raise BadInput(f"`{path}` is outside the project",
                           "name files by their path from the repository root, as `profile` does")
        if not where.is_file():
            raise BadInput(f"there is no file `{path}` in the project", TARGETS_HINT)

    def _rationale(self, text: str) -> str:
        line = " ".join(text.split())
        if not line:
            raise BadInput("the rationale is empty", "say in one line what the candidate changes and why it is faster")
        if len(line) > MAX_RATIONALE_CHARS:
            raise BadInput(f"the rationale is {len(line):,} characters long; at most {MAX_RATIONALE_CHARS:,} are "
                           "accepted", "say in one line what the candidate changes and why it is faster")
        return line

    def _code(self, reply: str, target: Target) -> str:
        if len(reply) > MAX_REPLY_CHARS:
            raise BadInput(f"the reply is {len(reply):,} characters long; at most {MAX_REPLY_CHARS:,} are accepted",
                           "send only the new definition with the imports and helpers it needs")
        try:
            reply.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise BadInput(f"the reply is not text a source file can hold: {exc.reason} at character {exc.start}",
                           "send plain UTF-8 Python source") from None
        try:
            code, _ = checked_code(reply, target.qualname)
        except ReplyError as exc:
            raise BadInput(f"the reply cannot be used: {exc}",
                           "write it as the `contract` of `context` says (a fenced ```python block)") from None
        return code

    def _not_again(self, target: Target, code: str) -> None:
        same = normalized(code)
        for a in self.loop.attempts:
            c = a.candidate
            if c.target.key == target.key and c.target.module_source == target.module_source \
                    and normalized(c.new_source) == same:
                raise BadInput(f"this candidate was evaluated already, as attempt {a.number} ({a.headline})",
                               "evaluate a different change")

    def _budget_left(self) -> None:
        spent = self.loop.budget.reason(len(self.attempts()))
        if spent is not None:
            raise BadInput(f"no more evaluations in this run: {spent}",
                           "commit what is accepted and read `report`; a new `optiloop mcp` with a larger "
                           "--max-iterations or --time-budget goes on")

    # -- helpers ---------------------------------------------------------------------------------

    def attempts(self) -> list[Attempt]:
        return [*self.loop.attempts, *([self.pending] if self.pending is not None else [])]

    def request(self, target: Target) -> Request:
        """What a model would be asked for ``target`` now: its history, and a repair or refinement."""
        follow = self.loop.followups.pending.get(target.key)
        return Request(target, self.loop.history(target.key), None, 1,
                       follow if isinstance(follow, Repair) else None, follow if isinstance(follow, Refine) else None)

    def _measure(self) -> str:
        """The measure the run decided on at its start (``auto`` settles on one)."""
        started = RunLog.read(self.p.journal.dir).started
        return (started.measure if started is not None else "") or self.p.settings.measure
