import subprocess
import sys

import pytest

from optiloop.baseline import run_env
from optiloop.types import Workload


def test_everything_a_run_starts_sees_the_same_seeded_random_and_hash_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    env = run_env(Workload("python workload.py", env=(("EXTRA", "1"),)))
    code = "import random, os; print(random.random(), hash('optiloop'), os.environ.get('OPENAI_API_KEY'))"
    outs = {subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
            for _ in range(2)}
    assert len(outs) == 1
    assert outs.pop().split()[2] == "None"  # no secrets in a child's environment
    assert env["PYTHONHASHSEED"] == "0" and env["EXTRA"] == "1"
