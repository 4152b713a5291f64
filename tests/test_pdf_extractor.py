"""PdfExtractor on real PDFs: word-processor output, hand-written syntax, bad files.

Fixtures are made by tests/fixtures/make_pdf_fixtures.sh (pandoc -> DOCX/ODT ->
LibreOffice, Ghostscript, qpdf, raw syntax); the sources of the documents with
footnotes are in tests/fixtures/pdf/src/.
"""

from __future__ import annotations

import io
import re
import sys
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
    # /CreationDate is when the file was made (issue 14): the file date, never the document's own date.
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta.file_date) and meta.date is None
    assert meta.extra["producer"].startswith("LibreOffice") and meta.extra["creator"] == "Writer"
    hand = extract("handwritten.pdf").metadata
    assert hand.file_date == "2023-04-12" and hand.date is None and hand.authors == ["National Preventive Mechanism"]
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


# -- generated layouts (tests/fixtures/pdf/src/layout_pdfs.py) ------------------

def _layout_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location("layout_pdfs", SRC / "layout_pdfs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


LAYOUT = _layout_module()


def extract_bytes(data: bytes):
    return PdfExtractor().extract(data, Hints(filename="generated.pdf"))


def test_lines_differing_only_in_numbers_are_not_running_matter():
    """12.9: a register of 30 pages x 5 lines keeps all 150 lines; the real header and page numbers go."""
    pages = []
    for p in range(30):
        page = LAYOUT.Page()
        page.text(72, 800, "Register of Admissions, Central Prison", size=9)
        for i in range(5):
            entry = p * 5 + i + 1
            page.text(72, 760 - 20 * i, f"Entry {entry}: detainee {1000 + entry * 7} admitted on day {entry % 28 + 1}.")
        page.text(290, 40, str(p + 1), size=9)
        pages.append(page)
    doc = extract_bytes(LAYOUT.document(pages))
    for entry in range(1, 151):
        assert f"Entry {entry}: detainee {1000 + entry * 7} admitted" in doc.text, entry
    assert "Register of Admissions" not in doc.text
    assert [p["number"] for p in doc.metadata.extra["pages"]] == [str(i) for i in range(1, 31)]


def test_removal_never_takes_most_of_a_page_and_large_removal_warns():
    """Identical short pages (a form printed 12 times) keep their text; heavy removal is reported."""
    form = ["Form B: visit request", "Name of detainee", "Place of detention"]
    pages = []
    for p in range(12):
        page = LAYOUT.Page()
        for i, line in enumerate(form):
            page.text(72, 800 - 20 * i, line)
        page.text(72, 700, f"Request number {p * 37 + 5} received from the family of the detainee.")
        page.text(290, 40, f"Page {p + 1} of 12", size=9)
        pages.append(page)
    doc = extract_bytes(LAYOUT.document(pages))
    assert doc.text.count("Name of detainee") == 12 and doc.text.count("Request number") == 12
    assert "Page 3 of 12" not in doc.text

    pages = []
    for p in range(10):
        page = LAYOUT.Page()
        page.text(72, 800, "Housing Rights Observatory - Quarterly Bulletin of Forced Evictions", size=9)
        page.text(72, 760, f"Case {p * 3 + 2} was closed.")
        page.text(72, 740, f"The family of case {p * 3 + 2} was moved on day {p + 1}.")
        page.text(72, 720, f"No notice was served in case {p * 3 + 2}.")
        page.text(72, 40, "Housing Rights Observatory - licensed under CC BY 4.0 - all notes at the end", size=9)
        pages.append(page)
    doc = extract_bytes(LAYOUT.document(pages))
    assert "Quarterly Bulletin" not in doc.text and doc.text.count("Case ") == 10 \
        and doc.text.count("No notice was served") == 10
    assert any(w.startswith("running headers and footers removed") for w in doc.warnings), doc.warnings


def test_word_spaces_from_glyph_gaps_not_from_kerning_or_small_caps():
    page = LAYOUT.Page()
    # An HTML-to-PDF engine: every word placed on its own, no space glyphs.
    page.words(72, 760, "Informal rulemaking refers to a technical process of notice and comment.")
    # A word drawn in two pieces with a kerning gap between them.
    end = page.text(72, 740, "Cases of domes")
    page.text(end + 0.4, 740, "tic violence were reported to the commission.")
    # Small capitals: the first letter at full size, the rest smaller, no gap.
    x = 72.0
    for piece, size in (("F", 11), ("INANCIAL", 8.5), (" R", 11), ("EGULATION", 8.5), (" BY ", 11),
                        ("G", 11), ("UIDO", 8.5), (" C", 11), ("ALABRESI", 8.5)):
        x = page.text(x, 720, piece, size=size)
    # Word gaps written as TJ displacements, and kerning pairs inside words.
    page.kerned(72, 700, ["Notice", -300, "and", -280, "th", -40, "e right", -300, "to", -250, "be", -90,
                          " heard."])
    doc = extract_bytes(LAYOUT.document([page]))
    text = doc.text
    assert "Informal rulemaking refers to a technical process of notice and comment." in text, text
    assert "Cases of domestic violence were reported" in text, text
    assert "FINANCIAL REGULATION BY GUIDO CALABRESI" in text, text
    assert "Notice and the right to be heard." in text, text


def test_kerning_in_a_font_without_a_space_glyph_is_not_a_word_space():
    page = LAYOUT.Page()
    page.kerned(72, 760, ["Cases", -278, "of", -278, "domes", -100, "tic", -278, "violence", -300, "and",
                          -278, "th", -110, "e", -278, "right", -278, "to", -278, "a", -278, "remedy."])
    page.words(72, 740, "Informal rulemaking refers to a technical process.", gap=0.25)
    doc = extract_bytes(LAYOUT.document([page], space_glyph=False))
    assert "Cases of domestic violence and the right to a remedy." in doc.text, doc.text
    assert "Informal rulemaking refers to a technical process." in doc.text, doc.text


def test_right_to_left_runs_come_out_in_logical_order():
    """Persian drawn in visual order (as every PDF does): digits and guillemets in logical order."""
    from bidi import get_display

    logical = ["VOA Farsi, \u201cدر زمان دهه ۶۰\u201d, 17 June 2022.",
               "Rafsanjani, \u201cسال ۱۳۶۷ کتاب «پایان دفاع»\u201d, 2010."]
    page = LAYOUT.Page()
    page.text(72, 800, "The sources below are cited in the original language of their titles, as published.")
    for i, line in enumerate(logical):
        page.glyphs(72, 760 - 20 * i, get_display(line, base_dir="L").replace("\u201c", '"').replace("\u201d", '"'))
    doc = extract_bytes(LAYOUT.document([page]))
    text = doc.text.replace("\n\n", " ")
    for line in logical:
        assert line.replace("\u201c", '"').replace("\u201d", '"') in text, (text, line)


def _note_page(lines_with_links):
    """A page with one cited sentence and one footnote of several lines (each: text, uri or None)."""
    page = LAYOUT.Page()
    end = page.text(72, 760, "The mailing list archive records the exchange in full.")
    page.text(end, 764, "1", size=7)
    page.rule(72, 216, 150)
    y = 138.0
    for i, (text, uri) in enumerate(lines_with_links):
        x = 72.0
        if i == 0:
            x = page.text(72, y + 3, "1", size=6) + 2
        end = page.text(x, y, text, size=9)
        if uri:
            page.link((x, y - 2, end, y + 8), uri)
        y -= 11
    return page


def test_urls_broken_at_line_ends_are_rejoined():
    page = _note_page([("Archive of the list, https://marc.info/?", None),
                       ("l=linux-kernel&m=167, and amnesty.org/en/latest/news/2021/09/iran-a-", None),
                       ("decade-of-deaths-in-custody, accessed 3 May 2023.", None)])
    doc = extract_bytes(LAYOUT.document([page]))
    (note,) = doc.footnotes
    assert "https://marc.info/?l=linux-kernel&m=167," in note.text, note.text
    assert "amnesty.org/en/latest/news/2021/09/iran-a-decade-of-deaths-in-custody," in note.text, note.text


def test_link_annotations_give_the_exact_address():
    """A printed address with a break space inside it is closed up where a /Link gives the URI."""
    page = _note_page([("Report, www.un.org/en/ga/ search/view_doc.asp?symbol=A/43/705, para. 4.",
                        "https://www.un.org/en/ga/search/view_doc.asp?symbol=A/43/705")])
    doc = extract_bytes(LAYOUT.document([page]))
    (note,) = doc.footnotes
    assert note.text == "Report, www.un.org/en/ga/search/view_doc.asp?symbol=A/43/705, para. 4.", note.text


def _page_with_notes(body: list[str], markers: dict[int, str], notes: list[tuple[str, list[str]]],
                     top: float = 780, rule: bool = False) -> object:
    """Body lines at 11 pt (``markers``: line index -> raised label at its end), then notes at 9 pt
    in a word processor's layout: the label at the margin, the text and its wrapped lines indented."""
    page = LAYOUT.Page()
    y = top
    for i, line in enumerate(body):
        end = page.text(72, y, line)
        if i in markers:
            page.text(end, y + 4, markers[i], size=6.5)
        y -= 14
    y = 60 + 11 * sum(len(lines) for _, lines in notes)
    if rule:
        page.rule(72, 216, y + 10)
    for label, lines in notes:
        for k, line in enumerate(lines):
            if k == 0 and label:
                page.text(72, y, label, size=9)
            page.text(86, y, line, size=9)
            y -= 11
    return page


def test_numbers_opening_wrapped_note_lines_do_not_open_notes_and_continued_notes_are_joined():
    """Issue 13: "5 and 40 percent", "1) The State…", "5. To publish…" at a line start stay in their note;
    a page whose note area opens with a continued note keeps the notes after it; long notes do not
    make the note size the body size."""
    body1 = [f"Paragraph line {i} of the report on the visits made during the year under review." for i in range(8)]
    notes1 = [("1", ["The register showed that between"]),
              ("2", ["Interviews held in March; of those interviewed between",
                     "5 and 40 percent had not seen a lawyer, and the operative part read:",
                     "1) The State has violated article 9 of the Covenant;",
                     "2) The State shall release the detainees;",
                     "5. To publish the decision in the official gazette, and the register of the",
                     "facility was incomplete for the whole of the period, as the director said, which"])]
    page1 = _page_with_notes(body1, {2: "1", 6: "2"}, notes1)
    body2 = [f"Second page line {i} continues the account of the visits and their findings." for i in range(6)]
    notes2 = [("", ["the mechanism noted in its letter of 3 May.",
                    "17 of the 20 facilities replied within the month."]),
              ("3", ["Letter of the ministry of justice of 30 April 2023."]),
              ("4", ["Standard Minimum Rules for the Treatment of Prisoners, rule 68."])]
    page2 = _page_with_notes(body2, {1: "3", 4: "4"}, notes2)
    doc = extract_bytes(LAYOUT.document([page1, page2]))
    notes = {n.label: n for n in doc.footnotes}
    assert sorted(notes) == ["1", "2", "3", "4"], [(n.label, n.text[:40]) for n in doc.footnotes]
    assert "5 and 40 percent had not seen a lawyer" in notes["2"].text
    assert "1) The State has violated article 9" in notes["2"].text and "5. To publish the decision" in notes["2"].text
    assert notes["2"].text.endswith("as the director said, which the mechanism noted in its letter of 3 May. "
                                    "17 of the 20 facilities replied within the month."), notes["2"].text
    assert notes["3"].text == "Letter of the ministry of justice of 30 April 2023."
    assert all(n.markers for n in doc.footnotes)
    assert "Second page line 0 continues" in doc.text and "17 of the 20" not in doc.text


def test_two_and_three_column_pages_in_reading_order_with_notes_per_column():
    page = LAYOUT.Page()
    columns = (72, 250, 428)
    for c, x in enumerate(columns):
        for i in range(14):
            page.text(x, 780 - 14 * i, f"Column {c + 1} line {i + 1:02d} text", size=9)
    doc = extract_bytes(LAYOUT.document([page]))
    order = re.findall(r"Column (\d) line (\d\d)", doc.text)
    assert order == [(str(c), f"{i:02d}") for c in (1, 2, 3) for i in range(1, 15)], order[:20]

    page = LAYOUT.Page()
    for c, x in enumerate((72, 320)):
        for i in range(20):
            end = page.text(x, 780 - 14 * i, f"Side {c + 1} line {i + 1:02d} of the judgment", size=10)
            if i == 5:
                page.text(end, 784 - 14 * i, str(c + 1), size=6)
        page.rule(x, x + 60, 200)
        page.text(x, 188, str(c + 1), size=5.5, rise=3)
        page.text(x + 5, 188, f"Note in column {c + 1}, with its source.", size=8)
    doc = extract_bytes(LAYOUT.document([page]))
    assert [(n.label, n.text) for n in doc.footnotes] == [
        ("1", "Note in column 1, with its source."), ("2", "Note in column 2, with its source.")]
    assert all(n.markers for n in doc.footnotes)
    order = re.findall(r"Side (\d) line (\d\d)", doc.text)
    assert order == [(str(c), f"{i:02d}") for c in (1, 2) for i in range(1, 21)]


def test_last_page_of_a_two_column_document_with_a_short_right_column_reads_column_by_column():
    """A right column of three lines (a note's continuation, the end of the text) is too small to be
    found as a column on its own page: the document's other pages lend their layout. A page of the
    same document with full-width lines and two-cell rows still reads top to bottom."""
    pages = []
    for p in range(2):
        page = LAYOUT.Page()
        for c, x in enumerate((72, 320)):
            for i in range(20 if p == 0 or c == 0 else 3):
                page.text(x, 780 - 14 * i, f"{('First', 'Second')[p]} page side {c + 1} line {i + 1:02d} of the "
                                           f"judgment", size=10)
        pages.append(page)
    page = LAYOUT.Page()
    for i in range(10):
        page.text(72, 780 - 14 * i, f"Full line {i + 1:02d} of the annex, which runs across the whole width of "
                                    f"the page as annexes do.", size=10)
    for i in range(3):
        page.text(72, 620 - 14 * i, f"Facility {i + 1}", size=10)
        page.text(320, 620 - 14 * i, f"{100 + i} detainees", size=10)
    pages.append(page)
    doc = extract_bytes(LAYOUT.document(pages))
    order = re.findall(r"(First|Second) page side (\d) line (\d\d)", doc.text)
    assert order == [("First", str(c), f"{i:02d}") for c in (1, 2) for i in range(1, 21)] + \
        [("Second", "1", f"{i:02d}") for i in range(1, 21)] + [("Second", "2", f"{i:02d}") for i in range(1, 4)], order
    assert "Facility 1 100 detainees" in re.sub(r"\s+", " ", doc.text)
    assert doc.text.index("Full line 10") < doc.text.index("Facility 1") < doc.text.index("Facility 3")


def test_note_that_ends_a_sentence_at_a_page_foot_and_goes_on_alone_on_the_next_page():
    """The next page holds only the note's last lines, set like its wrapped lines: they are the note's."""
    body = [f"The visit to the facility is reported in line {i} of this account." for i in range(6)]
    first = _page_with_notes(body, {1: "1", 4: "2"}, [
        ("1", ["Report of the mission, UN Doc. A/HRC/1/2, para. 3."]),
        ("2", ["The register was shown to the delegation on the second day,", "as the director said."])])
    rest = LAYOUT.Page()
    rest.text(86, 780, "It was destroyed in the weeks after the visit, which", size=9)
    rest.text(86, 769, "the mechanism noted in its letter of 3 May.", size=9)
    third = _page_with_notes([f"The later visit is reported in line {i}." for i in range(4)], {2: "3"},
                             [("3", ["Letter of the ministry of justice of 30 April 2023."])])
    doc = extract_bytes(LAYOUT.document([first, rest, third]))
    notes = {n.label: n.text for n in doc.footnotes}
    assert notes["2"] == ("The register was shown to the delegation on the second day, as the director said. "
                          "It was destroyed in the weeks after the visit, which the mechanism noted in its letter "
                          "of 3 May."), notes
    assert notes["3"] == "Letter of the ministry of justice of 30 April 2023."
    assert "destroyed" not in doc.text


def test_wrapped_note_line_that_starts_with_the_next_label_does_not_take_that_note():
    """A wrapped line "2 May 2002, para. 28." above note 2 stays in note 1: of two lines opening with the
    label 2, the one at the labels' edge (not the wrapped lines' edge) opens the note."""
    body = [f"The mechanism reports its findings in line {i} of this account of the visit." for i in range(6)]
    page = _page_with_notes(body, {1: "1", 4: "2", 5: "3"}, [
        ("1", ["Report of the Special Rapporteur on torture to the Council, UN Doc.", "A/HRC/48/22, of",
               "2 May 2002, para. 28."]),
        ("2", ["Report of the Special Rapporteur on arbitrary detention, UN Doc.", "A/HRC/33/18, of 3 September",
               "2014, para. 21."]),
        ("3", ["Letter of the ministry of justice of 30 April 2023."])])
    doc = extract_bytes(LAYOUT.document([page]))
    assert [(n.label, n.text) for n in doc.footnotes] == [
        ("1", "Report of the Special Rapporteur on torture to the Council, UN Doc. A/HRC/48/22, of 2 May 2002, "
              "para. 28."),
        ("2", "Report of the Special Rapporteur on arbitrary detention, UN Doc. A/HRC/33/18, of 3 September 2014, "
              "para. 21."),
        ("3", "Letter of the ministry of justice of 30 April 2023.")]


def test_numbering_that_starts_again_on_each_page():
    pages = []
    facilities = ("Evin", "Qezel Hesar", "Gohardasht")
    for p in range(3):
        body = [f"The visit to {facilities[p]} is reported in line {i} of this account of the week." for i in range(6)]
        notes = [("1", [f"First note on {facilities[p]}."]), ("2", [f"Second note on {facilities[p]}."])]
        pages.append(_page_with_notes(body, {1: "1", 4: "2"}, notes))
    doc = extract_bytes(LAYOUT.document(pages))
    got = [(n.label, n.text, n.markers[0].page if n.markers else None) for n in doc.footnotes]
    assert got == [(str(k + 1), f"{('First', 'Second')[k]} note on {facilities[p]}.", p + 1)
                   for p in range(3) for k in range(2)], got
    # No links: the first page's notes are tied by label and geometry; the restarted ones by page.
    assert [n.confidence for n in doc.footnotes] == [0.95, 0.95, 0.9, 0.9, 0.9, 0.9]


# -- notes run together, internal links, notes out of sequence (issue 13) ----------------------

BODY = "The commission heard the families of those held in the prison during the summer"


def _cited_body(page, labels: list[str], top: float = 780, place: str = "Evin") -> list[tuple[float, float]]:
    """One body line per label, the label raised at its end; returns where each marker sits."""
    spots = []
    y = top
    for label in labels:
        end = page.text(72, y, f"{BODY} in {place}, in the year {label}0 and after.")
        page.text(end, y + 4, label, size=6.5)
        spots.append((end, y + 4))
        y -= 14
    return spots


def test_notes_run_together_in_one_paragraph_are_split_at_their_raised_labels():
    """footmisc ``para``: several notes on one line ("1 First. 2 Second."), others opening a line.

    The raised labels that carry the page's sequence on open notes; a raised number that does not
    (an exponent, a later label) and plain numbers stay in the text."""
    page = LAYOUT.Page()
    _cited_body(page, ["1", "2", "3", "4", "5"])
    page.rule(72, 216, 170)
    parts = [[("1", "Report of the mission, para. 4."), ("2", "Interview, 3 May 2020."),
              ("3", "Between 5 and 40 percent,")],
             [(None, "as the register shows, of 10"), ("6", " detainees were held in cells.")],
             [("4", "Letter of the ministry of 30 April.")],
             [("5", "Standard Minimum Rules, rule 68.")]]
    y = 156.0
    for line in parts:
        x = 72.0
        for label, text in line:
            if label:
                x = page.text(x, y + 3, label, size=5.5) + 1
            x = page.text(x, y, text, size=9) + 6
        y -= 11
    doc = extract_bytes(LAYOUT.document([page]))
    got = [(n.label, n.text) for n in doc.footnotes]
    assert got == [("1", "Report of the mission, para. 4."), ("2", "Interview, 3 May 2020."),
                   ("3", "Between 5 and 40 percent, as the register shows, of 106 detainees were held in cells."),
                   ("4", "Letter of the ministry of 30 April."), ("5", "Standard Minimum Rules, rule 68.")], got
    assert all(len(n.markers) == 1 for n in doc.footnotes)


def _linked_page(links: dict[str, str] | None) -> bytes:
    """Three cited notes; ``links``: marker label -> the label of the note its /Link jumps to."""
    page = LAYOUT.Page()
    spots = _cited_body(page, ["1", "2", "3"])
    page.rule(72, 216, 150)
    tops = {}
    y = 136.0
    for label, text in (("1", "Report of the mission, para. 4."), ("2", "Interview, 3 May 2020."),
                        ("3", "Letter of the ministry of 30 April.")):
        x = page.text(72, y + 3, label, size=5.5) + 2
        page.text(x, y, text, size=9)
        tops[label] = y + 9
        y -= 11
    for label, target in (links or {}).items():
        x, y = spots[int(label) - 1]
        page.goto((x - 0.5, y - 1, x + 4, y + 6), 0, tops[target])
    return LAYOUT.document([page])


def test_internal_links_confirm_markers_and_unsure_ties_carry_a_lower_confidence():
    """A marker whose /Link jumps to its note: confidence 1.0. Without links, the tie is geometry
    (0.95); in a linked document a note no link confirms is less sure (0.8); a link that jumps to
    another note contradicts the label (0.6, with a warning)."""
    doc = extract_bytes(_linked_page({"1": "1", "2": "2", "3": "3"}))
    assert [(n.label, n.confidence) for n in doc.footnotes] == [("1", 1.0), ("2", 1.0), ("3", 1.0)]
    assert not doc.warnings
    doc = extract_bytes(_linked_page(None))
    assert [n.confidence for n in doc.footnotes] == [0.95, 0.95, 0.95]
    doc = extract_bytes(_linked_page({"1": "1", "2": "2"}))
    assert [n.confidence for n in doc.footnotes] == [1.0, 1.0, 0.8]
    doc = extract_bytes(_linked_page({"1": "1", "2": "3", "3": "3"}))
    assert [n.confidence for n in doc.footnotes] == [1.0, 0.6, 1.0]
    assert any("link to a note with another label" in w for w in doc.warnings), doc.warnings


def test_links_tie_markers_to_their_notes_when_labels_repeat():
    """Numbering per page with the same label twice on a page's sequence: the link picks the note."""
    pages = []
    for p, place in enumerate(("Evin", "Gohardasht")):
        page = LAYOUT.Page()
        spots = _cited_body(page, ["1", "2"], place=place)
        page.rule(72, 216, 150)
        for k, label in enumerate(("1", "2")):
            y = 136.0 - 11 * k
            x = page.text(72, y + 3, label, size=5.5) + 2
            page.text(x, y, f"Note {label} on {place}.", size=9)
            page.goto((spots[k][0] - 0.5, spots[k][1] - 1, spots[k][0] + 4, spots[k][1] + 6), p, y + 9)
        pages.append(page)
    doc = extract_bytes(LAYOUT.document(pages))
    got = [(n.label, n.text, n.markers[0].page, n.confidence) for n in doc.footnotes]
    assert got == [("1", "Note 1 on Evin.", 1, 1.0), ("2", "Note 2 on Evin.", 1, 1.0),
                   ("1", "Note 1 on Gohardasht.", 2, 1.0), ("2", "Note 2 on Gohardasht.", 2, 1.0)], got


def test_notes_set_out_of_sequence_and_pages_of_notes_only():
    """A producer that moves a note that does not fit to a later page and sets it after later ones
    (WeasyPrint: 4, 3, 6 with 5 moved on again), and a sheet that holds only the rest of a note."""
    page1 = _page_with_notes([f"{BODY}, line {i}." for i in range(6)], {0: "1", 2: "2", 4: "3"},
                             [("1", ["Report of the mission, para. 4."]), ("2", ["Interview, 3 May 2020."])])
    notes2 = [("4", ["Letter of the ministry of 30 April."]), ("3", ["Standard Minimum Rules, rule 68."]),
              ("6", ["Decision of the court of appeal of 2 June, which the", "families"])]
    page2 = _page_with_notes([f"{BODY}, line {i}." for i in range(6, 10)], {0: "4", 1: "5", 2: "6"}, notes2)
    page3 = LAYOUT.Page()
    page3.text(86, 800, "appealed within the month, as the lawyers confirmed.", size=9)
    page3.text(72, 780, "5", size=9)
    page3.text(86, 780, "Communication of the special procedures of 9 July.", size=9)
    doc = extract_bytes(LAYOUT.document([page1, page2, page3]))
    got = {n.label: n for n in doc.footnotes}
    assert sorted(got, key=int) == ["1", "2", "3", "4", "5", "6"], [(n.label, n.text) for n in doc.footnotes]
    assert got["3"].text == "Standard Minimum Rules, rule 68."
    assert got["4"].text == "Letter of the ministry of 30 April."
    assert got["6"].text == ("Decision of the court of appeal of 2 June, which the families appealed within "
                             "the month, as the lawyers confirmed."), got["6"].text
    assert got["5"].text == "Communication of the special procedures of 9 July."
    assert all(n.markers for n in doc.footnotes)
    # Read in sequence: tied by label and geometry; found out of sequence: an inference, less sure.
    assert [got[k].confidence for k in "123456"] == [0.95, 0.95, 0.9, 0.9, 0.9, 0.9]


def test_an_address_broken_after_its_scheme_is_rejoined():
    """lualatex breaks "https:" from "//www…" at a line end; a plain word before a colon stays apart."""
    assert join_lines(["See https:", "//www.ohchr.org/en/documents/2011/09/were-not."]) == \
        "See https://www.ohchr.org/en/documents/2011/09/were-not."
    assert join_lines(["as the word https:", "The next line"]) == "as the word https: The next line"


def test_a_word_split_between_two_text_operators_gets_no_space():
    """13: Ghostscript ends a TJ inside a word and places the rest with Td; only the glyph gap may give a space.

    The first array's word gaps are displacements wider than a space (a justified line), which pypdf's own
    estimate of where the array ends leaves out, so it put a space at the split ("…/06/t reatment").
    """
    size = 10
    head = ["See", -700, "the", -700, "reports", -700, "at", -700, "https://iranhrs.org/en/documents/2018/06/t"]
    words = ["The", -700, "right", -700, "to"]

    def advance(parts: list) -> float:
        return sum(LAYOUT.width(p, size) if isinstance(p, str) else -p * size / 1000 for p in parts)

    def body(parts: list) -> bytes:
        return b" ".join(LAYOUT.esc(p) if isinstance(p, str) else b"%g" % p for p in parts)

    page = LAYOUT.Page()
    page.text(72, 800, "Transfers of detainees between the prisons were reported by the families.")
    page.ops.append(b"BT /F1 %d Tf 72 760 Td [" % size + body(head) + b"] TJ %.3f 0 Td [" % advance(head)
                    + body(["reatment-not-to-"]) + b"] TJ ET")
    page.ops.append(b"BT /F1 %d Tf 72 748 Td (transfers by the courts.) Tj ET" % size)
    page.ops.append(b"BT /F1 %d Tf 72 720 Td [" % size + body(words) + b"] TJ %.3f 0 Td [" % (advance(words) + 0.3 * size)
                    + body(["be", -700, "heard."]) + b"] TJ ET")
    text = extract_bytes(LAYOUT.document([page])).text
    assert "See the reports at https://iranhrs.org/en/documents/2018/06/treatment-not-to-transfers by the courts." \
        in text, text
    assert "The right to be heard." in text, text
