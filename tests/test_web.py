"""The read-only web interface and JSON API (issue 17), through FastAPI's TestClient on real archives.

The corpus (with a citing brief, the document it cites, and a hostile
document whose text holds markup) is ingested by the real CLI into a real
SQLite file; the app serves it opened read-only. One test runs the same on
the suite's PostgreSQL server.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from sqlalchemy import text as sql
from sqlalchemy.exc import DBAPIError

from conftest import CORPUS, FIXTURES, Cli
from flows.web.app import create_app
from flows.web.schemas import Citation, DocumentDetail, DocumentSummary, Footnote
from storage import Archive
from storage.records import document_detail, document_summary, footnote_dict

HOSTILE_TEXT = ("Testimony <script>alert(3)</script> of a witness\n\nThe witness wrote <script>alert(1)</script> on the wall of Evin prison "
                "and <img src=x onerror=alert(2)> beside it.\n\nشاهد گفت که در زندان اوین بود.\n")


def build_archive(root: Path, db_url: str | None = None) -> Cli:
    """The corpus, a citing brief and the UN report it cites, and a hostile text, ingested by the CLI."""
    hostile = root / "inputs" / "hostile_witness.txt"
    hostile.parent.mkdir(parents=True)
    hostile.write_text(HOSTILE_TEXT, encoding="utf-8")
    cli = Cli(root / "archive", db_url)
    for path in (CORPUS, FIXTURES / "citations" / "un_a_hrc_37_24.txt", FIXTURES / "citations" / "citing_brief.md",
                 hostile):
        result = cli.json("ingest", "--no-prefect", str(path))
        assert result["counts"]["failed"] == 0, result["failures"]
    return cli


def record_checks(cli: Cli, root: Path) -> None:
    """A run with a failure (a broken PDF, kept and recorded), then a recorded verify and an anchor."""
    broken = root / "inputs" / "broken_report.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage, no xref, no trailer\n")
    cli("ingest", "--no-prefect", str(broken), expect=None)
    cli("verify", "--record", expect=None)
    cli("anchor")


def ids_by_name(cli: Cli) -> dict[str, int]:
    return {d["source"].rsplit("/", 1)[-1]: d["id"] for d in cli.json("documents")["documents"]}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(cli, client, archive) over one SQLite archive, verified and anchored, opened read-only."""
    root = tmp_path_factory.mktemp("web")
    cli = build_archive(root)
    record_checks(cli, root)
    archive = Archive.open(cli.home, readonly=True, create=False)
    with TestClient(create_app(archive)) as client:
        yield cli, client, archive
    archive.close()


