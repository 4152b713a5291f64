"""Bytes to text: BOM, declared charset, detection, then mojibake repair."""

from __future__ import annotations

import codecs
import logging
import re

import charset_normalizer
import ftfy

from extractors.errors import DecodingError

log = logging.getLogger(__name__)

# UTF-8 read as Latin-1/cp1252 always shows a lead-byte letter (Â..ô) followed by
# a continuation-byte character; without one, ftfy (slow on long pages) is skipped.
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)

# The one byte-order-mark table (UTF-32 before UTF-16: FF FE 00 00 starts with FF FE).
BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark at the start of ``data`` names, or None."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return encoding
    return None


def looks_binary(data: bytes, sample: int = 4096) -> bool:
    """True when the start of ``data`` is clearly not text (NULs, control bytes)."""
    head = data[:sample]
    if not head:
        return False
    if bom_encoding(head):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls / len(head) > 0.05


def decode_text(data: bytes, declared: str | None = None) -> tuple[str, list[str]]:
    """Decode ``data`` to ``str``; return the text and any warnings.

    Order: a byte-order mark (unambiguous, so it wins, as in the WHATWG
    encoding standard), then the declared charset if the bytes decode
    strictly with it, then UTF-8, then detection by charset-normalizer.
    Mojibake left by an earlier wrong decoding is repaired with ftfy and the
    repair is reported as a warning.
    """
    warnings: list[str] = []
    text: str | None = None
    bom = bom_encoding(data)
    if bom:
        text = data.decode(bom, errors="replace")
    if text is None and declared:
        try:
            text = data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            warnings.append(f"declared charset {declared!r} does not decode the bytes; detected instead")
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text, encoding = _detect(data)
            warnings.append(f"charset detected as {encoding}")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    fixed = ftfy.fix_encoding(text) if _MOJIBAKE_HINT.search(text) else text
    if fixed != text:
        warnings.append("mojibake repaired (ftfy)")
        text = fixed
    if "\ufffd" in text:
        warnings.append("undecodable bytes replaced with U+FFFD")
    return text, warnings


def _detect(data: bytes) -> tuple[str, str]:
    """Detect the charset of non-UTF-8 bytes with charset-normalizer.

    Without NUL bytes, UTF-16/32 guesses are implausible (short Latin text
    fools the detector), so they are skipped; cp1252, the most common
    non-UTF-8 encoding of Western documents, is the last resort.
    """
    wide_ok = b"\x00" in data
    if len(data) < 64:  # too little for statistics to beat the common default
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    for match in charset_normalizer.from_bytes(data):
        if not wide_ok and match.encoding.startswith(("utf_16", "utf_32")):
            continue
        return str(match), match.encoding
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise DecodingError("bytes could not be decoded as text in any known encoding") from exc
