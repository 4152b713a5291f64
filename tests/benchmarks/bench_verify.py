"""verify throughput against plain ``hashlib.sha256`` streaming the same files.

Run: ``python tests/benchmarks/bench_verify.py [--size-mb 1024] [--doc-mb 4] [--rounds 2] [--dir DIR]``

Builds a throw-away archive (default in a temp dir, removed afterwards) of
random "documents" of ``--doc-mb`` MB each, stored with
``Archive.keep_original`` plus a minimal record and its ``stored`` event per
document (so verify has real records, events and a chain to check), then
times, in the same run and alternately:

* baseline: ``hashlib.sha256`` over every original, 1 MiB reads, one thread;
* verify: ``storage.integrity.fixity.verify`` (the whole check: chain, records, files).

Files are read once before timing, so both sides hash from the page cache
(the same conditions). Prints both MB/s and the ratio (goal: at least 0.8).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pathlib
import shutil
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from storage import Archive  # noqa: E402
from storage import events  # noqa: E402
from storage.database import transaction  # noqa: E402
from storage.integrity.fixity import verify  # noqa: E402
from storage.models import Document, Work, utcnow  # noqa: E402
from storage.records import field_hashes, record_hash  # noqa: E402

MB = 1_000_000


def build(home: pathlib.Path, size_mb: int, doc_mb: int) -> list[pathlib.Path]:
    """``size_mb`` MB of random documents with records and events; return the originals' paths."""
    archive = Archive.open(home)
    count = max(1, -(-size_mb // doc_mb))
    paths = []
    try:
        for i in range(count):
            data = os.urandom(doc_mb * MB)
            sha = archive.put_original(data)
            paths.append(archive.blobs.path(sha))
            with transaction(archive.sessions) as session:
                work = Work(title=f"benchmark document {i}")
                session.add(work)
                session.flush()
                doc = Document(sha256=sha, size=len(data), media_type="application/octet-stream", format=None,
                               source=f"bench://{i}", source_kind="file", obtained_at=utcnow(),
                               obtained_by="bench_verify", status="stored", blob_path=archive.blobs.relpath(sha),
                               work_id=work.id, authors=[], metadata_json={}, warnings=[], version=1,
                               relation="original")
                session.add(doc)
                session.flush()
                events.append_event(session, "stored", "ok", document_id=doc.id, work_id=work.id,
                                    detail={"source": doc.source, "fields": field_hashes(doc)},
                                    record_hash=record_hash(doc))
    finally:
        archive.close()
    return paths


def baseline(paths: list[pathlib.Path]) -> tuple[float, int]:
    """Seconds and bytes for hashlib.sha256 streaming every file (1 MiB reads)."""
    started = time.perf_counter()
    total = 0
    for path in paths:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
                total += len(chunk)
        digest.hexdigest()
    return time.perf_counter() - started, total


def timed_verify(home: pathlib.Path, workers: int | None) -> tuple[float, int]:
    archive = Archive.open(home, create=False)
    try:
        started = time.perf_counter()
        report = verify(archive, workers=workers)
        elapsed = time.perf_counter() - started
    finally:
        archive.close()
    if not report.ok:
        raise SystemExit(f"verify found problems in the benchmark archive: {report.problems[:3]}")
    return elapsed, report.bytes_hashed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="total size of the originals (default 1024)")
    parser.add_argument("--doc-mb", type=int, default=4, help="size of one document (default 4)")
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds of each side (best is kept)")
    parser.add_argument("--workers", type=int, default=None, help="verify's hashing threads (default: up to 4)")
    parser.add_argument("--dir", default=None, help="build the archive here and keep it (default: temp dir)")
    args = parser.parse_args()

    root = pathlib.Path(args.dir) if args.dir else pathlib.Path(tempfile.mkdtemp(prefix="bench-verify-"))
    home = root / "archive"
    try:
        if not (home / "archive.sqlite3").exists():
            started = time.perf_counter()
            build(home, args.size_mb, args.doc_mb)
            print(f"built {args.size_mb} MB in {time.perf_counter() - started:.1f} s at {home}")
        archive = Archive.open(home, create=False)
        paths = [p for _sha, p in archive.blobs.walk()]
        archive.close()
        baseline(paths)  # warm the page cache for both sides
        base_best = ver_best = float("inf")
        nbytes = vbytes = 0
        for _ in range(args.rounds):
            seconds, nbytes = baseline(paths)
            base_best = min(base_best, seconds)
            seconds, vbytes = timed_verify(home, args.workers)
            ver_best = min(ver_best, seconds)
        assert vbytes == nbytes, (vbytes, nbytes)
        base_rate = nbytes / MB / base_best
        ver_rate = vbytes / MB / ver_best
        print(f"{len(paths)} files, {nbytes / MB:.0f} MB, {os.cpu_count()} CPUs")
        print(f"hashlib.sha256 streaming: {base_rate:8.1f} MB/s ({base_best:.2f} s)")
        print(f"archivist verify:         {ver_rate:8.1f} MB/s ({ver_best:.2f} s)")
        print(f"ratio verify/hashlib:     {ver_rate / base_rate:8.2f} (goal >= 0.8)")
    finally:
        if not args.dir:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
