"""Marker assembly, citing sentences, decoding and format sniffing."""

from __future__ import annotations

from extractors import Hints, choose
from extractors.assembly import assemble, link_footnotes, marker
from extractors.text.sentences import sentence_at
from extractors.text.decoding import decode_text

from conftest import SEEDS


def test_markers_are_removed_and_their_offsets_kept():
    text, marks = assemble([f"First sentence.{marker('1')} Second one {marker('2')} ends.", "", "  Next   para. "])
    assert text == "First sentence. Second one ends.\n\nNext para."
    assert marks == [("1", 15), ("2", 26)]


def test_citing_sentence_is_the_one_before_the_marker():
    text = "The U.S. delegation spoke first. Then the commission met in Tehran.\n\nA new paragraph."
    offset = text.index(" Then") if False else text.index("Tehran.") + len("Tehran.")
    assert sentence_at(text, offset) == "Then the commission met in Tehran."
    assert sentence_at(text, text.index("first.") + 6) == "The U.S. delegation spoke first."


def test_reused_note_has_one_record_and_two_markers():
    text, marks = assemble([f"One.{marker('a')} Two.{marker('b')} Three.{marker('a')}"])
    notes = link_footnotes(text, marks, [("a", "Note A"), ("b", "Note B")])
    assert [n.label for n in notes] == ["a", "b"]
    assert [m.context for m in notes[0].markers] == ["One.", "Three."]


def test_decoding_declared_bom_and_mojibake():
    assert decode_text("ça".encode("utf-16"))[0] == "ça"
    assert decode_text("naïve".encode("latin-1"), "latin-1")[0] == "naïve"
    text, warnings = decode_text("cafÃ© society".encode())
    assert text == "café society" and any("mojibake" in w for w in warnings)


def test_seeds_are_sniffed_by_content_not_extension():
    names = [choose(seed.read_bytes(), Hints(filename=seed.name)).name for seed in SEEDS]
    assert names == ["text", "wikitext", "text", "markdown", "text"]


def test_pdf_magic_beats_a_lying_extension():
    assert choose(b"%PDF-1.4\n...", Hints(filename="report.txt", media_type="text/plain")).name == "pdf"
    assert choose(b"<!DOCTYPE html><html><body><p>x</p></body></html>", Hints(filename="x.txt")).name == "html"
