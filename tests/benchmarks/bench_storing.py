"""The storing path alone: records extracted beforehand, then ``Archive.store_batch`` in this one process.

    python tests/benchmarks/bench_storing.py [--docs 600] [--rounds 3] [--seed 7]

Generates a collection with ``make_collection.py``, extracts its files and
computes their grouping keys in this process (not timed), then stores them in
batches of 64 into new archives, as an ingest's storing process does (no
extraction workers, so no prematches: this process ranks and compares every
candidate itself). Prints the CPU a document of the best of ``--rounds`` runs,
and the number of Python function calls a document of one more run under
cProfile. The count does not move with the machine's speed (timings here move
by up to 50 % from one minute to the next), so it is the figure to compare
between two versions of the storing path.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_collection import generate  # noqa: E402

BATCH = 64


def extracted(folder: Path) -> list[tuple[str, bytes, object, str | None, tuple | None]]:
    """``(path, bytes, record or None, error or None, (title, keys) or None)`` of every file, in order."""
    from extractors import ExtractionError, Hints, extract
    from storage.works.index import index_keys

    items = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        try:
            record = extract(data, Hints(filename=path.name))
        except ExtractionError as exc:
            items.append((str(path), data, None, str(exc), None))
            continue
        title = record.metadata.title
        items.append((str(path), data, record, None, (title, index_keys(record.text, title))))
    return items


def store_all(items: list, home: Path, profile: cProfile.Profile | None = None) -> float:
    """CPU seconds of storing ``items`` into a new archive at ``home`` (originals put beforehand, not timed)."""
    from storage import Archive, Provenance
    from storage.archive import BatchEntry

    archive = Archive.open(home)
    try:
        entries = [BatchEntry(archive.put_original(data, sync=False), len(data),
                              Provenance(source=path, source_kind="file", obtained_by="bench_storing"),
                              record=record, error=error, keys=keys)
                   for path, data, record, error, keys in items]
        archive.sync_blobs()
        cpu = time.process_time()
        if profile is not None:
            profile.enable()
        for start in range(0, len(entries), BATCH):
            archive.store_batch(entries[start:start + BATCH])
        if profile is not None:
            profile.disable()
        return time.process_time() - cpu
    finally:
        archive.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-storing-"))
    try:
        generate(tmp / "collection", args.docs, args.seed)
        items = extracted(tmp / "collection")
        best = min(store_all(items, tmp / f"home-{r}") for r in range(args.rounds))
        profile = cProfile.Profile()
        store_all(items, tmp / "home-profiled", profile)
        calls = pstats.Stats(profile).total_calls
        n = len(items)
        print(f"{n} documents stored in batches of {BATCH}, in one process, records extracted beforehand:")
        print(f"  CPU                 {1000 * best / n:8.3f} ms a document (best of {args.rounds})")
        print(f"  Python calls        {calls / n:8.0f} a document (one run under cProfile)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
