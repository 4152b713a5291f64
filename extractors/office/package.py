"""Opening a ZIP-packaged office document within limits, and parsing its XML parts safely.

A DOCX or ODT is a ZIP archive of XML parts. Before anything is decompressed the central
directory is checked: at most :data:`MAX_MEMBERS` members, a declared total no larger than
``hints.limits.max_input_bytes``, and no member over :data:`MAX_RATIO` times its compressed
size once it is past :data:`RATIO_FLOOR` bytes (a decompression bomb). :mod:`zipfile` never
inflates a member beyond its declared size, so those checks bound the memory spent. XML is
parsed without DTDs, entity expansion or network access.
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from extractors.errors import CorruptDocument, ResourceLimitExceeded
from extractors.record import Hints

ZIP_MAGIC = b"PK\x03\x04"
MAX_MEMBERS = 10_000
MAX_RATIO = 200
RATIO_FLOOR = 1 << 20
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                          remove_comments=True, remove_pis=True)


class Package:
    """The members of one office package, read on demand within the limits."""

    def __init__(self, data: bytes, hints: Hints, fmt: str) -> None:
        """Open ``data`` as a ZIP and check its directory; ``fmt`` names the format in errors."""
        self.fmt = fmt
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise CorruptDocument(f"{fmt}: not a readable ZIP package ({exc})") from exc
        if len(infos) > MAX_MEMBERS:
            raise ResourceLimitExceeded(f"{fmt}: {len(infos):,} members exceeds the limit of {MAX_MEMBERS:,}")
        total = sum(info.file_size for info in infos)
        limit = hints.limits.max_input_bytes
        if total > limit:
            raise ResourceLimitExceeded(
                f"{fmt}: members declare {total:,} bytes uncompressed, over the limit of {limit:,} bytes")
        for info in infos:
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise ResourceLimitExceeded(
                    f"{fmt}: member {info.filename} expands {info.compress_size:,} bytes to {info.file_size:,} "
                    f"(ratio over {MAX_RATIO}; a decompression bomb?)")
        self.names = {info.filename for info in infos}

    def has(self, name: str) -> bool:
        """Whether the package holds a member called ``name``."""
        return name in self.names

    def read(self, name: str) -> bytes:
        """The bytes of member ``name`` (CorruptDocument when it is damaged)."""
        try:
            return self.zip.read(name)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, KeyError) as exc:
            raise CorruptDocument(f"{self.fmt}: member {name} cannot be read ({exc})") from exc

    def xml(self, name: str, required: bool = False) -> etree._Element | None:
        """Member ``name`` parsed as XML; None when it is absent and not ``required``."""
        if not self.has(name):
            if required:
                raise CorruptDocument(f"{self.fmt}: the package has no {name}")
            return None
        return parse_xml(self.read(name), f"{self.fmt}: {name}")


def parse_xml(data: bytes, where: str) -> etree._Element:
    """Parse ``data`` as XML with the safe parser; CorruptDocument naming ``where`` when it is broken."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise CorruptDocument(f"{where} is not well-formed XML ({exc})") from exc
    if root is None:
        raise CorruptDocument(f"{where} is empty")
    return root


def zip_names(data: bytes) -> set[str]:
    """The member names of a ZIP, or an empty set when ``data`` is not one (for scoring)."""
    if not data.startswith(ZIP_MAGIC):
        return set()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return set(archive.namelist()[:MAX_MEMBERS])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return set()


def zip_member_head(data: bytes, name: str, size: int = 256) -> bytes:
    """The first ``size`` bytes of member ``name`` of a ZIP, or b"" (for scoring)."""
    if not data.startswith(ZIP_MAGIC):
        return b""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(name) as member:
            return member.read(size)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, KeyError, NotImplementedError):
        return b""


def iso_date(value: str | None) -> str | None:
    """``YYYY-MM-DD`` from an ISO 8601 date-time such as ``2023-02-06T10:00:00Z`` (None when not one)."""
    value = (value or "").strip()
    if len(value) >= 10 and value[4] == "-" and value[7] == "-" and value[:4].isdigit():
        return value[:10]
    if len(value) == 4 and value.isdigit():
        return value
    return None


def note_with_links(text: str, url: str | None) -> str:
    """A link inside a note: its text, with the address when the text does not show it."""
    if not url or url.startswith("#"):
        return text
    shown = text.strip()
    if not shown:
        return url
    bare = url.split("://", 1)[-1].removeprefix("www.").rstrip("/")
    if bare in shown or shown.split("://", 1)[-1].removeprefix("www.").rstrip("/") == bare:
        return text
    return f"{text} ({url})"


def change_warnings(insertions: int, deletions: int, comments: int) -> list[str]:
    """The warnings a record gets for tracked changes and comments (kept in ``metadata.extra``)."""
    out = []
    if insertions or deletions:
        out.append(f"tracked changes present: {insertions} insertion(s) kept in the text, {deletions} "
                   f"deletion(s) left out of it (all listed in metadata.extra['tracked_changes'])")
    if comments:
        out.append(f"{comments} comment(s) kept in metadata.extra['comments'], not in the text")
    return out
