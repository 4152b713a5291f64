"""Grouping through the real SQL index: incremental placement and `regroup` at scale.

Uses the synthetic corpus of ``bench_grouping.py`` (planted revisions and
renditions) but runs archivist's own code path: every document is a row,
placed by ``storage.works.index.place_text`` in its own transaction with its
"grouped" event, its candidate keys stored in ``work_keys``; then
``storage.works.regroup.regroup`` rebuilds every work from scratch. Prints wall
time, peak memory (max RSS), the candidate lookup time per new document at
the largest N, and pairwise F1 against the planted truth.

    python tests/benchmarks/bench_grouping_sql.py [--sizes 10000 30000] [--db URL]
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_grouping import make_corpus, pairwise_f1  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from storage import Archive  # noqa: E402
from storage import events as chain  # noqa: E402
from storage.database import transaction  # noqa: E402
from storage.models import Document, WorkKey, utcnow  # noqa: E402
from storage.works.regroup import regroup  # noqa: E402
from storage.works.index import candidates, find_match, index_keys, place_text, record_grouping  # noqa: E402


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int, seed: int, db_url: str | None) -> None:
    texts, truth = make_corpus(n, seed)
    with tempfile.TemporaryDirectory() as home:
        archive = Archive.open(home, db_url)
        lookups: list[float] = []
        confirms: list[float] = []
        started = time.perf_counter()
        for i, text in enumerate(texts):
            sha = hashlib.sha256(f"{i}:{text}".encode()).hexdigest()
            with transaction(archive.sessions) as session:
                chain.lock_head(session)
                if i % 50 == 0:  # sample the index lookup alone, and with the confirmation step
                    keys = index_keys(text, None)
                    t = time.perf_counter()
                    candidates(session, keys)
                    lookups.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    find_match(session, text, None, keys)
                    confirms.append(time.perf_counter() - t)
                now = utcnow()
                doc = Document(sha256=sha, size=len(text), media_type="text/plain", format="text",
                               source=f"synthetic/{i}", source_kind="file", obtained_at=now,
                               obtained_by="benchmark", status="stored", blob_path="-", text=text,
                               text_sha256=hashlib.sha256(text.encode()).hexdigest(), authors=[],
                               metadata_json={}, warnings=[], ingested_at=now)
                placement = place_text(session, doc, text, None)
                record_grouping(session, doc, None, placement)
        incremental = time.perf_counter() - started
        with archive.reading() as session:
            pred = [w for _, w in session.execute(select(Document.id, Document.work_id).order_by(Document.id))]
            key_rows = session.scalar(select(func.count()).select_from(WorkKey))
        p, r, f1 = pairwise_f1(pred, truth)
        rss_after_ingest = max_rss_mb()
        started = time.perf_counter()
        report = regroup(archive)
        regroup_s = time.perf_counter() - started
        with archive.reading() as session:
            pred2 = [w for _, w in session.execute(select(Document.id, Document.work_id).order_by(Document.id))]
        p2, r2, f2 = pairwise_f1(pred2, truth)
        archive.close()
    print(f"N={n:>7}: incremental {incremental:7.1f} s ({incremental / n * 1000:5.2f} ms/doc), "
          f"index lookup mean {statistics.mean(lookups) * 1000:5.2f} ms p99 "
          f"{sorted(lookups)[int(len(lookups) * 0.99)] * 1000:5.2f} ms, with confirmation mean "
          f"{statistics.mean(confirms) * 1000:5.2f} ms, {key_rows} index rows, "
          f"F1 {f1:.4f} (P {p:.4f} R {r:.4f}), max RSS {rss_after_ingest:.0f} MB")
    print(f"           regroup {regroup_s:7.1f} s ({regroup_s / n * 1000:5.2f} ms/doc), moved {len(report.moved)}, "
          f"F1 {f2:.4f}, max RSS {max_rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", default=None, help="database URL (default: SQLite in a temp dir)")
    args = parser.parse_args()
    for n in args.sizes:
        run(n, args.seed, args.db)


if __name__ == "__main__":
    main()
