"""One e-mail message read with the stdlib :mod:`email` package (``policy.default``).

Headers become metadata (``authors`` = From, ``date`` = Date as ISO 8601,
``title`` = Subject, every address header and the threading headers under
``metadata.extra["email"]``); the body becomes text, ``text/plain`` preferred
over ``text/html`` (which goes through the HTML extractor); every attachment
becomes a :class:`~extractors.record.Part` of role ``attachment``, ingested by
the flows as its own document.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from extractors.html.extractor import HtmlExtractor
from extractors.errors import ExtractionError
from extractors.record import Hints, Identifier, Metadata, Part

log = logging.getLogger(__name__)

ADDRESS_HEADERS = ("from", "to", "cc", "bcc", "reply-to", "sender")
MESSAGE_ID_RE = re.compile(r"<[^<>\s]+>")
MAX_ID_CHARS = 300


@dataclass
class ReadMessage:
    """What one message gives: its body text, metadata, attachments and warnings."""

    text: str
    metadata: Metadata
    parts: list[Part] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_message(data: bytes) -> EmailMessage:
    """The message in ``data`` (``policy.default``: headers decoded, addresses parsed)."""
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def header_text(message: Message, name: str, warnings: list[str]) -> str | None:
    """One header as decoded text (``None`` when absent); a header the parser cannot decode stays raw."""
    try:
        value = message.get(name)
    except Exception as exc:  # noqa: BLE001 - a malformed header must not lose the message
        warnings.append(f"header {name} could not be decoded ({type(exc).__name__}); kept as it was")
        raw = next((value for key, value in message.raw_items() if key.lower() == name), None)
        return " ".join(str(raw).split()) if raw is not None else None
    if value is None:
        return None
    return " ".join(str(value).split())


def addresses(value: str | None) -> list[str]:
    """``Name <addr>`` for every address in a header value."""
    if not value:
        return []
    found = []
    for name, addr in getaddresses([value]):
        if not addr and not name:
            continue
        found.append(f"{name} <{addr}>" if name and addr else (addr or name))
    return found


def message_ids(value: str | None) -> list[str]:
    """Every ``<id@host>`` in a Message-ID, In-Reply-To or References header, in order."""
    return MESSAGE_ID_RE.findall(value or "")


def iso_date(value: str | None, warnings: list[str]) -> str | None:
    """The Date header as ISO 8601 (with its UTC offset); ``None`` with a warning when unreadable."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        warnings.append(f"Date header {value!r} is not an RFC 5322 date; not used as the date")
        return None


def read_headers(message: Message, warnings: list[str]) -> Metadata:
    """Metadata from the headers; ``extra["thread"]`` is the message-id of the thread's first message.

    The thread is the first of ``References`` (the root, by RFC 5322), else
    ``In-Reply-To``, else the message's own id (it starts a thread). Both ids are
    also identifiers (``message-id``, ``email-thread``), so a thread's archived
    messages are found by identifier on either database.
    """
    raw = {name: header_text(message, name, warnings) for name in (*ADDRESS_HEADERS, "date", "subject",
                                                                     "message-id", "in-reply-to", "references")}
    own = message_ids(raw["message-id"])
    replied = message_ids(raw["in-reply-to"])
    references = message_ids(raw["references"])
    thread = (references or replied or own or [None])[0]
    email: dict[str, Any] = {name.replace("-", "_"): addresses(raw[name]) for name in ADDRESS_HEADERS if raw[name]}
    when = iso_date(raw["date"], warnings)
    email.update({"date": raw["date"], "datetime": when, "subject": raw["subject"],
                  "message_id": own[0] if own else None, "in_reply_to": replied[0] if replied else None,
                  "references": references})
    # identifiers are short keys (the archive holds up to 500 characters); a longer id stays in extra only
    identifiers = [Identifier("message-id", own[0])] if own and len(own[0]) <= MAX_ID_CHARS else []
    if thread and len(thread) <= MAX_ID_CHARS:
        identifiers.append(Identifier("email-thread", thread))
    # The record's date is the sender's calendar day (the metadata convention); the full time is in extra.
    return Metadata(title=raw["subject"] or None, date=when[:10] if when else None,
                    authors=addresses(raw["from"]), identifiers=identifiers,
                    extra={"email": {k: v for k, v in email.items() if v not in (None, [], "")},
                           "thread": thread})


