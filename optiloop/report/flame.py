"""Flame graphs as inline SVG, from a profile's collapsed stacks (``frame;frame;... count`` lines).

Frames are merged by function and file (not line), the root is at the bottom, width is the share of
samples. Frames of the project (files inside optiloop's worktree) are drawn warm, everything else cool.
Every label is escaped: function names come from the profiled code.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from optiloop.profiling.collapsed import parse_raw

WIDTH = 1200.0
ROW = 17
MAX_DEPTH = 48
MIN_SHARE = 0.005  # frames with a smaller share of all samples are left out (they still count in their parents)
CHAR = 6.6  # approximate width of one character of the label font
PROJECT_MARK = "/.optiloop/worktrees/"


@dataclass
class Node:
    name: str
    file: str
    count: int = 0
    children: dict[tuple[str, str], Node] = field(default_factory=dict)

    def child(self, name: str, file: str) -> Node:
        key = (name, file)
        if key not in self.children:
            self.children[key] = Node(name, file)
        return self.children[key]


def tree_of(raw: str) -> Node:
    """The merged call tree of collapsed stacks (outermost frame first)."""
    root = Node("all", "")
    for frames, count in parse_raw(raw):
        root.count += count
        node = root
        for frame in frames:
            node = node.child(frame.name, frame.file)
            node.count += count
    return root


def _short_file(file: str) -> str:
    if PROJECT_MARK in file:  # .../.optiloop/worktrees/<run>/<side>/pkg/mod.py -> pkg/mod.py
        rest = file.split(PROJECT_MARK, 1)[1].split("/", 2)
        return rest[2] if len(rest) == 3 else file
    return os.path.basename(file)


def _color(node: Node) -> str:
    h = int(hashlib.md5(f"{node.name}{node.file}".encode(), usedforsecurity=False).hexdigest()[:4], 16)
    if PROJECT_MARK in node.file:
        return f"hsl({10 + h % 35}, {75 + h % 20}%, {55 + h % 10}%)"
    return f"hsl({195 + h % 40}, {25 + h % 20}%, {70 + h % 12}%)"


def _label(text: str, width: float) -> str:
    fits = int((width - 6) / CHAR)
    if fits < 3:
        return ""
    return text if len(text) <= fits else text[: fits - 1] + "…"


def flame_svg(raw: str, title: str) -> str:
    """A self-contained ``<svg>`` flame graph of ``raw`` collapsed stacks; a short note when it holds none."""
    root = tree_of(raw)
    if root.count == 0:
        return f'<p class="empty">{escape(title)}: no samples recorded.</p>'
    rects: list[tuple[int, float, float, Node]] = []  # depth, x, width, node
    depth_seen = 0

    def walk(node: Node, depth: int, x: float, width: float) -> None:
        nonlocal depth_seen
        rects.append((depth, x, width, node))
        depth_seen = max(depth_seen, depth)
        if depth >= MAX_DEPTH:
            return
        cx = x
        for child in sorted(node.children.values(), key=lambda n: (n.name, n.file)):
            w = width * child.count / node.count
            if w >= min_width:
                walk(child, depth + 1, cx, w)
            cx += w

    min_width = WIDTH * MIN_SHARE
    walk(root, 0, 0.0, WIDTH)
    height = (depth_seen + 1) * ROW + 4
    parts = [f'<svg class="flame" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0f} {height}" '
             f'width="100%" role="img" aria-label="{escape(title)}">']
    for depth, x, width, node in rects:
        y = height - (depth + 1) * ROW
        where = _short_file(node.file)
        full = node.name if not where else f"{node.name} ({where})"
        share = node.count / root.count
        fill = "#d9d9d9" if depth == 0 else _color(node)
        tip = f"{full}: {node.count} samples, {share:.1%}"
        parts.append(f'<g><title>{escape(tip)}</title><rect x="{x:.2f}" y="{y}" width="{max(width - 0.5, 0.1):.2f}" '
                     f'height="{ROW - 1}" rx="2" fill="{fill}"/>')
        label = _label(full if depth else f"all ({root.count} samples)", width)
        if label:
            parts.append(f'<text x="{x + 3:.2f}" y="{y + ROW - 5}">{escape(label)}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def flame_of(path: Path | None, title: str) -> str:
    if path is None or not path.is_file():
        return f'<p class="empty">{escape(title)}: the raw stacks of this profile are not in the run record.</p>'
    return flame_svg(path.read_text(encoding="utf-8", errors="replace"), title)
