"""Grouping of a generated collection against the lineage it was made with: pairwise precision and recall.

    python tests/benchmarks/grouping_lineage.py [--docs 30000] [--seed 7] [--home DIR] [--regroup]

Generates ``--docs`` files with ``make_collection.py`` (the lineage of every
planted duplicate, revision and rendition recorded), ingests them in-process
into a new archive (or reads ``--home``, an archive of that same collection),
and prints how many pairs of documents share a work, how many of those descend
from one text, and the pairwise precision and recall. ``--regroup`` then runs
``archivist regroup`` on the archive and prints the same figures again.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_collection import generate  # noqa: E402


def _pairs(groups: dict[object, set[int]]) -> set[tuple[int, int]]:
    return {pair for members in groups.values() for pair in itertools.combinations(sorted(members), 2)}


def grouping_against_lineage(home: Path, lineage: dict[str, str]) -> dict[str, float]:
    """Works, planted works, pairs sharing a work, planted pairs, precision and recall of the archive at
    ``home`` (documents named by their file, as ``make_collection`` names them)."""
    from sqlalchemy import select

    from storage import Archive
    from storage.models import Document

    def origin(name: str) -> str:
        while name in lineage:
            name = lineage[name]
        return name

    by_work: dict[object, set[int]] = defaultdict(set)
    by_origin: dict[object, set[int]] = defaultdict(set)
    archive = Archive.open(home, create=False)
    try:
        with archive.reading() as session:
            for doc_id, work_id, source in session.execute(select(Document.id, Document.work_id, Document.source)):
                by_work[work_id].add(doc_id)
                by_origin[origin(Path(source).name)].add(doc_id)  # duplicate bytes: the first file's name
    finally:
        archive.close()
    found, planted = _pairs(by_work), _pairs(by_origin)
    right = len(found & planted)
    return {"works": len(by_work), "planted_works": len(by_origin), "pairs": len(found),
            "planted_pairs": len(planted), "precision": right / len(found) if found else 1.0,
            "recall": right / len(planted) if planted else 1.0}


def describe(figures: dict[str, float]) -> str:
    return (f"{figures['works']:,} works (planted {figures['planted_works']:,}), {figures['pairs']:,} pairs "
            f"sharing a work (planted {figures['planted_pairs']:,}): precision {figures['precision']:.4f}, "
            f"recall {figures['recall']:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--home", type=Path, help="an archive of this same collection, ingested before")
    parser.add_argument("--regroup", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="grouping-lineage-"))
    try:
        lineage: dict[str, str] = {}
        generate(tmp / "collection", args.docs, args.seed, lineage)
        home = args.home
        if home is None:
            from flows.run import InProcessRunner, run_ingest
            from flows.sources.model import expand
            from storage import Archive

            home = tmp / "home"
            archive = Archive.open(home)
            try:
                run_ingest(archive, expand([str(tmp / "collection")]), InProcessRunner(archive, workers=2))
            finally:
                archive.close()
        print(f"ingested:  {describe(grouping_against_lineage(home, lineage))}")
        if args.regroup:
            from storage import Archive
            from storage.works.regroup import regroup

            archive = Archive.open(home, create=False)
            try:
                regroup(archive)
            finally:
                archive.close()
            print(f"regrouped: {describe(grouping_against_lineage(home, lineage))}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
