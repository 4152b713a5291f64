"""Bad input is recorded as failed, its bytes kept, and the run goes on."""

from __future__ import annotations

import hashlib
import os

from conftest import SEEDS


def test_corrupt_file_among_good_ones(cli, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a_good.txt").write_bytes(SEEDS[4].read_bytes())
    (folder / "b_report.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + b"\x00" * 50)
    (folder / "c_binary.bin").write_bytes(os.urandom(4096))
    (folder / "d_good.md").write_text("# A heading\n\nSome *Markdown* text with a [link](https://example.org).\n")
    result = cli("ingest", "--no-prefect", str(folder))
    assert "2 stored" in result.output and "2 failed" in result.output, result.output
    docs = {d["source"].rsplit("/", 1)[-1]: d for d in cli.json("documents")["documents"]}
    assert docs["a_good.txt"]["status"] == "stored"
    assert docs["d_good.md"]["status"] == "stored"
    for name in ("b_report.pdf", "c_binary.bin"):
        doc = docs[name]
        assert doc["status"] == "failed" and doc["error"], doc
        data = (folder / name).read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        assert doc["sha256"] == sha
        assert (cli.home / "blobs" / sha[:2] / sha[2:4] / sha).read_bytes() == data
    assert "PDF" in docs["b_report.pdf"]["error"] or "pdf" in docs["b_report.pdf"]["error"]
    assert "no extractor recognises" in docs["c_binary.bin"]["error"]
    cli("verify")


def test_missing_source_stops_before_anything_runs(cli, tmp_path):
    result = cli("ingest", "--no-prefect", str(tmp_path / "nope"), expect=1)
    assert "no such file" in result.output
    assert not (cli.home / "blobs").exists() or not any((cli.home / "blobs").iterdir())


def test_failed_document_reingested_stays_one_record(cli, tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(os.urandom(2048))
    cli("ingest", "--no-prefect", str(bad))
    cli("ingest", "--no-prefect", str(bad))
    docs = cli.json("documents")["documents"]
    assert len(docs) == 1 and docs[0]["status"] == "failed"
