"""Settings: built-in defaults < ``[tool.optiloop]`` in pyproject.toml < ``OPTILOOP_*`` env < flags."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from optiloop.errors import BadInput

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_EXCLUDE = (
    "tests/**",
    "test/**",
    "**/tests/**",
    "**/test_*.py",
    "**/*_test.py",
    "**/conftest.py",
    "benchmarks/**",
    "docs/**",
    "examples/**",
    "setup.py",
    "noxfile.py",
    "**/.venv/**",
    "**/venv/**",
    "**/site-packages/**",
    "build/**",
    "dist/**",
    "**/_vendor/**",  # vendored third-party code
    "**/vendor/**",
    "**/vendored/**",
    "**/*_pb2.py",  # generated: protobuf, gRPC, setuptools-scm
    "**/*_pb2_grpc.py",
    "**/_version.py",
    ".optiloop/**",
)


class Settings(BaseModel):
    """Everything a run can be told. Unknown keys are an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    workload: str | None = Field(None, description="shell command that exercises the code")
    tests: str | None = Field(None, description="shell command that runs the project's tests")
    model: str | None = Field(None, description="model spec: builtin, scripted:PATH, ...")
    min_speedup: float = Field(1.05, ge=1.0, description="smallest workload speedup worth a commit")
    max_iterations: int = Field(10, ge=1, description="most candidates to try in one run")
    rounds: int = Field(5, ge=2, le=200, description="interleaved A/B rounds at the first look of a measurement")
    profile_rate: int = Field(250, ge=10, le=5000, description="py-spy samples per second")
    include: tuple[str, ...] = Field((), description="globs of files that may be optimized")
    exclude: tuple[str, ...] = Field((), description="globs of files never optimized")
    timeout: float = Field(900.0, gt=0, description="seconds one test or workload run may take")
    max_rounds_per_target: int = Field(2, ge=1, description="times a model is asked about one target")
    measure_budget: float | None = Field(None, gt=0, description="seconds one measurement verdict may take")
    candidates: int = Field(1, ge=1, le=16, description="candidates requested from the model per target")
    prompts: str | None = Field(None, description="directory of Jinja templates overriding the shipped prompts")
    api_key_env: str | None = Field(None, description="environment variable that holds the model's API key")
    base_url: str | None = Field(None, description="base URL of an OpenAI-compatible server")
    max_cost: float | None = Field(None, ge=0, description="most US dollars to spend on model calls")
    time_budget: float | None = Field(None, gt=0, description="seconds the whole run may take")
    cache: bool = Field(True, description="reuse cached model replies for identical prompts")
    replay_calls: int = Field(50, ge=0, le=10000, description="calls per target captured for replay")
    memory_limit_mb: int = Field(4096, ge=64, description="memory limit of test and replay subprocesses")
    setup: str | None = Field(None, description="shell command run once in each worktree before anything else")
    python: str | None = Field(None, description="the project's interpreter (default: the first python on PATH)")
    test_timeout: float | None = Field(None, gt=0, description="seconds one test-suite run may take (default: timeout)")
    measure: Literal["time", "cycles", "auto"] = Field(
        "auto", description="what decides: wall time, simulated cycles (valgrind), or cycles where they fit")
    max_memory_growth: float = Field(1.5, ge=1.0, description="most a candidate may raise the workload's peak memory")
    jobs: int | None = Field(None, ge=1, le=64, description="candidates verified (and counted) at once, each in "
                                                          "its own worktree (default: the number of cores)")
    pass_env: tuple[str, ...] = Field((), description="names (or globs) of environment variables passed to the "
                                                      "project's tests and workload beyond the base set")
    executor: Literal["local", "ray"] = Field(
        "local", description="where candidates are verified: worktrees on this machine, or a Ray cluster's workers")
    ray_address: str | None = Field(None, description="the Ray cluster of --executor ray (default: RAY_ADDRESS)")


FIELDS = tuple(Settings.model_fields)
LIST_FIELDS = ("include", "exclude", "pass_env")  # comma-separated in OPTILOOP_* variables, repeatable as flags


def _validate(data: Mapping[str, Any], where: str) -> Settings:
    try:
        return Settings.model_validate(dict(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "?"
        if err["type"] == "extra_forbidden":
            raise BadInput(
                f"unknown setting '{key}' in {where}",
                f"known settings: {', '.join(FIELDS)}",
            ) from None
        raise BadInput(f"bad value for '{key}' in {where}: {err['msg']}", "fix the value") from None


def read_pyproject(project: Path) -> dict[str, Any]:
    """The ``[tool.optiloop]`` table of ``project/pyproject.toml``, or an empty dict."""
    path = project / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path} is not valid TOML: {exc}", "fix the file or remove [tool.optiloop]") from None
    table = data.get("tool", {}).get("optiloop", {})
    if not isinstance(table, dict):
        raise BadInput(f"[tool.optiloop] in {path} is not a table", "write it as a TOML table")
    return {k.replace("-", "_"): v for k, v in table.items()}


def read_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``OPTILOOP_<SETTING>`` variables; lists are comma-separated."""
    env = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = env.get(f"OPTILOOP_{name.upper()}")
        if not value:  # unset, or set to nothing: not given
            continue
        out[name] = tuple(p.strip() for p in value.split(",") if p.strip()) if name in LIST_FIELDS else value
    return out


def load_settings(
    project: Path,
    flags: Mapping[str, Any],
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Merge the four layers; ``flags`` holds only the options the user actually gave."""
    layers: dict[str, Any] = {}
    file_layer = read_pyproject(project)
    _validate(file_layer, f"[tool.optiloop] of {project / 'pyproject.toml'}")
    layers.update(file_layer)
    env_layer = read_env(environ)
    _validate(env_layer, "OPTILOOP_* environment variables")
    layers.update(env_layer)
    layers.update({k: v for k, v in flags.items() if v is not None})
    return _validate(layers, "the command line")


def excluded_globs(settings: Settings) -> tuple[str, ...]:
    return DEFAULT_EXCLUDE + tuple(settings.exclude)
