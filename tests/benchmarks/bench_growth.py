"""Whether the cost of storing a document grows with the archive: one long in-process ingest, measured per slice.

    python tests/benchmarks/bench_growth.py [--docs 30000] [--every 2000] [--workers 2] [--seed 11]

Generates a collection with ``make_collection.py`` in a temp folder and
ingests it into a new archive in one run (``run_ingest`` with
:class:`InProcessRunner`). For every ``--every`` documents stored it prints
the CPU the storing process spent in ``Archive.store_batch`` per document
(grouping, inserts, links, events, blobs: the per-document work the run waits
for), the run's rate over that slice, and the process's peak memory. A cost
that rises from slice to slice is one that grows with the archive; the
collection's first slices are the baseline, measured in the same run.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_collection import generate  # noqa: E402


class SliceMeter:
    """Wraps ``Archive.store_batch`` and prints one line for every ``every`` documents it stored."""

    def __init__(self, every: int):
        self.every = every
        self.stored = 0
        self.in_slice = 0
        self.cpu = 0.0
        self.started = self.slice_started = time.perf_counter()

    def wrap(self, store_batch):  # noqa: ANN001, ANN201 - a method of Archive, wrapped
        def measured(archive, entries, run_id=None):  # noqa: ANN001, ANN202
            cpu = time.process_time()
            try:
                return store_batch(archive, entries, run_id)
            finally:
                self.cpu += time.process_time() - cpu
                self.stored += len(entries)
                self.in_slice += len(entries)
                if self.in_slice >= self.every:
                    self.report()
        return measured

    def report(self) -> None:
        """One line: documents stored so far, and the slice's storing CPU a document, rate and peak memory."""
        now = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{self.stored:>8,} | {1000 * self.cpu / self.in_slice:18.2f} | "
              f"{self.in_slice / (now - self.slice_started):6.1f} | {peak:7.0f}", flush=True)
        self.cpu, self.in_slice, self.slice_started = 0.0, 0, now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=30_000)
    parser.add_argument("--every", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    from flows.run import InProcessRunner, run_ingest
    from flows.sources.model import expand
    from storage import Archive

    tmp = Path(tempfile.mkdtemp(prefix="bench-growth-"))
    try:
        folder = tmp / "collection"
        generate(folder, args.docs, args.seed)
        meter = SliceMeter(args.every)
        Archive.store_batch = meter.wrap(Archive.store_batch)  # type: ignore[method-assign]
        print(f"{args.docs:,} documents, {args.workers} workers, one run; per slice of {args.every:,}:")
        print("  stored | storing CPU ms/doc | docs/s | peak MB")
        archive = Archive.open(tmp / "home")
        try:
            result = run_ingest(archive, expand([str(folder)]), InProcessRunner(archive, workers=args.workers))
        finally:
            archive.close()
        if meter.in_slice:
            meter.report()
        elapsed = time.perf_counter() - meter.started
        print(f"{sum(result.summary.counts.values()):,} documents in {elapsed:.0f} s "
              f"({sum(result.summary.counts.values()) / elapsed:.1f} docs/s): {dict(result.summary.counts)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
