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

import sys
from pathlib import Path

from conftest import Cli

sys.path.insert(0, str(Path(__file__).resolve().parent / "benchmarks"))

from grouping_lineage import describe, grouping_against_lineage  # noqa: E402
from make_collection import generate  # noqa: E402

DOCS = 1000


def test_ingest_groups_the_planted_versions_and_nothing_else(tmp_path):
    lineage: dict[str, str] = {}
    counts = generate(tmp_path / "collection", DOCS, seed=3, lineage=lineage)
    assert counts["revision"] > 20 and counts["rendition"] > 5
    cli = Cli(tmp_path / "archive")
    cli("ingest", "--no-prefect", str(tmp_path / "collection"))

    got = grouping_against_lineage(tmp_path / "archive", lineage)
    print(f"\n{DOCS} files: {describe(got)}")
    assert got["planted_pairs"] > 30
    assert got["precision"] >= 0.98 and got["recall"] >= 0.98
