"""The citation graph: links resolved in both ingest orders, `cites`, `show` cited_by, CSL-JSON export."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import CORPUS, FIXTURES

FIX = FIXTURES / "citations"
CORPUS_003 = CORPUS / "003_50b2b079aba8eece.txt"


def _ingest(cli, *paths):
    for path in paths:
        cli("ingest", "--no-prefect", str(path))


def _ids(cli):
    return {d["source"].rsplit("/", 1)[-1]: d["id"] for d in cli.json("documents")["documents"]}


# ---------------------------------------------------------------- the must-hold case


@pytest.mark.parametrize("order", ["cited-first", "citing-first"])
def test_un_symbol_link_in_both_orders(any_cli, order):
    cited, citing = FIX / "un_a_hrc_37_24.txt", FIX / "citing_brief.md"
    _ingest(any_cli, *((cited, citing) if order == "cited-first" else (citing, cited)))
    ids = _ids(any_cli)
    cited_id, citing_id = ids["un_a_hrc_37_24.txt"], ids["citing_brief.md"]

    result = any_cli.json("cites", "A/HRC/37/24")
    assert result["query"] == "A/HRC/37/24"
    assert result["target"]["id"] == cited_id
    assert [(c["document_id"], c["label"], c["via"]) for c in result["citing"]] == [(citing_id, "1", "link")]
    entry = result["citing"][0]
    assert entry["context"].startswith("The Special Rapporteur reported last year")
    assert "UN Doc. A/HRC/37/24" in entry["note_text"] and "A/HRC/37/24" in entry["citation_text"]
    assert entry["title"] == "Briefing: accountability for the summer killings"
    assert entry["source"].endswith("citing_brief.md")

    # the same through the document id, a prefixed spelling and the hash
    sha = next(d["sha256"] for d in any_cli.json("documents")["documents"] if d["id"] == cited_id)
    for ref in (str(cited_id) if order == "cited-first" else sha[:12], "UN Doc. A/HRC/37/24"):
        again = any_cli.json("cites", ref)
        assert again["target"]["id"] == cited_id, ref
        assert [c["document_id"] for c in again["citing"]] == [citing_id], ref

    shown = any_cli.json("show", str(cited_id))
    assert [(c["document_id"], c["label"]) for c in shown["cited_by"]] == [(citing_id, "1")]
    assert shown["cited_by"][0]["context"].startswith("The Special Rapporteur")
    text = any_cli("show", str(cited_id)).output
    assert "Cited by" in text and f"doc {citing_id} note [1]" in text

    note1 = any_cli.json("show", str(citing_id))["footnotes"][0]
    assert note1["citations"][0]["cited_document_id"] == cited_id
    # the citing document itself is cited by nobody
    assert any_cli.json("show", str(citing_id))["cited_by"] == []
    out = any_cli("cites", "A/HRC/37/24").output
    assert f"target: doc {cited_id}" in out and "note [1] (link)" in out
    if order == "citing-first":  # the reverse link rewrote a stored row: the record hash must not cover it
        result = any_cli("verify", "--json", expect=None)
        assert result.exit_code == 0, result.output


# ---------------------------------------------------------------- the corpus


@pytest.mark.parametrize("order", ["cited-first", "citing-first"])
def test_corpus_statement_links_to_report_and_un_document(cli, tmp_path, order):
    folder = tmp_path / "cited"
    folder.mkdir()
    for name in ("blood_soaked_secrets.md", "un_e_cn4_1989_26.txt"):
        shutil.copy(FIX / name, folder / name)
    _ingest(cli, *((folder, CORPUS_003) if order == "cited-first" else (CORPUS_003, folder)))
    ids = _ids(cli)
    statement, report, un_doc = ids[CORPUS_003.name], ids["blood_soaked_secrets.md"], ids["un_e_cn4_1989_26.txt"]

    # the report's own index number, found in its header
    report_rec = cli.json("show", str(report))
    assert {"scheme": "ngo-index", "value": "MDE 13/9421/2018"} in report_rec["identifiers"]
    result = cli.json("cites", "MDE 13/9421/2018")
    assert result["target"]["id"] == report
    labels = [c["label"] for c in result["citing"] if c["document_id"] == statement]
    assert labels == ["1", "8", "53"]
    assert {c["via"] for c in result["citing"]} == {"link"}
    first = result["citing"][0]
    assert "Blood-soaked secrets" in first["context"] and "MDE 13/9421/2018" in first["citation_text"]
    assert [c["label"] for c in report_rec["cited_by"]] == ["1", "8", "53"]

    # UN symbol as the document's own symbol on its first line; cited as "UN Doc. E/CN.4/1989/26"
    result = cli.json("cites", "un doc. e/cn.4/1989/26")
    assert result["target"]["id"] == un_doc
    assert [c["label"] for c in result["citing"]] == ["16", "30", "42", "93"]
    assert [c["label"] for c in cli.json("show", str(un_doc))["cited_by"]] == ["16", "30", "42", "93"]

    # the statement cites neither itself nor anything else we hold
    assert cli.json("show", str(statement))["cited_by"] == []
    linked = {c["cited_document_id"] for n in cli.json("show", str(statement))["footnotes"] for c in n["citations"]}
    assert linked == {None, report, un_doc}
    own = cli.json("cites", "MDE 13/6418/2023")
    assert own["target"]["id"] == statement and own["citing"] == []
    if order == "cited-first":
        _check_statement_csl(cli, statement, un_doc)


def test_cites_a_document_we_do_not_hold(cli):
    _ingest(cli, CORPUS_003)
    result = cli.json("cites", "A/44/620")
    assert result["target"] is None
    assert [(c["label"], c["via"]) for c in result["citing"]] == [("15", "identifier"), ("17", "identifier")]
    assert all(c["cited_document_id"] is None for c in result["citing"])
    out = cli("cites", "A/44/620").output
    assert "A/44/620 (not archived)" in out and "note [15] (identifier)" in out

    # two-digit and four-digit years of old index numbers are the same number
    old = cli.json("cites", "MDE 13/031/1988")
    assert [c["label"] for c in old["citing"]] == ["39", "40", "41"]

    # by URL, spelled differently from the notes (https, www, trailing slash, tracking parameter)
    url = cli.json("cites", "https://www.amnesty.org/en/documents/mde13/9421/2018/en/?utm_source=x")
    assert url["target"] is None
    assert [(c["label"], c["via"]) for c in url["citing"]] == [("1", "url"), ("8", "url"), ("53", "url")]


def test_cites_unknown_ref_fails_cleanly(cli):
    _ingest(cli, FIX / "citing_brief.md")
    result = cli("cites", "no such thing here", expect=1)
    assert "not a document id, hash, identifier or URL" in result.output
    result = cli("cites", "999", expect=1)
    assert "no document with id 999" in result.output
    assert cli.json("cites", "A/HRC/99/1")["citing"] == []


# ---------------------------------------------------------------- title + date matching


def test_title_and_date_link(cli):
    # cited first: the forward title scan (the reverse one is covered at storage level below)
    _ingest(cli, FIX / "voices_from_gohardasht.md", FIX / "citing_brief.md")
    ids = _ids(cli)
    shown = cli.json("show", str(ids["voices_from_gohardasht.md"]))
    assert [(c["document_id"], c["label"]) for c in shown["cited_by"]] == [(ids["citing_brief.md"], "3")]
    result = cli.json("cites", str(ids["voices_from_gohardasht.md"]))
    assert [c["via"] for c in result["citing"]] == ["link"]


# ---------------------------------------------------------------- storage-level: URLs, renditions, self


def _store(archive, name, text, *, title=None, date=None, identifiers=(), notes=(), source=None, final_url=None,
           canonical_url=None):
    from extractors.citations.fields import parse_notes
    from extractors.record import (
        ExtractedDocument,
        Footnote,
        Identifier,
        Marker,
        Metadata,
    )
    from storage import Provenance

    footnotes = []
    parsed = parse_notes([(str(i), t) for i, t in enumerate(notes, start=1)])
    for i, (note, cites) in enumerate(zip(notes, parsed), start=1):
        footnotes.append(Footnote(label=str(i), text=note, markers=[Marker(offset=0, context=f"Sentence {i}.")],
                                  citations=cites))
    record = ExtractedDocument(
        format="markdown", media_type="text/markdown", text=text, footnotes=footnotes, extractor="test",
        metadata=Metadata(title=title, date=date, identifiers=[Identifier(*i) for i in identifiers],
                          canonical_url=canonical_url))
    data = (name + text).encode()
    sha = archive.put_original(data)
    prov = Provenance(source=source or name, source_kind="url" if source else "file",
                      obtained_by="test", final_url=final_url)
    return archive.store_extracted(sha, len(data), prov, record).document_id


def _links(archive, doc_id):
    doc = archive.document(doc_id)
    return [c.cited_document_id for n in doc.footnotes for c in n.citations]


@pytest.fixture(params=["sqlite", "postgresql"])
def archive(request, tmp_path):
    from storage import Archive

    db_url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    with Archive.open(tmp_path / "a", db_url) as arch:
        yield arch


def test_a_linking_failure_never_loses_the_document(archive, monkeypatch, caplog):
    from storage.citations import linking as citation_graph

    citing = _store(archive, "citing", "x", notes=["UN Doc. A/HRC/37/24, para. 1."])

    def broken(session, doc):
        session.execute(__import__("sqlalchemy").text("SELECT * FROM no_such_table"))

    monkeypatch.setattr(citation_graph, "link_reverse", broken)
    with caplog.at_level("WARNING", logger="storage.citations.linking"):
        cited = _store(archive, "cited", "y", identifiers=[("un-symbol", "A/HRC/37/24")])
    assert "citation linking failed" in caplog.text
    assert archive.document(cited).identifiers[0].value == "A/HRC/37/24"
    assert _links(archive, citing) == [None]  # the reverse link did not happen, the store did
    from storage.integrity.fixity import verify

    report = verify(archive)
    assert not [p for p in report.problems if p.kind != "missing-blob"], report.problems
    monkeypatch.undo()
    again = _store(archive, "cited-again", "z", identifiers=[("un-symbol", "A/HRC/37/24")])
    assert _links(archive, citing) == [again]


@pytest.mark.parametrize("order", ["cited-first", "citing-first"])
def test_url_links_through_redirect_and_canonical_url(archive, order):
    notes = [
        "Example Watch, Families of the disappeared speak out, https://example.org/news/2019/08/families/?utm_source=tw",
        "Example Watch, Second page, http://www.example.org/page-two#section-3.",
        "Example Watch, Canonical page, www.example.org/reports/canonical-page/.",
        "Example Watch, A different page, https://example.org/news/2019/08/families?page=2",
    ]

    def cited():
        a = _store(archive, "a", "Page one text about families.",
                   source="https://www.example.org/news/2019/08/families")
        b = _store(archive, "b", "Page two text.", source="https://short.example/p2",
                   final_url="https://example.org/page-two/")
        c = _store(archive, "c", "Canonical page text.", source="https://mirror.example/copy",
                   canonical_url="https://www.example.org/reports/canonical-page")
        return a, b, c

    if order == "cited-first":
        a, b, c = cited()
        citing = _store(archive, "citing", "A brief citing pages.", notes=notes)
    else:
        citing = _store(archive, "citing", "A brief citing pages.", notes=notes)
        a, b, c = cited()
    assert _links(archive, citing) == [a, b, c, None]
    assert [e["label"] for e in archive.cited_by(a)] == ["1"]
    from storage.citations.queries import find_citing

    with archive.reading() as session:
        found = find_citing(session, "example.org/page-two")
        assert found["target"]["id"] == b
        assert [(e["document_id"], e["label"], e["via"]) for e in found["citing"]] == [(citing, "2", "link")]
        other = find_citing(session, "https://example.org/news/2019/08/families?page=2")
        assert other["target"] is None and [e["label"] for e in other["citing"]] == ["4"]


def test_prefers_identifier_then_first_archived_and_never_self(archive):
    notes = ["Amnesty International, Some report (Index: MDE 13/1111/2020), 2020.",
             "This statement, Index: MDE 13/2222/2021."]
    citing = _store(archive, "citing", "A statement.", identifiers=[("ngo-index", "MDE 13/2222/2021")],
                    notes=notes)
    first = _store(archive, "r1", "Rendition one.", identifiers=[("ngo-index", "MDE 13/1111/2020")])
    second = _store(archive, "r2", "Rendition two, another text.", identifiers=[("ngo-index", "MDE 13/1111/2020")])
    assert _links(archive, citing) == [first, None]
    assert second > first
    # a later document with a weaker (title) match does not take the link over
    _store(archive, "r3", "A third text.", title="Some report", date="2020")
    assert _links(archive, citing) == [first, None]


def test_title_matching_respects_dates_and_conflicting_identifiers(archive):
    notes = ['Amnesty International, "Iran: Fear of execution of political prisoners", 1 December 1988.',
             ('Amnesty International, "Iran: Fear of execution of political prisoners" (Index: MDE 13/027/1988), '
              '1 December 1988.')]
    citing = _store(archive, "citing", "A statement.", notes=notes)
    _store(archive, "other-day", "Text one.", title="Iran: Fear of execution of political prisoners",
           date="1988-12-16")
    assert _links(archive, citing) == [None, None]  # 15 days apart
    other = _store(archive, "other-index", "Text two.", title="Iran: Fear of execution of political prisoners",
                   date="1988-12-01", identifiers=[("ngo-index", "MDE 13/028/1988")])
    # the note without an index number matches by title and date; the one with MDE 13/027/1988 must not
    assert _links(archive, citing) == [other, None]
    same = _store(archive, "same", "Text three.", title="Iran: fear of execution of political prisoners",
                  date="1988-12-02")
    assert _links(archive, citing) == [other, same]  # equal strength: the first archived keeps the link


def test_relink_all_rebuilds_the_same_graph(archive):
    from sqlalchemy import update

    from storage.citations.linking import relink_all
    from storage.database import transaction
    from storage.models import StoredCitation

    citing = _store(archive, "citing", "x", notes=["UN Doc. A/HRC/37/24, para. 1."])
    cited = _store(archive, "cited", "y", identifiers=[("un-symbol", "A/HRC/37/24")])
    with transaction(archive.sessions) as session:
        session.execute(update(StoredCitation).values(cited_document_id=None))
    assert _links(archive, citing) == [None]
    with transaction(archive.sessions) as session:
        assert relink_all(session) == 1
    assert _links(archive, citing) == [cited]


# ---------------------------------------------------------------- normalization units


def test_identifier_and_url_keys():
    from extractors.text.identifiers import identifier_key
    from extractors.text.urls import url_key
    from storage.citations.keys import dates_compatible, title_key, titles_match

    assert identifier_key("un-symbol", "UN Doc. e/cn.4/Sub.2/1988/11 ") == identifier_key(
        "un-symbol", "E/CN.4/SUB.2/1988/11")
    assert identifier_key("ngo-index", "MDE 13/019/89") == identifier_key("ngo-index", "MDE13/19/1989")
    assert identifier_key("ngo-index", "MDE 13/019/89") != identifier_key("ngo-index", "MDE 13/019/90")
    assert identifier_key("isbn", "0-19-852663-6") == identifier_key("isbn", "9780198526636")
    assert identifier_key("doi", "doi:10.1000/ABC") == identifier_key("doi", "10.1000/abc")
    assert url_key("https://www.Example.org/a/b/?utm_source=x&id=2#top") == url_key("http://example.org/a/b?id=2")
    assert url_key("www.example.org/a") == "example.org/a"
    assert url_key("https://example.org/a?id=2") != url_key("https://example.org/a?id=3")
    assert url_key("tests/fixtures/x.md", lenient=False) is None and url_key("mailto:x@example.org") is None
    assert title_key("Iran’s *1988* Massacres") == "irans 1988 massacres"
    assert dates_compatible("2018", "2018-12-04") and not dates_compatible("2017", "2018-12-04")
    assert dates_compatible("1988-12-01", "1988-12-03") and not dates_compatible("1988-12-01", "1988-12-12")
    assert not dates_compatible("1988-11", "1988-12") and dates_compatible(None, "1988")
    assert titles_match(title_key("Blood-soaked secrets: Why Iran's 1988 prison massacres are ongoing crimes"),
                        title_key("BLOOD-SOAKED SECRETS: WHY IRAN’S 1988 PRISON MASSACRES ARE ONGOING CRIMES"))
    assert not titles_match(title_key("Iran: Death penalty"), title_key("Iran: Death penalty: Political executions"))
    assert not titles_match(title_key("Iran: political executions in the summer of 1988 and their aftermath"),
                            title_key("Iran: political"))


# ---------------------------------------------------------------- CSL-JSON

# The subset of the CSL-JSON schema (citation-style-language/schema, csl-data.json) that the export uses.
_NAME = {"type": "object", "additionalProperties": False, "minProperties": 1,
         "properties": {"family": {"type": "string"}, "given": {"type": "string"}, "literal": {"type": "string"}}}
_DATE = {"type": "object", "required": ["date-parts"], "additionalProperties": False,
         "properties": {"date-parts": {"type": "array", "minItems": 1, "maxItems": 2,
                                       "items": {"type": "array", "minItems": 1, "maxItems": 3,
                                                 "items": {"type": "integer"}}}}}
CSL_ITEM = {
    "type": "object", "required": ["id", "type", "title"], "additionalProperties": False,
    "properties": {
        "id": {"type": "string"}, "type": {"enum": ["article", "article-journal", "article-newspaper", "book",
                                                     "document", "report", "webpage"]},
        "title": {"type": "string", "minLength": 1}, "author": {"type": "array", "minItems": 1, "items": _NAME},
        "issued": _DATE, "URL": {"type": "string", "pattern": "^https?://"}, "DOI": {"type": "string"},
        "ISBN": {"type": "string"}, "number": {"type": "string"}, "note": {"type": "string"},
        "publisher": {"type": "string"}, "container-title": {"type": "string"}, "archive": {"type": "string"},
        "archive_location": {"type": "string"}, "publisher-place": {"type": "string"},
        "volume": {"type": "string"}, "issue": {"type": "string"}, "page": {"type": "string"},
    },
}


def _check_item(item):
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - checked by hand below as well
        jsonschema = None
    if jsonschema is not None:
        jsonschema.validate(item, CSL_ITEM)
    assert set(item) <= set(CSL_ITEM["properties"]) and {"id", "type", "title"} <= set(item)
    assert isinstance(item["id"], str) and isinstance(item["title"], str) and item["title"]
    for name in item.get("author", []):
        assert "literal" in name or "family" in name
    if "issued" in item:
        (parts,) = item["issued"]["date-parts"]
        assert 1 <= len(parts) <= 3 and all(isinstance(p, int) for p in parts)


def _check_statement_csl(cli, statement, un_doc):
    """``show --csl`` of corpus/003 (called from the corpus test, which has ingested it)."""
    items = json.loads(cli("show", str(statement), "--csl").stdout)
    assert 100 <= len(items) <= 140
    for item in items:
        _check_item(item)
    assert len({i["id"] for i in items}) == len(items)
    by_id = {i["id"]: i for i in items}
    assert f"doc{statement}-note40-1" not in by_id  # "(previously cited)" repeats are not items

    blood = by_id[f"doc{statement}-note1-1"]
    assert blood["type"] == "report" and blood["title"] == (
        "Blood-soaked secrets: Why Iran's 1988 prison massacres are ongoing crimes against humanity")
    assert blood["author"] == [{"literal": "Amnesty International"}] and blood["number"] == "MDE 13/9421/2018"
    assert blood["issued"] == {"date-parts": [[2018, 12, 4]]}
    assert blood["URL"] == "https://www.amnesty.org/en/documents/mde13/9421/2018/en"

    un = by_id[f"doc{statement}-note16-1"]
    assert un["type"] == "report" and un["number"] == "E/CN.4/1989/26" and un["note"] == "para. 16"
    assert un["issued"] == {"date-parts": [[1989, 1, 26]]}
    assert un["archive"] == "archivist" and un["archive_location"] == f"document {un_doc}"

    ft = [i for i in items if i.get("author") == [{"family": "Mortimer", "given": "Edward"}]]
    assert ft and ft[0]["type"] in ("article-newspaper", "article")
    nyt = by_id[f"doc{statement}-note36-1"]
    assert nyt["type"] == "article-newspaper" and nyt["container-title"] == "New York Times" and "author" not in nyt
    assert by_id[f"doc{statement}-note19-1"]["issued"] == {"date-parts": [[1989, 1]]}


def test_csl_unit_shapes():
    from storage.citations.csl import citation_csl
    from storage.models import CitationIdentifier, StoredCitation

    cit = StoredCitation(text="Jane Doe and John Roe, The book (Oxford University Press, 2001), ISBN 978-0-19-852663-6",
                         kind="book", author="Jane Doe and John Roe", title="The book", date="2001",
                         urls=["www.example.org/book"], pinpoint="p. 5")
    cit.identifiers = [CitationIdentifier(scheme="isbn", value="9780198526636")]
    item = citation_csl(cit, "x-1")
    _check_item(item)
    assert item["author"] == [{"family": "Doe", "given": "Jane"}, {"family": "Roe", "given": "John"}]
    assert item["ISBN"] == "9780198526636" and item["URL"] == "https://www.example.org/book"
    assert item["note"] == "p. 5" and item["type"] == "book"
    doi = StoredCitation(text="x", kind="article", author="Smith, Anna", title="On things", date="2020-05",
                         urls=[], identifiers=[CitationIdentifier(scheme="doi", value="10.1000/xyz")])
    item = citation_csl(doi, "x-2")
    _check_item(item)
    assert item["type"] == "article-journal" and item["DOI"] == "10.1000/xyz"
    assert item["author"] == [{"family": "Smith", "given": "Anna"}]


@pytest.mark.parametrize("order", ["citation first", "document first"])
def test_title_links_through_the_word_index_in_both_orders(archive, order):
    note = 'Amnesty International, "Blood-soaked secrets: why Iran\'s 1988 prison massacres are ongoing crimes", 2018.'
    title = "Blood-soaked secrets: Why Iran's 1988 prison massacres are ongoing crimes against humanity"
    other = "Secrets of the 1988 prisons: a history of the ongoing crimes"  # shares words, not a match
    if order == "citation first":
        citing = _store(archive, "citing", "A statement.", notes=[note])
        _store(archive, "other", "Text.", title=other, date="2018")
        cited = _store(archive, "cited", "Report.", title=title, date="2018-12-04")
    else:
        cited = _store(archive, "cited", "Report.", title=title, date="2018-12-04")
        _store(archive, "other", "Text.", title=other, date="2018")
        citing = _store(archive, "citing", "A statement.", notes=[note])
    assert _links(archive, citing) == [cited]


def test_the_citation_index_migration_indexes_what_the_store_path_writes(archive):
    from alembic import command
    from sqlalchemy import delete, select

    from storage.database import alembic_config, upgrade
    from storage.models import CitationKey, DocumentTitleWord

    _store(archive, "citing", "A statement.", notes=[
        'Amnesty International, "Iran: Fear of execution of political prisoners", 1 December 1988, '
        'https://www.amnesty.org/en/documents/mde13/027/1988/en/.'])
    _store(archive, "cited", "Text.", title="Iran: Fear of execution of political prisoners", date="1988-12-01")

    def rows():
        with archive.engine.connect() as conn:
            return (sorted(conn.execute(select(DocumentTitleWord.document_id, DocumentTitleWord.word,
                                               DocumentTitleWord.longest)).all()),
                    sorted(conn.execute(select(CitationKey.citation_id, CitationKey.kind, CitationKey.key,
                                               CitationKey.longest)).all()))

    written = rows()
    assert written[0] and {k for _c, k, _key, _l in written[1]} == {"title", "url"}
    with archive.engine.begin() as conn:
        conn.execute(delete(DocumentTitleWord))
        conn.execute(delete(CitationKey))
    command.downgrade(alembic_config(archive.engine), "0009")
    upgrade(archive.engine)
    assert rows() == written