def _get(client: TestClient, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, (url, response.text[:500])
    return response


# -- pages -----------------------------------------------------------------------------


def test_every_page_renders_with_strict_security_headers(site):
    cli, client, _ = site
    ids = ids_by_name(cli)
    doc = ids["003_50b2b079aba8eece.txt"]
    work = cli.json("show", str(doc))["work_id"]
    for url in ("/search", "/search?q=Death+Commission", f"/documents/{doc}", f"/works/{work}",
                f"/works/{work}/diff", "/archive", "/documents", "/api/documents", "/api/openapi.json"):
        response = _get(client, url)
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-content-type-options"] == "nosniff"
        if not url.startswith("/api/"):
            assert "<script" not in response.text.lower(), url  # no script at all: nothing needs one


def test_markup_in_a_documents_text_is_shown_as_text(site):
    cli, client, _ = site
    doc = ids_by_name(cli)["hostile_witness.txt"]
    record = cli.json("show", str(doc))
    assert "<script>alert(1)</script>" in record["text"] and "<script>" in record["title"]  # stored as they came
    for url in (f"/documents/{doc}", "/search?q=witness+wrote", "/documents", "/search?q=title:testimony"):
        html = _get(client, url).text
        assert "&lt;script&gt;alert(" in html, url  # shown, as text
        assert "<script>" not in html and "<img src=x" not in html, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in _get(client, f"/documents/{doc}").text
    api = _get(client, f"/api/documents/{doc}").json()
    assert "<script>alert(1)</script>" in api["text"]  # JSON carries the text unchanged
    assert _get(client, f"/api/documents/{doc}").headers["content-type"].startswith("application/json")


def test_right_to_left_text_gets_its_own_direction(site):
    cli, client, _ = site
    html = _get(client, f"/documents/{ids_by_name(cli)['hostile_witness.txt']}").text
    para = re.search(r'<div class="para" dir="auto">شاهد', html)
    assert para, "the Persian paragraph is not marked dir=auto"


def test_an_html_original_is_downloaded_not_rendered(site):
    cli, client, _ = site
    doc = cli.json("show", str(ids_by_name(cli)["003_amnesty_statement.html"]))
    assert doc["media_type"] == "text/html"
    response = _get(client, f"/documents/{doc['id']}/original")
    assert response.headers["content-disposition"] == 'attachment; filename="003_amnesty_statement.html"'
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert hashlib.sha256(response.content).hexdigest() == doc["sha256"]
    assert response.content == (CORPUS / "renditions" / "003_amnesty_statement.html").read_bytes()


def test_footnote_markers_open_their_note_in_place(site):
    cli, client, _ = site
    doc = cli.json("show", str(ids_by_name(cli)["003_50b2b079aba8eece.txt"]))
    html = _get(client, f"/documents/{doc['id']}").text
    text_part = html.split('<section class="text">', 1)[1].split("</section>", 1)[0]
    markers = re.findall(r'<details class="fn" id="ref-(\d+)-(\d+)"><summary[^>]*>([^<]+)</summary>', text_part)
    assert len(markers) == sum(len(n["markers"]) for n in doc["footnotes"]) > 10
    first = doc["footnotes"][0]
    body = text_part.split('id="ref-1-1"', 1)[1].split("</details>", 1)[0]
    assert markers[0][2] == first["label"] and first["text"][:40].replace('"', "&#34;") in body
    # the marker sits where the note is cited: right after the text before its offset
    before = doc["text"][:first["markers"][0]["position"]][-20:]
    assert text_part.split('<details class="fn" id="ref-1-1"', 1)[0].endswith(before.replace("'", "&#39;"))


def test_citations_link_to_the_documents_they_resolve_to_and_back(site):
    cli, client, _ = site
    ids = ids_by_name(cli)
    citing, cited = ids["citing_brief.md"], ids["un_a_hrc_37_24.txt"]
    html = _get(client, f"/documents/{citing}").text
    assert f'<a class="cite" href="/documents/{cited}"' in html
    back = _get(client, f"/documents/{cited}").text.split('<section class="cited-by">', 1)[1]
    assert f'<a href="/documents/{citing}">Briefing: accountability for the summer killings</a>, note [1]' in back


def test_search_page_groups_by_work_counts_and_pages(site):
    cli, client, _ = site
    cli_hits = cli.json("search", "Raisi")["hits"]
    assert len(cli_hits) >= 3
    html = _get(client, "/search?q=Raisi&limit=2").text
    assert f"{cli_hits[0]['total']} works match; 1–2 shown" in html
    assert [int(i) for i in re.findall(r'<a class="title" href="/documents/(\d+)"', html)] == \
        [h["id"] for h in cli_hits[:2]]
    assert "<mark>Raisi</mark>" in html
    assert 'rel="next" href="/search?q=Raisi&amp;limit=2&amp;page=2"' in html
    page2 = _get(client, "/search?q=Raisi&limit=2&page=2").text
    assert "3–4 shown" in page2 and 'rel="prev"' in page2
    # a filter narrows the works, as the CLI's does
    only_pdf = cli.json("search", "Raisi", "--format", "pdf")["hits"]
    html = _get(client, "/search?q=Raisi&format=pdf").text
    assert f"{len(only_pdf)} work{'s' if len(only_pdf) != 1 else ''} match" in html


def test_a_malformed_query_is_one_clear_message(site):
    _, client, _ = site
    for query in ("%22unclosed", "+".join(f"w{i}" for i in range(40))):
        html = _get(client, f"/search?q={query}", 400).text
        assert re.search(r'<p class="error" dir="auto">[^<]+</p>', html), query
        assert 'value="' in html  # the form is still there to correct the query
    assert _get(client, "/api/search?q=" + "+".join(["w"] * 40), 400).json()["detail"]


def test_work_and_diff_pages_mark_changed_words(site):
    cli, client, _ = site
    first = ids_by_name(cli)["000_eb76b57703d98c0a.txt"]
    work = cli.json("show", str(first))["work_id"]
    versions = [d["id"] for d in cli.json("history", str(work))["versions"]]
    html = _get(client, f"/works/{work}").text
    for doc in versions:
        assert f'href="/documents/{doc}"' in html
    expected = cli.json("diff", str(versions[0]), str(versions[1]))
    changed_word = next(w["text"] for c in expected["changes"] for s in c["sentences"] for w in s["words"]
                        if w["op"] == "added")
    for view in ("side", "inline"):
        page = _get(client, f"/works/{work}/diff?a={versions[0]}&b={versions[1]}&view={view}").text
        assert "<ins>" in page and "<del>" in page, view
        assert f"<ins>{changed_word}</ins>".replace("'", "&#39;").replace('"', "&#34;") in page, view
    _get(client, f"/works/{work}/diff?a={versions[0]}&b=999999", 404)


def test_archive_page_shows_counts_runs_verify_and_anchor(site):
    cli, client, _ = site
    html = _get(client, "/archive").text
    runs = cli.json("runs")["runs"]
    assert len(runs) == 5 and all(f"<td>{r['id']}</td>" in html for r in runs)
    failure = runs[0]["failures"][0]
    assert failure["source"].endswith("broken_report.pdf")
    assert '<ul class="failures"><li dir="auto">' + failure["source"] in html
    verified = cli.json("verify", expect=None)
    assert f"Last recorded verify: <b>{'OK' if verified['ok'] else ''}" in html
    assert "Last anchor: event" in html
    status = _get(client, "/api/status").json()
    assert status["last_verified"]["outcome"] == "ok" and status["last_anchored"]["kind"] == "anchored"


def test_unknown_addresses_are_404_in_html_and_json(site):
    _, client, _ = site
    assert "Not found" in _get(client, "/documents/999999", 404).text
    assert _get(client, "/api/documents/999999", 404).json()["detail"]
    _get(client, "/works/999999", 404)


# -- read-only ---------------------------------------------------------------------------


def test_no_route_writes_and_the_archive_is_not_touched(site):
    cli, client, archive = site
    app = client.app
    for route in app.routes:
        methods = getattr(route, "methods", None) or set()
        assert methods <= {"GET", "HEAD"}, (route.path, methods)
    db = cli.home / "archive.sqlite3"
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/api/documents").status_code == 405
    for url in ("/search?q=Raisi", "/archive", "/api/status", "/documents/1", "/documents/1/original"):
        _get(client, url)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    with pytest.raises(DBAPIError), archive.engine.begin() as conn:  # the app's archive is read-only
        conn.execute(sql("DELETE FROM events"))


def test_a_token_guards_every_request(site):
    _, _, archive = site
    with TestClient(create_app(archive, token="s3cret")) as client:
        assert client.get("/search").status_code == 401
        assert client.get("/api/status", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/api/status", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        basic = base64.b64encode(b"anyone:s3cret").decode()
        assert client.get("/archive", headers={"Authorization": f"Basic {basic}"}).status_code == 200


def test_web_refuses_another_host_without_a_token(cli):
    result = cli("web", "--host", "0.0.0.0", "--port", "1", expect=2)
    assert "--token" in result.output


# -- the API -----------------------------------------------------------------------------


def _validator(schema: dict, url_template: str) -> Draft202012Validator:
    ok = schema["paths"][url_template]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return Draft202012Validator({**ok, "components": schema["components"]})


def test_every_endpoint_validates_against_the_openapi_schema(site):
    cli, client, _ = site
    schema = _get(client, "/api/openapi.json").json()
    assert schema == json.loads(cli("web", "--openapi").stdout)  # the CLI prints the same schema
    ids = ids_by_name(cli)
    doc, work = ids["003_50b2b079aba8eece.txt"], cli.json("show", str(ids["000_eb76b57703d98c0a.txt"]))["work_id"]
    calls = {"/api/documents": "/api/documents", "/api/documents/{ref}": f"/api/documents/{doc}",
             "/api/documents/{ref}/csl": f"/api/documents/{doc}/csl", "/api/search": "/api/search?q=Raisi",
             "/api/works/{work_id}": f"/api/works/{work}", "/api/works/{work_id}/diff": f"/api/works/{work}/diff",
             "/api/cites": "/api/cites?ref=A/HRC/37/24", "/api/runs": "/api/runs", "/api/status": "/api/status"}
    assert set(calls) == {p for p in schema["paths"]}, "an endpoint without a test call"
    for template, url in calls.items():
        payload = _get(client, url).json()
        errors = list(_validator(schema, template).iter_errors(payload))
        assert not errors, (url, errors[:3])
        if isinstance(payload, dict):
            assert payload["schema_version"] == 1, url


def test_the_schema_declares_every_record_field(site):
    _, _, archive = site
    doc = archive.document(1)
    undeclared = set(document_summary(doc)) - set(DocumentSummary.model_fields)
    assert not undeclared, f"record fields missing from flows/web/schemas.py: {undeclared}"
    undeclared = (set(document_detail(doc)) | {"cited_by"}) - set(DocumentDetail.model_fields)
    assert not undeclared, f"record fields missing from flows/web/schemas.py: {undeclared}"
    note = next(n for d in archive.documents() for n in archive.document(d.id).footnotes if n.citations)
    assert set(footnote_dict(note)) == set(Footnote.model_fields)
    assert set(footnote_dict(note)["citations"][0]) == set(Citation.model_fields)


def test_cli_json_equals_the_api_payload(site):
    cli, client, _ = site
    ids = ids_by_name(cli)
    doc = ids["003_50b2b079aba8eece.txt"]
    work = cli.json("show", str(ids["000_eb76b57703d98c0a.txt"]))["work_id"]
    versions = [d["id"] for d in cli.json("history", str(work))["versions"]]

    def api(url: str) -> dict:
        payload = _get(client, url).json()
        assert payload["schema_version"] == 1
        return payload

    assert api(f"/api/documents/{doc}") == cli.json("show", str(doc))
    assert _get(client, f"/api/documents/{doc}/csl").json() == json.loads(cli("show", str(doc), "--csl").stdout)
    assert api("/api/search?q=Death+Commission&limit=50")["hits"] == cli.json("search", "Death", "Commission",
                                                                            "--limit", "50")["hits"]
    assert api(f"/api/works/{work}/diff?a={versions[0]}&b={versions[1]}") == \
        cli.json("diff", str(versions[0]), str(versions[1]))
    assert api("/api/runs")["runs"] == cli.json("runs")["runs"]
    assert api("/api/documents?limit=500")["documents"] == cli.json("documents")["documents"]
    one_work = api(f"/api/works/{work}")
    assert one_work.pop("schema_version") == 1  # a listing's items carry no version of their own
    assert one_work == next(w for w in cli.json("works")["works"] if w["id"] == work)
    assert api("/api/cites?ref=A/HRC/37/24") == cli.json("cites", "A/HRC/37/24")


# -- PostgreSQL --------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_same_pages_and_payloads_on_postgresql(tmp_path, postgres, site):
    sqlite_cli, sqlite_client, _ = site
    cli = build_archive(tmp_path, postgres.create_database("archivist_web"))
    archive = Archive.open(cli.home, cli.db_url, readonly=True, create=False)
    try:
        with TestClient(create_app(archive)) as client:
            def seeds(c: TestClient, cli_: Cli) -> list[list[str]]:  # the ranks may differ, not the works
                names = {v: k for k, v in ids_by_name(cli_).items()}
                return sorted(sorted(names[d] for d in h["documents"])
                              for h in _get(c, "/api/search?q=Raisi").json()["hits"])

            assert seeds(client, cli) == seeds(sqlite_client, sqlite_cli)
            doc = ids_by_name(cli)["citing_brief.md"]
            cited = ids_by_name(cli)["un_a_hrc_37_24.txt"]
            assert f'<a class="cite" href="/documents/{cited}"' in _get(client, f"/documents/{doc}").text
            assert "<mark>Raisi</mark>" in _get(client, "/search?q=Raisi").text
            work = cli.json("show", str(ids_by_name(cli)["000_eb76b57703d98c0a.txt"]))["work_id"]
            assert "<ins>" in _get(client, f"/works/{work}/diff").text
            for url in ("/archive", f"/documents/{doc}/original", "/api/status"):
                _get(client, url)
    finally:
        archive.close()
