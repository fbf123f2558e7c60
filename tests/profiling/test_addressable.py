"""What is addressable: classification of fixed raw stacks, the Amdahl bound and its statement, and a workload
spent in C code end to end (reported, never targeted, no model call)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from rich.console import Console

from optiloop.profiling.addressable import bound, breakdown, classify, footer, unreachable
from optiloop.profiling.collapsed import Resolver, attribute, format_raw, parse_raw
from optiloop.profiling.pyspy import pyspy_binary
from optiloop.record import Journal, Profiled, RunFinished, RunStarted
from optiloop.record.codec import from_jsonable, to_jsonable
from optiloop.report.markdown import bound_line, render_markdown
from optiloop.report.record import RunRecord
from optiloop.session.view import hotspot_table
from optiloop.types import Profile
from tests.conftest import make_repo, optiloop
from tests.profiling.planted import planted, profiler

STD = "/usr/lib/python3.11"
SITE = "/venv/lib/python3.11/site-packages"
SRC = "/build/Python-3.11.7"


def tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("def work(xs):\n    out = []\n    for x in xs:\n        out.append(x)\n"
                                            "    return out\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_mod.py").write_text("def test_work():\n    assert True\n")
    return tmp_path


def raw(root: Path) -> str:
    """One stack per class, as py-spy --native writes them (a libc frame outermost, process frames first)."""
    mod, test, work = root / "pkg" / "mod.py", root / "tests" / "test_mod.py", root / "workload.py"
    top = f'process 7:"python workload.py";0x7f0c45a4524a (/usr/lib/x86_64-linux-gnu/libc.so.6);<module> ({work}:3)'
    return "\n".join([
        f"{top};work ({mod}:4) 40",  # the project's own line
        f"{top};work ({mod}:3);0x7f0c45b8b9fd (/usr/lib/x86_64-linux-gnu/libc.so.6) 5",  # memcmp for its `in`
        f"{top};work ({mod}:3);list_sort ({SRC}/Objects/listobject.c:2380) 3",  # a builtin it calls
        f"{top};work ({mod}:3);gc_collect_main (/usr/lib/libpython3.11.so.1.0) 2",  # a collection it triggers
        f"{top};work ({mod}:4);_hashlib_openssl_sha256 ({SRC}/Modules/clinic/_hashopenssl.c.h:427);"
        f"EVP_hash ({SRC}/Modules/_hashopenssl.c:442);SHA256_Update (/usr/lib/libcrypto.so.3);"
        f"0x7f0c45c9c554 (/usr/lib/x86_64-linux-gnu/libc.so.6) 20",  # a C extension it calls
        f"{top};work ({mod}:4);compress ({SITE}/zstd/_zstd.cpython-311-x86_64-linux-gnu.so) 5",
        f"{top};work ({mod}:4);dumps ({STD}/json/__init__.py:231);iterencode ({STD}/json/encoder.py:258) 8",
        f"{top};work ({mod}:4);fetch ({SITE}/requests/api.py:59) 6",
        f"{top};_find_and_load (<frozen importlib._bootstrap>:1176) 4",
        f"{top};<lambda> (<string>:1) 1",
        f"{top};test_work ({test}:2) 3",
        f"{top} 2",  # the workload script's own line: excluded (a script of the workload is never a target)
        'process 7:"python workload.py";0x7f0c45a4524a (/usr/lib/x86_64-linux-gnu/libc.so.6);'
        "Py_FinalizeEx (/usr/bin/python3.11) 1",  # no Python frame at all
    ])


def test_native_frames_are_parsed_and_round_trip() -> None:
    text = ('process 1:"x";0x7f (/lib/libc.so.6);f (/a/b.py:3);zlib_compress (/src/Modules/zlibmodule.c:374);'
            "deflate (/lib/libz.so.1.2.13);0x7f01 (?) 5\n")
    stacks = parse_raw(text)
    frames, count = stacks[0]
    assert count == 5 and [(f.name, f.line, f.native) for f in frames] == [
        ("0x?", 0, True), ("f", 3, False), ("zlib_compress", 374, True), ("deflate", 0, True), ("0x?", 0, True)]
    assert parse_raw(format_raw(stacks)) == stacks
    # the same stack in two processes (other load addresses) is one stack, so flame graphs merge runs
    other = text.replace("0x7f (", "0x7e (").replace("0x7f01", "0x7e01")
    assert parse_raw(other) == stacks
    assert parse_raw("0x7f0c45a4524a (/usr/lib/libc.so.6:0);f (/a/b.py:3) 2\n")[0][0][0].name == "0x?"


def test_every_sample_is_classified_by_its_own_time(tmp_path: Path) -> None:
    root = tree(tmp_path)
    resolve = Resolver(root, lambda rel: rel.startswith("pkg/"))
    stacks = parse_raw(raw(root))
    assert [classify(frames, resolve) for frames, _ in stacks] == [
        "project", "project", "project", "project", "native", "native", "stdlib", "third-party", "stdlib", "other",
        "excluded", "excluded", "interpreter"]
    shares = dict(breakdown(stacks, resolve))
    assert shares == pytest.approx({"project": 50 / 100, "native": 25 / 100, "stdlib": 12 / 100,
                                    "third-party": 6 / 100, "excluded": 5 / 100, "other": 1 / 100,
                                    "interpreter": 1 / 100})
    assert [c for c, _ in breakdown(stacks, resolve)][:3] == ["project", "native", "stdlib"]  # largest first
    hotspots, total = attribute(stacks, resolve)
    assert total == 100 and hotspots[0].qualname == "work"  # the ranking still counts what `work` calls


def test_without_native_frames_the_profile_says_so_and_still_works(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A py-spy that refuses --native (as on platforms it cannot unwind): recorded without, with a note."""
    fake = tmp_path / "py-spy"
    fake.write_text("#!/bin/sh\nfor a in \"$@\"; do if [ \"$a\" = --native ]; then\n"
                    "  echo 'Error: Collecting stack traces from native extensions (--native) is not supported' >&2\n"
                    f"  exit 1\nfi; done\nexec {pyspy_binary({})} \"$@\"\n")
    fake.chmod(0o755)
    monkeypatch.setenv("OPTILOOP_PYSPY", str(fake))
    prof = profiler(planted(tmp_path / "proj"), tmp_path / "rec")
    profile = prof.profile("initial")
    assert not prof.fallback and not prof.native and len(prof.notes) == 1 and "--native" in prof.notes[0]
    assert profile.hotspots[0].qualname == "Basket.total"
    assert dict(profile.breakdown).get("native", 0.0) == 0.0 and profile.addressable > 0.5


