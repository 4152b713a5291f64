"""Pages per second: archivist's HTML path vs ``trafilatura.extract`` alone.

Run: ``python tests/benchmarks/bench_html.py [--rounds N] [FILE_OR_DIR ...]``

Both sides get the same bytes in the same run. The archivist side does
everything the extractor does (decoding, parsing, metadata with htmldate as
a fallback, footnotes, pruning, trafilatura, re-alignment, assembly); the
trafilatura side is ``trafilatura.extract(data)`` with default settings.
The goal is a ratio of at least 0.8. Pages default to the HTML fixtures; a development set of page folders
(``tests/devsets/html/pages``, mozilla/readability's ``test/test-pages``) works too. A second
ratio from each page's fastest paired run is printed too: on a loaded machine
the pages-per-second ratio swings by ±0.1 from run to run, the paired one less. A third ratio
counts CPU seconds of this process (``time.process_time``) instead of wall-clock time: other
processes on a shared machine then only slow both sides through the caches they share.

Caches: the citation tagger remembers the notes it has labelled (the versions of a page repeat
them); it is emptied before every page here, so that repeating the same pages round after round
measures what a page costs the first time it is seen.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from extractors.citations.tagger import clear_cache  # noqa: E402
from extractors.html.extractor import HtmlExtractor  # noqa: E402
from extractors.record import Hints  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "html"


def load_pages(paths: list[str]) -> list[bytes]:
    """The bytes of every ``.html`` file named or found in the named folders."""
    files: list[pathlib.Path] = []
    for name in paths or [str(FIXTURES)]:
        path = pathlib.Path(name)
        # a folder of pages, or a development set of page folders (``*/source.html``)
        files.extend((sorted(path.glob("*.htm*")) or sorted(path.glob("*/source.html"))) if path.is_dir() else [path])
    return [f.read_bytes() for f in files]


def rate(func, pages: list[bytes], rounds: int, clock=time.perf_counter) -> float:
    """Pages per ``clock`` second of ``func`` over ``rounds`` passes (after one warm-up pass)."""
    for page in pages:
        func(page)
    started = clock()
    for _ in range(rounds):
        for page in pages:
            func(page)
    return rounds * len(pages) / (clock() - started)


def paired_minimum(pages: list[bytes], ours, theirs, rounds: int) -> tuple[float, float]:
    """Seconds per pass of each side, from each page's fastest of ``rounds`` back-to-back runs.

    Less sensitive to load from other processes than pages per second over whole passes:
    a burst of load slows a few runs, not the minimum of each page.
    """
    best_ours, best_theirs = [float("inf")] * len(pages), [float("inf")] * len(pages)
    clock = time.perf_counter
    for _ in range(rounds):
        for i, page in enumerate(pages):
            started = clock()
            theirs(page)
            best_theirs[i] = min(best_theirs[i], clock() - started)
            started = clock()
            ours(page)
            best_ours[i] = min(best_ours[i], clock() - started)
    return sum(best_ours), sum(best_theirs)


def main() -> None:
    """Print both rates and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    pages = load_pages(args.paths)
    extractor = HtmlExtractor()
    hints = Hints(media_type="text/html")

    def archivist(data: bytes) -> None:
        clear_cache()
        extractor.extract(data, hints)

    def library(data: bytes) -> None:
        trafilatura.extract(data)

    # interleave the two measurements so machine noise hits both alike
    ours, theirs = [], []
    for _ in range(3):
        theirs.append(rate(library, pages, max(1, args.rounds // 3)))
        ours.append(rate(archivist, pages, max(1, args.rounds // 3)))
    ours_rate, theirs_rate = max(ours), max(theirs)
    print(f"pages: {len(pages)} ({sum(map(len, pages)) / 1024:.0f} KiB), rounds: {args.rounds}")
    print(f"trafilatura.extract : {theirs_rate:8.1f} pages/s")
    print(f"archivist html path : {ours_rate:8.1f} pages/s")
    print(f"ratio               : {ours_rate / theirs_rate:8.2f} (goal >= 0.80)")
    ours_s, theirs_s = paired_minimum(pages, archivist, library, max(3, args.rounds))
    print(f"paired per-page min : {theirs_s / ours_s:8.2f} (trafilatura {1000 * theirs_s / len(pages):.2f} ms/page, "
          f"archivist {1000 * ours_s / len(pages):.2f} ms/page)")
    ours_cpu, theirs_cpu = [], []
    for _ in range(3):
        theirs_cpu.append(rate(library, pages, max(1, args.rounds // 3), time.process_time))
        ours_cpu.append(rate(archivist, pages, max(1, args.rounds // 3), time.process_time))
    print(f"CPU-time ratio      : {max(ours_cpu) / max(theirs_cpu):8.2f} (trafilatura {1000 / max(theirs_cpu):.2f} "
          f"CPU ms/page, archivist {1000 / max(ours_cpu):.2f} CPU ms/page)")


if __name__ == "__main__":
    main()
