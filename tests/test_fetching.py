"""Fetching over HTTP against a real local server (pytest-httpserver on loopback).

Retries, time-outs, 4xx, redirects, size limits, content sniffing, gzip,
conditional GET (304), refused schemes, the User-Agent, and the WARC capture
of every response.
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from warcio.archiveiterator import ArchiveIterator
from werkzeug import Request, Response

from conftest import FIXTURES
from flows.errors import FetchError
from flows.fetching.http import USER_AGENT, Fetched, fetch_url
from storage.provenance import Provenance

HTML = (FIXTURES / "html" / "news_article.html").read_bytes()
BLOG = (FIXTURES / "html" / "news_blog.html").read_bytes()  # served gzip-encoded
PDF = (FIXTURES / "pdf" / "evictions_odt.pdf").read_bytes()
PAGE = b"<!doctype html><html><head><title>Report</title></head><body><p>Evidence page.</p></body></html>"


@pytest.fixture(scope="module")
def _server():
    """A threaded server on 127.0.0.1 (HTTP/1.1, chunked streaming, a sleeping handler blocks no one)."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def server(_server):
    _server.clear()
    yield _server
    _server.clear()


def requests_to(server: HTTPServer, path: str) -> list[Request]:
    return [req for req, _ in server.log if req.path == path]


def db_rows(home: Path):
    """(fetch rows, event kinds) of the archive at ``home``."""
    from sqlalchemy import select

    from storage import Archive
    from storage.models import Event, Fetch

    with Archive.open(home) as archive, archive.sessions() as session:
        fetches = list(session.scalars(select(Fetch).order_by(Fetch.id)))
        kinds = list(session.scalars(select(Event.kind).order_by(Event.id)))
    return fetches, kinds


def warc_records(path: Path) -> list:
    """(type, target URI, status, raw payload, decoded payload, record) of each record."""
    out = []
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh):
            status = rec.http_headers.get_statuscode() if rec.http_headers and rec.rec_type == "response" else None
            raw = rec.raw_stream.read()
            out.append({"type": rec.rec_type, "uri": rec.rec_headers.get_header("WARC-Target-URI"),
                        "status": status, "raw": raw, "rec": rec})
    return out


def decoded_payloads(path: Path) -> list[bytes]:
    with open(path, "rb") as fh:
        return [rec.content_stream().read() for rec in ArchiveIterator(fh) if rec.rec_type == "response"]


# -- retries (through the real Prefect flow) --------------------------------------------------------------------


def test_500_then_200_is_retried_and_404_is_not(prefect_harness, server, tmp_path):
    calls = {"n": 0}

    def flaky(request: Request) -> Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return Response(b"busy, try later", status=500, content_type="text/plain")
        return Response(PAGE, status=200, content_type="text/html; charset=utf-8")

    server.expect_request("/flaky").respond_with_handler(flaky)
    server.expect_request("/missing").respond_with_data(b"<h1>Not here</h1>", status=404, content_type="text/html")
    from flows.prefect.ingest import ingest_flow

    home = tmp_path / "a"
    result = ingest_flow([server.url_for("/flaky"), server.url_for("/missing")], home=str(home), db_url=None)
    assert len(requests_to(server, "/flaky")) == 2  # the 500 was retried once, with backoff
    assert len(requests_to(server, "/missing")) == 1  # a 404 is final
    assert result["counts"]["stored"] == 1 and result["counts"]["failed"] == 1, result
    by_source = {o["source"]: o for o in result["outcomes"]}
    assert by_source[server.url_for("/flaky")]["status"] == "stored"
    fetches, _ = db_rows(home)
    flaky_rows = [f for f in fetches if f.source == server.url_for("/flaky")]
    assert [f.status_code for f in flaky_rows] == [200]
    assert (home / flaky_rows[0].warc_path).is_file()


# -- time-outs and connection errors -----------------------------------------------------------------------------


