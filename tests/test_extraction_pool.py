"""The extraction pool's workers run below the process that stores their records (it is the one every
document waits for: records are stored in input order)."""

from __future__ import annotations

import os
import time

from extractors import Hints
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
