"""Re-ingest of unchanged large files: by their recorded status against reading them again, in the same run.

Run: ``python tests/benchmarks/bench_reingest_large.py [--files 40] [--mb 15] [--rounds 2] [--dir DIR]``

Writes ``--files`` web pages of about ``--mb`` MB each (a short text and a
large comment, so extraction is quick), waits out the racy window, ingests
them in-process into a new archive, then times alternately, ``--rounds``
times each:

* re-ingest reading every file again (``ARCHIVIST_REREAD_FILES=1``): the baseline;
* re-ingest trusting the file status recorded at the first ingest (the default).

When this process may drop the page cache (root on Linux), both are also
timed from a cold cache. Prints seconds and the ratio.
"""

from __future__ import annotations

import argparse
import base64
import os
import pathlib
import shutil
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from flows.fetching.files import RACY_WINDOW_S  # noqa: E402
from flows.run import InProcessRunner, run_ingest  # noqa: E402
from flows.settings import load_settings  # noqa: E402
from flows.sources.model import expand  # noqa: E402
from storage import Archive  # noqa: E402


def write_pages(folder: pathlib.Path, files: int, mb: int) -> int:
    """``files`` pages of about ``mb`` MB; return their total size in bytes."""
    folder.mkdir(parents=True)
    total = 0
    for i in range(files):
        filler = base64.b64encode(os.urandom(mb * 750_000)).decode()
        page = (f"<!doctype html><html><head><title>Annex {i}</title></head><body><article><h1>Annex {i}</h1>"
                f"<p>The commission heard witness {i} in 2019 and kept the recording of hearing {i * 7}.</p>"
                f"</article><!-- {filler} --></body></html>").encode()
        (folder / f"annex-{i:04d}.html").write_bytes(page)
        total += len(page)
    return total


def reingest(archive: Archive, folder: pathlib.Path, reread: bool) -> tuple[float, dict[str, int]]:
    """Seconds to ingest ``folder`` again, and the counts."""
    env = dict(os.environ, ARCHIVIST_REREAD_FILES="1" if reread else "0")
    items = expand([str(folder)])
    started = time.perf_counter()
    with InProcessRunner(archive, load_settings(env)) as runner:
        result = run_ingest(archive, items, runner)
    return time.perf_counter() - started, {k: v for k, v in result.summary.counts.items() if v}


def drop_caches() -> bool:
    try:
        os.sync()
        pathlib.Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--mb", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dir", help="work folder (default: a new temp folder, removed afterwards)")
    args = parser.parse_args()
    root = pathlib.Path(args.dir or tempfile.mkdtemp(prefix="bench-reingest-"))
    try:
        folder = root / "pages"
        total = write_pages(folder, args.files, args.mb)
        time.sleep(RACY_WINDOW_S + 0.5)  # older than the racy window: their statuses are recorded
        archive = Archive.open(root / "archive")
        first, counts = reingest(archive, folder, reread=True)
        print(f"{args.files} files, {total / 1e6:.0f} MB; first ingest {first:.1f} s {counts}")
        rows = {"re-read (baseline)": [], "by file status": []}
        for _ in range(args.rounds):
            rows["re-read (baseline)"].append(reingest(archive, folder, reread=True)[0])
            rows["by file status"].append(reingest(archive, folder, reread=False)[0])
        cold = {}
        if drop_caches():
            cold["re-read (baseline)"] = reingest(archive, folder, reread=True)[0]
            drop_caches()
            cold["by file status"] = reingest(archive, folder, reread=False)[0]
        base = min(rows["re-read (baseline)"])
        print(f"| re-ingest of {args.files} unchanged files | warm cache, best of {args.rounds} | cold cache |")
        print("|---|---|---|")
        for name, times in rows.items():
            best = min(times)
            cold_text = f"{cold[name]:.2f} s" if name in cold else "not measured (cannot drop caches)"
            print(f"| {name} | {best:.2f} s ({best / base:.2f}) | {cold_text} |")
        archive.close()
    finally:
        if not args.dir:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
