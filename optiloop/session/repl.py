"""The interactive session: a person drives the loop one candidate at a time.

Every candidate goes through ``Loop.step`` or ``Loop.attempt``, so it is applied, verified and measured
like any other; the person's say comes through the loop's ``decide`` hook, which is called only for a
measured speedup, before the commit. Every command typed is recorded as a ``session_command`` event.
"""

from __future__ import annotations

import posixpath
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from rich.console import Console
from rich.syntax import Syntax
from rich.text import Text

from optiloop.app import Prepared, finish
from optiloop.edit import normalized, unified_diff
from optiloop.edit.sites import outside
from optiloop.errors import BadInput, RunFailure
from optiloop.journal import RECORD_DIR
from optiloop.record import Proposed, RunLog, SessionCommand
from optiloop.report.terminal import noise_line, summary_table
from optiloop.session.commands import BY_NAME, Parsed, UnknownCommand, parse
from optiloop.session.steer import NOTHING_TO_UNDO, Steering
from optiloop.session.terminal import Say, edit_files, line_editing, open_editor
from optiloop.session.view import help_table, hotspot_table, show_attempt, target_name
from optiloop.types import HUMAN, Attempt, Candidate, RunSummary, Target, Verdict

HISTORY_FILE = "session_history"
EDITED = "edited by a person"
REJECTED = "rejected by the person"
WrapUp = Callable[[Prepared, RunSummary], Verdict | None]


