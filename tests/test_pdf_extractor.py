"""PdfExtractor on real PDFs: word-processor output, hand-written syntax, bad files.

Fixtures are made by tests/fixtures/make_pdf_fixtures.sh (pandoc -> DOCX/ODT ->
LibreOffice, Ghostscript, qpdf, raw syntax); the sources of the documents with
footnotes are in tests/fixtures/pdf/src/.
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from rapidfuzz import fuzz

from extractors import assembly
from extractors.base import MAGIC
from extractors.errors import CorruptDocument, EncryptedDocument, ExtractionError, ResourceLimitExceeded
from extractors.pdf.extractor import PdfExtractor
from extractors.pdf.layout import join_lines, normalize_run_text
from extractors.pdf.metadata import is_junk_title, pdf_date
from extractors.record import Hints

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"
SRC = FIXTURES / "src"
QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "\u00a0": " "})


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def extract(name: str, **kwargs):
    return PdfExtractor(**kwargs).extract(read(name), Hints(filename=name))


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(QUOTES)).strip()


def source_notes(md: str) -> dict[str, str]:
    return {m.group(1): squash(m.group(2)) for m in re.finditer(r"(?m)^\[\^(\d+)\]: (.+)$", md)}


def source_contexts(md: str) -> dict[str, str]:
    """For each label, the text of the source sentence that cites it (markers removed)."""
    body = re.sub(r"(?m)^\[\^\d+\]: .+$", "", md)
    out = {}
    for para in re.split(r"\n\s*\n", body):
        for sentence in re.split(r"(?:(?<=[.!?])|(?<=[.!?]\[\^\d\])|(?<=[.!?]\[\^\d\d\]))\s+(?=[A-Z])", para):
            for label in re.findall(r"\[\^(\d+)\]", sentence):
                out.setdefault(label, squash(re.sub(r"\[\^\d+\]", "", sentence)))
    return out


def source_plain(md: str) -> str:
    """The source's plain text: front-matter title/author/date, body, no notes or markers."""
    front = re.match(r"---\n(.*?)\n---\n", md, re.S)
    head = []
    if front:
        fields = dict(re.findall(r"(?m)^(\w+): (.+)$", front.group(1)))
        head = [fields.get(k) for k in ("title", "author", "date") if fields.get(k)]
        md = md[front.end():]
    md = re.sub(r"(?m)^\[\^\d+\]: .+$", "", md)
    md = re.sub(r"\[\^\d+\]", "", md)
    md = re.sub(r"(?m)^#+\s*", "", md)
    return squash(" ".join(head) + " " + md)


WORD_PROCESSED = [
    ("detention_docx.pdf", "detention_report.md"),
    ("evictions_odt.pdf", "evictions_statement.md"),
    ("evictions_gs.pdf", "evictions_statement.md"),
]


def score_notes(doc, md: str) -> tuple[float, float]:
    """Precision and recall of (label, text, linked citing sentence) against the source."""
    truth = source_notes(md)
    contexts = source_contexts(md)
    correct = 0
    for note in doc.footnotes:
        expected = truth.get(note.label)
        if expected is None or fuzz.ratio(squash(note.text), expected) < 95 or not note.markers:
            continue
        if fuzz.partial_ratio(contexts[note.label], squash(note.markers[0].context)) < 90:
            continue
        correct += 1
    return correct / max(1, len(doc.footnotes)), correct / len(truth)


@pytest.mark.parametrize("pdf,source", WORD_PROCESSED)
def test_word_processor_footnotes_found_and_linked(pdf, source):
    md = (SRC / source).read_text(encoding="utf-8")
    doc = extract(pdf)
    precision, recall = score_notes(doc, md)
    assert precision >= 0.98 and recall >= 0.98, (precision, recall)
    assert [n.label for n in doc.footnotes] == [str(i) for i in range(1, len(source_notes(md)) + 1)]
    assert all(n.confidence == 1.0 and len(n.markers) == 1 for n in doc.footnotes)
    assert not doc.warnings


@pytest.mark.parametrize("pdf,source", WORD_PROCESSED)
def test_canonical_text_has_no_markers_or_note_bodies(pdf, source):
    doc = extract(pdf)
    text = doc.text
    for note in doc.footnotes:
        assert note.text[:70] not in text
        for marker in note.markers:
            assert not text[: marker.offset].endswith(note.label), (note.label, text[marker.offset - 30: marker.offset])
            assert not text[marker.offset:].startswith(note.label)
    # No digits glued to the end of a word or sentence, as an inlined marker would leave.
    assert not re.search(r"[a-z][.,;:]?\d{1,2}(?=\s|$)", text)
    assert assembly.MARK_OPEN not in text and assembly.MARK_CLOSE not in text


