"""Search at scale: index time and p50/p95 query latency, new search against the old one, same data.

Generates N documents (English and Persian words, three footnotes each,
title, identifier, date, format; one work per three documents, so grouping
has work to do) straight into the tables, then

- indexes them with ``storage.search`` (title, ids, metadata, notes, body,
  python-normalised) and, as the baseline, the pre-issue-15 index (FTS5
  ``title, text`` with ``unicode61``; PostgreSQL ``to_tsvector('simple')``
  GIN expression index);
- runs word, phrase, prefix and filtered queries (``--samples`` each) with
  ``storage.search.search`` (grouped by work, total, page of 20, snippets
  and note hits; ranking reads the first ``storage.search.run.CANDIDATES``
  matching documents) and with the baseline's SQL (ungrouped, no snippets
  in Python, no total).

Prints index seconds, p50/p95 milliseconds per query kind, and how many of
the new search's samples matched more than CANDIDATES documents ("capped":
their total is a lower bound). The goal (issue 15) is p95 <= 100 ms for
word, phrase, prefix and filtered queries at 100k documents.

    python tests/benchmarks/bench_search.py [--docs 100000] [--samples 40] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text as sql  # noqa: E402

from storage import Archive  # noqa: E402
from storage.database import transaction  # noqa: E402
from storage.models import Document, DocumentIdentifier, StoredFootnote, Work, utcnow  # noqa: E402
from storage.search import SearchFilters, search  # noqa: E402
from storage.search.index import document_fields, write_entry  # noqa: E402

PERSIAN = ["زندان", "اعدام", "کشتار", "تابستان", "گزارش", "خانواده", "دادگاه", "محاکمه", "زندانی", "گورستان"]
FORMATS = ["pdf", "html", "text", "markdown"]


def vocabulary(rng: random.Random, size: int = 20000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(3, 10))) for _ in range(size)}
    return sorted(words) + PERSIAN


def words(rng: random.Random, vocab: list[str], n: int) -> str:
    # Zipf-like: a few words are very common, most are rare.
    return " ".join(vocab[min(len(vocab) - 1, int(rng.paretovariate(1.1)) - 1)] if rng.random() < 0.5
                    else rng.choice(vocab) for _ in range(n))


def generate(archive: Archive, n: int, seed: int) -> tuple[list[str], list[str]]:
    """Insert ``n`` documents; return the vocabulary and some two-word phrases from the texts."""
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    phrases: list[str] = []
    now = utcnow()
    with transaction(archive.sessions) as session:
        session.execute(insert(Work), [{"id": w + 1, "title": f"work {w}", "created_at": now}
                                       for w in range(n // 3 + 1)])
        for start in range(0, n, 5000):
            count = min(5000, n - start)
            docs, notes, ids = [], [], []
            for i in range(start, start + count):
                body = words(rng, vocab, 150)
                if len(phrases) < 400 and rng.random() < 0.05:
                    parts = body.split()
                    k = rng.randrange(len(parts) - 1)
                    phrases.append(f'"{parts[k]} {parts[k + 1]}"')
                docs.append({"id": i + 1, "sha256": f"{i:064x}", "size": len(body), "media_type": "text/plain",
                             "format": FORMATS[i % 4], "source": f"synthetic/{i}", "source_kind": "file",
                             "obtained_at": now, "obtained_by": "benchmark", "status": "stored",
                             "blob_path": "-", "text": body, "title": words(rng, vocab, 6),
                             "date": f"{1980 + i % 45}-0{1 + i % 9}-1{i % 10}", "authors": [],
                             "language": "fa" if i % 10 == 0 else "en", "metadata_json": {},
                             "warnings": [], "work_id": i // 3 + 1, "version": i % 3 + 1,
                             "relation": "original" if i % 3 == 0 else "rendition", "ingested_at": now})
                notes += [{"document_id": i + 1, "seq": s, "label": str(s), "text": words(rng, vocab, 15),
                           "confidence": 1.0} for s in (1, 2, 3)]
                ids.append({"document_id": i + 1, "scheme": "un-symbol", "value": f"A/HRC/{i % 60}/{i}"})
            session.execute(insert(Document), docs)
            session.execute(insert(StoredFootnote), notes)
            session.execute(insert(DocumentIdentifier), ids)
        if archive.engine.dialect.name == "postgresql":
            for table in ("works", "documents", "footnotes", "document_identifiers"):
                session.execute(sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT max(id) FROM {table}))"))
    return vocab, phrases


def index_new(archive: Archive) -> float:
    """Index every document with storage.search; seconds."""
    started = time.perf_counter()
    with transaction(archive.sessions) as session:
        notes: dict[int, list[str]] = {}
        for doc_id, text in session.execute(sql("SELECT document_id, text FROM footnotes ORDER BY document_id, seq")):
            notes.setdefault(doc_id, []).append(text)
        ids: dict[int, list[str]] = {}
        for doc_id, value in session.execute(sql("SELECT document_id, value FROM document_identifiers")):
            ids.setdefault(doc_id, []).append(value)
        for doc_id, title, body, date in session.execute(sql("SELECT id, title, text, date FROM documents")).all():
            write_entry(session, doc_id, document_fields(title, ids.get(doc_id, []), [], date, {},
                                                         notes.get(doc_id, []), body))
    return time.perf_counter() - started


def index_old(archive: Archive) -> float:
    """The pre-issue-15 index (title and body only); seconds."""
    started = time.perf_counter()
    with transaction(archive.sessions) as session:
        if archive.engine.dialect.name == "sqlite":
            session.execute(sql("CREATE VIRTUAL TABLE old_fts USING fts5(title, text, "
                                "tokenize='unicode61 remove_diacritics 2')"))
            session.execute(sql("INSERT INTO old_fts(rowid, title, text) "
                                "SELECT id, coalesce(title, ''), coalesce(text, '') FROM documents"))
        else:
            session.execute(sql("CREATE INDEX old_ix ON documents USING gin (to_tsvector('simple', "
                                "coalesce(title, '') || ' ' || coalesce(text, '')))"))
    return time.perf_counter() - started


def search_old(session, query: str, filters: SearchFilters) -> int:
    """The old search's SQL (phrase first for bare words), with the filters added as WHERE clauses."""
    extra = " AND d.format = :fmt" if filters.format else ""
    extra += " AND d.date >= :df AND d.date <= :dt" if filters.date_from else ""
    params = {"fmt": filters.format, "df": filters.date_from, "dt": filters.date_to}
    if session.get_bind().dialect.name == "sqlite":
        terms = ['"' + t.strip('"') + '"' + ("*" if t.endswith("*") else "") for t in query.replace("*", " *").split()
                 if t != "*"]
        rows = session.execute(sql(
            "SELECT d.id, snippet(old_fts, 1, '[', ']', '…', 24), bm25(old_fts) AS r FROM old_fts "
            f"JOIN documents d ON d.id = old_fts.rowid WHERE old_fts MATCH :q{extra} ORDER BY r, d.id LIMIT 20"),
            {"q": " ".join(terms), **params}).all()
        return len(rows)
    rows = session.execute(sql(
        "SELECT d.id, ts_headline('simple', d.text, q), ts_rank(to_tsvector('simple', coalesce(d.title, '') || ' ' "
        "|| coalesce(d.text, '')), q) AS r FROM documents d, websearch_to_tsquery('simple', :q) q "
        f"WHERE to_tsvector('simple', coalesce(d.title, '') || ' ' || coalesce(d.text, '')) @@ q{extra} "
        "ORDER BY r DESC, d.id LIMIT 20"), {"q": query.replace("*", ""), **params}).all()
    return len(rows)