def test_the_amdahl_bound_and_its_statement() -> None:
    mostly_c = Profile((), 400, None, (("native", 0.90), ("stdlib", 0.07), ("project", 0.03)), 0.03)
    assert bound(mostly_c) == pytest.approx(1 / 0.97)
    assert unreachable(mostly_c, 1.05) == (
        "only 3% of the workload's time is in the project's own Python code (C extensions and native code 90%, "
        "standard library 7%): no rewrite of it can reach the 1.05x --min-speedup (the best possible is 1.03x)")
    assert unreachable(mostly_c, 1.03) is None  # 1.0309x is still within reach
    assert footer(mostly_c) == ("not targeted: C extensions and native code 90%, standard library 7% (own time, "
                                "by innermost frame); a rewrite of the project's code allows at most 1.03x")
    all_python = Profile((), 400, None, (("project", 1.0),), 1.0)
    assert math.isinf(bound(all_python)) and unreachable(all_python, 5.0) is None and footer(all_python) is None
    nothing = Profile((), 0)  # no samples (or an older record): nothing to say
    assert math.isinf(bound(nothing)) and unreachable(nothing, 1.05) is None


def test_the_session_table_says_what_is_not_targeted() -> None:
    profile = Profile((), 400, None, (("project", 0.4), ("third-party", 0.6)), 0.4)
    console = Console(record=True, width=200)
    console.print(hotspot_table([], [], "initial", profile))
    assert "not targeted: third-party packages 60%" in console.export_text()
    console.print(hotspot_table([], [], "initial"))  # without a profile, as before: no footer
    assert console.export_text().count("not targeted") == 0  # export_text() cleared the first table