def test_timeout_is_retryable(server):
    released = threading.Event()

    def slow(request: Request) -> Response:
        released.wait(5)  # longer than the client's 0.5 s time-out
        return Response(PAGE, content_type="text/html")

    server.expect_request("/slow").respond_with_handler(slow)
    started = time.perf_counter()
    try:
        with pytest.raises(FetchError) as info:
            fetch_url(server.url_for("/slow"), timeout=0.5)
        assert time.perf_counter() - started < 2.5
        assert info.value.retryable
        assert "timed out" in str(info.value)
    finally:
        released.set()
        deadline = time.monotonic() + 3
        while not requests_to(server, "/slow") and time.monotonic() < deadline:  # let the handler finish here
            time.sleep(0.02)


def test_connection_refused_is_retryable():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(FetchError) as info:
        fetch_url(f"http://127.0.0.1:{port}/x", timeout=2)
    assert info.value.retryable and "connection failed" in str(info.value)


# -- 4xx: one request, the error page kept as a failed record ----------------------------------------------------


def test_404_is_not_retried_and_its_body_is_kept(cli, server):
    body = b"<html><body><h1>404</h1><p>This report was removed.</p></body></html>"
    server.expect_request("/gone").respond_with_data(body, status=404, content_type="text/html")
    url = server.url_for("/gone")
    result = cli("ingest", "--no-prefect", url)
    assert "1 failed" in result.output, result.output
    assert len(requests_to(server, "/gone")) == 1
    docs = cli.json("documents")["documents"]
    assert len(docs) == 1
    doc = docs[0]
    assert doc["status"] == "failed" and "404" in doc["error"]
    sha = hashlib.sha256(body).hexdigest()
    assert doc["sha256"] == sha
    assert (cli.home / "blobs" / sha[:2] / sha[2:4] / sha).read_bytes() == body
    fetches, _ = db_rows(cli.home)
    assert fetches[-1].status_code == 404 and fetches[-1].final_url == url
    records = warc_records(cli.home / fetches[-1].warc_path)
    responses = [r for r in records if r["type"] == "response"]
    assert [r["status"] for r in responses] == ["404"] and responses[0]["raw"] == body


def test_user_agent_names_archivist(server):
    server.expect_request("/ua").respond_with_data(PAGE, content_type="text/html")
    fetch_url(server.url_for("/ua"))
    (req,) = requests_to(server, "/ua")
    assert "archivist" in req.headers["User-Agent"].lower()
    assert req.headers["User-Agent"] == USER_AGENT
    assert "gzip" in req.headers.get("Accept-Encoding", "")


# -- redirects -----------------------------------------------------------------------------------------------------


def test_redirect_followed_and_every_hop_captured(server, tmp_path):
    server.expect_request("/old").respond_with_data(b"", status=301, headers={"Location": "/new"})
    server.expect_request("/new").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    warc_dir = tmp_path / "home" / "warc"
    fetched = fetch_url(server.url_for("/old"), warc_dir=warc_dir)
    prov = fetched.provenance
    assert prov.final_url == server.url_for("/new") and prov.source == server.url_for("/old")
    assert prov.status_code == 200 and prov.charset == "utf-8" and prov.filename == "new"
    assert prov.warc_path.startswith("warc/")
    records = warc_records(warc_dir.parent / prov.warc_path)
    assert [(r["type"], r["uri"], r["status"]) for r in records] == [
        ("warcinfo", None, None),
        ("request", server.url_for("/old"), None), ("response", server.url_for("/old"), "301"),
        ("request", server.url_for("/new"), None), ("response", server.url_for("/new"), "200"),
    ]


def test_redirect_loop_is_refused(server):
    server.expect_request("/a").respond_with_data(b"", status=302, headers={"Location": "/b"})
    server.expect_request("/b").respond_with_data(b"", status=302, headers={"Location": "/a"})
    with pytest.raises(FetchError) as info:
        fetch_url(server.url_for("/a"))
    assert not info.value.retryable
    assert "redirect loop" in str(info.value)
    assert len(requests_to(server, "/a")) + len(requests_to(server, "/b")) <= 4


def test_too_many_redirects_is_refused(server):
    for i in range(15):
        server.expect_request(f"/hop{i}").respond_with_data(b"", status=307, headers={"Location": f"/hop{i + 1}"})
    with pytest.raises(FetchError) as info:
        fetch_url(server.url_for("/hop0"))
    assert not info.value.retryable and "more than 10 redirects" in str(info.value)
    assert sum(len(requests_to(server, f"/hop{i}")) for i in range(15)) == 11