def queries(rng: random.Random, vocab: list[str], phrases: list[str], samples: int) -> dict[str, list]:
    common = vocab[:200]
    return {
        "word": [(rng.choice(vocab), SearchFilters()) for _ in range(samples)],
        "common word": [(rng.choice(common[:20]), SearchFilters()) for _ in range(samples)],
        "two words": [(f"{rng.choice(common)} {rng.choice(vocab)}", SearchFilters()) for _ in range(samples)],
        "phrase": [(rng.choice(phrases), SearchFilters()) for _ in range(samples)],
        "prefix": [(rng.choice(vocab)[:3] + "*", SearchFilters()) for _ in range(samples)],
        "filtered": [(rng.choice(vocab), SearchFilters(date_from="1990", date_to="2005", format="pdf"))
                     for _ in range(samples)],
    }


def timed(fn, cases) -> tuple[float, float, int]:
    """p50 and p95 milliseconds of ``fn`` over ``cases``, and how many results were capped."""
    times, capped = [], 0
    for query, filters in cases:
        started = time.perf_counter()
        result = fn(query, filters)
        times.append((time.perf_counter() - started) * 1000)
        capped += getattr(result, "total_exact", True) is False
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))], capped


def run(backend: str, n: int, samples: int, seed: int, db_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as home:
        archive = Archive.open(home, db_url)
        t = time.perf_counter()
        vocab, phrases = generate(archive, n, seed)
        print(f"\n== {backend}: {n} documents generated in {time.perf_counter() - t:.1f} s")
        print(f"index   new (title, ids, notes, body; normalised): {index_new(archive):7.1f} s")
        print(f"index   old (title, body):                          {index_old(archive):7.1f} s")
        if archive.engine.dialect.name == "postgresql":
            with transaction(archive.sessions) as session:  # planner statistics, as autovacuum keeps them
                session.execute(sql("ANALYZE"))
        cases = queries(random.Random(seed + 1), vocab, phrases, samples)
        print(f"{'query':<12} {'new p50':>9} {'new p95':>9} {'old p50':>9} {'old p95':>9}   (ms)  capped")
        for kind, kind_cases in cases.items():
            with archive.reading() as session:
                new = timed(lambda q, f: search(session, q, f, limit=20), kind_cases)
            with archive.reading() as session:
                old = timed(lambda q, f: search_old(session, q, f), kind_cases)
            print(f"{kind:<12} {new[0]:9.1f} {new[1]:9.1f} {old[0]:9.1f} {old[1]:9.1f}   {new[2]:>8}/{len(kind_cases)}")
        archive.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        run("sqlite", args.docs, args.samples, args.seed, None)
    if args.backend in ("postgresql", "both"):
        from postgres_server import PostgresServer

        server = PostgresServer().start()
        try:
            run("postgresql", args.docs, args.samples, args.seed, server.create_database("bench_search"))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