def record_with(tmp_path: Path, profile: Profiled) -> RunRecord:
    journal = Journal(tmp_path / "run")
    journal.write(RunStarted(repo=str(tmp_path), branch="optiloop/x", base="abc", model="builtin"))
    journal.write(profile)
    journal.write(RunFinished(stop_reason="done"))
    return RunRecord.load(tmp_path / "run")


def test_the_report_states_what_the_profile_allows(tmp_path: Path) -> None:
    new = record_with(tmp_path / "new", Profiled(label="initial", samples=400, addressable=0.2,
                                                 breakdown=(("native", 0.7), ("project", 0.2), ("stdlib", 0.1))))
    assert bound_line(new) == ("The profile allows at most 1.25x: only 20% of the workload's time is in the "
                               "project's own Python code (C extensions and native code 70%, standard library 10%).")
    assert bound_line(new) in render_markdown(new)
    old = record_with(tmp_path / "old", Profiled(label="initial", samples=400))  # before the breakdown existed
    assert old.profiles[0].samples == 400 and bound_line(old) is None
    older = from_jsonable({"type": "Profile", "hotspots": [], "samples": 3, "raw_path": None})
    assert older == Profile((), 3) and older.addressable == 1.0 and older.breakdown == ()
    assert from_jsonable(to_jsonable(Profile((), 3, None, (("native", 0.5), ("project", 0.5)), 0.5))).breakdown == (
        ("native", 0.5), ("project", 0.5))


C_PROJECT = {
    "pkg/__init__.py": "",
    "pkg/digest.py": "import hashlib\n\n\ndef digests(blob, n):\n    out = []\n    for _ in range(n):\n"
                     "        out.append(hashlib.sha256(blob).hexdigest())\n    return out\n",
    "tests/test_digest.py": "import unittest\n\nfrom pkg.digest import digests\n\n\nclass T(unittest.TestCase):\n"
                            "    def test_digests(self):\n        self.assertEqual(len(digests(b'ab', 3)), 3)\n",
    "bench.py": "from pkg.digest import digests\n\nprint(digests(b'x' * 4_000_000, 40)[0])\n",
}


def test_a_workload_spent_in_c_code_stops_before_any_model_call(tmp_path: Path,
                                                                python_on_path: dict[str, str]) -> None:
    repo = make_repo(tmp_path / "repo", C_PROJECT)
    done = optiloop("run", str(repo), "--workload", "python bench.py", "--tests",
                    "python -m unittest discover -s tests -q", "--model", "builtin", "--rounds", "2",
                    "--max-iterations", "1", env=python_on_path)
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "no rewrite of it can reach the 1.05x --min-speedup" in output, output
    run_dir = next((repo / ".optiloop" / "runs").iterdir())
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    kinds = [e["event"] for e in events]
    assert "proposals" not in kinds and "candidate" not in kinds and "attempt" not in kinds
    profile = next(e for e in events if e["event"] == "profile")
    shares = dict(profile["breakdown"])
    assert shares["native"] > 0.5 and profile["addressable"] < 0.05
    finished = next(e for e in events if e["event"] == "run_finished")
    assert "no rewrite of it can reach" in finished["stop_reason"]
    assert (bound_line(RunRecord.load(run_dir)) or "").startswith("The profile allows at most 1.0")


def test_optiloop_profile_shows_the_time_it_does_not_target(tmp_path: Path, python_on_path: dict[str, str]) -> None:
    repo = make_repo(tmp_path / "repo", C_PROJECT)
    done = optiloop("profile", str(repo), "--workload", "python bench.py", "--json", env=python_on_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["breakdown"]["native"] > 0.5 and report["addressable"] < 0.05
    assert report["bound"] < 1.05 and "no rewrite of it can reach" in report["unreachable"]
    assert [h["function"] for h in report["hotspots"]] == ["digests"]  # shown (its calls), never a target of C
