import time
from pathlib import Path

from optiloop.proc import child_env, run


def test_child_env_drops_secrets_and_fixes_hash_seed() -> None:
    env = child_env(base={"OPENAI_API_KEY": "k", "GITHUB_TOKEN": "t", "AWS_SECRET": "s", "HOME": "/h",
                          "ANTHROPIC_BASE_URL": "u", "PATH": "/bin"})
    assert env == {"HOME": "/h", "PATH": "/bin", "PYTHONHASHSEED": "0"}


def test_run_returns_output_and_code(tmp_path: Path) -> None:
    done = run("echo out; echo err >&2; exit 3", tmp_path, child_env(), timeout=30)
    assert (done.returncode, done.stdout, done.stderr.strip(), done.ok) == (3, "out\n", "err", False)
    assert "err" in done.tail()


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "late"
    start = time.perf_counter()
    done = run(f"(sleep 1; touch {marker}) & sleep 30", tmp_path, child_env(), timeout=0.5)
    assert done.timed_out and not done.ok
    assert time.perf_counter() - start < 10
    time.sleep(1.5)
    assert not marker.exists()
