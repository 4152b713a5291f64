"""Pages per second of archivist's PDF path against bare pypdf, and peak memory.

    python tests/benchmarks/bench_pdf.py [--repeat N]

For each fixture and for a 300-page PDF (assembled in a temporary directory
from the word-processor fixtures with pypdf's writer), prints the pages/second
of ``PdfExtractor().extract`` and of bare
``pypdf.PdfReader(...).pages[i].extract_text()`` on the same bytes, their
ratio, and the peak Python heap (tracemalloc) of each path on the 300-page file.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from pypdf import PdfReader, PdfWriter

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from extractors.pdf.extractor import PdfExtractor  # noqa: E402
from extractors.record import Hints  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "pdf"
SOURCES = ["detention_docx.pdf", "evictions_odt.pdf", "evictions_gs.pdf", "handwritten.pdf"]


def bare(data: bytes) -> int:
    """Bare pypdf: every page's ``extract_text()``; returns the page count."""
    reader = PdfReader(io.BytesIO(data))
    for i in range(len(reader.pages)):
        reader.pages[i].extract_text()
    return len(reader.pages)


def archivist(data: bytes) -> int:
    """archivist's whole PDF path (layout, running heads, notes, metadata)."""
    doc = PdfExtractor(time_limit=600).extract(data, Hints(filename="bench.pdf"))
    return doc.metadata.page_count or 0


def make_big(path: Path, pages: int = 300) -> bytes:
    """A ``pages``-page PDF made of copies of the word-processor fixtures."""
    writer = PdfWriter()
    readers = [PdfReader(FIXTURES / name) for name in SOURCES[:3]]
    i = 0
    while len(writer.pages) < pages:
        reader = readers[i % len(readers)]
        for page in reader.pages:
            if len(writer.pages) < pages:
                writer.add_page(page)
        i += 1
    with open(path, "wb") as fh:
        writer.write(fh)
    return path.read_bytes()


def rates(data: bytes, repeat: int) -> tuple[float, float, int]:
    """Best pages/second of bare pypdf and of archivist, runs interleaved to share machine load."""
    best_bare = best_ours = float("inf")
    pages = 0
    for _ in range(repeat):
        started = time.perf_counter()
        pages = bare(data)
        best_bare = min(best_bare, time.perf_counter() - started)
        started = time.perf_counter()
        archivist(data)
        best_ours = min(best_ours, time.perf_counter() - started)
    return pages / best_bare, pages / best_ours, pages


def pages_of(data: bytes) -> int:
    """The page count of a PDF."""
    return len(PdfReader(io.BytesIO(data)).pages)


def peak(fn, data: bytes) -> float:
    """Peak traced heap in MB while running ``fn(data)``."""
    tracemalloc.start()
    fn(data)
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big = make_big(Path(tmp) / "big300.pdf")
        files = [(name, (FIXTURES / name).read_bytes()) for name in SOURCES] + [("big300.pdf (300 pages)", big)]
        print(f"{'file':28} {'pages':>5} {'pypdf p/s':>10} {'archivist p/s':>14} {'ratio':>6}")
        total_bare = total_ours = 0.0
        total_pages = 0
        for name, data in files:
            bare_rate, ours_rate, pages = rates(data, args.repeat if pages_of(data) > 50 else args.repeat * 5)
            total_pages += pages
            total_bare += pages / bare_rate
            total_ours += pages / ours_rate
            print(f"{name:28} {pages:5d} {bare_rate:10.1f} {ours_rate:14.1f} {ours_rate / bare_rate:6.2f}")
        print(f"{'all files':28} {total_pages:5d} {total_pages / total_bare:10.1f} "
              f"{total_pages / total_ours:14.1f} {total_bare / total_ours:6.2f}")
        print(f"peak traced heap on 300 pages: pypdf {peak(bare, big):.1f} MB, "
              f"archivist {peak(archivist, big):.1f} MB")
        print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB")


if __name__ == "__main__":
    main()
