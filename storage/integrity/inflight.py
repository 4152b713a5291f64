"""In-progress markers: which ingest runs are alive, so their blobs are "in flight", not orphans.

Each run writes ``<home>/in-progress/run-<id>.json`` (its process id, host
and the process's start time) while it holds the write lock that creates its
``runs`` row, and removes it when it finishes. A run whose row says
``running`` but whose marker is missing, or names a process that is gone, was
killed: the next run marks it ``interrupted`` (``Archive.begin_run``).
``verify`` treats orphan blobs and temp files younger than the grace period
as in flight while any run is alive.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

from storage.blobs import write_private

MARKERS = "in-progress"
DEFAULT_GRACE_SECONDS = 3600.0


def marker_path(home: Path, run_id: int) -> Path:
    return Path(home) / MARKERS / f"run-{int(run_id)}.json"


def _process_start(pid: int) -> str | None:
    """The start time of a process (``/proc/PID/stat`` field 22), to tell a reused pid from the original."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def write_marker(home: Path, run_id: int) -> Path:
    """Say that this process is running ``run_id`` (mode 0600)."""
    pid = os.getpid()
    data = {"run_id": int(run_id), "pid": pid, "host": socket.gethostname(), "process_start": _process_start(pid)}
    path = marker_path(home, run_id)
    write_private(path, json.dumps(data).encode("utf-8"))
    return path


def remove_marker(home: Path, run_id: int) -> None:
    marker_path(home, run_id).unlink(missing_ok=True)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _alive(data: dict[str, Any]) -> bool:
    """Whether the marker's process still runs (a process on another host is taken to be alive)."""
    if data.get("host") != socket.gethostname():
        return True
    try:
        pid = int(data.get("pid") or 0)
    except (TypeError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    started = data.get("process_start")
    return started is None or _process_start(pid) in (None, started)


def live_runs(home: Path) -> set[int]:
    """Ids of the runs whose marker names a live process."""
    folder = Path(home) / MARKERS
    if not folder.is_dir():
        return set()
    alive: set[int] = set()
    for path in folder.glob("run-*.json"):
        data = _read(path)
        if data is not None and _alive(data):
            try:
                alive.add(int(data["run_id"]))
            except (KeyError, TypeError, ValueError):
                continue
    return alive
