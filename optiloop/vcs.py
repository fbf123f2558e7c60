"""Git through gitpython: worktrees, the work branch, commits with trailers.

Nothing here touches the user's checkout: no checkout, reset, stash or index change there.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import git

from optiloop.errors import BadInput, RunFailure
from optiloop.journal import write_atomic

EXCLUDE_LINE = "/.optiloop/"
FALLBACK_IDENTITY = {"name": "optiloop", "email": "optiloop@localhost"}


@dataclass(frozen=True)
class RepoState:
    root: Path
    head: str
    branch: str | None


def open_repo(path: Path) -> git.Repo:
    """The repository that contains ``path``; bad input when there is none or it has no commits."""
    if not path.exists():
        raise BadInput(f"{path} does not exist", "pass the path of a git repository")
    if not path.is_dir():
        raise BadInput(f"{path} is not a directory", "pass the directory of a git repository (or one inside it)")
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise BadInput(f"{path} is not inside a git repository", "run `git init` and commit your code") from None
    if repo.bare:
        raise BadInput(f"{path} is a bare repository", "run optiloop on a checkout")
    if not repo.head.is_valid():
        raise BadInput(f"the repository at {repo.working_dir} has no commits", "commit your code first")
    return repo


def state(repo: git.Repo) -> RepoState:
    branch = None if repo.head.is_detached else repo.active_branch.name
    return RepoState(Path(repo.working_dir), repo.head.commit.hexsha, branch)


def tracked_changes(repo: git.Repo) -> list[tuple[str, str]]:
    """(status letter, path) of tracked files that differ from HEAD, staged or not."""
    out = repo.git.diff("HEAD", "--name-status", "--no-renames", "-z")
    parts = [p for p in out.split("\0") if p]
    return [(parts[i][0], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]


def identity_env(repo: git.Repo) -> dict[str, str]:
    """Author/committer variables for commits when the user has no git identity configured."""
    reader = repo.config_reader()
    env: dict[str, str] = {}
    for key in ("name", "email"):
        if not reader.get_value("user", key, default="") and not os.environ.get(f"GIT_AUTHOR_{key.upper()}"):
            env[f"GIT_AUTHOR_{key.upper()}"] = FALLBACK_IDENTITY[key]
            env[f"GIT_COMMITTER_{key.upper()}"] = FALLBACK_IDENTITY[key]
    return env


def exclude_optiloop_dir(repo: git.Repo) -> bytes | None:
    """Keep ``.optiloop/`` out of ``git status`` through ``info/exclude`` (never .gitignore).

    Returns the file's previous bytes (``b""`` if it did not exist) when it was changed, so a run
    that stops on bad input can put it back; None when nothing needed changing.
    """
    path = Path(repo.git.rev_parse("--git-common-dir"))
    if not path.is_absolute():
        path = Path(repo.working_dir) / path
    exclude = path / "info" / "exclude"
    before = exclude.read_bytes() if exclude.exists() else b""
    lines = before.decode("utf-8", "replace").splitlines()
    if EXCLUDE_LINE in lines or ".optiloop/" in lines or ".optiloop" in lines:
        return None
    exclude.parent.mkdir(parents=True, exist_ok=True)
    sep = b"" if not before or before.endswith(b"\n") else b"\n"
    write_atomic(exclude, before + sep + EXCLUDE_LINE.encode() + b"\n")  # a kill never truncates the user's file
    return before


def restore_exclude(repo: git.Repo, before: bytes) -> None:
    path = Path(repo.git.rev_parse("--git-common-dir"))
    if not path.is_absolute():
        path = Path(repo.working_dir) / path
    write_atomic(path / "info" / "exclude", before)


def add_worktree(repo: git.Repo, path: Path, ref: str, branch: str | None = None) -> git.Repo:
    """A new worktree at ``path`` checked out at ``ref``, on a new ``branch`` or detached."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if branch is None:
            repo.git.worktree("add", "--detach", "-q", str(path), ref)
        else:
            repo.git.worktree("add", "-q", "-b", branch, str(path), ref)
    except git.GitCommandError as exc:
        raise RunFailure(f"could not create a worktree at {path}: {exc.stderr.strip()}") from None
    return git.Repo(path)


def remove_worktree(repo: git.Repo, path: Path) -> None:
    try:
        repo.git.worktree("remove", "--force", str(path))
    except git.GitCommandError:
        shutil.rmtree(path, ignore_errors=True)
        repo.git.worktree("prune")


def delete_branch(repo: git.Repo, branch: str) -> None:
    try:
        repo.git.branch("-D", branch)
    except git.GitCommandError:
        pass


def reset_tree(tree: git.Repo, ref: str, keep: Sequence[str] = ()) -> None:
    """Make a detached worktree an exact copy of ``ref`` again (tracked and untracked files), except for
    the untracked paths in ``keep`` (what a setup step built there)."""
    changed = str(tree.git.diff("--name-only", "--no-renames", ref)).splitlines()
    tree.git.reset("--hard", "-q", ref)
    tree.git.clean("-fdq", *(f"--exclude=/{path}" for path in keep))
    forget_bytecode(Path(tree.working_dir), changed)


def forget_bytecode(root: Path, paths: Iterable[str]) -> None:
    """Delete the cached bytecode of these source files (paths relative to ``root``).

    CPython trusts a ``__pycache__`` file when the source's mtime, in whole seconds, and its size match
    what was compiled. optiloop rewrites files within a second, and two versions of a function often
    have the same length (``<`` for ``<=``...): without this, a check or a measurement could run the
    previous version's bytecode instead of the code on disk."""
    for rel in paths:
        if rel.endswith(".py"):
            source = root / rel
            for cached in (source.parent / "__pycache__").glob(f"{source.stem}.*.pyc"):
                cached.unlink(missing_ok=True)


