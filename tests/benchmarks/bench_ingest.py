"""Ingest throughput with 1 and with N extraction workers (both cores in use?).

Makes N distinct PDFs (the fixture PDFs with a distinct trailing comment after
%%EOF, which keeps them valid and their text the same) and ingests them
without Prefect into fresh archives, once with one extraction worker and once
with ``--workers`` (default: all cores). Prints documents/s and pages/s.

    python tests/benchmarks/bench_ingest.py [--copies 12] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader

from flows.run import InProcessRunner, run_ingest
from flows.sources.model import expand
from storage import Archive

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pdf"
CORPUS_PDF = Path(__file__).resolve().parents[2] / "corpus" / "renditions" / "003_amnesty_statement.pdf"


def make_inputs(folder: Path, copies: int) -> int:
    sources = [FIXTURES / name for name in ("detention_docx.pdf", "evictions_odt.pdf", "evictions_gs.pdf")]
    sources.append(CORPUS_PDF)
    pages = 0
    for i in range(copies):
        for src in sources:
            data = src.read_bytes() + f"\n% archivist benchmark copy {i}\n".encode()
            (folder / f"{i:03d}-{src.name}").write_bytes(data)
            pages += len(PdfReader(src).pages)
    return pages


def run(folder: Path, workers: int) -> float:
    with tempfile.TemporaryDirectory() as home:
        archive = Archive.open(home)
        started = time.perf_counter()
        summary = run_ingest(archive, expand([str(folder)]), InProcessRunner(archive, workers=workers)).summary
        elapsed = time.perf_counter() - started
        archive.close()
        assert summary.counts["failed"] == 0, summary.failures
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=6)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pages = make_inputs(folder, args.copies)
        docs = len(list(folder.iterdir()))
        one = run(folder, 1)
        many = run(folder, args.workers)
    print(f"{docs} PDFs, {pages} pages")
    print(f"1 worker   : {one:6.1f} s  {docs / one:6.2f} docs/s  {pages / one:7.1f} pages/s")
    print(f"{args.workers} workers  : {many:6.1f} s  {docs / many:6.2f} docs/s  {pages / many:7.1f} pages/s")
    print(f"speed-up   : {one / many:.2f}x on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
