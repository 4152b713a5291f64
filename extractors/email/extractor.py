"""The e-mail extractors: one message (``.eml``) and a mailbox (``.mbox``).

A message's record holds its body text and header metadata (see
:mod:`extractors.email.message`); its attachments are parts. A mailbox's
record lists its messages (date, sender, subject) as text, and each message
is a part of role ``member``, ingested as its own e-mail document.
"""

from __future__ import annotations

import re

from extractors.base import CONTENT, MAGIC, Extractor
from extractors.errors import CorruptDocument
from extractors.record import ExtractedDocument, Hints, Metadata, Part
from extractors.text.decoding import looks_binary

from extractors.containers.parts import bound_parts
from extractors.email.message import parse_message, read_headers, read_message

# Headers that only e-mail carries at the very start of a file.
MAIL_HEADERS = frozenset({"from", "to", "cc", "date", "subject", "message-id", "mime-version", "received",
                          "return-path", "delivered-to", "in-reply-to", "references", "reply-to", "sender",
                          "content-type", "content-transfer-encoding", "x-mailer", "user-agent", "dkim-signature",
                          "authentication-results", "arc-seal", "list-id", "thread-topic"})
STRONG_HEADERS = frozenset({"message-id", "mime-version", "received", "return-path", "delivered-to", "date"})
HEADER_LINE_RE = re.compile(rb"^([A-Za-z0-9][A-Za-z0-9_-]*):", re.MULTILINE)
FROM_LINE_RE = re.compile(rb"^From \S+.*$", re.MULTILINE)


def header_names(data: bytes, limit: int = 16384) -> set[str] | None:
    """The header names of a leading header block, or ``None`` when the start is not one."""
    head = data[:limit].replace(b"\r\n", b"\n")
    block, blank, _ = head.partition(b"\n\n")
    if not blank and len(head) == limit:
        return None
    names = set()
    for line in block.split(b"\n"):
        if line[:1] in (b" ", b"\t") and names:
            continue  # a folded header line
        match = HEADER_LINE_RE.match(line)
        if match is None:
            return None
        names.add(match.group(1).decode("ascii").lower())
    return names


def mail_score(names: set[str] | None) -> int:
    """MAGIC for a clear message header block (From plus strong headers), CONTENT for a likely one."""
    if not names:
        return 0
    known = names & MAIL_HEADERS
    strong = names & STRONG_HEADERS
    if "from" in known and len(strong) >= 2:
        return MAGIC
    if len(known) >= 3 and strong and ({"from", "to", "subject"} & known):
        return CONTENT
    return 0


class EmailExtractor(Extractor):
    """One e-mail message (RFC 5322, MIME): body, header metadata, attachments as parts."""

    name = "email"
    media_type = "message/rfc822"
    media_types = frozenset({"message/rfc822"})
    extensions = frozenset({"eml"})

    def content_score(self, data: bytes, hints: Hints) -> int:
        if not data or looks_binary(data) or data.startswith(b"From "):
            return 0
        return mail_score(header_names(data.lstrip(b"\r\n")))

    def read(self, data: bytes, hints: Hints) -> ExtractedDocument:
        read = read_message(parse_message(data), hints)
        parts, warnings = bound_parts(read.parts, hints, read.warnings)
        return ExtractedDocument(format="email", media_type=self.media_type, text=read.text,
                                 metadata=read.metadata, warnings=warnings, extractor=self.name, parts=parts)


class MboxExtractor(Extractor):
    """A mailbox (``mbox``: messages after ``From `` lines): a listing, each message a part."""

    name = "mbox"
    media_type = "application/mbox"
    media_types = frozenset({"application/mbox"})
    extensions = frozenset({"mbox", "mbx"})

    def content_score(self, data: bytes, hints: Hints) -> int:
        if not data.startswith(b"From ") or looks_binary(data):
            return 0
        first, _, rest = data.partition(b"\n")
        return MAGIC if mail_score(header_names(rest)) else 0

    def read(self, data: bytes, hints: Hints) -> ExtractedDocument:
        messages = split_mbox(data)
        if not messages:
            raise CorruptDocument("mbox: no message after a 'From ' line")
        warnings: list[str] = []
        lines = []
        parts = []
        for index, raw in enumerate(messages, start=1):
            meta = read_headers(parse_message(raw), [])
            lines.append(f"{index}. {meta.date or 'undated'} — {', '.join(meta.authors) or 'unknown sender'} — "
                         f"{meta.title or '(no subject)'}")
            parts.append(Part(f"message-{index:05d}.eml", raw, "message/rfc822", "member"))
        parts, warnings = bound_parts(parts, hints, warnings)
        metadata = Metadata(title=hints.filename, extra={"messages": len(messages)})
        return ExtractedDocument(format="mbox", media_type=self.media_type, text="\n\n".join(lines),
                                 metadata=metadata, warnings=warnings, extractor=self.name, parts=parts)


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox: the bytes between ``From `` separator lines (at the start or after a blank line).

    A ``>From `` line in a body (mboxrd quoting) loses one ``>``.
    """
    data = data.replace(b"\r\n", b"\n")
    starts = [m.start() for m in FROM_LINE_RE.finditer(data) if m.start() == 0 or data[m.start() - 2:m.start()]
              == b"\n\n"]
    messages = []
    for begin, end in zip(starts, [*starts[1:], len(data)]):
        chunk = data[begin:end]
        body = chunk.partition(b"\n")[2]
        body = re.sub(rb"^>(>*From )", rb"\1", body, flags=re.MULTILINE)
        if body.strip():
            messages.append(body)
    return messages