def untracked(tree: git.Repo) -> list[str]:
    """Untracked, not ignored paths of a worktree (directories as ``dir/``)."""
    out = tree.git.ls_files("--others", "--exclude-standard", "--directory")
    return [line for line in str(out).splitlines() if line]


def commit_paths(tree: git.Repo, paths: list[str], message: str, env: Mapping[str, str]) -> str:
    """Commit the given paths (changed, added or deleted) of a worktree; returns the new sha.

    Only these paths: whatever the tests or the workload left in the tree is never committed.
    """
    tree.git.add("-A", "--", *paths)
    with tree.git.custom_environment(**env):
        tree.git.commit("-q", "--no-verify", "-m", message)
    return str(tree.head.commit.hexsha)


def branch_exists(repo: git.Repo, branch: str) -> bool:
    return any(h.name == branch for h in repo.heads)


def init_repo(path: Path, message: str) -> git.Repo:
    """A new repository at ``path`` with everything in it committed (for the demo)."""
    repo = git.Repo.init(path, initial_branch="main")
    repo.git.add("-A")
    with repo.git.custom_environment(**identity_env(repo)):
        repo.git.commit("-q", "--no-verify", "-m", message)
    return repo


def trailer(message: str, key: str) -> str | None:
    """The value of a ``Key: value`` trailer line of a commit message, if it has one."""
    for line in reversed(message.strip().splitlines()):
        if line.startswith(f"{key}: "):
            return line[len(key) + 2:].strip()
    return None


def worktree_of(repo: git.Repo, branch: str) -> Path | None:
    """Where ``branch`` is checked out, if anywhere."""
    path: Path | None = None
    for line in repo.git.worktree("list", "--porcelain").splitlines():
        if line.startswith("worktree "):
            path = Path(line[len("worktree "):])
        elif line == f"branch refs/heads/{branch}":
            return path
    return None


def undo_last(repo: git.Repo, branch: str, run_id: str, force: bool = False) -> str:
    """Remove the last commit of ``branch`` when optiloop made it for ``run_id``; returns its sha.

    Never a user's commit (it must carry ``Optiloop-Run: <run_id>``), never one a remote already has
    unless ``force``. Where the branch is checked out in one of optiloop's worktrees, that worktree
    is reset with it; a branch checked out anywhere else (the user's checkout) is left alone.
    """
    if not branch_exists(repo, branch):
        raise BadInput(f"there is no branch {branch}", "run `optiloop runs` to see the runs and their branches")
    last = repo.commit(branch)
    if trailer(str(last.message), "Optiloop-Run") != run_id:
        raise BadInput(f"the last commit on {branch} ({last.hexsha[:10]}) was not made by optiloop run {run_id}",
                       "optiloop only removes its own commits; use git to change others")
    if not last.parents:
        raise BadInput(f"{last.hexsha[:10]} is the first commit of the repository", "nothing to undo onto")
    remotes = repo.git.branch("-r", "--contains", last.hexsha).split()
    if remotes and not force:
        raise BadInput(f"{last.hexsha[:10]} is already pushed ({remotes[0]})",
                       "pass --force to remove it from the local branch anyway")
    parent = last.parents[0].hexsha
    where = worktree_of(repo, branch)
    if where is None:
        repo.git.update_ref(f"refs/heads/{branch}", parent, last.hexsha)
    elif f"/{EXCLUDE_LINE.strip('/')}/worktrees/" in where.as_posix():
        tree = git.Repo(where)
        changed = str(tree.git.diff("--name-only", "--no-renames", parent)).splitlines()
        tree.git.reset("--hard", "-q", parent)
        forget_bytecode(where, changed)
    else:
        raise BadInput(f"{branch} is checked out at {where}", "switch that checkout to another branch first")
    return last.hexsha


def attach_worktree(repo: git.Repo, path: Path, branch: str) -> git.Repo:
    """A new worktree at ``path`` on the existing ``branch`` (a resumed run's baseline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        repo.git.worktree("add", "-q", str(path), branch)
    except git.GitCommandError as exc:
        raise RunFailure(f"could not check out {branch} at {path}: {exc.stderr.strip()}") from None
    return git.Repo(path)


def _admin_dir(worktree: Path) -> Path | None:
    """The worktree's own directory inside the repository's ``.git/worktrees/`` (from its ``.git`` file)."""
    try:
        text = (worktree / ".git").read_text(encoding="utf-8")
    except OSError:
        return None
    return Path(text.split("gitdir:", 1)[1].strip()) if text.startswith("gitdir:") else None


def clear_worktrees(repo: git.Repo, paths: list[Path], branch: str) -> None:
    """Remove worktrees a killed process left, with the lock files git left in them and on ``branch``.

    Only these worktrees' ``index.lock``/``HEAD.lock`` and the branch's ``<ref>.lock`` are removed: they
    belong to the dead run (its git processes die with it), never to the user's own checkout.
    """
    for path in paths:
        admin = _admin_dir(path)
        if admin is not None:
            for name in ("index.lock", "HEAD.lock"):
                (admin / name).unlink(missing_ok=True)
        if path.exists():
            remove_worktree(repo, path)
    repo.git.worktree("prune")
    common = Path(repo.git.rev_parse("--git-common-dir"))
    if not common.is_absolute():
        common = Path(repo.working_dir) / common
    (common / "refs" / "heads" / f"{branch}.lock").unlink(missing_ok=True)
