"""The search page at scale: p50/p95 of ``GET /search?q=…`` against ``Archive.search`` alone, same data.

Generates N documents with :mod:`bench_search` (English and Persian words,
three notes each, one work per three documents), indexes them, then times
the search page (FastAPI app through its TestClient: routing, search,
grouping, snippets, the Jinja2 page) and, as the baseline measured in the
same run, the same queries through ``Archive.search`` with no page.
The issue's goal: page p95 under 200 ms at 10k documents.

    python tests/benchmarks/bench_web.py [--docs 10000] [--samples 40]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fastapi.testclient import TestClient  # noqa: E402

from bench_search import generate, index_new, queries, timed  # noqa: E402
from flows.web.app import create_app  # noqa: E402
from storage import Archive  # noqa: E402
from storage.search import SearchFilters  # noqa: E402


def page_url(query: str, filters: SearchFilters) -> str:
    params = {"q": query, "date_from": filters.date_from, "date_to": filters.date_to, "format": filters.format}
    return "/search?" + urlencode({k: v for k, v in params.items() if v})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        with Archive.open(home) as writer:
            vocab, phrases = generate(writer, args.docs, args.seed)
            print(f"{args.docs} documents, indexed in {index_new(writer):.1f} s")
        archive = Archive.open(home, readonly=True, create=False)
        client = TestClient(create_app(archive))
        cases = queries(random.Random(args.seed + 1), vocab, phrases, args.samples)
        print(f"{'query':<12} {'page p50':>9} {'page p95':>9} {'search p50':>11} {'search p95':>11}   (ms)")
        worst = 0.0
        for kind, kind_cases in cases.items():
            def fetch(q: str, f: SearchFilters) -> None:
                response = client.get(page_url(q, f))
                assert response.status_code == 200, response.text[:300]

            client.get(page_url(*kind_cases[0]))  # warm
            page = timed(fetch, kind_cases)
            base = timed(lambda q, f: archive.search(q, f, 20, 0), kind_cases)
            worst = max(worst, page[1])
            print(f"{kind:<12} {page[0]:9.1f} {page[1]:9.1f} {base[0]:11.1f} {base[1]:11.1f}")
        print(f"worst page p95: {worst:.1f} ms (goal < 200 ms)")
        archive.close()


if __name__ == "__main__":
    main()
