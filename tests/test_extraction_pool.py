"""The extraction pool's workers run below the process that stores their records (it is the one every
document waits for: records are stored in input order), and write the texts of keyed jobs to the
archive's text store and their bytes to its blob store (before parsing them), so the storing
process need not."""

from __future__ import annotations

import os
import time

import pytest

from extractors import ExtractionError, Hints
from storage.blobs import BlobStore, sha256_bytes
from flows.extraction_pool import WORKER_NICENESS, ExtractionPool


def test_workers_run_at_a_lower_priority_than_the_storing_process():
    own = os.getpriority(os.PRIO_PROCESS, 0)
    with ExtractionPool(workers=2) as pool:
        record = pool.extract(b"Minutes of the hearing, 1988.\n", Hints(filename="minutes.txt"))
        assert "hearing" in record.text
        wanted = [min(19, own + WORKER_NICENESS)] * 2
        deadline = time.monotonic() + 30  # the other worker may still be starting (spawn imports first)
        while (niceness := [os.getpriority(os.PRIO_PROCESS, w.process.pid) for w in pool._workers]) != wanted \
                and time.monotonic() < deadline:
            time.sleep(0.1)
    assert niceness == wanted


def test_a_keyed_job_comes_back_with_its_text_written_to_the_text_store(tmp_path):
    texts = tmp_path / "texts"
    data = "Minutes of the hearing, 1988. The committee met in the prison in July.\n".encode()
    with ExtractionPool(workers=1, texts_root=str(texts)) as pool:
        keyed = pool.submit_keyed(data, Hints(filename="minutes.txt")).result(timeout=60)
    text = keyed.record.text.encode("utf-8")
    assert BlobStore(texts).get(sha256_bytes(text), verify=True) == text


def test_without_stores_a_keyed_job_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with ExtractionPool(workers=1) as pool:
        keyed = pool.submit_keyed(b"Minutes of the hearing, 1988.\n", Hints(filename="minutes.txt")).result(timeout=60)
    assert "hearing" in keyed.record.text and not list(tmp_path.iterdir())


def test_a_keyed_job_writes_its_bytes_before_parsing_them_even_when_the_parse_fails(tmp_path):
    originals = tmp_path / "blobs"
    broken = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nthis is not the rest of a PDF\n"
    with ExtractionPool(workers=1, originals_root=str(originals)) as pool:
        future = pool.submit_keyed(broken, Hints(filename="broken.pdf"))
        with pytest.raises(ExtractionError):
            future.result(timeout=60)
    assert BlobStore(originals).get(sha256_bytes(broken), verify=True) == broken
