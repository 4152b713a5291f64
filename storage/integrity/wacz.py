"""WACZ export of the archive's web captures, the format replay tools (ReplayWeb.page) open.

Every HTTP fetch archivist makes is written to a WARC file under the home
(``Fetch.warc_path``, :mod:`flows.fetching.warc`). :func:`export_wacz` packs
those WARC files (all, or those of one work / since a date) into one WACZ
with the ``wacz`` package (Webrecorder's reference implementation): the
WARCs under ``archive/``, a CDXJ index, ``datapackage.json`` with every
file's SHA-256, and ``pages/pages.jsonl`` listing each successful fetch's
final URL with its document's title (the page list a replay shows; the
package's own ``--detect-pages`` keeps only pages other captures link to, a
crawler's heuristic that finds none in single fetches). The file is then checked with the same package's
validator, and the export is logged as an ``exported`` event carrying the
WACZ's SHA-256 and the captures it holds. A capture named by a fetch row but
missing from the home is reported (and left out), never silently dropped.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from wacz.main import main as wacz_main

from storage import events
from storage.database import transaction
from storage.errors import StorageError
from storage.models import Document, Fetch

if TYPE_CHECKING:
    from storage.archive import Archive


class WaczError(StorageError):
    """The WACZ could not be made (no captures, a bad target, the package refused)."""


@dataclass
class WaczResult:
    file: str
    captures: int = 0
    fetches: int = 0
    bytes: int = 0
    sha256: str = ""
    missing: list[str] = field(default_factory=list)
    event_id: int | None = None
    filters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _run_wacz(args: list[str]) -> tuple[int, str]:
    """The ``wacz`` command line in-process; ``(exit status, what it printed)``."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            code = wacz_main(args)
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    return int(code or 0), out.getvalue()


def validate_wacz(path: Path) -> tuple[bool, str]:
    """``wacz validate -f path``: ``(valid, what the validator said)``."""
    code, said = _run_wacz(["validate", "-f", str(path)])
    return code == 0, said.strip()


@dataclass
class Captures:
    """The WARC files the (selected) fetches name, and the pages a replay should list."""

    files: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    pages: list[dict[str, str]] = field(default_factory=list)
    fetches: int = 0


def find_captures(archive: Archive, work: int | None = None, since: datetime | None = None) -> Captures:
    """The distinct WARC files of the (selected) fetches; each successful fetch's final URL is a page."""
    stmt = (select(Fetch.warc_path, Fetch.final_url, Fetch.source, Fetch.status_code, Document.title)
            .join(Document, Document.id == Fetch.document_id, isouter=True)
            .where(Fetch.warc_path.is_not(None)).order_by(Fetch.id))
    if work is not None:
        stmt = stmt.where(Document.work_id == work)
    if since is not None:
        stmt = stmt.where(Fetch.fetched_at >= since)
    home = Path(archive.home).resolve()
    found = Captures()
    seen: set[str] = set()
    urls: set[str] = set()
    with archive.reading() as session:
        for rel, final_url, source, status, title in session.execute(stmt):
            found.fetches += 1
            url = final_url or source
            if rel not in seen:
                seen.add(rel)
                path = (home / rel).resolve()
                if not path.is_relative_to(home) or not path.is_file():
                    found.missing.append(rel)
                    continue
                found.files.append(path)
            if url and status is not None and 200 <= status < 300 and url not in urls:
                urls.add(url)
                found.pages.append({"url": url, "title": title or url})
    return found


def export_wacz(archive: Archive, out: str | os.PathLike[str], work: int | None = None,
                since: datetime | None = None, title: str | None = None) -> WaczResult:
    """Write the WACZ of the (selected) captures to ``out`` (which must not exist), validate and log it."""
    target = Path(out)
    if target.exists():
        raise WaczError(f"{target}: exists; give a new file name")
    filters = {k: v for k, v in {"work": work, "since": events.iso(since) if since else None}.items()
               if v is not None}
    target.parent.mkdir(parents=True, exist_ok=True)
    found = find_captures(archive, work, since)
    missing, fetches = found.missing, found.fetches
    if not found.files:
        raise WaczError("no web captures to export" + (f" ({len(missing)} named but missing)" if missing else ""))
    result = WaczResult(str(target.resolve()), len(found.files), fetches, missing=missing, filters=filters)
    name = title or f"archivist web captures ({Path(archive.home).name})"
    with tempfile.TemporaryDirectory(prefix="wacz-", dir=target.parent) as tmp:
        inputs = []
        for number, path in enumerate(found.files, 1):  # inside the WACZ each WARC is archive/<basename>
            staged = Path(tmp) / f"{number:06d}-{path.name}"
            shutil.copyfile(path, staged)
            inputs.append(str(staged))
        pages = Path(tmp) / "pages.jsonl"
        header = {"format": "json-pages-1.0", "id": "pages", "title": name}
        pages.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in [header, *found.pages]),
                         encoding="utf-8")
        building = Path(tmp) / "out.wacz"
        args = ["create", "-o", str(building), "--title", name, *inputs]
        if found.pages:
            args[1:1] = ["--pages", str(pages)]
        code, said = _run_wacz(args)
        if code != 0 or not building.is_file():
            raise WaczError(f"the wacz package could not pack the captures: {said.strip()[-500:]}")
        valid, said = validate_wacz(building)
        if not valid:
            raise WaczError(f"the WACZ does not validate: {said[-500:]}")
        os.replace(building, target)
    with open(target, "rb") as fh:
        result.sha256 = hashlib.file_digest(fh, "sha256").hexdigest()
    result.bytes = target.stat().st_size
    with transaction(archive.sessions) as session:
        event = events.append_event(session, "exported", "ok", work_id=work, detail={
            "format": "wacz", "file": result.file, "sha256": result.sha256, "bytes": result.bytes,
            "captures": result.captures, "fetches": fetches, "missing": missing, "filters": filters,
        })
        result.event_id = event.id
    return result
