"""Whether listing the whole archive costs memory with its size: ``documents`` and ``works`` at two sizes.

    python tests/benchmarks/bench_listing.py [--docs 1000] [--times 3 30] [--seed 5]

Generates ``--docs`` documents with ``make_collection.py`` and ingests them
in-process into one archive, then makes archives ``--times`` as large by
copying its works, documents and identifiers in SQL (new ids, new hashes;
the listings read only those tables, and nothing else is checked here). On
each it runs ``archivist documents`` and ``works``, plain and ``--json``, as
subprocesses, and prints the seconds to the first line and to the last, and
the command's peak memory. The smaller archive is the baseline measured in
the same run: a listing that reads a chunk at a time keeps the same peak
however large the archive.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_collection import generate  # noqa: E402

COMMANDS = (("documents",), ("documents", "--json"), ("works",), ("works", "--json"))
DB = "archive.sqlite3"


def ingest(folder: Path, home: Path) -> None:
    """Ingest ``folder`` into a new archive at ``home`` in this process."""
    from flows.run import InProcessRunner, run_ingest
    from flows.sources.model import expand
    from storage import Archive

    archive = Archive.open(home)
    try:
        run_ingest(archive, expand([str(folder)]), InProcessRunner(archive, workers=2))
    finally:
        archive.close()


def multiply(source: Path, home: Path, times: int) -> int:
    """A copy of the archive at ``source`` whose works, documents and identifiers are ``times`` as many."""
    shutil.copytree(source, home, ignore=shutil.ignore_patterns("blobs", "texts"))
    db = sqlite3.connect(home / DB)
    try:
        spans = {t: db.execute(f"SELECT max(id) FROM {t}").fetchone()[0] or 0
                 for t in ("works", "documents", "document_identifiers")}
        shifted = {"works": {"id": "works"},
                   "documents": {"id": "documents", "work_id": "works", "related_document_id": "documents",
                                 "part_of_id": "documents"},
                   "document_identifiers": {"id": "document_identifiers", "document_id": "documents"}}
        for copy in range(1, times):
            for table, columns in shifted.items():
                names = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
                values = [f"{n} + {copy * spans[columns[n]]}" if n in columns else
                          f"substr(sha256, 1, 56) || printf('%08x', {copy})" if n == "sha256" else n
                          for n in names]
                db.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(values)} "
                           f"FROM {table} WHERE id <= {spans[table]}")
        db.commit()
        return db.execute("SELECT count(*) FROM documents").fetchone()[0]
    finally:
        db.close()


def listing(home: Path, args: tuple[str, ...]) -> tuple[float, float, int, float]:
    """``(seconds to the first line, to the last, lines, peak memory in MB)`` of ``archivist --home home args``."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", "from flows.cli.app import main; main()", "--home", str(home),
                             *args], stdout=subprocess.PIPE, cwd=ROOT)
    assert proc.stdout is not None
    first = None
    lines = 0
    for _line in proc.stdout:
        if first is None:
            first = time.perf_counter() - started
        lines += 1
    _pid, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"archivist {' '.join(args)} failed")
    return first or 0.0, time.perf_counter() - started, lines, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--times", type=int, nargs=2, default=(3, 30))
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-listing-"))
    try:
        generate(tmp / "collection", args.docs, args.seed)
        # in a process of its own: a child forked from a process that ingested would start with its memory
        worker = multiprocessing.get_context("spawn").Process(target=ingest, args=(tmp / "collection", tmp / "home"))
        worker.start()
        worker.join()
        if worker.exitcode != 0:
            raise SystemExit("the ingest failed")
        print(f"{'archive':>9}  {'command':<16}  {'first line':>10}  {'last line':>9}  {'lines':>9}  {'peak MB':>7}")
        for times in args.times:
            home = tmp / f"home-x{times}"
            count = multiply(tmp / "home", home, times)
            for command in COMMANDS:
                first, last, lines, peak = listing(home, command)
                print(f"{count:>9,}  {' '.join(command):<16}  {first:>9.2f}s  {last:>8.2f}s  {lines:>9,}  {peak:>7.0f}")
            shutil.rmtree(home)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