@pytest.mark.parametrize("pdf,source", WORD_PROCESSED)
def test_pdf_text_matches_source_text(pdf, source):
    md = (SRC / source).read_text(encoding="utf-8")
    doc = extract(pdf)
    assert fuzz.ratio(squash(doc.text), source_plain(md)) > 90


def test_multipage_details_of_the_docx_report():
    doc = extract("detention_docx.pdf")
    notes = {n.label: n for n in doc.footnotes}
    # A long note continued on the next page is joined into one note.
    assert notes["11"].text.endswith("systematic review of the case law by the judicial council.")
    assert notes["11"].page == 3 and notes["11"].markers[0].page == 3
    # Two-digit labels, and a marker in the middle of a sentence.
    assert notes["17"].text == "Universal periodic review, third cycle, recommendations 26.112 to 26.131."
    assert notes["3"].markers[0].context.startswith("The special rapporteur has described similar methods")
    assert doc.text[notes["3"].markers[0].offset - len("special rapporteur"): notes["3"].markers[0].offset] \
        == "special rapporteur"
    # A paragraph that runs across a page break stays one paragraph; Persian text survives.
    assert "Several interviewees used the Persian phrase زندان انفرادی to describe" in doc.text
    paragraphs = doc.text.split("\n\n")
    assert "Summary" in paragraphs and "Access to Counsel" in paragraphs
    assert doc.metadata.page_count == 5 and len(doc.metadata.extra["pages"]) == 5


def test_running_header_footer_and_page_numbers_removed():
    for name in ("evictions_odt.pdf", "evictions_gs.pdf"):
        doc = extract(name)
        assert "Housing Rights Observatory - Forced Evictions" not in doc.text
        pages = doc.metadata.extra["pages"]
        assert [p["number"] for p in pages] == ["1", "2", "3"]
        assert all(p["header"] == "Housing Rights Observatory - Forced Evictions in the River District"
                   for p in pages)
        assert not re.search(r"(?m)^\d+$", doc.text)


def test_handwritten_pdf_geometry_ligatures_and_rise_markers():
    doc = extract("handwritten.pdf")
    text = doc.text
    assert "Annual Review of Detention Practice 2022" not in text and "Page 1 of 3" not in text
    assert [p["number"] for p in doc.metadata.extra["pages"]] == ["1", "2", "3"]
    assert "The documentation gathered" in text  # hyphenated line break joined
    assert "reports findings on overcrowding" in text and "solitary confinement in a third" in text
    assert "ﬁ" not in text
    assert "phrase سلام to greet" in text  # presentation forms in visual order -> logical letters
    notes = {n.label: n for n in doc.footnotes}
    assert sorted(notes) == ["1", "2", "3", "4", "5"]
    assert notes["2"].markers[0].context == "The mechanism reports findings on overcrowding in two facilities " \
                                            "and on the use of solitary confinement in a third."
    # Note 3 starts on page 2 and continues above note 4 on page 3.
    assert notes["3"].text.endswith("the register had been sent for repair and would be returned within the month.")
    assert notes["4"].page == 3 and notes["4"].markers[0].page == 2
    assert "Visit report" not in text


def test_metadata_from_info_dictionary():
    doc = extract("detention_docx.pdf")
    meta = doc.metadata
    assert meta.title == "Conditions of Detention in Pre-Trial Facilities"
    assert meta.authors == ["Independent Monitoring Group"]
    assert meta.description == "Report on pre-trial detention, 2019-2023"
    assert meta.language == "en-GB"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta.date)
    assert meta.extra["producer"].startswith("LibreOffice") and meta.extra["creator"] == "Writer"
    hand = extract("handwritten.pdf").metadata
    assert hand.date == "2023-04-12" and hand.authors == ["National Preventive Mechanism"]
    assert hand.title is None and hand.extra["info_title"] == "untitled"  # no larger heading to fall back on


def test_junk_title_falls_back_to_first_page_heading(tmp_path):
    writer = PdfWriter(clone_from=io.BytesIO(read("detention_docx.pdf")))
    writer.add_metadata({"/Title": "Microsoft Word - draft3.docx", "/Keywords": "detention; fair trial",
                         "/ModDate": "D:20230502120000Z"})
    path = tmp_path / "draft3.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    doc = PdfExtractor().extract(path.read_bytes(), Hints(filename="draft3.pdf"))
    assert doc.metadata.title == "Conditions of Detention in Pre-Trial Facilities"
    assert doc.metadata.keywords == ["detention", "fair trial"]
    assert doc.metadata.extra["modified"] == "2023-05-02"


