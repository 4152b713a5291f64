"""Fetch throughput: ``flows.fetching.http.fetch_url`` against a local server, 50 URLs at a time.

Run: ``python tests/benchmarks/bench_fetch.py [--pages 1000] [--size-kb 64] [--concurrency 50] [--gzip]``

A stdlib ``ThreadingHTTPServer`` on 127.0.0.1 serves ``--pages`` distinct
pages of ``--size-kb`` KiB (HTTP/1.1 keep-alive; gzip-encoded with
``--gzip``). A ``ThreadPoolExecutor`` of ``--concurrency`` workers fetches
them all through one shared ``httpx.Client``, three ways:

* ``httpx``          bare ``client.get`` (the baseline: no limits, no WARC);
* ``fetch_url``      archivist's fetch (streaming size limit, redirects by hand);
* ``fetch_url+warc`` the same plus one gzip WARC file per fetch (fsync'd).

Pages/second and MB/s (of decoded body bytes; best of ``--rounds``) are printed for each. Client
and server share the machine, so the numbers are a floor for real networks,
where latency, not CPU, sets the pace.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import shutil
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from flows.fetching.http import TIMEOUT, USER_AGENT, fetch_url  # noqa: E402


def make_pages(count: int, size: int) -> list[bytes]:
    """Distinct HTML pages of about ``size`` bytes (some repetition, so gzip has work to do)."""
    pages = []
    for i in range(count):
        seed = hashlib.sha256(str(i).encode()).hexdigest()
        para = f"<p>Paragraph {seed} of page {i}: witness statement, annex and footnote text.</p>\n"
        body = para * max(1, size // len(para))
        pages.append(f"<!doctype html><html><head><title>Page {i}</title></head><body>{body}</body></html>"
                     .encode()[:size] if size < len(body) else body.encode())
    return pages


def start_server(pages: list[bytes], use_gzip: bool) -> ThreadingHTTPServer:
    bodies = [gzip.compress(p, compresslevel=6) if use_gzip else p for p in pages]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()  # headers and body go out in two writes: no Nagle delay between them
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            try:
                index = int(self.path.rsplit("/", 1)[-1])
                body = bodies[index]
            except (ValueError, IndexError):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", f'"p{index}"')
            if use_gzip:
                self.send_header("Content-Encoding", "gzip")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run(label: str, urls: list[str], concurrency: int, fetch_one, rounds: int = 1) -> tuple[float, float]:
    """Fetch every URL with ``concurrency`` threads (best of ``rounds``); print and return (pages/s, MB/s)."""
    elapsed = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            sizes = list(pool.map(fetch_one, urls))
        elapsed = min(elapsed, time.perf_counter() - started)
    pages_s = len(urls) / elapsed
    mb_s = sum(sizes) / elapsed / 1e6
    print(f"{label:<16} {len(urls):>6} pages in {elapsed:6.2f} s: {pages_s:8.1f} pages/s {mb_s:8.2f} MB/s")
    return pages_s, mb_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--size-kb", type=int, default=64)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--gzip", action="store_true", help="serve the pages gzip-encoded")
    parser.add_argument("--rounds", type=int, default=3, help="passes per mode; the best is reported")
    args = parser.parse_args()

    pages = make_pages(args.pages, args.size_kb * 1024)
    server = start_server(pages, args.gzip)
    base = f"http://127.0.0.1:{server.server_port}/page"
    urls = [f"{base}/{i}" for i in range(args.pages)]
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    home = Path(tempfile.mkdtemp(prefix="bench-fetch-"))
    warc_dir = home / "warc"
    print(f"{args.pages} pages of {args.size_kb} KiB{' (gzip)' if args.gzip else ''}, "
          f"{args.concurrency} concurrent, one shared httpx.Client, server on 127.0.0.1:{server.server_port}")
    try:
        with httpx.Client(limits=limits, timeout=TIMEOUT, headers={"User-Agent": USER_AGENT}) as client:
            run("warm-up", urls[: min(len(urls), args.concurrency * 2)], args.concurrency,
                lambda u: len(client.get(u).content))

            def bare(url: str) -> int:
                response = client.get(url)
                response.raise_for_status()
                return len(response.content)

            def archivist(url: str) -> int:
                return len(fetch_url(url, client=client).data)

            def archivist_warc(url: str) -> int:
                return len(fetch_url(url, client=client, warc_dir=warc_dir).data)

            base_rate, _ = run("httpx", urls, args.concurrency, bare, args.rounds)
            ours, _ = run("fetch_url", urls, args.concurrency, archivist, args.rounds)
            warc, _ = run("fetch_url+warc", urls, args.concurrency, archivist_warc, args.rounds)
        files = list(warc_dir.rglob("*.warc.gz"))
        size = sum(f.stat().st_size for f in files)
        print(f"fetch_url / httpx: {ours / base_rate:.2f}; with WARC / httpx: {warc / base_rate:.2f}; "
              f"{len(files)} WARC files ({args.rounds} per page), {size / 1e6:.1f} MB")
    finally:
        server.shutdown()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
