"""Throughput of ingest over a generated mixed collection, against baselines measured in the same run.

    python tests/benchmarks/bench_collection.py [--docs 10000] [--small 10000] [--workers 2] [--prefect N [--prefect-rounds 3]]

Generates the collection with ``make_collection.py`` (PDF, HTML, text,
Markdown, wikitext; planted duplicates, revisions and renditions) in a temp
folder, then measures, one after the other on the same machine:

* extraction alone: :class:`flows.extraction_pool.ExtractionPool` with
  ``--workers`` processes over every file, nothing stored (the bound the
  issue names: ingest should reach half of it);
* hashing alone: SHA-256 of every file;
* bulk inserts alone: the rows the ingest wrote (every table and the search
  index), read back and written into a new archive with SQLAlchemy Core
  ``executemany`` in one transaction;
* the sum-of-parts bound: documents / (extraction + hashing + inserts);
* grouping alone: each stored document's keys, candidates and comparisons,
  in one process, stored nothing (what the 0.5 goal must also fit in: the
  CPU it leaves after extraction is printed beside it);
* ingest in-process (``run_ingest`` with :class:`InProcessRunner`) into a new
  archive (and its works against the collection's planted lineage: pairwise
  precision and recall, ``grouping_lineage.py``), then re-ingest of the
  unchanged collection into the same archive;
* ``--small`` tiny text files (one folder) ingested into another new archive;
* ``verify`` of the first archive against ``hashlib.sha256`` streaming the
  same blobs;
* peak memory (resident) of this process and of the extraction workers;
* the CPU of the ingest, in this (storing) process and in the workers, beside the
  workers' CPU in "extraction alone": on two busy cores, the total CPU of a document
  bounds the rate;
* with ``--prefect N``: the first N files through the Prefect flow (temporary
  server start-up reported apart) against the same N in-process, the best of
  ``--prefect-rounds`` (3) runs of each.

Prints one table; ratios are what to compare (the machine is shared).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_verify import baseline as hashlib_baseline  # noqa: E402
from grouping_lineage import describe as describe_grouping  # noqa: E402
from grouping_lineage import grouping_against_lineage  # noqa: E402
from make_collection import generate  # noqa: E402


class CPU:
    """CPU seconds of this process and of its reaped children (the extraction workers, joined when their
    pool closes) over a ``with`` block: ``own``, ``workers``."""

    def __enter__(self) -> CPU:
        self._own, self._kids = self._now()
        return self

    def __exit__(self, *exc: object) -> None:
        own, kids = self._now()
        self.own, self.workers = own - self._own, kids - self._kids

    @staticmethod
    def _now() -> tuple[float, float]:
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def files_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def extraction_alone(paths: list[Path], workers: int) -> float:
    """Seconds to extract every file in a pool of ``workers`` (nothing stored)."""
    from extractors import Hints
    from flows.extraction_pool import ExtractionPool

    with ExtractionPool(workers) as pool:
        pool.start()
        pool.extract(b"warm-up", Hints(filename="warm.txt"))
        started = time.perf_counter()
        futures = [pool.submit(p.read_bytes(), Hints(filename=p.name)) for p in paths]
        for future in futures:
            try:
                future.result()
            except Exception:  # noqa: BLE001 - a failure costs its time all the same
                pass
        return time.perf_counter() - started


def hashing_alone(paths: list[Path]) -> float:
    started = time.perf_counter()
    for p in paths:
        hashlib.sha256(p.read_bytes()).hexdigest()
    return time.perf_counter() - started


def inserts_alone(source_home: Path, home: Path) -> tuple[float, int]:
    """Seconds to write, in bulk, the very rows the ingest wrote (every table, and the search index),
    into a new archive in one transaction; and how many rows that is.

    The rows are read from the ingested archive first (not timed), then
    inserted table by table with SQLAlchemy Core ``executemany``: the inserts
    of the sum-of-parts bound are the same inserts, done in bulk.
    """
    from sqlalchemy import delete, insert, select, text

    from storage import Archive
    from storage.models import Base

    source = Archive.open(source_home, create=False)
    tables = list(Base.metadata.sorted_tables)
    with source.engine.connect() as conn:
        rows = {t.name: [dict(r._mapping) for r in conn.execute(select(t))] for t in tables}
        fts = [dict(r._mapping) for r in conn.execute(text(
            "SELECT rowid AS id, title, ids, meta, notes, body FROM documents_fts"))]
    source.close()
    archive = Archive.open(home)
    with archive.engine.begin() as conn:  # what a new archive holds already (the chain head), not timed
        for t in reversed(tables):
            conn.execute(delete(t))
    started = time.perf_counter()
    with archive.engine.begin() as conn:
        for t in tables:
            for i in range(0, len(rows[t.name]), 5000):
                conn.execute(insert(t), rows[t.name][i:i + 5000])
        if fts:
            conn.execute(text("INSERT INTO documents_fts(rowid, title, ids, meta, notes, body) "
                              "VALUES (:id, :title, :ids, :meta, :notes, :body)"), fts)
    elapsed = time.perf_counter() - started
    archive.close()
    return elapsed, sum(len(v) for v in rows.values()) + len(fts)


def grouping_alone(home: Path) -> tuple[float, int]:
    """Seconds of the pure grouping work of the ingest, in this one process; and the comparisons made.

    Over the ingested archive's documents in the order they were stored: each
    one's keys (``index_keys``), its candidates among the documents stored
    before it (``ranked_candidates``), their texts, and one ``compare`` per
    candidate worth confirming -- what the workers and the storing process do
    between them for each document, without storing anything.
    """
    from sqlalchemy import text

    from storage import Archive
    from storage.works.confirm import compare
    from storage.works.fingerprints import analyze
    from storage.works.index import candidate_texts, index_keys, ranked_candidates, worth_confirming

    archive = Archive.open(home, create=False)
    compared = 0
    try:
        with archive.engine.connect() as conn:
            docs = conn.execute(text("SELECT id, text, title FROM documents WHERE status = 'stored' "
                                     "AND text IS NOT NULL ORDER BY id")).all()
            notes: dict[int, list[str]] = {}
            for doc_id, note in conn.execute(text("SELECT document_id, text FROM footnotes ORDER BY document_id, seq")):
                notes.setdefault(doc_id, []).append(note)
            analyze.cache_clear()
            started = time.perf_counter()
            for doc_id, body, title in docs:
                keys = index_keys(body, title)
                found = worth_confirming(ranked_candidates(conn, keys, up_to=doc_id - 1), keys)
                loaded = candidate_texts(conn, [d for d, _ in found])
                for cand_id, _exact in found:
                    if cand_id in loaded:
                        cand_text, cand_title, cand_notes = loaded[cand_id]
                        compare(cand_text, body, cand_title, title, cand_notes, notes.get(doc_id, []), explain=False)
                        compared += 1
            return time.perf_counter() - started, compared
    finally:
        archive.close()


def ingest(folder: Path, home: Path, workers: int) -> tuple[float, dict[str, int]]:
    from flows.run import InProcessRunner, run_ingest
    from flows.sources.model import expand
    from storage import Archive

    archive = Archive.open(home)
    try:
        started = time.perf_counter()
        result = run_ingest(archive, expand([str(folder)]), InProcessRunner(archive, workers=workers))
        return time.perf_counter() - started, result.summary.counts
    finally:
        archive.close()


def verify_against_hashlib(home: Path) -> tuple[float, float]:
    """MB/s of ``verify`` and of hashlib over the same blobs (best of two each)."""
    from storage import Archive
    from storage.integrity.fixity import verify

    archive = Archive.open(home, create=False)
    paths = [p for _s, p in archive.blobs.walk()] + [p for _s, p in archive.texts.walk()]
    best_v = best_h = float("inf")
    nbytes = hashed = 0
    try:
        for _ in range(2):
            seconds, nbytes = hashlib_baseline(paths)
            best_h = min(best_h, seconds)
            started = time.perf_counter()
            report = verify(archive)
            best_v = min(best_v, time.perf_counter() - started)
            hashed = report.bytes_hashed
            if not report.ok:
                raise SystemExit(f"verify found problems: {report.problems[:3]}")
    finally:
        archive.close()
    return hashed / 1e6 / best_v, nbytes / 1e6 / best_h


def prefect_vs_inprocess(paths: list[Path], tmp: Path, workers: int, rounds: int = 3) -> tuple[float, float, float]:
    """(Prefect seconds incl. start-up, Prefect ingest seconds, in-process seconds) for the same files, each
    the best of ``rounds`` runs into new archives, the two paths alternating (a run of 300 files takes ~3 s,
    and one run of it swings by 20 % on a shared machine)."""
    folder = tmp / "prefect-input"
    folder.mkdir()
    for i, p in enumerate(paths):
        shutil.copy(p, folder / f"{i:05d}-{p.name}")
    from flows.prefect.ingest import ingest_flow  # noqa: PLC0415 - only when asked: Prefect's start-up

    total = inner = local = float("inf")
    for r in range(rounds):
        started = time.perf_counter()
        result = ingest_flow([str(folder)], home=str(tmp / f"prefect-home-{r}"))
        elapsed = time.perf_counter() - started
        total = min(total, elapsed)
        inner = min(inner, float(result.get("ingest_seconds", elapsed)) if isinstance(result, dict) else elapsed)
        local = min(local, ingest(folder, tmp / f"inproc-home-{r}", workers)[0])
    return total, inner, local


def small_files(folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    for i in range(count):
        (folder / f"note-{i:05d}.txt").write_text(f"Short note number {i}: seen at post {i * 7 % 101}, "
                                                  f"reported {i % 28 + 1} March.\n")


def peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, kids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=10_000, help="tiny files for the many-small-files case (0: skip)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--prefect", type=int, default=0, help="also run the first N files through Prefect")
    parser.add_argument("--prefect-rounds", type=int, default=3,
                        help="runs of each path, alternating; the best of each is compared (one run swings by 20 %%)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-collection-"))
    rows: list[tuple[str, str, str]] = []
    try:
        folder = tmp / "collection"
        lineage: dict[str, str] = {}
        kinds = generate(folder, args.docs, args.seed, lineage)
        paths = files_of(folder)
        n = len(paths)
        size_mb = sum(p.stat().st_size for p in paths) / 1e6
        with CPU() as extract_cpu:
            extract_s = extraction_alone(paths, args.workers)
        hash_s = hashing_alone(paths)
        with CPU() as ingest_cpu:
            ingest_s, counts = ingest(folder, tmp / "home", args.workers)
        grouped = grouping_against_lineage(tmp / "home", lineage)
        again_s, again_counts = ingest(folder, tmp / "home", args.workers)
        own_mb, kids_mb = peak_mb()  # of the ingests: before the baselines below load rows into memory
        insert_s, insert_rows = inserts_alone(tmp / "home", tmp / "bulk-home")
        bound_s = extract_s + hash_s + insert_s
        group_s, compared = grouping_alone(tmp / "home")
        # at the 0.5 goal the ingest may take twice the extraction's time on the same cores: the CPU left
        # for everything after extraction is then what the extraction itself used
        left_ms = 1000 * args.workers * extract_s / n
        rows += [
            ("collection", f"{n} files, {size_mb:.1f} MB", ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))),
            ("extraction alone", f"{n / extract_s:8.1f} docs/s", f"{extract_s:.1f} s on {args.workers} workers"),
            ("hashing alone", f"{n / hash_s:8.1f} docs/s", f"{hash_s:.2f} s"),
            ("bulk inserts alone", f"{n / insert_s:8.1f} docs/s", f"{insert_s:.2f} s: the ingest's {insert_rows} rows "
                                                                  "(search index included), one transaction"),
            ("sum-of-parts bound", f"{n / bound_s:8.1f} docs/s", f"{bound_s:.1f} s"),
            ("grouping alone", f"{1000 * group_s / n:8.2f} ms/doc", f"{group_s:.1f} s in one process: keys, "
                                                                   f"candidates, {compared} comparisons"),
            ("CPU after extraction", f"{left_ms:8.2f} ms/doc", "what the 0.5 goal leaves for everything after "
             f"extraction; grouping + bulk inserts alone take {1000 * (group_s + insert_s) / n:.2f}"),
            ("ingest (in-process)", f"{n / ingest_s:8.1f} docs/s", f"{ingest_s:.1f} s; {counts}"),
            ("  its CPU", f"{1000 * (ingest_cpu.own + ingest_cpu.workers) / n:8.2f} ms/doc",
             f"storing process {1000 * ingest_cpu.own / n:.2f}, workers {1000 * ingest_cpu.workers / n:.2f} "
             f"(extraction alone: workers {1000 * extract_cpu.workers / n:.2f}, their start-up included); "
             f"{100 * (ingest_cpu.own + ingest_cpu.workers) / (args.workers * ingest_s):.0f}% of "
             f"{args.workers} cores"),
            ("  / extraction alone", f"{extract_s / ingest_s:8.2f}", "goal >= 0.5"),
            ("  / sum-of-parts bound", f"{bound_s / ingest_s:8.2f}", "goal >= 0.8"),
            ("  its works vs the lineage", f"P {grouped['precision']:.4f} R {grouped['recall']:.4f}",
             describe_grouping(grouped)),
            ("re-ingest unchanged", f"{again_s:8.2f} s", f"{100 * again_s / ingest_s:.1f}% of the first run "
                                                         f"(goal <= 5%); {again_counts}"),
            ("peak memory (ingest)", f"{own_mb:8.0f} MB", f"main process; largest extraction worker {kids_mb:.0f} MB"),
        ]
        if args.small:
            small_files(tmp / "small", args.small)
            small_s, small_counts = ingest(tmp / "small", tmp / "small-home", args.workers)
            rows.append((f"{args.small} small files", f"{small_s:8.1f} s", f"goal < 120 s; {small_counts}"))
        ver_rate, hash_rate = verify_against_hashlib(tmp / "home")
        rows += [("verify", f"{ver_rate:8.1f} MB/s", f"hashlib {hash_rate:.1f} MB/s; ratio "
                                                     f"{ver_rate / hash_rate:.2f} (goal >= 0.8)")]
        if args.prefect:
            total, inner, local = prefect_vs_inprocess(paths[:args.prefect], tmp, args.workers, args.prefect_rounds)
            rows.append((f"Prefect, {args.prefect} files", f"{inner:8.1f} s", f"{total:.1f} s with start-up; "
                         f"in-process {local:.1f} s; ratio {inner / local:.2f} (goal <= 1.25; best of "
                         f"{args.prefect_rounds} each)"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    width = max(len(r[0]) for r in rows)
    for name, figure, note in rows:
        print(f"{name:<{width}}  {figure:>16}  {note}")


if __name__ == "__main__":
    main()