class Session(Steering):
    def __init__(self, prepared: Prepared, console: Console, progress: Say,
                 read_line: Callable[[str], str] = input) -> None:
        super().__init__(prepared)
        self.console = console
        self.progress = progress
        self.read_line = read_line
        self.hint: str | None = None
        self.target: Target | None = None  # the target `retry` and `edit` work on
        self.shown: Attempt | None = None  # the candidate on screen
        self.after: tuple[str, Attempt] | None = None  # edit/retry asked for while deciding
        self.quitting = False
        self.save_history: Callable[[], None] = lambda: None
        self.interrupted = False  # Ctrl-C came during the command being run

    # -- the session as a whole ---------------------------------------------------------------

    def run(self, wrap_up: WrapUp | None = None) -> tuple[RunSummary, Verdict | None]:
        """Start (or continue) the loop, read commands until quit, then finish the run. ``wrap_up`` runs
        before the worktrees go (the whole run's speedup, as ``optiloop run`` measures it); its verdict
        is returned with the summary."""
        summary: RunSummary | None = None
        total: Verdict | None = None
        error: str | None = None
        try:
            self.start()
            with line_editing(self.p.repo_root / RECORD_DIR / HISTORY_FILE, self.completion_names) as save:
                self.save_history = save
                while not self.quitting:
                    self.dispatch(self.read("optiloop> "))
            self.loop.stop_reason = "the person ended the session"
            summary = self.loop.summary()
            total = wrap_up(self.p, summary) if wrap_up is not None else None
        except BaseException as exc:  # whatever ended the session is recorded
            error = str(exc) or type(exc).__name__
            raise
        finally:
            finish(self.p, summary if summary is not None else self.loop.summary(), error)
        return summary, total

    def start(self) -> None:
        self.loop.on_note = lambda note: self.progress(f"note: {note}")
        for note in self.p.notes:
            self.progress(f"note: {note}")
        self.progress(f"session {self.loop.run_id}: working on branch {self.p.workspace.branch}")
        self.take_back()
        if self.loop.attempts:
            self.console.print(summary_table(self.loop.summary()))
        if self.loop.profile is None:
            self.progress("measuring the baseline and profiling the workload ...")
            self.loop.start()
        for note in self.loop.s.profiler.notes:
            self.progress(f"note: {note}")
        noise = self.loop.s.measurer.noise
        if noise is not None:
            self.progress(noise_line(noise))
        if self.loop.baseline is not None:
            self.progress(f"baseline: {self.loop.baseline.mean:.3f} s per workload run")
        self.show_targets("initial")
        self.say("Pick a target with `pick N` (or `next` to let optiloop pick); `help` lists the commands.")

    def read(self, prompt: str) -> Parsed:
        """The next command; Ctrl-C cancels the line, Ctrl-D is quit. Each command goes to the record."""
        while True:
            try:
                line = self.read_line(prompt)
            except KeyboardInterrupt:
                self.console.print("^C")
                self.after_interrupt()
                continue
            except EOFError:
                self.console.print()
                line = "quit"
            try:
                parsed = parse(line)
            except UnknownCommand as exc:
                self.say(str(exc))
                continue
            if parsed is not None:
                self.save_history()
                self.p.journal.write(SessionCommand(command=parsed.command, argument=parsed.argument))
                return parsed

    def after_interrupt(self) -> None:
        """Ctrl-C reaches every process of the terminal's foreground group, the long-lived `git cat-file`
        helpers of gitpython among them: clearing gitpython's cache has it start new ones when needed."""
        self.p.workspace.reset_git()

    def say(self, text: str, style: str = "") -> None:
        self.console.print(Text(text, style=style))

    # -- commands -----------------------------------------------------------------------------

    def dispatch(self, cmd: Parsed) -> None:
        handler = getattr(self, f"do_{cmd.command}", None)
        if handler is None:  # pragma: no cover - every command has a handler
            raise AssertionError(cmd.command)
        try:
            with self.noticing_interrupts():
                handler(cmd.argument)
        except (KeyboardInterrupt, BrokenPipeError) as exc:  # a git helper a Ctrl-C killed: start new ones
            self.after_interrupt()
            if isinstance(exc, KeyboardInterrupt) or self.interrupted:  # a Ctrl-C Python swallowed in a __del__
                self.say("interrupted: that step was abandoned; nothing more is tried until you say so", "yellow")
            else:  # an earlier Ctrl-C killed the helper
                self.say("git was interrupted under that command; run it again", "yellow")
        except RunFailure as exc:  # e.g. the model service failed: the session goes on, the person decides
            self.say(f"optiloop: {exc}", "bold red")

    @contextmanager
    def noticing_interrupts(self) -> Iterator[None]:
        """Ctrl-C raises KeyboardInterrupt as always, and is also noted: one that lands in a destructor is
        swallowed by Python, and the command then fails on the git helper the same Ctrl-C killed."""
        self.interrupted = False
        if threading.current_thread() is not threading.main_thread():  # only the main thread gets signals
            yield
            return

        def interrupt(signum: int, frame: FrameType | None) -> None:
            self.interrupted = True
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGINT, interrupt)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def do_pick(self, arg: str) -> None:
        target = self.resolve(arg)
        if target is not None:
            self.target = target
            self.follow(self.step(target))

    def do_next(self, arg: str) -> None:
        self.follow(self.step(None))

    def do_retry(self, arg: str) -> None:
        if self.target is None:
            self.say("no target yet: `pick N` chooses one, `next` lets optiloop choose")
            return
        self.follow(self.step(self.target))

    def do_accept(self, arg: str) -> None:
        a = self.shown
        if a is None:
            self.say("there is no candidate to accept yet: `pick N` or `next` asks for one")
        elif a.accepted:
            self.say(f"candidate {a.number} is already committed as {str(a.commit)[:10]}")
        else:
            self.say(f"candidate {a.number} cannot be accepted: {a.headline} — nothing a person does bypasses "
                     "verification or measurement; try `edit`, `retry` or a `hint`", "bold red")

    def do_reject(self, arg: str) -> None:
        a = self.shown
        if a is None:
            self.say("there is no candidate to reject")
        elif a.accepted:
            self.say(f"candidate {a.number} is committed already; `undo` drops it")
        else:
            self.say(f"candidate {a.number} was not committed anyway ({a.headline})")

    def do_hint(self, arg: str) -> None:
        if arg in ("-", "clear", "none"):
            self.hint = None
            self.say("hint cleared")
        elif arg:
            self.hint = arg
            self.say(f"hint for the next prompt: {arg}")
        else:
            self.say(f"hint for the next prompt: {self.hint}" if self.hint else "no hint set: `hint TEXT` sets one")

    def do_edit(self, arg: str) -> None:
        if arg.split() and self.target is not None:
            self.follow(self.edit_files(self.fresh(self.target), arg.split()))
        elif self.shown is not None and (self.target is None or self.shown.candidate.target.key == self.target.key):
            self.follow(self.edit(self.shown.candidate.target, self.shown.candidate.new_source,
                                  f"candidate {self.shown.number}"))
        elif self.target is not None:
            fresh = self.fresh(self.target)
            self.follow(self.edit(fresh, fresh.source, "the current definition"))
        else:
            self.say("nothing to edit yet: `pick N` chooses a target")

    def do_undo(self, arg: str) -> None:
        if not any(a.accepted for a in self.loop.attempts):
            self.say(NOTHING_TO_UNDO)
            return
        try:
            sha, gone = self.undo("the person")
        except BadInput as exc:
            self.say(f"cannot undo: {exc}", "bold red")
            return
        what = f" (candidate {gone.number}, {target_name(gone.candidate.target)})" if gone else ""
        self.say(f"dropped {sha[:10]}{what}; {self.p.workspace.branch} is at {self.p.workspace.head()[:10]} again")
        self.progress("re-profiling ...")
        self.reprofile("after-undo")
        self.shown = None
        self.show_targets("after undo")

    def do_profile(self, arg: str) -> None:
        self.progress("re-profiling ...")
        self.reprofile("session")
        self.show_targets("re-profiled")

    def do_diff(self, arg: str) -> None:
        ws = self.p.workspace
        text = ws.repo.git.diff(f"{self.p.base_sha}..{ws.branch}")
        if not text.strip():
            self.say(f"nothing accepted yet: {ws.branch} is where it started")
            return
        self.console.print(Syntax(text, "diff", theme="ansi_dark", background_color="default"))

    def do_attempts(self, arg: str) -> None:
        self.console.print(summary_table(self.loop.summary()))

    def do_help(self, arg: str) -> None:
        self.console.print(help_table(deciding=False))

    def do_quit(self, arg: str) -> None:
        self.quitting = True

    # -- candidates ----------------------------------------------------------------------------

    def step(self, target: Target | None) -> Attempt | None:
        chosen = self.fresh(target) if target is not None else None
        what = target_name(chosen) if chosen is not None else "the target optiloop picks"
        with_hint = f", with the hint '{self.hint}' if the model is asked" if self.hint else ""
        self.progress(f"next candidate for {what}{with_hint} (applied, verified and measured; Ctrl-C abandons it) ...")
        before, hint = self.model_calls(), self.hint
        attempt = self.loop.step(hint=hint, target=chosen, decide=self.decide)
        if hint and self.model_calls() > before and self.hint == hint:  # (a hint given while deciding waits)
            self.hint = None
        if attempt is None:
            name = f" for {target_name(chosen)}" if chosen is not None else ""
            self.say(f"nothing more to try{name}: {self.loop.stop_reason}; `retry` asks again, or try `hint`, "
                     "`edit`, or another target", "yellow")
        return attempt

    def edit(self, target: Target, source: str, what: str) -> Attempt | None:
        edited = open_editor(source, target.qualname, self.say)
        if edited is None:
            return None
        if normalized(edited) == normalized(source):
            self.say(f"{what} is unchanged: nothing to try")
            return None
        fresh = self.fresh(target)
        candidate = Candidate(fresh, edited, f"A person's edit of {what}.", EDITED, author=HUMAN)
        self.progress("trying the edited version (applied, verified and measured like any other) ...")
        return self.loop.attempt(candidate, self.decide)  # profiled anew after a commit, as every attempt

    def edit_files(self, target: Target, paths: list[str]) -> Attempt | None:
        """The target's file and the files named, opened whole; what the person changed is tried as one
        candidate (a unified diff over the files)."""
        wanted = list(dict.fromkeys([target.path, *(posixpath.normpath(p) for p in paths)]))
        bad = next((why for p in wanted if (why := outside(p)) is not None), None)
        if bad is not None:
            self.say(f"{bad}: nothing was opened")
            return None
        try:
            files = {p: self.loop.s.place.read(p) for p in wanted}
        except (OSError, UnicodeDecodeError) as exc:
            self.say(f"cannot open {getattr(exc, 'filename', None) or exc}: name files of the project by their "
                     "path from the repository root")
            return None
        edited = edit_files(files, self.say)
        if edited is None:
            return None
        diff = "".join(unified_diff(files[p], edited[p], p) for p in wanted if edited[p] != files[p])
        if not diff:
            self.say("the files are unchanged: nothing to try")
            return None
        changed = sorted(p for p in wanted if edited[p] != files[p])
        candidate = Candidate(target, diff, f"A person's edit of {', '.join(changed)}.", EDITED, author=HUMAN)
        self.progress("trying the edited files (applied, verified and measured like any other) ...")
        return self.loop.attempt(candidate, self.decide)

    def decide(self, attempt: Attempt) -> str:
        """The loop's decide hook: a measured speedup waits here for the person's word."""
        show_attempt(self.console, attempt, awaiting=True)
        self.shown = attempt
        while True:
            cmd = self.read(f"accept candidate {attempt.number}? ")
            arg = cmd.argument
            if cmd.command == "accept":
                return ""
            if cmd.command == "reject":
                return f"{REJECTED}: {arg}" if arg else REJECTED
            if cmd.command == "edit":
                self.after = ("edit", attempt)
                return "set aside by the person, to edit it"
            if cmd.command == "retry":
                self.after = ("retry", attempt)
                return f"{REJECTED}, who asked for another candidate"
            if cmd.command == "quit":
                self.quitting = True
                return f"{REJECTED} (the session ended)"
            if cmd.command == "help":
                self.console.print(help_table(deciding=True))
            elif BY_NAME[cmd.command].deciding:
                getattr(self, f"do_{cmd.command}")(arg)
            else:
                self.say(f"`{cmd.command}` has to wait: accept or reject candidate {attempt.number} first")

    def follow(self, attempt: Attempt | None) -> None:
        """Show each result, then do what the person asked for while deciding (edit, retry)."""
        while attempt is not None:
            decided = self.shown is not None and self.shown.number == attempt.number
            self.shown = attempt
            self.target = attempt.candidate.target
            if not decided:
                show_attempt(self.console, attempt, awaiting=False)
            elif attempt.accepted:
                self.say(f"committed candidate {attempt.number} as {str(attempt.commit)[:10]} on "
                         f"{self.p.workspace.branch}", "bold green")
            else:
                self.say(f"candidate {attempt.number} not committed: {attempt.headline}", "yellow")
            if attempt.accepted:
                self.show_targets(f"after candidate {attempt.number}")
            action, self.after = self.after, None
            if action is None or self.quitting:
                return
            kind, previous = action
            if kind == "edit":
                attempt = self.edit(previous.candidate.target, previous.candidate.new_source,
                                    f"candidate {previous.number}")
            else:
                attempt = self.step(previous.candidate.target)

    # -- helpers -------------------------------------------------------------------------------

    def show_targets(self, label: str) -> None:
        targets = self.targets()
        if not targets:
            self.say("no hot definitions of the project in the profile; `profile` measures again", "yellow")
            return
        self.console.print(hotspot_table(targets, self.loop.attempts, label, self.loop.profile))

    def completion_names(self) -> list[str]:
        targets = self.targets()
        return [str(i) for i in range(1, len(targets) + 1)] + [target_name(t) for t in targets]

    def resolve(self, arg: str) -> Target | None:
        try:
            return self.find(arg)
        except BadInput as exc:
            self.say(str(exc))
            return None

    def model_calls(self) -> int:
        return len(RunLog.read(self.p.journal.dir).all(Proposed))
