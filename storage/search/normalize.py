"""One normalisation for everything searched: the same at index and at query time, on every database.

Text is normalised in Python and only the resulting tokens reach SQLite
(FTS5) or PostgreSQL (tsvector), so both databases see the same tokens.

Steps, in order:

1. Unicode NFKC (UAX #15): compatibility forms fold, which also maps the
   Arabic presentation forms (U+FB50–U+FDFF, U+FE70–U+FEFF) to base letters.
2. Full Unicode case folding (``str.casefold``).
3. Diacritics: canonical decomposition, then every non-spacing mark
   (category Mn) is dropped. That removes Latin accents, Arabic harakat
   (U+064B–U+065F, U+0670 superscript alef) and the hamza/madda that make
   alef variants (آ أ إ → ا), ؤ → و, ئ → ی, ۀ → ه.
4. Arabic-script letters follow ISIRI 6219 (the Persian character standard,
   which prescribes Persian yeh U+06CC and keheh U+06A9): the table below
   maps Arabic yeh / alef maksura to Persian yeh, Arabic kaf to keheh, teh
   marbuta to heh, alef wasla to alef; tatweel (U+0640), zero-width
   non-joiner and joiner (U+200C/U+200D) and the bidi marks are removed (so
   ``می‌روم`` and ``میروم`` match).
5. Digits: Arabic-Indic (U+0660–U+0669) and Persian (U+06F0–U+06F9) digits
   become ASCII digits.

Tokens are the runs of letters and digits of the normalised text, cut to
:data:`MAX_TOKEN_CHARS` characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

MAX_TOKEN_CHARS = 100

_LETTERS = {
    "\u064a": "\u06cc",  # ARABIC LETTER YEH → FARSI YEH
    "\u0649": "\u06cc",  # ALEF MAKSURA → FARSI YEH
    "\u06d2": "\u06cc",  # YEH BARREE → FARSI YEH
    "\u0643": "\u06a9",  # ARABIC LETTER KAF → KEHEH
    "\u0629": "\u0647",  # TEH MARBUTA → HEH
    "\u06c1": "\u0647",  # HEH GOAL → HEH
    "\u06d5": "\u0647",  # AE → HEH
    "\u0671": "\u0627",  # ALEF WASLA → ALEF
    "\u0640": "",        # TATWEEL
    "\u200c": "",        # ZERO WIDTH NON-JOINER
    "\u200d": "",        # ZERO WIDTH JOINER
    "\u200e": "", "\u200f": "", "\u061c": "",  # LRM, RLM, ARABIC LETTER MARK
    "\ufeff": "",        # ZERO WIDTH NO-BREAK SPACE
}
_LETTERS.update({chr(0x0660 + i): str(i) for i in range(10)})  # Arabic-Indic digits
_LETTERS.update({chr(0x06F0 + i): str(i) for i in range(10)})  # Persian digits
_TABLE = str.maketrans(_LETTERS)

_TOKEN_RE = re.compile(r"[^\W_]+")


def normalize(text: str) -> str:
    """``text`` folded as described in the module docstring (spaces and punctuation kept)."""
    if text.isascii():  # the common case: every step above is then just lower-casing
        return text.lower()
    text = unicodedata.normalize("NFKC", text).casefold()
    text = unicodedata.normalize("NFD", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", text.translate(_TABLE))


def tokens(text: str | None) -> list[str]:
    """The search tokens of ``text``."""
    if not text:
        return []
    return [t[:MAX_TOKEN_CHARS] for t in _TOKEN_RE.findall(normalize(text))]


def token_spans(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """Each whitespace-separated chunk of the *original* ``text``: start, end and its tokens (for snippets)."""
    for match in re.finditer(r"\S+", text):
        yield match.start(), match.end(), tokens(match.group())


def index_text(text: str | None) -> str:
    """``text`` as the indexed string: its tokens joined by single spaces."""
    return " ".join(tokens(text))
