"""Markdown extractor: [^x] footnotes, PDF-converted <sup> notes (seed 003), sniffing."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.errors import DecodingError, ExtractionError
from extractors.markdown import MarkdownExtractor, parse_date
from extractors.plaintext import PlainTextExtractor
from extractors.record import Hints
from extractors.wikitext.extractor import WikitextExtractor

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "markdown"
SEED_003 = CORPUS / "003_50b2b079aba8eece.txt"


def _seed(prefix: str) -> bytes:
    return next(CORPUS.glob(f"{prefix}_*.txt")).read_bytes()


@pytest.fixture(scope="module")
def seed003():
    return MarkdownExtractor().extract(SEED_003.read_bytes(), Hints(filename=SEED_003.name))


# -- seed 003 -------------------------------------------------------------------


def test_seed003_has_94_notes_labelled_in_order(seed003):
    labels = [n.label for n in seed003.footnotes]
    assert labels == [str(i) for i in range(1, 95)]
    assert len(set(labels)) == 94
    assert seed003.format == "markdown"
    assert seed003.warnings == []


def test_seed003_every_note_linked_to_its_citing_sentence(seed003):
    text = seed003.text
    for note in seed003.footnotes:
        assert note.text.strip(), note.label
        assert len(note.markers) == 1, note.label
        assert note.confidence == 1.0
        context = note.context
        assert context, note.label
        offset = note.markers[0].offset
        before = text[:offset].rstrip()
        # The marker follows the text it cites: what stands just before it is in the context.
        assert before[-25:] in context, (note.label, context, before[-60:])


def test_seed003_spot_checks_by_hand(seed003):
    notes = {n.label: n for n in seed003.footnotes}
    assert notes["1"].text.startswith("Amnesty International, Blood-soaked secrets: Why Iran's 1988")
    assert "https://www.amnesty.org/en/documents/mde13/9421/2018/en" in notes["1"].text
    assert notes["1"].context.endswith("the decades-long plight of their families for truth, justice, and reparation.")
    assert notes["9"].text == "The records of the meeting are on file with Amnesty International."
    assert notes["34"].context.endswith("“because of their political convictions.”")
    assert notes["34"].text.startswith("UN General Assembly, Resolution 43/137")
    assert notes["37"].text == "New York Times, “Iran Says It Will Aid U.N. on Human Rights Study”, 26 November 1988."
    assert notes["61"].text == "Reuters News, “Mujahideen urge UN to probe executions in Iran”, 26 August 1988."
    assert notes["94"].text.startswith("Special Representative of the UN Commission on Human Rights, Report (previously cited)")
    # Marker in mid-sentence: the whole sentence is the context.
    assert "Globe and Mail" in notes["66"].context


def test_seed003_note_bodies_continued_across_pages(seed003):
    notes = {n.label: n for n in seed003.footnotes}
    # Note 52's last source runs onto the next page, after a page-break rule.
    assert "UN calls for accountability on 1988 prison massacres marks turning point" in notes["52"].text
    # Note 74 has a second paragraph sitting between bodies 74 and 75.
    assert notes["74"].text.endswith("as the date when the Special Rapporteur sent his cable.")
    assert "Note that the former document identifies" not in seed003.text


def test_seed003_canonical_text_has_no_markup_bodies_or_rules(seed003):
    text = seed003.text
    for junk in ("<sup>", "</sup>", "---", "**", "](http", "\ue000", "\ue002"):
        assert junk not in text
    assert "(Index: MDE 13/9421/2018), 4 December 2018" not in text  # note 1 body
    assert "The records of the meeting are on file" not in text
    assert "\n\nINVOLVEMENT OF IRAN'S FORMER DIPLOMATS IN COVERING UP THE 1988 PRISON MASSACRES\n\n" in text
    # A paragraph split by a page of footnotes is whole again.
    assert "who gave them the instructions, to whom in capital did they transmit" in text
    assert "Amnesty International’s “wild accusations”. The article alleged" in text
    # List items are paragraphs of their own, without bullets.
    assert "\n\nDuring a meeting with Amnesty International delegates at the Iranian embassy in Ottawa" in text


def test_seed003_metadata(seed003):
    meta = seed003.metadata
    assert meta.title == "INVOLVEMENT OF IRAN'S FORMER DIPLOMATS IN COVERING UP THE 1988 PRISON MASSACRES"
    assert meta.date == "2023-02-06"
    assert [(i.scheme, i.value) for i in meta.identifiers if i.scheme == "ngo-index"] == [
        ("ngo-index", "MDE 13/6418/2023")
    ]


# -- sniffing -----------------------------------------------------------------


def test_content_scores_on_seeds():
    md, wiki, plain = MarkdownExtractor(), WikitextExtractor(), PlainTextExtractor()
    hints = Hints()
    seed3 = _seed("003")
    assert md.content_score(seed3, hints) > 1
    assert md.content_score(seed3, hints) > wiki.content_score(seed3, hints)
    assert wiki.content_score(seed3, hints) == 0
    assert md.score(seed3, Hints(filename="x.txt")) > plain.score(seed3, Hints(filename="x.txt"))
    for prefix in ("000", "001", "002", "004"):
        assert md.content_score(_seed(prefix), hints) == 0, prefix


def test_content_score_needs_several_features():
    md = MarkdownExtractor()
    assert md.content_score(b"Just a sentence with an *emphasis* in it.\n\nAnd another.", Hints()) == 0
    assert md.content_score(b"# Heading only\n\nplain prose.\n", Hints()) == 0
    assert md.content_score(b"<!DOCTYPE html><html><body><h1>x</h1><sup>1</sup></body></html>", Hints()) == 0
    data = (FIXTURES / "briefing_footnotes.md").read_bytes()
    assert md.content_score(data, Hints()) > 1
    assert WikitextExtractor().content_score(data, Hints()) == 0


def test_hint_scores():
    md = MarkdownExtractor()
    assert md.hint_score(Hints(media_type="text/markdown", filename="a.md")) > 0
    assert md.hint_score(Hints(filename="a.markdown")) > 0
    assert md.hint_score(Hints(filename="a.txt")) == 0


# -- [^label] footnotes -----------------------------------------------------------


def test_bracket_footnotes_fixture():
    doc = MarkdownExtractor().extract((FIXTURES / "briefing_footnotes.md").read_bytes(), Hints())
    notes = {n.label: n for n in doc.footnotes}
    assert [n.label for n in doc.footnotes] == ["fam", "un", "graves", "2", "conv", "6"]
    assert notes["fam"].text == (
        "Amnesty International, Blood-soaked secrets (Index: MDE 13/9421/2018), 4 December 2018."
    )
    assert len(notes["un"].markers) == 2
    assert notes["un"].text.endswith("A second paragraph of the same note.")
    assert "https://undocs.org/A/HRC/37/24" in notes["un"].text
    assert notes["un"].context == "The UN has repeatedly raised the issue, most recently in a 2022 report."
    assert notes["graves"].context == "Mass graves were destroyed."
    assert notes["6"].text == "Inline notes are numbered by position."
    assert notes["conv"].context == "2022 | Conviction"
    assert any("orphan" in w for w in doc.warnings)
    text = doc.text
    assert "[^" not in text and "*" not in text and "](" not in text
    assert "\n\nMass graves were destroyed.\n\n" in text
    assert "\n\nYear | Event\n\n1988 | Executions\n\n" in text
    assert "most recently in a 2022 report." in text
    assert "code is kept as text" in text
    assert "This definition is never referenced" not in text
    meta = doc.metadata
    assert meta.title == "Briefing on enforced disappearances"
    assert meta.date == "2023-02-06"
    assert meta.authors == ["Jane Doe", "John Roe"]
    assert "title:" not in text


def test_sup_notes_fixture():
    doc = MarkdownExtractor().extract((FIXTURES / "pdf_sup_notes.md").read_bytes(), Hints())
    notes = {n.label: n for n in doc.footnotes}
    assert sorted(notes, key=int) == ["1", "2", "3", "4", "5"]
    assert notes["1"].text == (
        "Amnesty International, Report (Index: MDE 13/9421/2018), "
        "https://www.amnesty.org/en/documents/mde13/9421/2018/en"
    )
    assert notes["4"].text == 'New York Times, "Deal for U.N. Rights Inquiry in Iran Crumbles", 1 December 1988.'
    assert notes["3"].context == notes["4"].context == "Another claim follows."
    assert notes["3"].markers[0].offset == notes["4"].markers[0].offset
    assert "the words which continue here after the page break." in doc.text
    assert "10th anniversary" in doc.text  # a superscript that is not a note stays text
    assert "Crumbles" not in doc.text
    assert doc.metadata.title == "A TITLE IN CAPITALS"
    assert doc.metadata.date == "2023-02-06"


def test_sup_marker_without_body_warns():
    data = (
        "# T\n\nOne.<sup>1</sup> Two.<sup>2</sup> Three [a](http://x.org).\n\n---\n\n"
        "<sup>1</sup> The only note.\n"
    ).encode()
    doc = MarkdownExtractor().extract(data, Hints())
    assert [n.label for n in doc.footnotes] == ["1"]
    assert any("marker 2 has no note body" in w for w in doc.warnings)
    assert doc.text == "T\n\nOne. Two. Three a."


def test_binary_bytes_raise_extraction_error():
    with pytest.raises(DecodingError):
        MarkdownExtractor().extract(b"\x00\x01\x02\x03" * 100, Hints())
    assert issubclass(DecodingError, ExtractionError)


@pytest.mark.parametrize(
    "raw, iso",
    [("6 February 2023", "2023-02-06"), ("February 6, 2023", "2023-02-06"), ("2023-02-06", "2023-02-06"),
     ("Sept. 2019", "2019-09"), ("1988", "1988"), ("31 Foo 2020", None), ("", None)],
)
def test_parse_date(raw, iso):
    assert parse_date(raw) == iso