def test_content_score():
    extractor = PdfExtractor()
    pdf = read("handwritten.pdf")
    assert extractor.content_score(pdf, Hints()) == MAGIC
    assert extractor.content_score(b"\x00" * 500 + pdf, Hints()) == MAGIC
    assert extractor.content_score(b"x" * 2000 + pdf, Hints()) == 0
    assert extractor.content_score(read("not_a_pdf.pdf"), Hints()) == 0
    assert extractor.score(pdf, Hints(filename="a.pdf", media_type="application/pdf")) > MAGIC


def test_leading_junk_is_skipped_with_a_warning():
    doc = PdfExtractor().extract(b"HTTP junk\r\n\r\n" + read("handwritten.pdf"), Hints())
    assert "The documentation gathered" in doc.text
    assert any("junk" in w for w in doc.warnings)


BAD = [
    ("empty.pdf", CorruptDocument, "empty"),
    ("not_a_pdf.pdf", CorruptDocument, "not a PDF"),
    ("truncated.pdf", ExtractionError, ""),
    ("encrypted_password.pdf", EncryptedDocument, "password"),
    ("bomb.pdf", ResourceLimitExceeded, "limit"),
    ("hang.pdf", ResourceLimitExceeded, "time limit of 1s"),
]


@pytest.mark.parametrize("name,error,words", BAD)
def test_bad_pdfs_fail_clearly_within_their_time_box(name, error, words):
    started = time.monotonic()
    with pytest.raises(error) as info:
        PdfExtractor(time_limit=1.0).extract(read(name), Hints(filename=name))
    # The time box is 1 s; content-stream parsing before the first callback
    # (bounded by pypdf's token limit) and a loaded machine account for the margin.
    assert time.monotonic() - started < 6.0
    assert words in str(info.value)
    if name not in ("empty.pdf", "not_a_pdf.pdf", "encrypted_password.pdf"):
        assert info.value.__cause__ is not None


@pytest.mark.parametrize("name,warning", [
    ("broken_xref.pdf", "pypdf repaired"),
    ("encrypted_empty.pdf", "empty user password"),
])
def test_repairable_pdfs_open_with_a_warning(name, warning):
    started = time.monotonic()
    doc = PdfExtractor(time_limit=1.0).extract(read(name), Hints(filename=name))
    assert time.monotonic() - started < 2.0
    assert any(warning in w for w in doc.warnings)
    assert "The documentation gathered" in doc.text and len(doc.footnotes) == 5


def test_a_run_of_bad_files_goes_on():
    outcomes = []
    for name in ["empty.pdf", "bomb.pdf", "handwritten.pdf", "truncated.pdf", "broken_xref.pdf"]:
        try:
            outcomes.append(bool(PdfExtractor(time_limit=1.0).extract(read(name), Hints()).text))
        except ExtractionError:
            outcomes.append(None)
    assert outcomes == [None, None, True, None, True]


def test_helpers():
    assert normalize_run_text("ﬁndings ﬂow") == "findings flow"
    assert normalize_run_text("ﺳﻼﻡ") == "سلام"
    assert join_lines(["the docu-", "mentation of the"]) == "the documentation of the"
    assert join_lines(["paras. 34-", "41 and Pre-", "Trial"]) == "paras. 34-41 and Pre-Trial"
    assert pdf_date("D:20230412093000+02'00'") == "2023-04-12" and pdf_date("D:2021") == "2021"
    assert pdf_date("garbage") is None
    for junk in ("Microsoft Word - draft3.docx", "untitled", "report_final_v2.pdf", "Document1", ""):
        assert is_junk_title(junk)
    assert not is_junk_title("Forced Evictions in the River District")


def test_no_pypdf_page_is_dropped_silently():
    """Every page pypdf reads has text in the record (pages with notes only included)."""
    reader = PdfReader(FIXTURES / "detention_docx.pdf")
    doc = extract("detention_docx.pdf")
    last_words = reader.pages[-1].extract_text().split()[-3:]
    assert " ".join(last_words).rstrip(".") in doc.text or any(
        " ".join(last_words).rstrip(".") in n.text for n in doc.footnotes)
