"""Chain of custody: who collected each item, why, with what, from where.

Every acquisition (a file read, an HTTP fetch) carries a custody record in
``Provenance.custody``, stored with the fetch row and shown by ``archivist
show`` (the Berkeley Protocol's "who collected it, with which tool, from where
and why"):

``collector``
    the configured identity (``--collector``, else the source's ``collector``
    in the sources file, else ``$ARCHIVIST_COLLECTOR``, else the login name);
    ``collector_from`` says which of these it was.
``purpose`` / ``note``
    the source's ``purpose`` (sources file) and the run's ``--note``.
``tools``
    archivist's, Python's and the HTTP client's versions (the extractor that
    made the record is added when it is stored: ``extractor``).
``host``, ``time_zone``
    the collecting machine's name and its local time zone (IANA name when
    known, abbreviation and UTC offset).
``network`` (URLs)
    ``peer_ip`` / ``peer_port`` of the server that sent the bytes, its ``tls``
    session (certificate chain as PEM with SHA-256 fingerprints, see
    :mod:`flows.fetching.tls`), the ``request`` as sent (credentials
    ``[redacted]``), the ``user_agent`` and every redirect ``hop``.

:func:`agent` is the same identity for what is not an ingest (an export).
"""

from __future__ import annotations

import getpass
import os
import platform
import socket
import time
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage.events import library_version
from storage.provenance import archivist_version

from flows.settings import Settings, settings

if TYPE_CHECKING:
    from flows.fetching.warc import Exchange

# What a sources file or the command line may say about one item's custody.
GIVEN_KEYS = ("collector", "purpose", "note")


@lru_cache(maxsize=1)
def login_name() -> str:
    """The operating-system user running archivist (``unknown`` when there is none to ask); asked once."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, no $USER (a bare container)
        return "unknown"


@lru_cache(maxsize=8)
def _zone_name(tz: str | None) -> str | None:
    """The IANA name of the zone: ``$TZ`` (``tz``), else where ``/etc/localtime`` points (looked up once)."""
    if tz:
        return tz
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        return None
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else None


def time_zone() -> dict[str, Any]:
    """The host's local time zone: IANA name when known (``$TZ``, ``/etc/localtime``), abbreviation, offset."""
    now = datetime.now().astimezone()
    name = _zone_name(os.environ.get("TZ") or None)
    offset = now.strftime("%z")
    return {"name": name, "abbreviation": now.tzname() or time.tzname[0],
            "utc_offset": f"{offset[:3]}:{offset[3:]}" if offset else "+00:00"}


def _collector(given: Mapping[str, Any], config: Settings) -> tuple[str, str]:
    if given.get("collector"):
        return str(given["collector"]), str(given.get("collector_from") or "given")
    if config.collector:
        return config.collector, "ARCHIVIST_COLLECTOR"
    return login_name(), "login name (set ARCHIVIST_COLLECTOR or --collector)"


def acquisition(given: Mapping[str, Any] | None = None, config: Settings | None = None,
                tools: tuple[str, ...] = ()) -> dict[str, Any]:
    """The custody record of one acquisition: collector, purpose and note, tool versions, host, time zone.

    ``given`` holds what the sources file or the command line said
    (``collector``, ``collector_from``, ``purpose``, ``note``); ``tools``
    names further libraries whose versions matter (``httpx`` for a fetch).
    """
    given = given or {}
    config = config or settings()
    collector, source = _collector(given, config)
    versions = {"archivist": archivist_version(), "python": platform.python_version()}
    versions.update({name: library_version(name) for name in tools})
    return {
        "collector": collector,
        "collector_from": source,
        "purpose": given.get("purpose") or None,
        "note": given.get("note") or None,
        "tools": versions,
        "host": socket.gethostname(),
        "time_zone": time_zone(),
    }


def agent(config: Settings | None = None, collector: str | None = None) -> dict[str, Any]:
    """Who is acting now (an export, serving the web interface): the configured identity and the host."""
    record = acquisition({"collector": collector, "collector_from": "--collector"} if collector else {}, config)
    return {k: record[k] for k in ("collector", "collector_from", "host", "time_zone")}


def network(exchanges: list[Exchange]) -> dict[str, Any]:
    """What the network showed of one fetch: the peer and TLS session of the last hop, the request as sent,
    the user agent, and each redirect hop (URL, status, peer address, certificate fingerprint)."""
    last = exchanges[-1]
    sent = [list(h) for h in last.request_headers]
    user_agent = next((v for k, v in last.request_headers if k.lower() == "user-agent"), None)
    return {
        "peer_ip": last.ip_address,
        "tls": last.tls,
        "certificate_sha256": (last.tls or {}).get("certificate_sha256"),
        "request": {"method": last.method, "url": last.url, "http_version": last.http_version, "headers": sent},
        "user_agent": user_agent,
        "hops": [{"url": ex.url, "status": ex.status, "peer_ip": ex.ip_address,
                  "certificate_sha256": (ex.tls or {}).get("certificate_sha256")} for ex in exchanges],
    }


def given_for(item_custody: Mapping[str, Any] | None, collector: str | None = None,
              note: str | None = None, configured: str | None = None) -> dict[str, Any]:
    """An item's custody as given, with the run's ``--collector`` and ``--note`` over the source's own,
    and the ``configured`` identity (the run's ``$ARCHIVIST_COLLECTOR``) where neither names one."""
    given = {k: v for k, v in (item_custody or {}).items() if v}
    if collector:
        given["collector"] = collector
        given["collector_from"] = "--collector"
    elif configured and not given.get("collector"):
        given["collector"] = configured
        given["collector_from"] = "ARCHIVIST_COLLECTOR"
    if note:
        given["note"] = note
    return given


def custody_lines(custody: Mapping[str, Any] | None, derivation: Mapping[str, Any] | None = None) -> list[str]:
    """``archivist show``'s custody lines: who, why, with what, where from, derived how."""
    if not custody:
        return [f"{'custody':>12}: not recorded (ingested before archivist recorded custody)"]
    zone = custody.get("time_zone") or {}
    tools = ", ".join(f"{k} {v}" for k, v in (custody.get("tools") or {}).items() if v)
    lines = [f"{'collector':>12}: {custody.get('collector')} ({custody.get('collector_from')})"]
    for key in ("purpose", "note", "part_of"):
        if custody.get(key):
            lines.append(f"{key:>12}: {custody[key]}")
    lines.append(f"{'on':>12}: {custody.get('host')}, time zone {zone.get('name') or zone.get('abbreviation')} "
                 f"(UTC{zone.get('utc_offset')})")
    lines.append(f"{'tools':>12}: {tools}")
    extractor = custody.get("extractor") or (derivation or {}).get("tool") or {}
    if extractor.get("extractor"):
        lines.append(f"{'extractor':>12}: {extractor['extractor']} ({extractor.get('library')} "
                     f"{extractor.get('version')})" + (f", OCR {extractor['ocr'].get('engine')} "
                                                       f"{extractor['ocr'].get('version')}" if extractor.get("ocr") else ""))
    net = custody.get("network") or {}
    if net:
        lines.append(f"{'peer':>12}: {net.get('peer_ip')}" + (f", certificate SHA-256 {net['certificate_sha256']}"
                                                             if net.get("certificate_sha256") else ""))
        if net.get("user_agent"):
            lines.append(f"{'user agent':>12}: {net['user_agent']}")
    return lines