def leaf_parts(message: Message) -> list[tuple[Message, Message | None]]:
    """Every leaf part with its multipart parent, in order; an attached message is one leaf (not walked into)."""
    found: list[tuple[Message, Message | None]] = []

    def visit(part: Message, parent: Message | None) -> None:
        if part.get_content_type() == "message/rfc822" or not part.is_multipart():
            found.append((part, parent))
            return
        for child in part.iter_parts() if isinstance(part, EmailMessage) else part.get_payload():
            visit(child, part)

    visit(message, None)
    return found


def part_bytes(part: Message, warnings: list[str]) -> bytes:
    """The decoded payload of one leaf part (base64, quoted-printable undone)."""
    payload = part.get_payload(decode=True)
    warnings.extend(f"attachment {part.get_filename() or part.get_content_type()}: {type(d).__name__} "
                    "(the bytes are as decoded; the message keeps the original)" for d in part.defects)
    if payload is None:
        raw = part.get_payload()
        payload = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
        warnings.append(f"part {part.get_content_type()}: payload could not be decoded; kept as it was")
    return payload


def attachment_name(part: Message, index: int) -> str:
    """The attachment's own file name, else ``attachment-N`` with an extension for its type."""
    name = " ".join(str(part.get_filename() or "").replace("/", "_").replace("\\", "_").split())
    if name.strip("._ "):
        return name
    subtype = part.get_content_subtype() or "bin"
    return f"attachment-{index}.{'eml' if part.get_content_type() == 'message/rfc822' else subtype}"


def body_text(part: Message, warnings: list[str], hints: Hints) -> str:
    """The text of a ``text/plain`` or ``text/html`` part."""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError, AssertionError) as exc:
        warnings.append(f"body part {part.get_content_type()}: {type(exc).__name__}; decoded as UTF-8 with "
                        "replacement characters")
        content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    if part.get_content_type() != "text/html":
        return content
    try:
        record = HtmlExtractor().read(content.encode("utf-8"), Hints(charset="utf-8", limits=hints.limits))
    except Exception as exc:  # noqa: BLE001 - a body the HTML extractor cannot read must not lose the message
        detail = str(exc) if isinstance(exc, ExtractionError) else f"{type(exc).__name__}: {exc}"
        warnings.append(f"HTML body could not be read ({detail}); kept as its markup")
        return content
    warnings.extend(f"HTML body: {w}" for w in record.warnings)
    return record.text


def read_message(message: EmailMessage, hints: Hints) -> ReadMessage:
    """Headers, body and attachments of ``message`` (see the module docstring).

    The body is the preferred text part; its alternatives (the HTML of a
    ``multipart/alternative``) are renderings of it, not attachments. Every
    other leaf part, inline images and attached messages included, is an
    attachment, so nothing in the message is left out.
    """
    warnings: list[str] = [f"message defect: {type(d).__name__}" for d in message.defects][:10]
    metadata = read_headers(message, warnings)
    body = message.get_body(preferencelist=("plain", "html"))
    text = body_text(body, warnings, hints) if body is not None else ""
    if body is None:
        warnings.append("no text body in the message")
    elif body.get_content_type() == "text/html":
        warnings.append("no plain-text body: the text is read from the HTML body")
    parts = []
    leaves = leaf_parts(message)
    body_parent = next((parent for part, parent in leaves if part is body), None)
    for index, (part, parent) in enumerate(leaves, start=1):
        if part is body:
            continue
        if (parent is not None and parent is body_parent and parent.get_content_subtype() == "alternative"
                and part.get_content_maintype() == "text" and part.get_content_disposition() != "attachment"):
            continue  # another rendering of the body
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            data = inner[0].as_bytes(policy=policy.default) if isinstance(inner, list) and inner else b""
            parts.append(Part(attachment_name(part, index), data, "message/rfc822", "attachment"))
            continue
        parts.append(Part(attachment_name(part, index), part_bytes(part, warnings), part.get_content_type(),
                          "attachment"))
    return ReadMessage(text.strip(), metadata, parts, warnings)
