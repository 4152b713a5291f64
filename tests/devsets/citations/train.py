"""Train the citation tagger's CRF from ``train.jsonl`` (made by build_references.py).

    python tests/devsets/citations/train.py --data /tmp/citations \
        [--out extractors/citations/model/citations.crfsuite]

Token labels come from the character spans (a token takes the label of its
first character). Only generated references are used: no reference from any
third-party evaluation set.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

import pycrfsuite  # noqa: E402

from extractors.citations.features import features, tokenize  # noqa: E402


def token_labels(row: dict) -> tuple[list, list[str]]:
    """Tokens of a labelled reference and one label per token."""
    chars = ["O"] * len(row["text"])
    for start, end, label in row["spans"]:
        for i in range(start, end):
            chars[i] = label
    tokens = tokenize(row["text"])
    return tokens, [chars[t.start] for t in tokens]


def read_rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "extractors/citations/model/citations.crfsuite")
    parser.add_argument("--iterations", type=int, default=150)
    args = parser.parse_args()
    rows = read_rows(args.data / "train.jsonl")
    trainer = pycrfsuite.Trainer(verbose=False)
    for row in rows:
        tokens, labels = token_labels(row)
        if tokens:
            trainer.append(features(tokens), labels)
    # L1 keeps the model small (most feature weights go to zero); L2 smooths the rest.
    trainer.set_params({"c1": 0.15, "c2": 0.01, "max_iterations": args.iterations,
                        "feature.possible_transitions": True})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    trainer.train(str(args.out))
    print(f"trained on {len(rows)} references in {time.perf_counter() - started:.0f} s: "
          f"{args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
