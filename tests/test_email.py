"""E-mail: headers as metadata, the body as text, every attachment its own document (``part_of``), threads.

Messages are written with the stdlib ``email`` package; the PDF attachment is a
real PDF fixture made by LibreOffice (tests/fixtures/pdf).
"""

from __future__ import annotations

import hashlib
import mailbox
from email.message import EmailMessage
from pathlib import Path

from conftest import FIXTURES, SEEDS

from extractors import Hints, extract

PDF = FIXTURES / "pdf" / "detention_docx.pdf"
STATEMENT = "The families of the victims ask again where the bodies of their relatives were buried.\n"


def _message(subject: str = "Evidence about the 1988 prison killings", message_id: str = "<root-1@example.org>",
             in_reply_to: str | None = None, references: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Nasrin Researcher <nasrin@example.org>"
    msg["To"] = "Documentation Team <team@example.org>, archive@example.org"
    msg["Cc"] = "Legal Desk <legal@example.org>"
    msg["Subject"] = subject
    msg["Date"] = "Thu, 18 Aug 1988 09:30:00 +0430"
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    msg.set_content("Dear colleagues,\n\nAttached are the report on the detention conditions and a statement "
                    "of the families.\n\nRegards,\nNasrin\n")
    msg.add_alternative("<html><body><p>HTML rendering of the <b>same</b> body.</p></body></html>", subtype="html")
    return msg


def _with_attachments() -> EmailMessage:
    msg = _message()
    msg.add_attachment(PDF.read_bytes(), maintype="application", subtype="pdf", filename="detention report.pdf")
    msg.add_attachment(STATEMENT.encode("utf-8"), maintype="text", subtype="plain", filename="statement.txt")
    return msg


def test_headers_become_metadata_and_the_plain_body_the_text():
    record = extract(_with_attachments().as_bytes(), Hints(filename="evidence.eml"))
    assert record.format == "email" and record.extractor == "email"
    meta = record.metadata
    assert meta.title == "Evidence about the 1988 prison killings"
    assert meta.authors == ["Nasrin Researcher <nasrin@example.org>"]
    assert meta.date == "1988-08-18"
    mail = meta.extra["email"]
    assert mail["datetime"] == "1988-08-18T09:30:00+04:30"
    assert mail["to"] == ["Documentation Team <team@example.org>", "archive@example.org"]
    assert mail["cc"] == ["Legal Desk <legal@example.org>"]
    assert mail["message_id"] == "<root-1@example.org>"
    assert meta.extra["thread"] == "<root-1@example.org>"  # a message that starts its thread
    assert record.text.startswith("Dear colleagues,") and "HTML rendering" not in record.text
    assert [(p.name, p.media_type, p.role) for p in record.parts] == [
        ("detention report.pdf", "application/pdf", "attachment"), ("statement.txt", "text/plain", "attachment")]
    assert record.parts[0].data == PDF.read_bytes() and record.parts[1].data.decode() == STATEMENT


def test_an_html_only_body_goes_through_the_html_extractor():
    msg = EmailMessage()
    msg["From"] = "a@example.org"
    msg["Subject"] = "Only HTML"
    msg["Date"] = "Mon, 1 Aug 1988 10:00:00 +0000"
    msg["Message-ID"] = "<html-only@example.org>"
    msg.set_content("<html><head><title>t</title><style>p{color:red}</style></head><body><article>"
                    "<p>The statement of the families, sent as HTML only.</p></article></body></html>", subtype="html")
    record = extract(msg.as_bytes(), Hints(filename="html.eml"))
    assert "The statement of the families, sent as HTML only." in record.text
    assert "<p>" not in record.text and "color:red" not in record.text
    assert any("HTML body" in w for w in record.warnings)


def test_an_mbox_gives_each_message_as_a_member(tmp_path):
    path = tmp_path / "box.mbox"
    box = mailbox.mbox(str(path))
    box.add(_message("First message", "<m1@example.org>"))
    box.add(_message("Re: First message", "<m2@example.org>", "<m1@example.org>", "<m1@example.org>"))
    box.close()
    record = extract(path.read_bytes(), Hints(filename="box.mbox"))
    assert record.format == "mbox"
    assert [p.role for p in record.parts] == ["member", "member"]
    inner = [extract(p.data, Hints(filename=p.name)) for p in record.parts]
    assert [r.metadata.title for r in inner] == ["First message", "Re: First message"]
    assert inner[1].metadata.extra["thread"] == "<m1@example.org>"
    assert "First message" in record.text and "Re: First message" in record.text


def test_each_attachment_is_its_own_document_linked_by_part_of(any_cli, tmp_path):
    cli = any_cli  # SQLite and PostgreSQL
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "evidence.eml").write_bytes(_with_attachments().as_bytes())
    (inbox / "z_seed.txt").write_bytes(SEEDS[1].read_bytes())
    result = cli.json("ingest", "--no-prefect", str(inbox))
    assert result["counts"]["stored"] == 4, result
    docs = cli.json("documents")["documents"]
    by_sha = {d["sha256"]: d for d in docs}
    message = next(d for d in docs if d["format"] == "email")
    pdf = by_sha[hashlib.sha256(PDF.read_bytes()).hexdigest()]
    text = by_sha[hashlib.sha256(STATEMENT.encode()).hexdigest()]
    assert message["part_of"] is None and message["title"] == "Evidence about the 1988 prison killings"
    assert pdf["part_of"] == message["id"] and text["part_of"] == message["id"]
    assert pdf["format"] == "pdf" and pdf["status"] == "stored"
    assert pdf["source"] == f"{inbox / 'evidence.eml'}!/detention report.pdf"
    shown = cli.json("show", str(pdf["id"]))
    assert shown["part_of"] == message["id"] and shown["obtained_by"] == f"part of document {message['id']}"
    parent = cli.json("show", str(message["id"]))
    assert [p["id"] for p in parent["parts"]] == [pdf["id"], text["id"]]
    assert parent["metadata"]["extra"]["email"]["from"] == ["Nasrin Researcher <nasrin@example.org>"]
    assert by_sha[hashlib.sha256(SEEDS[1].read_bytes()).hexdigest()]["part_of"] is None
    cli("verify")


