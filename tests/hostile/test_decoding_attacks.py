"""Text that hides in encodings, control characters and compression (issue 12, items 3 and 9).

UTF-16/32 without a byte-order mark is decoded as such, not stored as ``\\x00T\\x00h…``;
NUL and other C0 controls never reach a record (PostgreSQL refuses NUL in text) and the
record says how many went; a gzip file is read within the input limit, a gzip bomb is
refused; deep nesting is a record or an extraction error.
"""

from __future__ import annotations

import gzip

import pytest

from extractors import CorruptDocument, ExtractionError, Hints, ResourceLimitExceeded, extract
from extractors.limits import ExtractionLimits
from extractors.text.decoding import decode_text, looks_binary, wide_encoding
from hostile.generate import (SAMPLE_PERSIAN, SAMPLE_TEXT, count_controls, deep_html, deep_markdown,
                              deep_pdf, deep_wikitext, entity_bomb_xhtml, fixture_files, gzip_bomb, gzip_file,
                              sample_html, text_with_controls, utf16_without_bom)

CONTROL_CHARS = {chr(c) for c in range(32)} - set("\t\n\r")


def _all_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _all_strings(key)
            yield from _all_strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _all_strings(item)


# --------------------------------------------------------------------------- UTF-16/32 without BOM

@pytest.mark.parametrize("big_endian", [True, False], ids=["BE", "LE"])
@pytest.mark.parametrize("filename", ["statement.txt", None])
def test_utf16_without_bom_is_decoded_as_utf16(big_endian, filename):
    data = utf16_without_bom(SAMPLE_TEXT, big_endian)
    record = extract(data, Hints(filename=filename))
    assert "\x00" not in record.text
    assert record.text.startswith("The Special Rapporteur received reports of executions carried out in 1988.")
    assert any("UTF-16" in w and "byte-order mark" in w for w in record.warnings), record.warnings


@pytest.mark.parametrize("encoding", ["utf-16-be", "utf-16-le", "utf-32-be", "utf-32-le"])
@pytest.mark.parametrize("text", [SAMPLE_TEXT, SAMPLE_PERSIAN * 3, "Специальный докладчик сообщил о казнях. " * 4],
                         ids=["english", "persian", "russian"])
def test_wide_encodings_without_bom_are_recognised(encoding, text):
    data = text.encode(encoding)
    assert wide_encoding(data) == encoding
    assert not looks_binary(data)
    decoded, warnings = decode_text(data, declared="utf-8")  # a wrong declaration cannot keep the NULs
    assert decoded == text.replace("\r\n", "\n")
    assert any("declared 'utf-8' ignored" in w for w in warnings), warnings


def test_utf16_markdown_and_wikitext_keep_their_format():
    md = "# Findings\n\nThe *report* cites [the statement](https://example.org/s) and `A/HRC/37/24` `twice`.\n\n" \
         "## Method\n\nInterviews[^1].\n\n[^1]: With survivors.\n"
    wiki = "== Background ==\n\n'''Evin''' prison[[Category:Prisons]] held {{convert|1|km}} of [[cells]].\n\n" \
           "== Aftermath ==\n\nFamilies<ref>Amnesty, 2018.</ref> searched.\n\n{{reflist}}\n"
    assert extract(md.encode("utf-16-be")).extractor == "markdown"
    assert extract(wiki.encode("utf-16-le")).extractor == "wikitext"


def test_text_with_stray_nuls_is_not_taken_for_utf16():
    data = ("hello\x00world \x01 " * 20).encode()
    assert wide_encoding(data) is None
    assert extract(data, Hints(filename="a.txt")).text.startswith("helloworld")


def test_binary_is_still_binary():
    import os
    import random

    rng = random.Random(12)
    for _ in range(200):
        blob = rng.randbytes(rng.randint(8, 600))
        assert wide_encoding(blob) is None
    with pytest.raises(ExtractionError):
        extract(os.urandom(4096))


# --------------------------------------------------------------------------- NUL and C0 controls

@pytest.mark.parametrize("filename", ["note.txt", "note.md", "note.wiki", "note.html"])
def test_control_characters_are_removed_and_counted(filename):
    body = text_with_controls(SAMPLE_TEXT * 3)
    inserted = count_controls(body)
    if filename.endswith(".html"):
        body = b"<!DOCTYPE html><html><head><title>T\x00itle</title></head><body><article><p>" + body + \
            b"</p></article></body></html>"
        inserted += 1
    record = extract(body, Hints(filename=filename))
    strings = [record.text] + list(_all_strings(record.to_dict()))
    assert not any(ch in CONTROL_CHARS for s in strings for ch in s)
    assert "\x7f" not in CONTROL_CHARS  # DEL is not a C0 control and PostgreSQL stores it
    warning = [w for w in record.warnings if "control character(s) removed" in w]
    assert warning, record.warnings
    assert "NUL" in warning[0]
    removed = int(warning[0].split()[0].replace(",", ""))
    assert 0 < removed <= inserted


