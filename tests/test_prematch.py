"""Grouping candidates compared in an extraction worker (``storage.works.prematch``) place a document
exactly where the storing process would have placed it alone, on SQLite and PostgreSQL."""

from __future__ import annotations

import random

import pytest

from extractors import Hints, extract
from storage import Archive, Provenance
from storage.archive import BatchEntry
from storage.database import make_engine
from storage.works.index import index_keys
from storage.works.prematch import prematch, still_valid

WORDS = ("prisoners commission summer families cemetery hearing tribunal witness letter ministry province "
         "sentence release transfer ward corridor guard evening morning names list mothers records graves "
         "questions answers statement report inquiry detention execution committee").split()


def _text(seed: int, sentences: int = 60) -> str:
    rng = random.Random(seed)
    return "\n\n".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 20))).capitalize() + "."
                       for _ in range(sentences))


def _edit(text: str, seed: int, every: int) -> str:
    rng = random.Random(seed)
    paras = text.split("\n\n")
    for i in range(0, len(paras), every):
        words = paras[i].split()
        words[rng.randrange(len(words))] = "altered"
        paras[i] = " ".join(words)
    return "\n\n".join(paras)


def _entry(archive: Archive, name: str, text: str, pre: bool = False) -> BatchEntry:
    data = text.encode()
    record = extract(data, Hints(filename=name))
    sha = archive.put_original(data)
    title = record.metadata.title
    keys = index_keys(record.text, title)
    match = None
    if pre:
        engine = make_engine(archive.shared_url(), "read")
        try:
            match = prematch(engine, record.text, title, [n.text for n in record.footnotes], keys)
        finally:
            engine.dispose()
    return BatchEntry(sha, len(data), Provenance(source=name, source_kind="file", obtained_by="test"),
                      record=record, keys=(title, keys), prematch=match)


def _placement(archive: Archive, doc_id: int) -> tuple[str, str | None]:
    doc = archive.document(doc_id)
    related = archive.document(doc.related_document_id).source if doc.related_document_id else None
    return doc.relation, related


@pytest.fixture(params=["sqlite", "postgresql"])
def archives(request, tmp_path):
    if request.param == "postgresql":
        postgres = request.getfixturevalue("postgres")
        db, other = (postgres.create_database(f"archivist_prematch_{i}_{random.randrange(10**9)}") for i in (1, 2))
    else:
        db = other = None
    with Archive.open(tmp_path / "with", db) as one, Archive.open(tmp_path / "without", other) as two:
        yield one, two


@pytest.mark.parametrize("writer", ["this process", "another writer"])
def test_a_prematch_places_as_the_storing_process_would_with_documents_stored_since(archives, writer):
    # stored since the snapshot by this process: ranked from the keys it wrote; by another writer: queried
    original = _text(1)
    closer = _edit(original, 2, 9)   # stored after the prematch was taken: the closest version
    revised = _edit(closer, 3, 15)
    unrelated = _text(4)
    results = []
    for archive, pre in zip(archives, (True, False)):
        archive.store_batch([_entry(archive, "original.txt", original), _entry(archive, "other.txt", unrelated)])
        late = _entry(archive, "revised.txt", revised, pre=pre)
        if pre:
            assert late.prematch is not None and late.prematch.ranked, "the original is a candidate"
            assert all(r.document_id <= late.prematch.hwm for r in late.prematch.ranked)
        if writer == "this process":
            archive.store_batch([_entry(archive, "closer.txt", closer)])
        else:
            with Archive.open(archive.home, archive.shared_url() if archive.engine.dialect.name != "sqlite"
                              else None) as other_writer:
                other_writer.store_batch([_entry(other_writer, "closer.txt", closer)])
        [outcome] = archive.store_batch([late])
        results.append(_placement(archive, outcome.document_id))
    assert results[0] == results[1] == ("revision", "closer.txt")


def test_a_prematch_is_dropped_once_a_document_it_covered_may_have_changed(archives):
    archive, _ = archives
    archive.store_batch([_entry(archive, "original.txt", _text(5))])
    late = _entry(archive, "revised.txt", _edit(_text(5), 6, 10), pre=True)
    with archive.reading() as session:
        assert still_valid(session, [late.prematch.head])
    from storage import events
    from storage.database import transaction

    with transaction(archive.sessions) as session:
        events.append_event(session, "regrouped", "ok", detail={"documents": 1})
    with archive.reading() as session:
        assert not still_valid(session, [late.prematch.head])
    [outcome] = archive.store_batch([late])  # compared again by the storing process: the same placement
    assert _placement(archive, outcome.document_id) == ("revision", "original.txt")


def test_a_re_extraction_earlier_in_the_batch_sets_the_prematches_after_it_aside(archives):
    # a document that failed before extracts now; a revision of it arrives in the same batch with a
    # prematch taken while that document had no text: it must still be placed against it
    archive, _ = archives
    text = _text(7)
    data = text.encode()
    sha = archive.put_original(data)
    archive.store_failed(sha, len(data), Provenance(source="first.txt", source_kind="file", obtained_by="test"),
                         "CorruptDocument: not readable then")
    again = _entry(archive, "first.txt", text)
    revised = _entry(archive, "revised.txt", _edit(text, 8, 10), pre=True)
    assert revised.prematch is not None and not [r for r in revised.prematch.ranked if r.comparison]
    first, second = archive.store_batch([again, revised])
    assert first.status == "stored"
    assert _placement(archive, second.document_id) == ("revision", "first.txt")


OTHER_WORDS = ("river bridge harvest orchard valley mountain lantern village market bakery winter cotton wool sheep "
               "shepherd meadow barley mill miller wheel stone wall gate tower bell chapel").split()


def test_a_candidate_sharing_too_few_keys_keeps_its_rank_but_is_not_compared(archives):
    """Only the candidates worth confirming are compared in the worker; the others keep their place in the
    ranking (the storing process merges the documents stored since into it) and are never confirmed."""
    title = "# Letters from the summer of 1988\n\n"
    rng = random.Random(5)
    same_title = title + "\n\n".join(" ".join(rng.choice(OTHER_WORDS) for _ in range(15)).capitalize() + "."
                                     for _ in range(60))
    original = title + _text(1)
    revised = title + _edit(_text(1), 3, 15)
    results = []
    for archive, pre in zip(archives, (True, False)):
        archive.store_batch([_entry(archive, "same-title.md", same_title), _entry(archive, "original.md", original)])
        late = _entry(archive, "revised.md", revised, pre=pre)
        if pre:
            by_source = {archive.document(r.document_id).source: r for r in late.prematch.ranked}
            assert by_source["same-title.md"].shared == 1 and by_source["same-title.md"].comparison is None
            assert by_source["original.md"].shared >= 2 and by_source["original.md"].comparison is not None
        [outcome] = archive.store_batch([late])
        results.append(_placement(archive, outcome.document_id))
    assert results[0] == results[1] == ("revision", "original.md")
