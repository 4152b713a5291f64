"""How long citation parsing takes: seed 003's 94 notes, and the held-out references.

    python tests/devsets/citations/bench_parse.py [--data /tmp/citations]

Prints the first parse of seed 003 (which opens the model), the best of five
later parses, and as the baseline measured in the same run the same notes
with the tagger switched off (the rule-based parser alone); with ``--data``
also the tagger's time per reference on ``test.jsonl``.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from extractors.citations import fields  # noqa: E402
from extractors.citations.fields import parse_notes  # noqa: E402
from extractors.citations.tagger import tag_reference  # noqa: E402

SEED = ROOT / "corpus" / "003_50b2b079aba8eece.txt"


def _notes() -> list[tuple[str, str]]:
    text = SEED.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2).strip()) for m in re.finditer(r"(?m)^<sup>(\d+)</sup>[ \t]*(.*)$", text)]


def _best(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path)
    args = parser.parse_args()
    notes = _notes()
    started = time.perf_counter()
    parse_notes(notes)
    first = time.perf_counter() - started
    warm = _best(lambda: parse_notes(notes))
    tagged = fields.tag_reference
    fields.tag_reference = lambda text: {}  # the baseline: rules only
    try:
        rules = _best(lambda: parse_notes(notes))
    finally:
        fields.tag_reference = tagged
    print(f"seed 003, {len(notes)} notes: first parse {first:.3f} s (opens the model), "
          f"then {warm:.3f} s; rules alone {rules:.3f} s")
    if args.data:
        texts = [line.split('"text": "', 1)[1].split('", "spans"', 1)[0]
                 for line in (args.data / "test.jsonl").read_text(encoding="utf-8").splitlines()[:1000]]
        elapsed = _best(lambda: [tag_reference(t) for t in texts], runs=1)
        print(f"tagger: {1000 * elapsed / len(texts):.2f} ms per reference ({len(texts)} references)")


if __name__ == "__main__":
    main()
