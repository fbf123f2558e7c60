"""Pull-request mode: what to target, the regression check, the one comment and the one suggestion PR.

The command (``optiloop/cli/pr.py``) runs the usual loop on the PR's head with targets narrowed to the
definitions the PR changed (``keep_changed``); this module does the rest:

- ``check_regression``: the workload at the head against the merge base, interleaved in detached
  worktrees (``optiloop.measure.standalone.compare``); ``Regression.fails()`` is true when the head is
  slower by more than ``--fail-on-regression`` and the whole interval agrees.
- ``comment_body``: one Markdown comment (hidden marker ``<!-- optiloop -->``, then what changed, the
  regression line, and the run's report from ``optiloop.report.render``).
- ``publish``: updates the comment that carries the marker, or adds it when there is none.
- ``push_suggestion``: pushes the accepted commits to ``optiloop/pr-<N>`` and opens one pull request into
  the PR's branch, or only updates the branch when that pull request is already open.
- ``action_outputs`` / ``write_outputs``: the step outputs of the GitHub Action (``action.yml``): the
  speedup of the accepted commits, whether the head regressed, the HTML report's path.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import git

from optiloop.bot.changed import Key
from optiloop.bot.event import PullRequest
from optiloop.bot.github import GitHub
from optiloop.errors import BadInput, RunFailure
from optiloop.measure.standalone import CompareSettings, compare
from optiloop.record import Profiled, RunLog
from optiloop.targets import dotted_name
from optiloop.types import Target, Verdict, fmt_ratio

MARKER = "<!-- optiloop -->"
MAX_COMMENT = 65000  # GitHub refuses bodies over 65536 characters


def keep_changed(changed: Iterable[Key]) -> Callable[[Target], bool]:
    """The target filter for ``app.prepare(keep=...)``: only definitions the PR changed."""
    keys = frozenset(changed)
    return lambda target: (target.path, target.qualname) in keys


def suggestion_branch(number: int) -> str:
    return f"optiloop/pr-{number}"


# -- the regression check -------------------------------------------------------------------------


@dataclass(frozen=True)
class Regression:
    """The head against the merge base, measured as the question "is the base faster than the head?":
    ``verdict.speedup`` is the head's time over the base's (> 1: the head is slower), and
    ``verdict.accepted`` means slower by at least 1 + ``allowed`` with the whole interval agreeing.
    ``skipped`` says why nothing was measured (then ``verdict`` is None)."""

    base: str
    head: str
    verdict: Verdict | None = None
    skipped: str = ""
    allowed: float | None = None  # the --fail-on-regression it was measured against

    def slower(self) -> bool:
        """The head is slower than the base by more than ``allowed`` (by anything when there is no allowance),
        and the whole interval agrees."""
        v = self.verdict
        return v is not None and v.accepted and v.ci_low >= 1 + (self.allowed or 0.0)

    def fails(self) -> bool:
        return self.allowed is not None and self.slower()

    def line(self) -> str:
        if self.verdict is None:
            return f"Regression check: not measured ({self.skipped})."
        v = self.verdict
        rounds = f", {v.rounds} interleaved rounds" if v.rounds else ""
        where = f"head `{self.head[:10]}` against merge base `{self.base[:10]}`"
        what = "simulated cycles" if v.measure == "cycles" else "time"
        stats = f"{v.level_pct} CI {v.interval}{rounds}"
        if v.measure == "cycles" and v.tolerance is not None:
            wall = f"; wall time {fmt_ratio(v.guard.speedup)}x, 95% CI {v.guard.interval}" if v.guard else ""
            stats = f"counted exactly up to ±{v.tolerance:.2%}{wall}{rounds}"
        if v.ci_low > 1:
            said = f"**slower: the head takes {fmt_ratio(v.speedup)}x the base's {what}** ({stats})"
        elif v.ci_high < 1 and v.speedup > 0:
            said = f"faster: {fmt_ratio(1 / v.speedup)}x ({stats})"
        else:  # the interval includes 1.0: its figure goes with the statistics, never in the lead
            said = f"no significant difference (the head takes {fmt_ratio(v.speedup)}x the base's {what}, {stats})"
        return f"Regression check, {where}: {said}."

    def failure(self) -> str:
        v = self.verdict
        assert v is not None and self.allowed is not None
        how = "in simulated cycles, " if v.measure == "cycles" else f"{v.level_pct} CI {v.interval}, "
        return (f"the head is {fmt_ratio(v.speedup)}x slower than the merge base ({how.rstrip(', ')}), "
                f"more than --fail-on-regression {self.allowed:g} allows")


def check_regression(path: Path, repo: git.Repo, base: str, head: str, workload: str, settings: CompareSettings,
                     env: Mapping[str, str], allowed: float | None = None,
                     on_round: Callable[[int, int], None] | None = None) -> Regression:
    """The workload at ``head`` (side A) against the merge base of ``base`` and ``head`` (side B),
    interleaved, with ``1 + allowed`` as the speedup B must show: the measurement goes on while that is
    unclear and stops as soon as it is settled. A workload that cannot run at the base (not there yet,
    say) is reported as skipped, not as an error."""
    try:
        merge_base = str(repo.git.merge_base(base, head)).strip()
    except git.GitCommandError:
        merge_base = str(repo.commit(base).hexsha)
    head_sha = str(repo.commit(head).hexsha)
    if merge_base == head_sha:
        return Regression(merge_base, head_sha, skipped="the head is the merge base", allowed=allowed)
    how = replace(settings, min_speedup=1.0 + (allowed or 0.0))
    try:
        compared = compare(path, head_sha, merge_base, workload, how, env, on_round)
    except (BadInput, RunFailure) as exc:
        return Regression(merge_base, head_sha, skipped=exc.message, allowed=allowed)
    return Regression(merge_base, head_sha, compared.verdict, allowed=allowed)


# -- the comment ----------------------------------------------------------------------------------


def changed_line(changed: set[Key], hot: set[Key], subdir: str = "") -> str:
    def names(keys: Iterable[Key]) -> str:
        shown = sorted(dotted_name(p, q, subdir) for p, q in keys)
        more = f" and {len(shown) - 8} more" if len(shown) > 8 else ""
        return ", ".join(f"`{n}`" for n in shown[:8]) + more

    if not changed:
        return "This pull request changes no Python function, method or class, so nothing was targeted."
    hot_changed = changed & hot
    if not hot_changed:
        return (f"This pull request changes {len(changed)} definition(s) ({names(changed)}); none of them is hot "
                "in the workload, so nothing was targeted.")
    return (f"This pull request changes {len(changed)} definition(s); hot in the workload and targeted: "
            f"{names(hot_changed)}.")


def comment_body(accepted: int, changed: set[Key], hot: set[Key], regression: Regression | None,
                 report: str = "", suggestion: str = "", subdir: str = "") -> str:
    """The whole comment. ``report`` is the run's Markdown report, ``suggestion`` a line about the PR."""
    title = (f"### optiloop: {accepted} verified speedup(s) in the code this pull request changes" if accepted
             else "### optiloop: no verified speedup in the code this pull request changes")
    lines = [MARKER, title, "", changed_line(changed, hot, subdir), ""]
    if regression is not None:
        lines += [regression.line(), ""]
    if suggestion:
        lines += [suggestion, ""]
    if report:
        lines.append(report.strip())
    body = "\n".join(lines).strip() + "\n"
    if len(body) > MAX_COMMENT:
        cut = "\n\n(The report is cut here; the run record has all of it.)\n"
        body = body[: MAX_COMMENT - len(cut)] + cut
    return body


