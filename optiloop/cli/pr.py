"""``optiloop pr``: optimize what a pull request changed, then comment once (and suggest once).

Outside GitHub (no token, repository or PR number) it runs the same way and prints the comment's
Markdown to stdout. In GitHub Actions the PR comes from the event payload; see docs/github-action.md.
"""

from __future__ import annotations

import json as jsonlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from git import Repo

from optiloop import vcs
from optiloop.app import prepare
from optiloop.bot.changed import changed_definitions, resolve
from optiloop.bot.event import PullRequest, in_actions, pull_request
from optiloop.bot.github import GitHub
from optiloop.bot.pr import (
    Regression,
    action_outputs,
    check_regression,
    comment_body,
    find_comment,
    hot_keys,
    keep_changed,
    publish,
    push_suggestion,
    write_outputs,
)
from optiloop.bot.summary import PrOutcome
from optiloop.cli.common import err, errors_to_exit, progress, say
from optiloop.cli.compare import compare_settings
from optiloop.cli.execute import execute
from optiloop.cli.options import RUN_SETTINGS, Json, ProjectPath, Quiet, with_settings
from optiloop.cli.status import status_line
from optiloop.config import Settings, load_settings
from optiloop.errors import BadInput, CheckFailed, OptiloopError, RunFailure
from optiloop.proc import child_env
from optiloop.progress import REGRESSION, Progress
from optiloop.record import RunLog
from optiloop.report import render
from optiloop.report.record import RunRecord

Notice = Callable[[str], None]


def notifier(env: dict[str, str], outcome: PrOutcome, json: bool) -> Notice:
    """A line GitHub Actions shows as a notice (on stderr with --json, whose stdout is the JSON alone);
    a plain note elsewhere. With --json it is also among the JSON's notes."""
    def notice(text: str) -> None:
        outcome.notes.append(text)
        if in_actions(env) and json:
            err.print(f"::notice::{text}", markup=False)
        elif in_actions(env):
            say(f"::notice::{text}")
        else:
            progress(f"note: {text}")

    return notice


def _pr_details(gh: GitHub, pr: PullRequest) -> PullRequest:
    """The PR as GitHub knows it (fails early on a wrong repository, number or token)."""
    assert pr.number is not None
    info = gh.pull(pr.number)
    head: Any = info.get("head") or {}
    base: Any = info.get("base") or {}
    head_repo = head.get("repo") if isinstance(head, dict) else None
    base_repo = base.get("repo") if isinstance(base, dict) else None
    fork = pr.fork
    if isinstance(base_repo, dict):
        fork = not isinstance(head_repo, dict) or head_repo.get("full_name") != base_repo.get("full_name")
    head_ref = pr.head_ref or (str(head.get("ref")) if isinstance(head, dict) and head.get("ref") else None)
    return PullRequest(pr.base, pr.head, pr.repo, pr.number, fork, head_ref, pr.event)


def _suggestion_body(number: int, report: str) -> str:
    return (f"Verified speedups for #{number}, found by optiloop in the code that pull request changes. "
            "Each commit's message carries its evidence (speedup, interval, checks passed).\n\n" + report)


@with_settings(*RUN_SETTINGS)
def pr_command(
    path: ProjectPath = Path("."),
    base: Annotated[Optional[str], typer.Option(help="The PR's base ref (default: from the GitHub event).")] = None,
    head: Annotated[Optional[str], typer.Option(help="The PR's head ref; must be checked out (default: HEAD).")] = None,
    repo: Annotated[Optional[str], typer.Option("--repo", help="OWNER/NAME (default: GITHUB_REPOSITORY).")] = None,
    pr: Annotated[Optional[int], typer.Option(
        "--pr", help="The pull request's number (default: from the event).")] = None,
    push: Annotated[bool, typer.Option(help="Push accepted commits and open one PR into the PR's branch.")] = False,
    remote: Annotated[str, typer.Option(help="The git remote --push pushes to.")] = "origin",
    comment_when_empty: Annotated[bool, typer.Option(help="Comment even when nothing was found.")] = False,
    fail_on_regression: Annotated[Optional[float], typer.Option(
        help="Exit 1 when the head is slower than the base by more than this (0.05 = 5%).")] = None,
    regression_check: Annotated[bool, typer.Option(
        "--regression-check/--no-regression-check", help="Measure the head against the base.")] = True,
    quiet: Quiet = False,
    json: Json = False,
    *,
    flags: dict[str, Any],
) -> None:
    """Optimize the hot functions a pull request changed; comment once on the PR with the evidence.

    With --json, stdout holds one JSON object (``optiloop/report/pr-schema.json``) instead of the comment."""
    env = dict(os.environ)
    with errors_to_exit(), status_line(quiet) as status:
        if fail_on_regression is not None and fail_on_regression < 0:
            raise BadInput(f"--fail-on-regression {fail_on_regression} is negative", "pass e.g. 0.05 for 5%")
        request = pull_request(env, base, head, repo, pr)
        outcome = PrOutcome(request)
        notice = notifier(env, outcome, json)
        gh = GitHub.from_env(request.repo, env) if request.on_github and request.repo else None
        failure: OptiloopError | None = None
        if request.fork and (gh is None or request.event == "pull_request"):
            outcome.skipped = ("this pull request comes from a fork, where the workflow has no write token: "
                               "optiloop comments nothing (run it on the fork, or locally with --base/--head)")
            notice(outcome.skipped)
        else:
            if push and gh is None:
                raise BadInput("--push needs GitHub: GITHUB_TOKEN, the repository and the PR number",
                               "set GITHUB_TOKEN and pass --repo OWNER/NAME --pr N (in Actions they come from the "
                               "event)")
            if request.on_github and gh is None:
                notice("GITHUB_TOKEN is not set: the comment is printed, not posted")
            try:
                asked = Asked(push, remote, comment_when_empty, fail_on_regression, regression_check, json)
                failure = _pr(path, flags, env, outcome, gh, asked, notice, status)
            finally:
                if gh is not None:
                    gh.close()
        if json:
            typer.echo(jsonlib.dumps(outcome.data(), indent=2, default=str))
        if failure is not None:
            raise failure


