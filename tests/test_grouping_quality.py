"""Grouping quality through ingest itself: a generated collection against the lineage it was made with.

``tests/benchmarks/make_collection.py`` writes invented documents that quote
a few shared passages (as documents on one subject do), with planted
duplicates, revisions and renditions, and records which file each planted one
was made from. Ingested in-process (extraction workers, prematches, batches:
the path a real run takes), two documents must share a work exactly when they
descend from one text. Pairwise precision and recall over documents are the
floor pinned here; ``bench_collection.py`` prints the same figures at 10,000.
"""

from __future__ import annotations

import itertools
import sys
from collections import defaultdict
from pathlib import Path

from conftest import Cli

sys.path.insert(0, str(Path(__file__).resolve().parent / "benchmarks"))

from make_collection import generate  # noqa: E402

DOCS = 1000


def pairwise(groups: dict[object, set[int]]) -> set[tuple[int, int]]:
    return {pair for members in groups.values() for pair in itertools.combinations(sorted(members), 2)}


def test_ingest_groups_the_planted_versions_and_nothing_else(tmp_path):
    lineage: dict[str, str] = {}
    counts = generate(tmp_path / "collection", DOCS, seed=3, lineage=lineage)
    assert counts["revision"] > 20 and counts["rendition"] > 5
    cli = Cli(tmp_path / "archive")
    cli("ingest", "--no-prefect", str(tmp_path / "collection"))

    def origin(name: str) -> str:
        while name in lineage:
            name = lineage[name]
        return name

    by_work: dict[object, set[int]] = defaultdict(set)
    by_origin: dict[object, set[int]] = defaultdict(set)
    for doc in cli.json("documents")["documents"]:
        by_work[doc["work_id"]].add(doc["id"])
        by_origin[origin(Path(doc["source"]).name)].add(doc["id"])  # a duplicate's bytes: the first file's name
    found, planted = pairwise(by_work), pairwise(by_origin)
    right = len(found & planted)
    precision, recall = right / len(found), right / len(planted)
    print(f"\n{DOCS} files: {len(by_work)} works (planted {len(by_origin)}), pairs {len(found)} "
          f"(planted {len(planted)}): precision {precision:.4f}, recall {recall:.4f}")
    assert len(planted) > 30
    assert precision >= 0.98 and recall >= 0.98