def test_a_reply_lists_the_archived_messages_of_its_thread(any_cli, tmp_path):
    cli = any_cli  # SQLite and PostgreSQL
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.eml").write_bytes(_message().as_bytes())
    (inbox / "b.eml").write_bytes(_message("Re: Evidence", "<reply-2@example.org>", "<root-1@example.org>",
                                           "<root-1@example.org>").as_bytes())
    (inbox / "c.eml").write_bytes(_message("Unrelated", "<other-3@example.org>").as_bytes())
    cli("ingest", "--no-prefect", str(inbox))
    ids = {Path(d["source"]).name: d["id"] for d in cli.json("documents")["documents"]}
    reply = cli.json("show", str(ids["b.eml"]))
    assert reply["metadata"]["extra"]["thread"] == "<root-1@example.org>"
    assert reply["metadata"]["extra"]["email"]["in_reply_to"] == "<root-1@example.org>"
    assert [m["id"] for m in reply["thread"]] == [ids["a.eml"]]
    assert [m["id"] for m in cli.json("show", str(ids["a.eml"]))["thread"]] == [ids["b.eml"]]
    assert cli.json("show", str(ids["c.eml"]))["thread"] == []


def test_a_broken_attachment_fails_on_its_own_and_the_message_is_kept(cli, tmp_path):
    msg = _message()
    msg.add_attachment(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"\0" * 64, maintype="application",
                       subtype="pdf", filename="broken.pdf")
    path = tmp_path / "broken.eml"
    path.write_bytes(msg.as_bytes())
    result = cli.json("ingest", "--no-prefect", str(path))
    assert result["counts"]["stored"] == 1 and result["counts"]["failed"] == 1, result
    docs = {d["source"]: d for d in cli.json("documents")["documents"]}
    failed = docs[f"{path}!/broken.pdf"]
    assert failed["status"] == "failed" and failed["error"] and failed["part_of"] == docs[str(path)]["id"]
    sha = failed["sha256"]
    assert (cli.home / "blobs" / sha[:2] / sha[2:4] / sha).exists()


def test_an_email_with_a_pdf_and_a_docx_gives_three_documents_linked_by_part_of(cli, tmp_path):
    docx = (FIXTURES / "office" / "notes.docx").read_bytes()
    msg = _message()
    msg.add_attachment(PDF.read_bytes(), maintype="application", subtype="pdf", filename="report.pdf")
    msg.add_attachment(docx, maintype="application",
                       subtype="vnd.openxmlformats-officedocument.wordprocessingml.document", filename="notes.docx")
    path = tmp_path / "two-attachments.eml"
    path.write_bytes(msg.as_bytes())
    cli("ingest", "--no-prefect", str(path))
    docs = cli.json("documents")["documents"]
    assert len(docs) == 3, [(d["source"], d["format"]) for d in docs]
    message = next(d for d in docs if d["source"] == str(path))
    attached = {d["sha256"]: d for d in docs if d is not message}
    assert set(attached) == {hashlib.sha256(PDF.read_bytes()).hexdigest(), hashlib.sha256(docx).hexdigest()}
    assert all(d["part_of"] == message["id"] for d in attached.values())
    assert attached[hashlib.sha256(docx).hexdigest()]["source"] == f"{path}!/notes.docx"
