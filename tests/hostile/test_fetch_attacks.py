"""Hostile servers and URLs (issue 12, items 3, 5 and 6), against real local servers on 127.0.0.1.

Bad redirect targets, private addresses in their odd spellings, header drips,
bodies that do not match their Content-Length, Retry-After, and credentials
in URLs: each must end as a clear failure or a flagged record, never stop the
run, never hang past its bound, and never leave a secret in the archive.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from flows.errors import FetchError
from flows.fetching.http import fetch_url
from flows.settings import FetchLimits
from flows.sources.model import SourceItem

PAGE = b"<!doctype html><html><head><title>Report</title></head><body><p>Evidence page.</p></body></html>"
TEXT = b"A witness statement, served as plain text.\n"  # what CLI runs store (the HTML extractor is not under test)
SECRET = "s3cret-Pa55word"


@pytest.fixture
def server():
    srv = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    srv.start()
    yield srv
    srv.clear()
    srv.stop()


class RawServer:
    """A one-connection-at-a-time TCP server on 127.0.0.1 that answers every request with ``reply(conn)``."""

    def __init__(self, reply):
        self.reply = reply
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.requests = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.requests += 1
            try:
                conn.recv(65536)
                self.reply(conn, self.stop)
            except OSError:
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def raw_server():
    made: list[RawServer] = []

    def make(reply) -> RawServer:
        made.append(RawServer(reply))
        return made[-1]

    yield make
    for srv in made:
        srv.close()


def archive_bytes(home: Path) -> bytes:
    """Every byte of every file under the archive home (database, WARC files, blobs, texts)."""
    return b"".join(p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file())


def warc_texts(home: Path) -> bytes:
    import gzip

    return b"".join(gzip.decompress(p.read_bytes()) for p in sorted((home / "warc").rglob("*.warc.gz")))


# -- 3. a bad redirect target never stops the run ------------------------------------------------------------


@pytest.mark.parametrize("location", ["javascript:alert(1)", "mailto:someone@example.org", "data:text/html,<b>x</b>"])
def test_redirect_to_a_non_http_url_is_a_failure_and_the_run_goes_on(cli, server, location):
    server.expect_request("/bad").respond_with_data(b"moved", status=302, headers={"Location": location})
    server.expect_request("/good").respond_with_data(TEXT, content_type="text/plain")
    result = cli.json("ingest", "--no-prefect", server.url_for("/bad"), server.url_for("/good"))
    assert result["counts"]["stored"] == 1 and result["counts"]["failed"] == 1, result
    failure = result["failures"][0]
    assert failure["source"] == server.url_for("/bad") and "redirect to an invalid URL" in failure["error"]
    runs = cli.json("runs")["runs"]
    assert [r["status"] for r in runs] == ["completed"]
    assert list((cli.home / "warc").rglob("*.warc.gz")), "the bad hop is captured too"


# -- 6. the address policy -------------------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "fe80::1", "fc00::1", "224.0.0.1", "ff02::1", "0.0.0.0", "::", "240.0.0.1",
                                     "100.64.0.1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"])
def test_private_and_special_addresses_are_refused(address):
    from flows.fetching.policy import refusal

    assert refusal(address) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address):
    from flows.fetching.policy import refusal

    assert refusal(address) is None


@pytest.mark.parametrize("spelling", ["127.0.0.1", "localhost", "0", "2130706433", "0x7f.0.0.1", "127.1",
                                      "[::ffff:127.0.0.1]", "[::1]"])
def test_loopback_in_any_spelling_is_not_fetched(server, spelling):
    server.expect_request("/").respond_with_data(PAGE, content_type="text/html")
    url = f"http://{spelling}:{server.port}/"
    with pytest.raises(FetchError) as info:
        fetch_url(url, allow_private=False)
    assert "refused by the fetch policy" in str(info.value) or "cannot resolve" in str(info.value)
    assert not server.log, "no request may reach the server"


def test_ingest_refuses_loopback_unless_allowed(cli, server, monkeypatch, tmp_path):
    server.expect_request("/page").respond_with_data(TEXT, content_type="text/plain")
    monkeypatch.delenv("ARCHIVIST_ALLOW_PRIVATE")
    result = cli.json("ingest", "--no-prefect", server.url_for("/page"))
    assert result["counts"]["failed"] == 1 and "refused by the fetch policy" in result["failures"][0]["error"]
    assert not server.log
    result = cli.json("ingest", "--no-prefect", "--allow-private", server.url_for("/page"))
    assert result["counts"]["stored"] == 1, result
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[source.intranet]\nurls = ["{server.url_for("/page")}?v=2"]\nallow_private = true\n')
    result = cli.json("ingest", "--no-prefect", "--source", "intranet", "--sources", str(sources))
    assert result["counts"]["failed"] == 0, result


# -- 6. header drip, total time, Content-Length -------------------------------------------------------------


def _drip(conn, stop):
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 400:
        if stop.is_set():
            return
        conn.sendall(bytes([byte]))
        time.sleep(0.05)


def test_a_header_drip_is_cut_off_at_the_first_byte_bound(raw_server):
    srv = raw_server(_drip)
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch_url(srv.url(), first_byte_s=1.0, timeout=5)
    assert time.monotonic() - started < 4
    assert info.value.retryable and "no complete response headers within 1 s" in str(info.value)


def test_a_header_drip_is_cut_off_at_the_total_bound(raw_server):
    srv = raw_server(_drip)
    started = time.monotonic()
    with pytest.raises(FetchError):
        fetch_url(srv.url(), max_seconds=1.0, timeout=5)
    assert time.monotonic() - started < 4


def _body_drip(conn, stop):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(1000):
        if stop.is_set():
            return
        conn.sendall(b"x")
        time.sleep(0.05)


def test_a_body_drip_is_cut_off_at_the_total_bound(raw_server, tmp_path):
    srv = raw_server(_body_drip)
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch_url(srv.url(), max_seconds=1.0, timeout=5, warc_dir=tmp_path / "warc")
    assert time.monotonic() - started < 4 and "not complete after 1 s" in str(info.value)


def _longer(conn, _stop):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 23\r\nConnection: close\r\n\r\n"
                 b"The declared statement.AND A HIDDEN TAIL THE HEADER DOES NOT ADMIT")


def _shorter(conn, _stop):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 500\r\n\r\nOnly part of it")


def test_a_body_longer_than_its_content_length_is_stored_with_a_warning(cli, raw_server):
    srv = raw_server(_longer)
    result = cli.json("ingest", "--no-prefect", srv.url("/longer.txt"))
    assert result["counts"]["stored"] == 1, result
    from storage import Archive

    with Archive.open(cli.home) as archive:
        (doc,) = archive.documents()
        assert any("beyond the Content-Length 23" in w for w in doc.warnings), doc.warnings
    assert b"WARC-Truncated: length" in warc_texts(cli.home)


def test_a_body_shorter_than_its_content_length_fails_with_its_bytes_kept(cli, raw_server, monkeypatch):
    monkeypatch.setenv("ARCHIVIST_FETCH_RETRIES", "0")  # a broken connection is retryable; once is enough here
    srv = raw_server(_shorter)
    result = cli.json("ingest", "--no-prefect", srv.url("/shorter.txt"))
    assert result["counts"]["failed"] == 1 and result["counts"]["stored"] == 0, result
    assert "shorter than its Content-Length (15 of 500" in result["failures"][0]["error"]
    from storage import Archive

    with Archive.open(cli.home) as archive:
        (doc,) = archive.documents()
        assert doc.status == "failed" and archive.blobs.get(doc.sha256) == b"Only part of it"


# -- 6. Retry-After ---------------------------------------------------------------------------------------------


def test_retry_after_parses_seconds_and_dates():
    from datetime import datetime, timezone

    from flows.fetching.policy import parse_retry_after, retry_delay

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("soon") is None
    busy = FetchError("busy", source="x", retryable=True, retry_after=3600.0)
    assert retry_delay(busy, 1, retries=3, retry_after_max_s=5) == 5  # capped
    assert retry_delay(busy, 4, retries=3, retry_after_max_s=5) is None  # budget spent
    assert retry_delay(FetchError("gone", source="x"), 1, 3, 5) is None


def _busy_then_ok(status: int, wait: str):
    calls = {"n": 0}

    def handler(request: Request) -> Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return Response(b"slow down", status=status, headers={"Retry-After": wait}, content_type="text/plain")
        return Response(TEXT, content_type="text/plain")

    return handler


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_in_process(server, status):
    from flows import steps

    server.expect_request("/busy").respond_with_handler(_busy_then_ok(status, "3"))
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    fetched = steps.fetch_retrying(SourceItem(server.url_for("/busy"), "url"), None,
                                   FetchLimits(allow_private=True), sleep=sleep)
    assert fetched.data == TEXT and waits == [3.0]


def test_retry_after_is_honoured_by_the_prefect_fetch_task(prefect_harness, server, tmp_path):
    stamps: list[float] = []
    inner = _busy_then_ok(429, "3")

    def handler(request: Request) -> Response:
        stamps.append(time.monotonic())
        return inner(request)

    server.expect_request("/busy").respond_with_handler(handler)
    from flows.prefect.ingest import ingest_flow

    result = ingest_flow([server.url_for("/busy")], home=str(tmp_path / "a"), db_url=None)
    assert result["counts"]["stored"] == 1, result
    assert len(stamps) == 2 and stamps[1] - stamps[0] >= 2.9  # Prefect's own backoff would be 1 s


# -- 5. credentials never stored ---------------------------------------------------------------------------------


def test_credentials_in_a_url_are_stripped_before_anything_is_stored(cli, server, caplog):
    seen: list[str | None] = []

    def handler(request: Request) -> Response:
        seen.append(request.headers.get("Authorization"))
        return Response(TEXT, content_type="text/plain")

    server.expect_request("/private").respond_with_handler(handler)
    server.expect_request("/gone").respond_with_data(b"gone", status=404)
    url = f"http://archivist:{SECRET}@127.0.0.1:{server.port}/private"
    with caplog.at_level("DEBUG"):
        result = cli.json("ingest", "--no-prefect", url, f"http://u:{SECRET}@127.0.0.1:{server.port}/gone")
    assert result["counts"]["stored"] == 1, result
    assert seen == [None], "the URL's password is never sent either"
    assert any("user name and password in the URL were removed" in w for w in result["warnings"])
    stored = archive_bytes(cli.home)
    userinfo = base64.b64encode(f"archivist:{SECRET}".encode()).decode()
    for needle in (SECRET, userinfo):
        assert needle.encode() not in stored, f"{needle} is in the archive"
        assert needle not in caplog.text and needle not in str(result)
    from flows.fetching.policy import strip_userinfo

    assert strip_userinfo(url) == server.url_for("/private")


def test_credentials_come_from_the_environment_and_are_redacted_in_warc(cli, server, tmp_path, monkeypatch):
    seen: list[tuple[str | None, str | None]] = []

    def handler(request: Request) -> Response:
        seen.append((request.headers.get("Authorization"), request.headers.get("X-Api-Key")))
        return Response(TEXT, content_type="text/plain")

    server.expect_request("/members").respond_with_handler(handler)
    monkeypatch.setenv("TEST_ARCHIVIST_AUTH", f"curator:{SECRET}")
    monkeypatch.setenv("TEST_ARCHIVIST_KEY", f"key-{SECRET}")
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[source.members]\nurls = ["{server.url_for("/members")}"]\n'
                       'auth = { env = "TEST_ARCHIVIST_AUTH" }\nheaders = { "X-Api-Key" = { env = "TEST_ARCHIVIST_KEY" } }\n')
    result = cli.json("ingest", "--no-prefect", "--source", "members", "--sources", str(sources))
    assert result["counts"]["stored"] == 1, result
    basic = "Basic " + base64.b64encode(f"curator:{SECRET}".encode()).decode()
    assert seen == [(basic, f"key-{SECRET}")]
    stored = archive_bytes(cli.home) + warc_texts(cli.home)
    assert SECRET.encode() not in stored and basic.encode() not in stored
    assert b"Authorization: [redacted]" in warc_texts(cli.home)


def test_a_secret_in_the_sources_file_itself_is_refused(tmp_path):
    from flows.sources.file import SourcesFileError, load

    sources = tmp_path / "sources.toml"
    sources.write_text('[source.x]\nurls = ["https://example.org/"]\nauth = "user:password"\n')
    with pytest.raises(SourcesFileError) as info:
        load(sources)
    assert "auth must be { env" in str(info.value)


def test_warc_captures_are_private(tmp_path, server):
    server.expect_request("/page").respond_with_data(PAGE, content_type="text/html")
    fetched = fetch_url(server.url_for("/page"), warc_dir=tmp_path / "home" / "warc")
    path = tmp_path / "home" / fetched.provenance.warc_path
    assert path.stat().st_mode & 0o777 == 0o600
    assert (path.parent.stat().st_mode & 0o777) == 0o700 and ((tmp_path / "home" / "warc").stat().st_mode & 0o777) == 0o700


def test_a_password_in_a_sources_file_url_is_refused_without_repeating_it(tmp_path):
    from flows.sources.file import SourcesFileError, load

    sources = tmp_path / "sources.toml"
    sources.write_text(f'[source.x]\nurls = ["https://curator:{SECRET}@example.org/"]\n')
    with pytest.raises(SourcesFileError) as info:
        load(sources)
    assert "has a user name or password in it" in str(info.value) and SECRET not in str(info.value)
