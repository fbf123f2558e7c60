"""Hand-written run records for the renderer tests: real ``Journal`` events of real dataclasses."""

from __future__ import annotations

from pathlib import Path

from optiloop.record import (
    AttemptRecorded,
    BaselineMeasured,
    Journal,
    NoiseFloorMeasured,
    Profiled,
    Proposed,
    RunFinished,
    RunStarted,
    TotalMeasured,
    Undone,
)
from optiloop.types import (
    Applied,
    Attempt,
    Candidate,
    Check,
    Hotspot,
    Measurement,
    Rejected,
    Spend,
    Target,
    Usage,
    Verdict,
)

RUN_ID = "20260101-120000-abcd"
BASE = "b" * 40
COMMIT_1 = "1" * 40
COMMIT_2 = "2" * 40
EVIL = "<script>alert('x')</script> & | `tick`"

HOT = Hotspot("slow_sum", "pkg/core.py", 3, 0.8, 0.9, ((5, 0.7),))
OTHER = Hotspot("Shop.total", "pkg/shop.py", 10, 0.1, 0.1)
DIFF_1 = """--- a/pkg/core.py
+++ b/pkg/core.py
@@ -3,5 +3,2 @@
 def slow_sum(xs):
-    total = 0
-    for x in xs:
-        total += x
-    return total
+    return sum(xs)
"""
DIFF_EVIL = f"""--- a/pkg/shop.py
+++ b/pkg/shop.py
@@ -1,1 +1,1 @@
-    return 1
+    return "{EVIL}"
"""
ROOT_FRAMES = ("<module> (/r/.optiloop/worktrees/x/baseline/bench.py:1);"
               "main (/r/.optiloop/worktrees/x/baseline/bench.py:9)")
RAW_BEFORE = (f"{ROOT_FRAMES};slow_sum (/r/.optiloop/worktrees/x/baseline/pkg/core.py:5) 80\n"
              f"{ROOT_FRAMES};{EVIL} (/usr/lib/python3.11/json/decoder.py:7) 20\n")
RAW_AFTER = (f"{ROOT_FRAMES};slow_sum (/r/.optiloop/worktrees/x/baseline/pkg/core.py:4) 10\n"
             f"{ROOT_FRAMES};{EVIL} (/usr/lib/python3.11/json/decoder.py:7) 20\n")


def target(h: Hotspot) -> Target:
    return Target(h, "def f(): ...\n", "def f(): ...\n")


def verdict(speedup: float, low: float, high: float, accepted: bool, reason: str, level: float = 0.95,
            predicted: float | None = None) -> Verdict:
    return Verdict(speedup, low, high, low > 1.0 or high < 1.0, accepted, reason,
                   Measurement.of([1.0, 1.1, 0.9]), Measurement.of([1.0 / speedup] * 3), rounds=3, seconds=2.5,
                   noise_floor=1.02, stopped="full", level=level, predicted=predicted,
                   cause="faster" if accepted else "slower" if high < 1.0 else "not-significant")


PASSED = (Check("parses", True, "pkg/core.py compiles"), Check("imports", True, "pkg.core imports"),
          Check("replay", True, "37 real call(s) replayed with the same results, exceptions and argument state "
                                "(the workload made 120)", replayed=37),
          Check("tests", True, "the tests pass"))


def attempts() -> list[Attempt]:
    a1 = Attempt(1, Candidate(target(HOT), "def slow_sum(xs):\n    return sum(xs)\n", "use the builtin sum",
                              "openai:gpt-test", Usage(1200, 300, 0.0123)),
                 Applied(DIFF_1, "new"), PASSED,
                 verdict(3.2, 2.9, 3.5, True, "faster: 3.20x (99.06% CI 2.90-3.50, 6 interleaved rounds)", 0.990625,
                         predicted=3.6),
                 COMMIT_1)
    a2 = Attempt(2, Candidate(target(OTHER), "x", EVIL, "openai:gpt-test", Usage(900, 200, 0.0051)),
                 Applied(DIFF_EVIL, "new"),
                 (Check("parses", True, "ok"), Check("tests", False, f"test_total failed: {EVIL}")))
    a3 = Attempt(3, Candidate(target(HOT), "y", "unroll", "openai:gpt-test", Usage(800, 100, 0.004)),
                 Applied(DIFF_1, "new"), PASSED,
                 verdict(0.8, 0.7, 0.9, False, "slower: 0.80x (95% CI 0.70-0.90, 3 interleaved rounds)"))
    a4 = Attempt(4, Candidate(target(HOT), "z", "broken", "openai:gpt-test"), Rejected("no python block"))
    a5 = Attempt(5, Candidate(target(OTHER), "w", "cache it", "openai:gpt-test", Usage(700, 90, 0.003)),
                 Applied(DIFF_1, "new"), PASSED,
                 verdict(1.5, 1.3, 1.7, True, "faster: 1.50x (95% CI 1.30-1.70, 3 interleaved rounds)"), COMMIT_2)
    return [a1, a2, a3, a4, a5]


