import time
from pathlib import Path

from optiloop.proc import child_env, run


def test_child_env_drops_secrets_and_fixes_hash_seed() -> None:
    env = child_env(base={"OPENAI_API_KEY": "k", "GITHUB_TOKEN": "t", "AWS_SECRET": "s", "HOME": "/h",
                          "ANTHROPIC_BASE_URL": "u", "PATH": "/bin", "PYTHONHASHSEED": "random"})
    assert env == {"HOME": "/h", "PATH": "/bin", "PYTHONHASHSEED": "0"}  # more in tests/test_secrets.py


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


def test_a_command_that_cannot_start_is_a_failed_run_not_a_crash(tmp_path: Path) -> None:
    missing = run([str(tmp_path / "no-such-program")], tmp_path, child_env(), 10)
    assert missing.returncode == 127 and "could not start" in missing.stderr and "no-such-program" in missing.stderr
    too_long = run("echo " + "x" * 300_000, tmp_path, child_env(), 10)  # beyond the kernel's 128 KiB per argument
    assert too_long.returncode == 126 and not too_long.ok and "could not start" in too_long.stderr
