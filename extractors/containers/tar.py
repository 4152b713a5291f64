"""tar archives (plain; gzip is undone by the registry first, bzip2 and xz here by :mod:`tarfile`).

Every regular member is a part. Links, devices, FIFOs and unsafe names
(absolute, ``..``) are skipped with a warning; nothing is extracted to disk.
Reading stops once the uncompressed stream passes the total-size limit, so a
compressed bomb costs at most that much decompression.
"""

from __future__ import annotations

import io
import tarfile

from extractors.base import CONTENT, MAGIC, Extractor
from extractors.errors import CorruptDocument
from extractors.record import ExtractedDocument, Hints, Metadata, Part

from extractors.containers.parts import bound_parts, listing, unsafe_name

COMPRESSED_MAGIC = (b"BZh", b"\xfd7zXZ\x00")
TAR_NAMES = (".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz")


class TarExtractor(Extractor):
    """A tar archive: a listing of its members as text, each regular member a part."""

    name = "tar"
    media_type = "application/x-tar"
    media_types = frozenset({"application/x-tar", "application/x-gtar", "application/x-ustar"})
    extensions = frozenset({"tar", "tgz"})
    guesses_language = False

    def content_score(self, data: bytes, hints: Hints) -> int:
        if data[257:262] == b"ustar":
            return MAGIC
        if data.startswith(COMPRESSED_MAGIC) and (hints.filename or "").lower().endswith(TAR_NAMES):
            return CONTENT
        return 0

    def read(self, data: bytes, hints: Hints) -> ExtractedDocument:
        try:
            archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            raise CorruptDocument(f"tar: {exc}") from exc
        warnings: list[str] = []
        entries: list[tuple[str, int, str]] = []
        parts: list[Part] = []
        with archive:
            self._walk(archive, hints, warnings, entries, parts)
        parts, warnings = bound_parts(parts, hints, warnings)
        metadata = Metadata(extra={"members": len(entries), "parts": len(parts)})
        return ExtractedDocument(format="tar", media_type=self.media_type, text=listing(entries), metadata=metadata,
                                 warnings=warnings, extractor=self.name, parts=parts)

    @staticmethod
    def _walk(archive: tarfile.TarFile, hints: Hints, warnings: list[str], entries: list[tuple[str, int, str]],
              parts: list[Part]) -> None:
        """Every member in order, until the end, a broken header or the total-size limit."""
        limits = hints.limits
        total = 0
        while True:
            try:
                member = archive.next()
            except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
                warnings.append(f"tar: reading stopped at a broken member header ({type(exc).__name__}: {exc}); "
                                f"{len(entries)} member(s) read before it")
                return
            if member is None:
                return
            if member.offset_data > limits.container_max_total_bytes:
                warnings.append(f"tar: reading stopped after {limits.container_max_total_bytes:,} uncompressed bytes; "
                                "the members after it are not ingested on their own")
                return
            if member.isdir():
                continue
            note = _skip_reason(member, len(parts), total, hints)
            if not note:
                try:
                    handle = archive.extractfile(member)
                    data = handle.read() if handle is not None else b""
                except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
                    note = f"unreadable ({type(exc).__name__}: {exc})"
                else:
                    parts.append(Part(member.name, data, None, "member"))
                    total += len(data)
            if note:
                warnings.append(f"member {member.name!r} skipped: {note}")
            entries.append((member.name, member.size, note))


def _skip_reason(member: tarfile.TarInfo, count: int, total: int, hints: Hints) -> str:
    """Why ``member`` is not made a part ('' when it is)."""
    limits = hints.limits
    if member.issym() or member.islnk():
        return f"a link to {member.linkname!r}"
    if not member.isreg():
        return "a device, FIFO or other special file"
    why = unsafe_name(member.name)
    if why:
        return f"unsafe name ({why})"
    if count >= limits.container_max_members:
        return f"more than {limits.container_max_members:,} members"
    if total + member.size > limits.container_max_total_bytes:
        return f"{member.size:,} bytes would exceed {limits.container_max_total_bytes:,} bytes in all"
    return ""