def test_marker_offsets_follow_the_removed_characters():
    data = ("Before\x00\x00\x00 the first claim[^1] and\x00 a second[^2].\n\n" + SAMPLE_TEXT * 4 +
            "\n\n[^1]: Note one.\n[^2]: Note two.\n").encode()
    record = extract(data, Hints(filename="notes.md"))
    assert "\x00" not in record.text
    for note in record.footnotes:
        for mark in note.markers:
            assert record.text[:mark.offset].endswith(("claim", "second")), (record.text, mark.offset)


def test_nul_free_text_gets_no_warning():
    record = extract(SAMPLE_TEXT.encode(), Hints(filename="clean.txt"))
    assert not any("control character" in w for w in record.warnings)


# --------------------------------------------------------------------------- gzip

def test_gzip_html_is_decompressed_and_extracted():
    page = sample_html(paragraphs=12)
    for data, hints in [(gzip_file(page), Hints(filename="report.html")),
                        (gzip_file(page), Hints(filename="report.html.gz", media_type="application/gzip")),
                        (gzip_file(page, members=3), Hints())]:
        record = extract(data, hints)
        assert record.extractor == "html"
        assert "testimony number 11 from a survivor" in record.text
        assert record.warnings[0].startswith("decompressed from gzip"), record.warnings
        assert record.metadata.extra["compression"] == "gzip"
        assert record.metadata.extra["decompressed_bytes"] == len(page)
        assert record.text == extract(page, Hints(filename="report.html")).text


def test_gzip_of_every_text_format(tmp_path):
    for fmt in ("text", "markdown", "wikitext", "pdf"):
        original = fixture_files(fmt, max_bytes=60_000)[-1].read_bytes()
        data = gzip.compress(original, mtime=0)
        path = tmp_path / f"doc.{fmt}.gz"
        path.write_bytes(data)
        try:
            plain = extract(original)
        except ExtractionError:
            continue
        record = extract(path.read_bytes(), Hints(filename=path.name))
        assert record.extractor == plain.extractor and record.text == plain.text


def test_gzip_bomb_is_refused_at_the_input_limit():
    limits = ExtractionLimits(max_input_bytes=4 * 1024 * 1024)
    bomb = gzip_bomb(64 * 1024 * 1024)
    assert len(bomb) < 100_000
    with pytest.raises(ResourceLimitExceeded, match="decompression bomb"):
        extract(bomb, Hints(filename="page.html", limits=limits))
    # just under the limit is read (and here refused by the HTML size limit, another error)
    with pytest.raises(ExtractionError):
        extract(gzip_bomb(3 * 1024 * 1024), Hints(filename="page.html", limits=limits))


def test_truncated_and_corrupt_gzip():
    page = sample_html(paragraphs=200)
    cut = gzip_file(page)[: len(gzip_file(page)) // 2]
    record = extract(cut, Hints(filename="page.html"))
    assert any("cut short" in w for w in record.warnings)
    with pytest.raises(CorruptDocument):
        extract(b"\x1f\x8b\x08" + b"\xff" * 40, Hints(filename="page.html"))


def test_input_over_the_limit_is_refused():
    limits = ExtractionLimits(max_input_bytes=1000)
    with pytest.raises(ResourceLimitExceeded, match="input limit"):
        extract(b"words " * 200, Hints(filename="a.txt", limits=limits))


# --------------------------------------------------------------------------- nesting and bombs

@pytest.mark.parametrize("make,filename", [
    (deep_html, "deep.html"), (deep_markdown, "deep.md"), (deep_wikitext, "deep.wiki"),
    (entity_bomb_xhtml, "lol.xhtml"),
], ids=["html", "markdown", "wikitext", "entities"])
def test_deep_nesting_is_a_record_or_an_extraction_error(make, filename):
    try:
        record = extract(make(), Hints(filename=filename, limits=ExtractionLimits(time_limit_s=10)))
    except ExtractionError:
        return
    assert len(record.text) <= len(make()) + 1024
    assert "lol" * 1000 not in record.text  # entities are never expanded


@pytest.mark.slow
def test_deep_pdf_is_an_extraction_error():
    with pytest.raises(ExtractionError):
        extract(deep_pdf(20_000), Hints(filename="deep.pdf", limits=ExtractionLimits(time_limit_s=5)))