def test_redirect_to_another_scheme_is_refused(server):
    server.expect_request("/sneaky").respond_with_data(b"", status=302, headers={"Location": "file:///etc/passwd"})
    with pytest.raises(FetchError) as info:
        fetch_url(server.url_for("/sneaky"))
    assert not info.value.retryable and "only http and https" in str(info.value)


# -- size limits, enforced while streaming -------------------------------------------------------------------------


def test_oversized_streamed_body_stops_at_the_limit(server, tmp_path):
    chunk = b"x" * 65536
    total_chunks = 1024  # 64 MiB if it were all read
    sent = {"chunks": 0}

    def endless(request: Request) -> Response:
        def body():
            for _ in range(total_chunks):
                sent["chunks"] += 1
                yield chunk
        return Response(body(), content_type="text/plain")  # no Content-Length: streamed, chunked

    server.expect_request("/big").respond_with_handler(endless)
    warc_dir = tmp_path / "home" / "warc"
    with pytest.raises(FetchError) as info:
        fetch_url(server.url_for("/big"), max_bytes=300_000, warc_dir=warc_dir)
    assert not info.value.retryable and "300000-byte limit" in str(info.value)
    time.sleep(0.2)
    assert sent["chunks"] < total_chunks // 4, sent  # stopped early, never read it all
    (path,) = warc_dir.rglob("*.warc.gz")  # what arrived is kept, marked truncated
    (resp,) = [r for r in warc_records(path) if r["type"] == "response"]
    assert resp["rec"].rec_headers.get_header("WARC-Truncated") == "length"
    assert 300_000 < len(resp["raw"]) < 2_000_000


def test_declared_length_over_the_limit_is_refused_before_reading(server):
    server.expect_request("/declared").respond_with_data(b"y" * 50_000, content_type="text/plain")
    with pytest.raises(FetchError) as info:
        fetch_url(server.url_for("/declared"), max_bytes=10_000)
    assert "Content-Length 50000" in str(info.value) and not info.value.retryable


def test_gzip_bomb_stops_at_the_decoded_limit(server):
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024), compresslevel=9)
    server.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": "gzip"},
                                                     content_type="text/plain")
    with pytest.raises(FetchError) as info:
        fetch_url(server.url_for("/bomb"), max_bytes=1_000_000)
    assert "limit" in str(info.value) and not info.value.retryable


def test_multi_member_gzip_is_decoded_whole(server):
    body = gzip.compress(PAGE[:50]) + gzip.compress(PAGE[50:])
    server.expect_request("/members").respond_with_data(body, headers={"Content-Encoding": "gzip"},
                                                        content_type="text/html")
    assert fetch_url(server.url_for("/members")).data == PAGE


def test_body_that_is_not_the_declared_gzip_is_kept_raw(server):
    server.expect_request("/liar").respond_with_data(PAGE, headers={"Content-Encoding": "gzip"},
                                                     content_type="text/html")
    with pytest.raises(FetchError) as info:
        fetch_url(server.url_for("/liar"))
    assert not info.value.retryable and "does not decode" in str(info.value)
    assert info.value.data == PAGE and info.value.provenance.status_code == 200


# -- one ingest of several good pages: content sniffing, gzip, WARC ------------------------------------------------


@pytest.fixture(scope="module")
def ingested(_server, tmp_path_factory):
    """One CLI ingest (the extraction pool starts once) of: a PDF served as text/html, HTML served as
    application/octet-stream, a gzip-encoded HTML page and a PDF with its right type."""
    from conftest import Cli

    _server.clear()
    compressed = gzip.compress(BLOG)
    _server.expect_request("/report").respond_with_data(PDF, content_type="text/html; charset=utf-8")
    _server.expect_request("/article").respond_with_data(HTML, content_type="application/octet-stream")
    _server.expect_request("/gz").respond_with_data(compressed, headers={"Content-Encoding": "gzip"},
                                                    content_type="text/html; charset=utf-8")
    _server.expect_request("/page.html").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    urls = {name: _server.url_for("/" + name) for name in ("report", "article", "gz", "page.html")}
    cli = Cli(tmp_path_factory.mktemp("fetching") / "archive")
    result = cli.json("ingest", "--no-prefect", *urls.values())
    docs = {d["source"].rsplit("/", 1)[-1]: d for d in cli.json("documents")["documents"]}
    fetches, _ = db_rows(cli.home)
    _server.clear()
    return {"cli": cli, "result": result, "docs": docs, "urls": urls, "compressed": compressed,
            "fetches": {f.source.rsplit("/", 1)[-1]: f for f in fetches}}


