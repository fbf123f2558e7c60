from pathlib import Path

from optiloop.profiling.collapsed import Resolver, attribute, parse_raw

MODULE = '''\
import json


def outer(xs):
    def inner(x):
        return x * 2
    return [inner(x) for x in xs]


class Shop:
    def total(self, items):
        s = 0
        for item in items:
            s += item
        return s
'''


def tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(MODULE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_mod.py").write_text("def test_x():\n    pass\n")
    return tmp_path


def raw(root: Path) -> str:
    mod = root / "pkg" / "mod.py"
    work = root / "workload.py"
    lib = "/usr/lib/python3.11/json/encoder.py"
    return "\n".join([
        f'process 1:"python w.py";<module> ({work}:3);outer ({mod}:7);inner ({mod}:6) 30',
        f'process 1:"python w.py";<module> ({work}:4);total ({mod}:13) 10',
        f'process 1:"python w.py";<module> ({work}:4);total ({mod}:14);dumps ({lib}:200) 40',
        f'process 1:"python w.py";<module> ({work}:5) 20',
        'process 1:"python w.py" 7',
        "garbage line",
    ])


def test_parse_raw_drops_process_frames() -> None:
    stacks = parse_raw('process 1:"x";f (/a/b.py:3);g (/a/c.py:9) 5\nnot a stack\n')
    assert len(stacks) == 1
    frames, count = stacks[0]
    assert count == 5 and [(f.name, f.file, f.line) for f in frames] == [("f", "/a/b.py", 3), ("g", "/a/c.py", 9)]


def test_attribution_to_definitions(tmp_path: Path) -> None:
    root = tree(tmp_path)
    resolver = Resolver(root, lambda rel: rel.startswith("pkg/"))
    hotspots, total = attribute(parse_raw(raw(root)), resolver)
    assert total == 100  # the sample with no Python frame is not counted
    by_name = {h.qualname: h for h in hotspots}
    assert list(by_name) == ["Shop.total", "outer"]  # ranked by addressable time
    shop, outer = by_name["Shop.total"], by_name["outer"]
    # library time under a project frame is addressable by it
    assert shop.self_frac == 0.5 and shop.total_frac == 0.5
    assert dict(shop.line_heat) == {13: 0.1, 14: 0.4}
    # the nested function rolls up into its enclosing definition
    assert outer.self_frac == 0.3 and dict(outer.line_heat) == {6: 0.3}
    assert outer.path == "pkg/mod.py" and outer.line == 4


def test_files_outside_scope_or_tree_are_ignored(tmp_path: Path) -> None:
    root = tree(tmp_path)
    resolver = Resolver(root, lambda rel: False)
    hotspots, total = attribute(parse_raw(raw(root)), resolver)
    assert hotspots == () and total == 100


def test_format_raw_round_trips(tmp_path: Path) -> None:
    from optiloop.profiling.collapsed import format_raw

    stacks = [s for s in parse_raw(raw(tree(tmp_path))) if s[0]]
    assert parse_raw(format_raw(stacks)) == stacks


def test_cold_definitions_under_the_cutoff_are_skipped(tmp_path: Path) -> None:
    from optiloop.profiling.collapsed import ranked

    root = tree(tmp_path)
    mod = root / "pkg" / "mod.py"
    stacks = parse_raw(raw(root) + f"\nprocess 1:\"python w.py\";<module> ({root}/w.py:4);outer ({mod}:7) 1")
    hot, total = ranked(stacks, Resolver(root, lambda rel: rel.startswith("pkg/")), 0.01)
    assert total == 101 and [h.qualname for h in hot] == ["Shop.total", "outer"]
    hot, _ = ranked(stacks, Resolver(root, lambda rel: rel.startswith("pkg/")), 0.35)
    assert [h.qualname for h in hot] == ["Shop.total"]  # outer has 31 of 101 samples: under 35%


def test_callers_and_callees_from_the_stacks(tmp_path: Path) -> None:
    from optiloop.profiling.collapsed import call_edges

    root = tree(tmp_path)
    mod = root / "pkg" / "mod.py"
    (root / "pkg" / "use.py").write_text("from pkg.mod import Shop\n\n\ndef run(shop):\n    return shop.total([1])\n")
    use = root / "pkg" / "use.py"
    stacks = parse_raw(raw(root) + "\n" + "\n".join([
        f'process 1:"x";<module> ({root}/w.py:9);run ({use}:5);total ({mod}:14);dumps (/usr/lib/json.py:1) 5',
        f'process 1:"x";outer ({mod}:7);<listcomp> ({mod}:7);inner ({mod}:6) 2',
    ]))
    edges = call_edges(stacks, Resolver(root, lambda rel: rel.startswith("pkg/")))
    sites = {(s.path, s.line, s.caller): s.samples for s in edges.call_sites(("pkg/mod.py", "Shop.total"))}
    assert sites == {("workload.py", 4, "<module>"): 50, ("pkg/use.py", 5, "run"): 5}
    assert edges.called(("pkg/use.py", "run")) == [(("pkg/mod.py", "Shop.total"), 5, 5)]
    assert edges.called(("pkg/mod.py", "outer")) == []  # the nested function is part of outer