def hot_keys(log: RunLog) -> set[Key]:
    """(path, qualname) of the hotspots of the run's first profile."""
    first = log.first(Profiled)
    return {(h.path, h.qualname) for h in first.hotspots} if first is not None else set()


# -- GitHub -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Posted:
    action: str  # "created", "updated" or "" (nothing posted)
    url: str = ""


def find_comment(gh: GitHub, number: int) -> dict[str, object] | None:
    return next((c for c in gh.comments(number) if MARKER in str(c.get("body") or "")), None)


def publish(gh: GitHub, number: int, body: str, create: bool = True, looked: bool = False,
            existing: dict[str, object] | None = None) -> Posted:
    """Update our comment (the one with the marker), or add it when there is none and ``create``.
    With ``looked``, ``existing`` is what an earlier ``find_comment`` found (None: no comment)."""
    found = existing if looked else find_comment(gh, number)
    if found is not None and isinstance(found.get("id"), int):
        done = gh.update_comment(int(str(found["id"])), body)
        return Posted("updated", str(done.get("html_url") or ""))
    if not create:
        return Posted("")
    done = gh.create_comment(number, body)
    return Posted("created", str(done.get("html_url") or ""))


def push_branch(repo: git.Repo, local: str, remote: str, branch: str, secret: str = "") -> None:
    """Force-push ``local`` to ``remote``'s ``branch`` (optiloop's own branch: it is rewritten each run)."""
    try:
        repo.git.push(remote, f"+refs/heads/{local}:refs/heads/{branch}")
    except git.GitCommandError as exc:
        said = " ".join(str(exc.stderr).split()).replace(secret, "***") if secret else " ".join(str(exc.stderr).split())
        raise RunFailure(f"git push to {remote} {branch} failed: {said[:300]}",
                         "give the workflow `permissions: contents: write` and check out with credentials") from None


def push_suggestion(gh: GitHub, repo: git.Repo, pr: PullRequest, local: str, remote: str, accepted: int,
                    body: str, secret: str = "") -> str:
    """Push the accepted commits and make sure exactly one PR into the PR's branch is open for them;
    returns a line for the comment."""
    assert pr.number is not None and pr.head_ref is not None
    branch = suggestion_branch(pr.number)
    push_branch(repo, local, remote, branch, secret)
    open_ = gh.open_pulls(branch)
    if open_:
        existing = open_[0]
        return (f"Suggested as #{existing.get('number')} (branch `{branch}`, updated with these commits).")
    title = f"optiloop: {accepted} verified speedup(s) for #{pr.number}"
    made = gh.create_pull(title, branch, pr.head_ref, body)
    return f"Suggested as #{made.get('number')} (branch `{branch}` into `{pr.head_ref}`)."


# -- the GitHub Action's outputs ------------------------------------------------------------------


def action_outputs(regression: Regression | None, total: Verdict | None, report: Path | None) -> dict[str, str]:
    """``speedup``: the whole workload, the accepted commits against the PR's head (empty: none accepted or
    not measured); ``regression``: ``true``/``false``, whether the head is slower than the merge base beyond
    the allowance (empty: not measured); ``report``: the run's HTML report (empty: no run)."""
    measured = regression is not None and regression.verdict is not None
    return {
        "speedup": fmt_ratio(total.speedup) if total is not None else "",
        "regression": ("true" if regression.slower() else "false") if measured and regression else "",
        "report": str(report) if report is not None and report.is_file() else "",
    }


def write_outputs(path: Path, outputs: Mapping[str, str]) -> None:
    """Append ``outputs`` to the step's ``$GITHUB_OUTPUT`` file, in the delimited form that keeps any value
    (a path with a newline, say) from being read as another output."""
    with path.open("a", encoding="utf-8") as fh:
        for name, value in outputs.items():
            delimiter = f"optiloop_{uuid.uuid4().hex}"
            fh.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
