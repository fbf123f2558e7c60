"""Collapsed stacks → a speedscope file (https://www.speedscope.app/file-format-schema.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from optiloop.journal import write_atomic
from optiloop.profiling.collapsed import Frame, Stack

SCHEMA = "https://www.speedscope.app/file-format-schema.json"


def speedscope(stacks: list[tuple[Stack, int]], name: str, rate: int | None = None) -> dict[str, Any]:
    """One sampled profile; each (function, file, line) is a frame, weights are sample counts (or
    seconds when the sampling ``rate`` is known)."""
    index: dict[Frame, int] = {}
    frames: list[dict[str, Any]] = []
    samples: list[list[int]] = []
    weights: list[float] = []
    for stack, count in stacks:
        if not stack:
            continue
        ids = []
        for frame in stack:
            if frame not in index:
                index[frame] = len(frames)
                frames.append({"name": frame.name, "file": frame.file, "line": frame.line})
            ids.append(index[frame])
        samples.append(ids)
        weights.append(count / rate if rate else count)
    return {
        "$schema": SCHEMA,
        "shared": {"frames": frames},
        "profiles": [{
            "type": "sampled",
            "name": name,
            "unit": "seconds" if rate else "none",
            "startValue": 0,
            "endValue": sum(weights),
            "samples": samples,
            "weights": weights,
        }],
        "name": name,
        "activeProfileIndex": 0,
        "exporter": "optiloop",
    }  # fmt: skip


def write_speedscope(path: Path, stacks: list[tuple[Stack, int]], name: str, rate: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(speedscope(stacks, name, rate)) + "\n")  # the HTML report reads it back
    return path