def test_wrong_content_type_is_sniffed(ingested):
    docs = ingested["docs"]
    assert ingested["result"]["counts"]["stored"] == 4, ingested["result"]
    assert docs["report"]["status"] == "stored" and docs["report"]["format"] == "pdf", docs["report"]
    assert docs["article"]["status"] == "stored" and docs["article"]["format"] == "html", docs["article"]


def test_gzip_body_is_stored_decoded(ingested):
    home = ingested["cli"].home
    doc = ingested["docs"]["gz"]
    sha = hashlib.sha256(BLOG).hexdigest()
    assert doc["status"] == "stored" and doc["sha256"] == sha and doc["size"] == len(BLOG)
    assert (home / "blobs" / sha[:2] / sha[2:4] / sha).read_bytes() == BLOG
    path = home / ingested["fetches"]["gz"].warc_path
    (resp,) = [r for r in warc_records(path) if r["type"] == "response"]
    assert resp["raw"] == ingested["compressed"]  # as received on the wire ...
    assert resp["rec"].http_headers.get_header("Content-Encoding") == "gzip"  # ... with its header
    assert decoded_payloads(path) == [BLOG]  # and a WARC reader decodes it to the stored bytes


def test_every_success_has_a_warc_record_replaying_the_stored_bytes(ingested):
    home = ingested["cli"].home
    bodies = {"report": PDF, "article": HTML, "gz": BLOG, "page.html": PAGE}
    for name, body in bodies.items():
        fetch = ingested["fetches"][name]
        assert fetch.status_code == 200 and fetch.final_url == ingested["urls"][name]
        assert fetch.warc_path.startswith("warc/") and fetch.warc_path.endswith(".warc.gz")
        path = home / fetch.warc_path
        with open(path, "rb") as fh:
            assert fh.read(2) == b"\x1f\x8b"  # gzip WARC
        records = warc_records(path)
        assert [r["type"] for r in records] == ["warcinfo", "request", "response"]
        request, response = records[1], records[2]
        assert response["uri"] == fetch.source == request["uri"]
        assert response["status"] == "200"
        sha = hashlib.sha256(body).hexdigest()
        assert ingested["docs"][name]["sha256"] == sha
        assert (home / "blobs" / sha[:2] / sha[2:4] / sha).read_bytes() == body
        assert decoded_payloads(path) == [body]  # the payload equals the stored original
        if name != "gz":
            assert response["raw"] == body
        assert sha[:12] in path.name
        assert request["rec"].rec_headers.get_header("WARC-Concurrent-To") == \
            response["rec"].rec_headers.get_header("WARC-Record-ID")
        assert "archivist" in request["rec"].http_headers.get_header("User-Agent")
    assert not list(home.joinpath("warc").rglob(".tmp-*"))


# -- conditional GET -----------------------------------------------------------------------------------------------


def test_second_run_sends_validators_and_a_304_is_unchanged(cli, server):
    etag, modified = '"v1-abc"', "Wed, 21 Oct 2015 07:28:00 GMT"

    def conditional(request: Request) -> Response:
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})  # no Last-Modified: the stored one is kept
        return Response(PAGE, content_type="text/html; charset=utf-8",
                        headers={"ETag": etag, "Last-Modified": modified})

    server.expect_request("/page").respond_with_handler(conditional)
    url = server.url_for("/page")
    first = cli.json("ingest", "--no-prefect", url)
    assert first["counts"]["stored"] == 1
    for _ in range(2):  # the third run still sends both validators
        again = cli.json("ingest", "--no-prefect", url)
        assert again["counts"] == {"stored": 0, "new_version": 0, "unchanged": 1, "failed": 0}, again
    reqs = requests_to(server, "/page")
    assert len(reqs) == 3
    assert "If-None-Match" not in reqs[0].headers
    for req in reqs[1:]:
        assert req.headers["If-None-Match"] == etag and req.headers["If-Modified-Since"] == modified
    assert len(cli.json("documents")["documents"]) == 1
    fetches, kinds = db_rows(cli.home)
    assert kinds.count("not-modified") == 2
    assert [f.status_code for f in fetches] == [200, 304, 304]
    assert fetches[1].etag == etag and fetches[1].last_modified == modified
    records = warc_records(cli.home / fetches[1].warc_path)  # the 304 is captured too
    assert [r["status"] for r in records if r["type"] == "response"] == ["304"]