def write_record(repo_root: Path, *, total: bool = True, undo: str | None = None, finished: bool = True,
                 run_id: str = RUN_ID) -> Path:
    """A complete run record under ``repo_root/.optiloop/runs/<run_id>/``; returns its directory."""
    j = Journal.create(repo_root, run_id)
    j.write(RunStarted(run_id=run_id, repo=str(repo_root), subdir="", branch=f"optiloop/{run_id}", base=BASE,
                       settings={"rounds": 3, "model": "openai:gpt-test"}, model="openai:gpt-test",
                       deterministic_output=True, mode="run"))
    j.write(NoiseFloorMeasured(rounds=5, point=1.0, low=0.97, high=1.03, floor=1.03, round_seconds=0.5))
    j.write(BaselineMeasured(measurement=Measurement.of([0.5, 0.52, 0.48])))
    j.artifact("profiles/initial.txt").write_text(RAW_BEFORE)
    j.write(Profiled(label="initial", samples=100, hotspots=(HOT, OTHER)))
    spent = Spend()
    for i, a in enumerate(attempts(), 1):
        u = a.candidate.usage
        spent = Spend(spent.calls + 1, 0, 0, spent.input_tokens + u.input_tokens,
                      spent.output_tokens + u.output_tokens, spent.cost_usd + u.cost_usd)
        j.write(Proposed(target=a.candidate.target.key, model="openai:gpt-test", request="optimize", count=1,
                         usage=(u,), spent=spent))
        j.write(AttemptRecorded.of(a))
        if a.accepted:
            j.artifact(f"profiles/after-{i}.txt").write_text(RAW_AFTER)
            j.write(Profiled(label=f"after-{i}", samples=30, hotspots=(HOT,)))
    if total:
        j.write(TotalMeasured(verdict=verdict(4.1, 3.6, 4.6, True, "the branch is faster than its base: 4.10x"),
                              base=BASE, head=COMMIT_2))
    if finished:
        j.write(RunFinished(stop_reason="reached --max-iterations 5", accepted=(COMMIT_1, COMMIT_2)))
    if undo:
        j.write(Undone(commit=undo))
    return j.dir


BASE_TIMES = [1.00, 1.02, 0.98, 1.01, 0.99, 1.03, 0.97, 1.00]
PLAIN_RUN_ID = "20260102-120000-cdef"


def plain_attempts() -> list[Attempt]:
    """Attempts measured the way a run measures them now: their verdicts carry a headline, cause and advice."""
    from optiloop.measure import decide

    faster = decide(BASE_TIMES, [v / 1.5 for v in BASE_TIMES], min_speedup=1.05)
    noisy = decide(BASE_TIMES, [v / 1.06 * (1.08 if i % 2 else 0.93) for i, v in enumerate(BASE_TIMES)],
                   min_speedup=1.05)
    return [
        Attempt(1, Candidate(target(HOT), "def slow_sum(xs):\n    return sum(xs)\n", "use the builtin sum", "builtin"),
                Applied(DIFF_1, "new"), PASSED, faster, COMMIT_1),
        Attempt(2, Candidate(target(OTHER), "x", "cache it", "builtin"), Applied(DIFF_1, "new"), PASSED, noisy),
    ]


def write_plain_record(repo_root: Path, run_id: str = PLAIN_RUN_ID) -> Path:
    """A finished run whose whole-run check found no significant difference (1.16x, 95% CI 0.90-2.11)."""
    from optiloop.measure.plain import total

    j = Journal.create(repo_root, run_id)
    j.write(RunStarted(run_id=run_id, repo=str(repo_root), subdir="", branch=f"optiloop/{run_id}", base=BASE,
                       settings={"rounds": 5}, model="builtin", deterministic_output=True, mode="run"))
    j.write(NoiseFloorMeasured(rounds=5, point=1.0, low=0.96, high=1.04, floor=1.04, round_seconds=0.5))
    j.write(BaselineMeasured(measurement=Measurement.of([0.5, 0.52, 0.48])))
    for a in plain_attempts():
        j.write(AttemptRecorded.of(a))
    cause, headline, advice = total(1.16, 0.90, 2.11, 5)
    whole = Verdict(1.16, 0.90, 2.11, False, False, "no significant difference between the branch and its base: "
                    "1.16x (95% CI 0.90-2.11, 5 interleaved rounds)", Measurement.of([1.0] * 5),
                    Measurement.of([0.86] * 5), rounds=5, stopped="full", headline=headline, cause=cause,
                    advice=advice)
    j.write(TotalMeasured(verdict=whole, base=BASE, head=COMMIT_1))
    j.write(RunFinished(stop_reason="reached --max-iterations 2", accepted=(COMMIT_1,)))
    return j.dir
