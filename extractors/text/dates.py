"""Human-written dates ("6 February 2023", "July 2019", "2023-02-06") to ISO 8601."""

from __future__ import annotations

import re

_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_RE = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
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
        return _MONTHS[name.lower().rstrip(".")]

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