@dataclass(frozen=True)
class Asked:
    """The options of ``optiloop pr`` that say what to do besides the run."""

    push: bool
    remote: str
    comment_when_empty: bool
    fail_on_regression: float | None
    regression_check: bool
    json: bool


def _pr(path: Path, flags: dict[str, Any], env: dict[str, str], outcome: PrOutcome, gh: GitHub | None,
        asked: Asked, notice: Notice, status: Progress) -> OptiloopError | None:
    """Run, check, comment and suggest; what ends the job with a non-zero exit after all that (a regression,
    a failed push) is returned, so that --json still prints the whole outcome first."""
    request = outcome.request
    existing: dict[str, object] | None = None
    push = asked.push
    if gh is not None:
        request = outcome.request = _pr_details(gh, request)
        assert request.number is not None
        existing = find_comment(gh, request.number)
        if push and (request.fork or request.head_ref is None):
            notice("not pushing: the pull request's branch is in a fork")
            push = False
    git_repo = vcs.open_repo(path)
    head_sha = outcome.head = resolve(git_repo, request.head, "head")
    if git_repo.head.commit.hexsha != head_sha:
        raise BadInput(f"the checkout is at {git_repo.head.commit.hexsha[:10]}, not at the head {head_sha[:10]}",
                       "check out the PR's head commit (actions/checkout with "
                       "ref: ${{ github.event.pull_request.head.sha }} and fetch-depth: 0)")
    changed = outcome.changed = changed_definitions(git_repo, request.base, head_sha)
    settings = load_settings(path, flags)
    if not settings.workload:
        raise BadInput("no workload command given",
                       "pass --workload CMD or set workload = \"...\" under [tool.optiloop] in pyproject.toml")
    progress(f"{len(changed)} definition(s) changed between {request.base} and {head_sha[:10]}")
    report, run_branch, subdir = "", "", ""
    if changed:
        prepared = prepare(path, flags, keep=keep_changed(changed), mode="pr", progress=status)
        summary = execute(prepared, err)  # stdout is the comment's Markdown (or the JSON) alone
        outcome.accepted, run_branch = len(summary.accepted), summary.branch
        outcome.hot = hot_keys(RunLog.read(prepared.journal.dir))
        subdir = prepared.workspace.subdir
        report = render(prepared.journal.dir, "md") if outcome.accepted else ""
        outcome.run_dir = prepared.journal.dir
    if asked.regression_check:
        outcome.regression = _regression(path, git_repo, request.base, head_sha, settings, env, asked, status)
    failing = outcome.regression is not None and outcome.regression.fails()
    push_error = None
    if gh is not None and push and outcome.accepted:
        assert request.number is not None
        try:
            outcome.suggestion = push_suggestion(gh, git_repo, request, run_branch, asked.remote, outcome.accepted,
                                                 _suggestion_body(request.number, report), env.get("GITHUB_TOKEN", ""))
        except RunFailure as exc:  # the comment still goes out; the job fails afterwards
            push_error = exc
            outcome.suggestion = f"Not pushed as a pull request: {exc.message}."
    outcome.comment = comment_body(outcome.accepted, changed, outcome.hot, outcome.regression, report,
                                   outcome.suggestion, subdir)
    _post(outcome, gh, existing, asked.comment_when_empty or failing, asked.json, env)
    if output_file := env.get("GITHUB_OUTPUT"):  # the Action's outputs: speedup, regression, report
        run_dir = outcome.run_dir
        total = RunRecord.load(run_dir).total if run_dir is not None else None
        write_outputs(Path(output_file), action_outputs(outcome.regression, total, run_dir and run_dir / "report.html"))
    if push_error is not None:
        return push_error
    if failing:
        assert outcome.regression is not None
        return CheckFailed(outcome.regression.failure())
    return None


def _regression(path: Path, git_repo: Repo, base: str, head_sha: str, settings: Settings, env: dict[str, str],
                asked: Asked, status: Progress) -> Regression:
    progress("regression check: measuring the head against the merge base, interleaved ...")
    status.stage(REGRESSION)
    regression = check_regression(path, git_repo, base, head_sha, settings.workload or "",
                                  compare_settings(settings, 1.0), child_env(pass_env=settings.pass_env),
                                  asked.fail_on_regression, on_round=status.step)
    status.idle()
    progress(regression.line())
    return regression


def _post(outcome: PrOutcome, gh: GitHub | None, existing: dict[str, object] | None, anyway: bool, json: bool,
          env: dict[str, str]) -> None:
    """The comment: posted on the PR (when there is something to say, or ``anyway``), or printed (not with
    --json, where it is in the JSON); and added to the job's step summary in Actions."""
    body, number = outcome.comment, outcome.request.number
    if gh is not None:
        assert number is not None
        posted = outcome.posted = publish(gh, number, body, create=bool(outcome.accepted) or anyway, looked=True,
                                          existing=existing)
        if posted.action:
            progress(f"comment {posted.action}: {posted.url}")
        else:
            progress("nothing found: no comment (pass --comment-when-empty to comment anyway)")
    elif not json:
        say(body)
    if summary_file := env.get("GITHUB_STEP_SUMMARY"):
        with open(summary_file, "a", encoding="utf-8") as fh:
            fh.write(body)
