"""ZIP archives: every regular member a part, within the count, size and ratio limits.

Members are read in bounded pieces, so a member whose header understates its
size (a lying bomb) costs at most the room left under the total limit.
Symbolic links, encrypted members, unsafe names (absolute, ``..``) and members
that fail their CRC are skipped, each with a warning; their bytes stay in the
container's own kept bytes.
"""

from __future__ import annotations

import io
import stat
import zipfile

from extractors.base import CONTENT, MAGIC, Extractor
from extractors.errors import CorruptDocument
from extractors.record import ExtractedDocument, Hints, Metadata, Part

from extractors.containers.parts import RATIO_FLOOR_BYTES, bound_parts, listing, unsafe_name

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# Office documents are ZIPs too: their own extractors should win the auction.
OFFICE_SIGNS = (b"[Content_Types].xml", b"mimetypeapplication/vnd.oasis", b"mimetypeapplication/epub")
_CHUNK = 1 << 16


class ZipExtractor(Extractor):
    """A ZIP archive: a listing of its members as text, each regular member a part."""

    name = "zip"
    media_type = "application/zip"
    media_types = frozenset({"application/zip", "application/x-zip-compressed"})
    extensions = frozenset({"zip"})
    guesses_language = False

    def content_score(self, data: bytes, hints: Hints) -> int:
        if not data.startswith(ZIP_MAGIC):
            return 0
        return CONTENT if any(sign in data[:4096] for sign in OFFICE_SIGNS) else MAGIC

    def read(self, data: bytes, hints: Hints) -> ExtractedDocument:
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise CorruptDocument(f"zip: {exc}") from exc
        warnings: list[str] = []
        entries: list[tuple[str, int, str]] = []
        parts: list[Part] = []
        with archive:
            members = [i for i in archive.infolist() if not i.is_dir()]
            for info in members:
                part, note = self._member(archive, info, hints, sum(len(p.data) for p in parts), len(parts))
                if part is not None:
                    parts.append(part)
                else:
                    warnings.append(f"member {info.filename!r} skipped: {note}")
                entries.append((info.filename, info.file_size, note))
        parts, warnings = bound_parts(parts, hints, warnings)
        metadata = Metadata(extra={"members": len(members), "parts": len(parts)})
        return ExtractedDocument(format="zip", media_type=self.media_type, text=listing(entries), metadata=metadata,
                                 warnings=warnings, extractor=self.name, parts=parts)

    @staticmethod
    def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, hints: Hints, total: int,
                count: int) -> tuple[Part | None, str]:
        """One member as a part, or ``None`` and why it was skipped."""
        limits = hints.limits
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            return None, "a symbolic link"
        if mode and not stat.S_ISREG(mode) and stat.S_IFMT(mode):
            return None, "not a regular file"
        why = unsafe_name(info.filename)
        if why:
            return None, f"unsafe name ({why})"
        if info.flag_bits & 0x1:
            return None, "encrypted"
        if count >= limits.container_max_members:
            return None, f"more than {limits.container_max_members:,} members"
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > limits.container_max_ratio:
            return None, (f"inflates {ratio:,.0f} times ({info.compress_size:,} to {info.file_size:,} bytes), over "
                          f"the limit of {limits.container_max_ratio:,.0f} (a decompression bomb?)")
        room = limits.container_max_total_bytes - total
        if info.file_size > room:
            return None, f"{info.file_size:,} bytes would exceed {limits.container_max_total_bytes:,} bytes in all"
        try:
            data = _read_bounded(archive, info, room)
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, RuntimeError, ValueError) as exc:
            return None, f"unreadable ({type(exc).__name__}: {exc})"
        if data is None:
            return None, f"inflates past its stated {info.file_size:,} bytes (a lying header)"
        return Part(info.filename, data, None, "member"), ""


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, room: int) -> bytes | None:
    """The member's bytes, ``None`` when they run past the stated size or ``room``."""
    cap = min(info.file_size, room)
    out = bytearray()
    with archive.open(info) as member:
        while True:
            chunk = member.read(min(_CHUNK, cap + 1 - len(out)))
            if not chunk:
                return bytes(out)
            out += chunk
            if len(out) > cap:
                return None
