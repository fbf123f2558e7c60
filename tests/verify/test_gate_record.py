"""What the gate keeps out of the model's sight and what it writes for a resume to read back: a held-out
failure of any kind reads the same, its specifics are only in the run record; torn capture files are made
again instead of failing a resumed run."""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys

from optiloop.types import Candidate
from optiloop.verify.gate import Gate
from optiloop.verify.replay import HOLD_OUT_EVERY, OVERFITTED
from tests.verify import shop
from tests.verify.conftest import Shop, target

# A helper module of the project: the static hack check judges only the target's module, so what the
# candidate does through it is left to the replay (as for any helper a candidate might call).
NOISE = '''import sys


def emit(text):
    sys.stdout.write(f"held-out input {text}\\n")


def keep(text):
    with open(f"held-{text}.log", "w") as fh:
        fh.write(text)
'''
PARSE = "    n = int(text)\n    if n < 0:\n        raise ValueError(\"negative quantity\", n)\n"


def held_only_texts(gate: Gate) -> list[str]:
    """Inputs of ``parse_qty`` that only held-out calls pass."""
    log = gate.capture(target("parse_qty"))
    assert log is not None and log.path is not None
    with open(log.path, "rb") as fh:
        texts = [pickle.loads(call["before"])[0][0] for call in pickle.load(fh)["calls"]]
    held = {t for n, t in enumerate(texts, start=1) if n % HOLD_OUT_EVERY == 0}
    odd = sorted(held - {t for n, t in enumerate(texts, start=1) if n % HOLD_OUT_EVERY})
    assert odd, texts
    return odd


def seed_parity_word() -> tuple[str, int]:
    """A word whose hash parity differs between PYTHONHASHSEED 0 and 1, and its parity under 0."""
    code = "import sys; print(*(hash(w) % 2 for w in sys.argv[1:]))"
    words = [f"w{i}" for i in range(40)]
    parities = [subprocess.run([sys.executable, "-c", code, *words], capture_output=True, text=True, check=True,
                               env={"PYTHONHASHSEED": seed}).stdout.split() for seed in ("0", "1")]
    i = next(i for i in range(len(words)) if parities[0][i] != parities[1][i])
    return words[i], int(parities[0][i])


def held_out_check(shop_gate: Shop, body: str, odd: list[str]) -> tuple[str, dict[str, object]]:
    """Verify a ``parse_qty`` that does ``body`` for the held-out-only inputs; the failed check's detail and
    the run record's account of it."""
    gate = shop_gate.output_unchecked().gate
    source = f"from shop import _noise\n_ODD = frozenset({odd!r})\ndef parse_qty(text):\n{PARSE}{body}    return n\n"
    module = shop.CORE.replace('"""Shop arithmetic."""\n', '"""Shop arithmetic."""\nfrom shop import _noise\n')
    module = module.replace(shop.CORE[shop.CORE.index("def parse_qty"):shop.CORE.index("def normalize")],
                            f"_ODD = frozenset({odd!r})\n\n\ndef parse_qty(text):\n{PARSE}{body}    return n\n\n\n")
    shop_gate.ws.stage({shop.PATH: module, "shop/_noise.py": NOISE})
    candidate = Candidate(target("parse_qty"), source, "test", "test")
    checks = gate.verify(candidate)
    assert [c.name for c in checks if c.passed][:5] == ["parses", "hack check", "imports", "replay", "hash seed"], \
        checks
    assert checks[-1].name == "held-out calls" and not checks[-1].passed, checks
    record = json.loads(gate.held_out_record(candidate).read_text(encoding="utf-8"))
    return checks[-1].detail, record


def test_every_held_out_failure_reads_the_same_and_its_specifics_are_only_in_the_record(shop_gate: Shop) -> None:
    odd = held_only_texts(shop_gate.gate)
    word, parity = seed_parity_word()
    cases = {
        "results": "    if text in _ODD:\n        return n + 1\n",
        "side effects": "    if text in _ODD:\n        _noise.emit(text)\n",
        "file write": "    if text in _ODD:\n        _noise.keep(text)\n",
        "hash seed": f"    if text in _ODD and hash({word!r}) % 2 != {parity}:\n        return n + 1\n",
    }
    details, records = {}, {}
    for name, body in cases.items():
        details[name], records[name] = held_out_check(shop_gate, body, odd)
    # one generic text for every kind of failure: no call, argument value, output text, effect or seed
    assert set(details.values()) == {OVERFITTED}, details
    assert not any(t in OVERFITTED for t in (*odd, "parse_qty(", "held-out input", "stray output", "writes", "SEED"))
    assert records["results"]["kind"] == "results" and "wrong result" in str(records["results"]["detail"])
    assert any(t in str(records["results"]["detail"]) for t in odd), records["results"]
    assert records["side effects"]["kind"] == "side effects"
    assert "stray output 'held-out input" in str(records["side effects"]["detail"]), records["side effects"]
    assert records["file write"]["kind"] == "side effects"
    assert re.search(r"writes held-\w+\.log", str(records["file write"]["detail"])), records["file write"]
    assert records["hash seed"]["kind"] == "hash seed" and records["hash seed"]["hash_seed"] == "1"
    assert all(r["target"] == "shop/core.py::parse_qty" and r["held_out_calls"] for r in records.values()), records


def test_a_torn_capture_record_is_made_again_not_read(shop_gate: Shop) -> None:
    # what a kill -9 in the middle of a plain (non-atomic) write leaves: half a JSON file
    gate = shop_gate.gate
    tgt = target("median")
    log = gate.capture(tgt)
    assert log is not None and log.path is not None
    where = log.path.parent
    meta = where / "meta.json"
    unstable = gate.unstable_calls(tgt, log)
    for name in ("meta.json", "selfcheck-seed0.json"):
        text = (where / name).read_text(encoding="utf-8")
        (where / name).write_text(text[: len(text) // 2], encoding="utf-8")
    resumed = Gate(shop_gate.ws, gate.settings)  # as in a resumed run: nothing in memory
    again = resumed.capture(tgt)
    assert again is not None and again.calls == log.calls and again.path == log.path  # captured again, same place
    assert json.loads(meta.read_text(encoding="utf-8"))["calls"] == log.calls
    assert resumed.unstable_calls(tgt, again) == unstable  # the self-check is made again too
    assert json.loads((where / "selfcheck-seed0.json").read_text(encoding="utf-8"))["unstable"] == list(unstable)
    assert not [p.name for p in where.iterdir() if p.name.endswith(".tmp")]


def test_a_capture_record_whose_calls_are_gone_is_made_again(shop_gate: Shop) -> None:
    gate = shop_gate.gate
    tgt = target("lookup")
    log = gate.capture(tgt)
    assert log is not None and log.path is not None
    log.path.unlink()
    again = Gate(shop_gate.ws, gate.settings).capture(tgt)
    assert again is not None and again.path is not None and again.path.is_file() and again.calls == log.calls