def test_fetch_url_returns_the_304_provenance(server):
    server.expect_request("/c").respond_with_data(b"", status=304, headers={"ETag": '"x"'})
    fetched = fetch_url(server.url_for("/c"), etag='"x"', last_modified="Wed, 21 Oct 2015 07:28:00 GMT")
    assert isinstance(fetched, Fetched) and fetched.not_modified and fetched.data == b""
    prov = fetched.provenance
    assert isinstance(prov, Provenance)
    assert prov.status_code == 304 and prov.etag == '"x"' and prov.last_modified.startswith("Wed")


# -- schemes -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/file.pdf", "file:///etc/passwd", "javascript:alert(1)",
                                 "gopher://127.0.0.1/", "http:///no-host"])
def test_non_http_urls_are_refused(url):
    with pytest.raises(FetchError) as info:
        fetch_url(url)
    assert not info.value.retryable


def test_cli_refuses_non_http_scheme(cli):
    result = cli("ingest", "--no-prefect", "ftp://127.0.0.1/report.pdf", expect=1)
    assert "only http and https" in result.output


# -- WARC ----------------------------------------------------------------------------------------------------------


def test_chunked_response_warc_copy_is_consistent(server, tmp_path):
    def chunked(request: Request) -> Response:
        return Response(iter([PAGE[:40], PAGE[40:]]), content_type="text/html")  # Transfer-Encoding: chunked

    server.expect_request("/chunked").respond_with_handler(chunked)
    warc_dir = tmp_path / "h" / "warc"
    fetched = fetch_url(server.url_for("/chunked"), warc_dir=warc_dir)
    assert fetched.data == PAGE
    assert fetched.provenance.headers.get("transfer-encoding") == "chunked"
    (resp,) = [r for r in warc_records(warc_dir.parent / fetched.provenance.warc_path) if r["type"] == "response"]
    rec = resp["rec"]
    assert rec.http_headers.get_header("Transfer-Encoding") is None
    assert rec.http_headers.get_header("Content-Length") == str(len(PAGE))
    assert "Transfer-Encoding: chunked removed" in rec.rec_headers.get_header("WARC-Archivist-Headers-Adjusted")
    assert resp["raw"] == PAGE


# ---------------------------------------------------------------- local files
def test_a_local_file_is_recorded_at_its_resolved_path_through_links(tmp_path, monkeypatch):
    """The custody's absolute path is the file's real path, through a linked folder, a linked file,
    a relative name, and after a link is moved to point elsewhere (its folder's resolution is cached)."""
    from flows.fetching.files import fetch_file
    from flows.sources.model import SourceItem

    real = tmp_path / "real"
    other = tmp_path / "other"
    for folder in (real, other):
        folder.mkdir()
        (folder / "note.txt").write_bytes(b"a note")
    (tmp_path / "via").symlink_to(real, target_is_directory=True)
    (real / "alias.txt").symlink_to(real / "note.txt")

    def recorded(location: str) -> dict:
        return fetch_file(SourceItem(location, "file")).provenance.custody["file"]

    assert recorded(str(tmp_path / "via" / "note.txt"))["path"] == str((real / "note.txt").resolve())
    alias = recorded(str(real / "alias.txt"))
    assert alias["path"] == str((real / "note.txt").resolve()) and alias["size"] == len(b"a note")
    monkeypatch.chdir(real)
    assert recorded("note.txt")["path"] == str((real / "note.txt").resolve())
    (tmp_path / "via").unlink()
    (tmp_path / "via").symlink_to(other, target_is_directory=True)
    assert recorded(str(tmp_path / "via" / "note.txt"))["path"] == str((other / "note.txt").resolve())
