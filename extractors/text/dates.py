"""Human-written dates ("6 February 2023", "July 2019", "2023-02-06") to ISO 8601."""

from __future__ import annotations

import re

# The ONE month-name table: lower-case names and abbreviations per language, with
# and without accents (French, Spanish, German as seen in NGO material).
MONTHS_BY_LANGUAGE: dict[str, dict[str, int]] = {
    "en": {
        "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
        "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
        "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
        "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    },
    "fr": {
        "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
        "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
        "décembre": 12, "decembre": 12,
    },
    "es": {
        "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
        "agosto": 8, "septiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
    },
    "de": {
        "januar": 1, "februar": 2, "märz": 3, "april": 4, "mai": 5, "juni": 6, "juli": 7,
        "august": 8, "september": 9, "oktober": 10, "november": 11, "dezember": 12,
    },
}
ENGLISH_MONTHS = MONTHS_BY_LANGUAGE["en"]
MONTHS: dict[str, int] = {name: num for table in MONTHS_BY_LANGUAGE.values() for name, num in table.items()}
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")


def month_number(name: str, languages: tuple[str, ...] | None = None) -> int | None:
    """The month (1-12) that ``name`` ("Sept.", "mars") names, optionally in ``languages`` only."""
    key = (name or "").strip().lower().rstrip(".")
    if languages is None:
        return MONTHS.get(key)
    for lang in languages:
        if key in MONTHS_BY_LANGUAGE[lang]:
            return MONTHS_BY_LANGUAGE[lang][key]
    return None
_MONTH_RE = r"(?:" + "|".join(sorted(ENGLISH_MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_DMY = re.compile(rf"^(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\s*,?\s+(\d{{4}})$", re.I)
_DATE_MDY = re.compile(rf"^({_MONTH_RE})\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s+(\d{{4}})$", re.I)
_DATE_MY = re.compile(rf"^({_MONTH_RE})\s*,?\s+(\d{{4}})$", re.I)
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:[T ].*)?$")
_DATE_Y = re.compile(r"^(\d{4})$")


def parse_date(value: str) -> str | None:
    """An ISO 8601 date (``YYYY[-MM[-DD]]``) from a human-written date, or None."""
    value = re.sub(r"\s+", " ", value or "").strip().strip(".")
    if not value:
        return None

    def month(name: str) -> int:
        return ENGLISH_MONTHS[name.lower().rstrip(".")]

    def fmt(y: int, m: int | None = None, d: int | None = None) -> str | None:
        if not 1000 <= y <= 2999:
            return None
        if m is None:
            return f"{y:04d}"
        if not 1 <= m <= 12:
            return None
        if d is None:
            return f"{y:04d}-{m:02d}"
        if not 1 <= d <= 31:
            return None
        return f"{y:04d}-{m:02d}-{d:02d}"

    if m := _DATE_ISO.match(value):
        return fmt(int(m[1]), int(m[2]), int(m[3]) if m[3] else None)
    if m := _DATE_DMY.match(value):
        return fmt(int(m[3]), month(m[2]), int(m[1]))
    if m := _DATE_MDY.match(value):
        return fmt(int(m[3]), month(m[1]), int(m[2]))
    if m := _DATE_MY.match(value):
        return fmt(int(m[2]), month(m[1]))
    if m := _DATE_Y.match(value):
        return fmt(int(m[1]))
    return None
