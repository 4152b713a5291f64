"""DOCX and ODT: text, real notes linked to their marks, metadata, tracked changes, comments, bad packages.

Fixtures are made by pandoc and LibreOffice (tests/fixtures/make_office_scan_fixtures.sh).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from extractors.errors import CorruptDocument, ResourceLimitExceeded
from extractors.limits import ExtractionLimits
from extractors.record import Hints
from extractors.registry import choose, extract

OFFICE = Path(__file__).parent / "fixtures" / "office"
FORMATS = ["docx", "odt"]


def _read(name: str):
    return extract((OFFICE / name).read_bytes(), Hints(filename=name))


@pytest.mark.parametrize("fmt", FORMATS)
def test_chosen_by_content_not_name(fmt):
    data = (OFFICE / f"notes.{fmt}").read_bytes()
    assert choose(data, Hints()).name == fmt
    assert choose(data, Hints(filename="statement.zip", media_type="application/zip")).name == fmt


@pytest.mark.parametrize("fmt", FORMATS)
def test_seed_003_gives_94_linked_footnotes(fmt):
    record = _read(f"003.{fmt}")
    assert record.extractor == fmt
    assert [n.label for n in record.footnotes] == [str(i) for i in range(1, 95)]
    assert all(len(n.markers) >= 1 for n in record.footnotes)
    offsets = [n.markers[0].offset for n in record.footnotes]
    assert offsets == sorted(offsets)
    assert "<sup>" not in record.text and "\ue000" not in record.text
    assert record.text.startswith("AMNESTY INTERNATIONAL PUBLIC STATEMENT\n\n6 February 2023")
    # note 1 is cited after the 2018 report's description, at the end of its sentence
    first = record.footnotes[0].markers[0]
    assert record.text[first.offset - 1] == "." and "reparation" in record.footnotes[0].context
    assert sum(len(n.citations) for n in record.footnotes) >= 94
    assert not [w for w in record.warnings if "no reference mark" in w]


@pytest.mark.parametrize("fmt", FORMATS)
def test_structure_notes_and_metadata(fmt):
    record = _read(f"notes.{fmt}")
    paragraphs = record.text.split("\n\n")
    for expected in ("Findings", "Requests made", "A letter to the prosecutor in 2019.",
                     "A petition to the judiciary in 2020.", "First numbered step."):
        assert expected in paragraphs
    headings = [h["text"] for h in record.metadata.extra["headings"]]
    assert "Findings" in headings and "Requests made" in headings
    assert record.metadata.title == "Statement on Enforced Disappearances"
    assert record.metadata.authors == ["Jane Roe", "Office of the Rapporteur"]
    assert record.metadata.language == "en"
    assert [n.label for n in record.footnotes] == ["1", "2", "3"]
    one, two, three = record.footnotes
    assert record.text[:one.markers[0].offset].endswith("where the victims were buried.")
    assert record.text[:two.markers[0].offset].endswith("went unanswered.")
    assert record.text[:three.markers[0].offset].endswith("judiciary in 2020.")
    assert "A/HRC/45/13" in one.text and "United Nations" not in record.text
    assert one.citations[0].identifiers[0].value == "A/HRC/45/13"
    assert two.citations[0].refers_to == {"note": "1", "index": 0}
    assert three.citations[0].urls == ["https://www.ohchr.org/en/documents"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_tracked_changes_and_comments_kept_apart(fmt):
    record = _read(f"changes.{fmt}")
    assert "The witness saw the detainees in late July 1988 at the prison." in record.text
    assert "28 July" not in record.text
    assert "Check this date" not in record.text
    changes = record.metadata.extra["tracked_changes"]
    assert [d["text"] for d in changes["deletions"]] == ["on 28 July 1988"]
    assert changes["deletions"][0]["author"] == "Reviewer"
    assert len(changes["insertions"]) == 1
    comments = record.metadata.extra["comments"]
    assert comments[0]["author"] == "Editor" and comments[0]["text"] == "Check this date against the second testimony."
    assert any(w.startswith("tracked changes present: 1 insertion(s)") for w in record.warnings)
    assert any("1 comment(s)" in w for w in record.warnings)
    assert [n.text for n in record.footnotes] == ["Testimony of a former prisoner, recorded in 2019."]


def _rewrite(name: str, replace: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(OFFICE / name) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
        for extra, data in replace.items():
            if extra not in src.namelist():
                dst.writestr(extra, data)
    return out.getvalue()


@pytest.mark.parametrize("fmt,part", [("docx", "word/document.xml"), ("odt", "content.xml")])
def test_broken_xml_is_corrupt(fmt, part):
    data = _rewrite(f"notes.{fmt}", {part: b"<w:document><w:body><w:p>unclosed"})
    with pytest.raises(CorruptDocument, match=part.replace(".", r"\.")):
        extract(data, Hints(filename=f"x.{fmt}"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_truncated_package_is_corrupt(fmt):
    data = (OFFICE / f"notes.{fmt}").read_bytes()
    with pytest.raises(CorruptDocument):
        extract(data[: len(data) // 2], Hints(filename=f"x.{fmt}", media_type=choose(data).media_type))


def test_entities_are_not_expanded():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
            b'<w:t>start &b;</w:t></w:r></w:p></w:body></w:document>')
    record = extract(_rewrite("notes.docx", {"word/document.xml": bomb}), Hints())
    assert "aaaa" not in record.text and record.text.startswith("start")


def test_zip_bomb_member_is_refused():
    data = _rewrite("notes.docx", {"word/media/padding.bin": b"\0" * (8 << 20)})
    with pytest.raises(ResourceLimitExceeded, match="ratio"):
        extract(data, Hints())


def test_declared_size_over_the_input_limit_is_refused():
    data = (OFFICE / "notes.docx").read_bytes()
    limits = ExtractionLimits(max_input_bytes=len(data) + 10)
    with pytest.raises(ResourceLimitExceeded, match="uncompressed"):
        extract(data, Hints(limits=limits))


def test_too_many_members_are_refused():
    data = _rewrite("notes.docx", {f"customXml/item{i}.xml": b"<a/>" for i in range(10_001)})
    with pytest.raises(ResourceLimitExceeded, match="members"):
        extract(data, Hints())


@pytest.mark.parametrize("fmt", FORMATS)
def test_text_box_follows_its_paragraph_once(fmt):
    record = _read(f"textbox.{fmt}")
    assert record.text == "Before the box.\n\nInside the text box.\n\nAfter the box."


def test_docx_and_odt_of_seed_003_join_its_work_as_renditions(cli, tmp_path):
    from conftest import CORPUS

    folder = tmp_path / "in"
    folder.mkdir()
    seed = next(CORPUS.glob("003_*.txt"))
    (folder / seed.name).write_bytes(seed.read_bytes())
    for name in ("003.docx", "003.odt"):
        (folder / name).write_bytes((OFFICE / name).read_bytes())
    cli("ingest", "--no-prefect", str(folder))
    docs = cli.json("documents")["documents"]
    assert len(docs) == 3 and len({d["work_id"] for d in docs}) == 1
    assert sorted(d["relation"] for d in docs) == ["original", "rendition", "rendition"]
    assert {d["format"] for d in docs} == {"markdown", "docx", "odt"}
