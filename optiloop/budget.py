"""What the loop may still spend, and which target gets the next model call.

``Budget`` ends a run when ``--max-iterations``, ``--time-budget`` or ``--max-cost`` is spent and says
which. ``Turns`` is the dynamic turn control: the next call goes to the target with the most
remaining addressable time (``Hotspot.self_frac``) per call it has had, so calls are spread in
proportion to where the time is; a target whose last ``max_failures`` candidates all failed to apply
or to pass the checks is dropped; an accepted speedup gives its target a fresh start.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from optiloop.models import Metered, Model, Spend
from optiloop.types import Applied, Attempt, Target


@dataclass(frozen=True)
class Limits:
    max_iterations: int = 10
    max_rounds_per_target: int = 2
    max_cost: float | None = None  # US dollars of model calls
    time_budget: float | None = None  # seconds from the start of the run
    candidates: int = 1  # candidates asked of the model per call
    max_failures: int = 3  # consecutive failed candidates after which a target is dropped
    min_speedup: float = 1.0  # below this Amdahl bound of the profile, no rewrite is worth asking for


class Budget:
    def __init__(self, limits: Limits, model: Model, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.model = model
        self.clock = clock
        self.started = clock()

    def spend(self) -> Spend:
        return self.model.spent() if isinstance(self.model, Metered) else Spend()

    def cost_reason(self) -> str | None:
        cap = self.limits.max_cost
        cost = self.spend().cost_usd
        if cap is not None and cost >= cap:
            return f"spent the --max-cost budget (${cost:.4f} of ${cap:g})"
        return None

    def reason(self, attempts: int) -> str | None:
        """Why the run must stop now, or None while every budget has something left."""
        if attempts >= self.limits.max_iterations:
            return f"reached --max-iterations {self.limits.max_iterations}"
        cap = self.limits.time_budget
        if cap is not None and self.clock() - self.started >= cap:
            return f"spent the --time-budget of {cap:g} s"
        return self.cost_reason()


class Turns:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.asked: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.dropped: set[str] = set()

    def pick(self, targets: list[Target]) -> Target | None:
        """The open target with the largest addressable share per call so far (hottest first on ties)."""
        open_ = [t for t in targets if t.key not in self.dropped
                 and self.asked[t.key] < self.limits.max_rounds_per_target]
        if not open_:
            return None
        best = max(open_, key=lambda t: t.hotspot.self_frac / (self.asked[t.key] + 1))
        self.asked[best.key] += 1
        return best

    def record(self, attempt: Attempt) -> None:
        key = attempt.candidate.target.key
        if attempt.accepted:
            self.asked[key] = 0
            self.failures[key] = 0
        elif isinstance(attempt.edit, Applied) and all(c.passed for c in attempt.checks):
            self.failures[key] = 0  # correct, just not faster enough: worth another try
        else:
            self.failures[key] += 1
            if self.failures[key] >= self.limits.max_failures:
                self.dropped.add(key)
