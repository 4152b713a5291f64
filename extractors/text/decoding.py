"""Bytes to text: BOM, UTF-16/32 without BOM, declared charset, detection, then mojibake repair.

UTF-16 and UTF-32 without a byte-order mark are recognised from where their NUL
bytes fall (:func:`wide_encoding`): text in those encodings has a NUL in the high
byte of every ASCII character (space, digits, punctuation, Latin letters), so
NULs crowd on one byte position of each 2- or 4-byte unit and are absent from
the others. Binary data has NULs anywhere; text in single-byte encodings or
UTF-8 has none.
"""

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


# UTF-32 before UTF-16: UTF-32 text also has NULs on both halves of every 2-byte unit.
_WIDE = (("utf-32-be", 4, (0, 1, 2)), ("utf-32-le", 4, (1, 2, 3)), ("utf-16-be", 2, (0,)), ("utf-16-le", 2, (1,)))
# Share of units that must carry the NUL pattern: a text with one ASCII character
# (a space, a digit) in eight has it; binary data almost never.
_WIDE_MIN_SHARE = 0.125


def _one_script(high_bytes: bytes) -> bool:
    """True when most non-zero high bytes of UTF-16 units are one value: one script's block.

    Text in one alphabet (Persian, Arabic, Cyrillic, Hebrew) has its letters in one
    256-character block; 8-bit text with stray NULs read as UTF-16 scatters over many
    (ASCII letters as high bytes), so with few ASCII units this tells them apart.
    """
    letters = [b for b in high_bytes if b]
    if not letters:
        return True
    top = max(set(letters), key=letters.count)
    return letters.count(top) / len(letters) >= 0.6


def _zero_in_all(unit_bytes: list[bytes], positions: tuple[int, ...]) -> int:
    """How many code units have a NUL at every one of ``positions`` (their bytes OR-ed as big integers, in C)."""
    combined = 0
    for i in positions:
        combined |= int.from_bytes(unit_bytes[i], "big")
    return combined.to_bytes(len(unit_bytes[positions[0]]), "big").count(0)


def wide_encoding(data: bytes, sample: int = 4096) -> str | None:
    """``"utf-16-be"``/``"utf-16-le"``/``"utf-32-be"``/``"utf-32-le"`` for such text without a BOM, else None.

    The NUL bytes of the sample must all sit in the high bytes of code units
    (and be frequent there), the sample must decode strictly, and the decoded
    characters must be text (no C0 controls but whitespace, no NUL characters).
    """
    head = data[:sample]
    if len(head) < 4 or b"\x00" not in head or bom_encoding(head):
        return None
    for encoding, width, zero_at in _WIDE:
        units = len(head) // width
        if not units:
            continue
        unit_bytes = [head[i::width][:units] for i in range(width)]
        if any(b"\x00" in unit_bytes[i] for i in range(width) if i not in zero_at):
            continue
        high = unit_bytes[zero_at[0]] if width == 2 else None  # the byte that is NUL for ASCII
        wide_units = _zero_in_all(unit_bytes, zero_at)
        share = wide_units / units
        if share < _WIDE_MIN_SHARE or (share < 0.5 and high is not None and not _one_script(high)):
            continue
        try:
            text = codecs.getincrementaldecoder(encoding)("strict").decode(head[: units * width], final=False)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ch < " " and ch not in "\t\n\r\f\v")
        if text and controls / len(text) <= 0.01:
            return encoding
    return None


def head_text(data: bytes, size: int = 200_000) -> str:
    """About the first ``size`` characters of ``data`` as text, for scoring a format.

    Honours a byte-order mark and UTF-16/32 without one; anything else is read as
    UTF-8 with undecodable bytes replaced (cheap, and enough to spot markup).
    """
    encoding = bom_encoding(data) or wide_encoding(data)
    if encoding:
        width = 4 if "32" in encoding else 2
        return data[: size * width].decode(encoding, errors="replace").lstrip("\ufeff")[:size]
    return data[:size].decode("utf-8", errors="replace").lstrip("\ufeff")


_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or 13 < b)  # control bytes text does not carry


def looks_binary(data: bytes, sample: int = 4096) -> bool:
    """True when the start of ``data`` is clearly not text (many NULs or control bytes).

    UTF-16/32 text, with or without a byte-order mark, is text.
    """
    head = data[:sample]
    if not head:
        return False
    if bom_encoding(head) or wide_encoding(head):
        return False
    # A stray NUL or escape in a text file does not make it binary (finish() removes them);
    # binary data has NULs and control bytes throughout.
    if head.count(b"\x00") / len(head) > 0.01:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))  # counted in C: choose() asks several times
    return controls / len(head) > 0.05


def decode_text(data: bytes, declared: str | None = None) -> tuple[str, list[str]]:
    """Decode ``data`` to ``str``; return the text and any warnings.

    Order: a byte-order mark (unambiguous, so it wins, as in the WHATWG
    encoding standard), then UTF-16/32 recognised from the NUL pattern
    (:func:`wide_encoding`; a declared single-byte charset or UTF-8 cannot be
    right for such bytes, and would keep every NUL), then the declared
    charset if the bytes decode strictly with it, then UTF-8, then detection
    by charset-normalizer.
    Mojibake left by an earlier wrong decoding is repaired with ftfy and the
    repair is reported as a warning.
    """
    warnings: list[str] = []
    text: str | None = None
    bom = bom_encoding(data)
    if bom:
        text = data.decode(bom, errors="replace")
    wide = None if bom else wide_encoding(data)
    if wide:
        text = data.decode(wide, errors="replace")
        said = f" (declared {declared!r} ignored)" if declared and not _same_codec(declared, wide) else ""
        warnings.append(f"no byte-order mark: decoded as {wide.upper()} from the NUL-byte pattern{said}")
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


def _same_codec(declared: str, encoding: str) -> bool:
    """True when charset label ``declared`` names the codec family of ``encoding`` (utf-16, utf-32)."""
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        return False
    return name.split("-")[1][:2] == encoding.split("-")[1][:2] if name.startswith("utf-") else False


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
