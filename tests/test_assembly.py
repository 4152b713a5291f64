"""Marker assembly, citing sentences, decoding and format sniffing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

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


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=6000), st.floats(min_value=0.0, max_value=0.3))
def test_looks_binary_counts_control_bytes_as_its_definition_says(noise, share):
    """``looks_binary`` counts control bytes in C (``choose`` asks it once per format); the count must be
    the one its definition gives: bytes below 9 or between 14 and 31, in the first 4096."""
    from extractors.text.decoding import bom_encoding, looks_binary, wide_encoding

    # text with a given share of control bytes mixed in, so both sides of the 5 % bar are reached
    data = bytes(b % 32 if (i * 7919 % 1000) / 1000 < share else 32 + b % 224 for i, b in enumerate(noise))
    head = data[:4096]
    expected = bool(head) and not (bom_encoding(head) or wide_encoding(head)) and (
        head.count(b"\x00") / len(head) > 0.01
        or sum(1 for b in head if b < 9 or 13 < b < 32) / len(head) > 0.05)
    assert looks_binary(data) == expected
