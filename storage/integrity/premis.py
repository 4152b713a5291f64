"""The custody record of a bag as PREMIS 3 XML: objects (the originals), events, agents.

PREMIS (the Library of Congress' preservation metadata standard, what
Archivematica writes) is what archives and investigators' tools read for "what
happened to this item, when, by whom". The record is built from what the bag
itself holds (``data/records/*.json`` and ``data/events.jsonl``), so it says
nothing the bag cannot back, and is written with lxml.

Mapping:

* each exported original is a PREMIS ``object`` (``xsi:type="premis:file"``):
  identifiers ``sha256`` and ``archivist-document-id``, SHA-256 fixity, size,
  media type, and the source as ``originalName``;
* each archivist event is a PREMIS ``event``: identifier
  ``archivist-event`` = the event id, ``eventType`` from :data:`EVENT_TYPES`
  (the LoC event-type vocabulary), the event's time, its kind and canonical
  detail as ``eventDetail``, its outcome, the software agent that wrote it
  (``executing program``), the collector named in its custody record
  (``collector``), and the original it concerns (``sha256``); the event's hash
  is kept as an ``eventOutcomeDetailNote`` so a reader can match it to
  ``events.jsonl``;
* agents: archivist (software, with its version), the other software the
  events name in ``tool_versions``, and every collector the records' custody
  names (person).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import bagit
from lxml import etree

from storage import events
from storage.integrity import bag_verifier
from storage.integrity.anchor import export_anchors
from storage.integrity.timestamps import export_tokens

if TYPE_CHECKING:
    from storage.archive import Archive

PREMIS_NS = "http://www.loc.gov/premis/v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = "http://www.loc.gov/premis/v3 https://www.loc.gov/standards/premis/premis.xsd"
EVENT_TYPE_AUTHORITY = "eventType"
EVENT_TYPE_URI = "http://id.loc.gov/vocabulary/preservation/eventType"
# archivist's event kinds -> LoC preservation event types
EVENT_TYPES = {
    "run-started": "ingestion start", "run-finished": "ingestion end", "run-interrupted": "ingestion end",
    "stored": "ingestion", "seen-again": "capture", "not-modified": "capture", "fetch-failed": "capture",
    "re-extracted": "metadata extraction", "grouped": "metadata modification",
    "regrouped": "metadata modification", "verified": "fixity check", "repaired": "recovery",
    "anchored": "digital signature generation", "timestamped": "digital signature generation",
    "exported": "information package creation", "accessed": "dissemination", "transferred": "transfer",
    "derived": "creation",
}


def _el(parent: etree._Element, name: str, text: Any = None, **attrs: str) -> etree._Element:
    node = etree.SubElement(parent, f"{{{PREMIS_NS}}}{name}", **attrs)
    if text is not None:
        node.text = str(text)
    return node


def _identifier(parent: etree._Element, prefix: str, kind: str, value: Any) -> None:
    node = _el(parent, prefix + "Identifier")
    _el(node, prefix + "IdentifierType", kind)
    _el(node, prefix + "IdentifierValue", value)


def _collector_of(value: Mapping[str, Any] | None) -> str | None:
    """The collector a custody record (or an event detail holding one) names."""
    if not isinstance(value, Mapping):
        return None
    custody = value.get("custody") if isinstance(value.get("custody"), Mapping) else value
    name = custody.get("collector")
    return str(name) if name else None


def _object(root: etree._Element, record: Mapping[str, Any]) -> None:
    obj = _el(root, "object", **{f"{{{XSI_NS}}}type": "premis:file"})
    _identifier(obj, "object", "sha256", record["sha256"])
    _identifier(obj, "object", "archivist-document-id", record["id"])
    chars = _el(obj, "objectCharacteristics")
    _el(chars, "compositionLevel", 0)
    fixity = _el(chars, "fixity")
    _el(fixity, "messageDigestAlgorithm", "SHA-256")
    _el(fixity, "messageDigest", record["sha256"])
    _el(fixity, "messageDigestOriginator", "archivist")
    if record.get("size") is not None:
        _el(chars, "size", record["size"])
    fmt = _el(_el(chars, "format"), "formatDesignation")
    _el(fmt, "formatName", record.get("media_type") or record.get("format") or "application/octet-stream")
    if record.get("source"):
        _el(obj, "originalName", record["source"])


def _custody_text(custody: Mapping[str, Any]) -> str:
    """One line of what a custody record says (collector, purpose, note, host, time zone, tools, network)."""
    zone = custody.get("time_zone") or {}
    network = custody.get("network") or {}
    parts = [f"collector {custody.get('collector')}", f"purpose {custody.get('purpose')}",
             f"note {custody.get('note')}", f"host {custody.get('host')}",
             f"time zone {zone.get('name') or zone.get('abbreviation')} ({zone.get('utc_offset')})",
             f"tools {events.canonical_json(custody.get('tools') or {})}"]
    if network:
        parts.append(f"peer {network.get('peer_ip')}; user agent {network.get('user_agent')}")
    return "; ".join(parts)


def _event(root: etree._Element, event: Mapping[str, Any], sha_of: Mapping[int, str],
           custody_of_run: Mapping[tuple[int | None, int | None], Mapping[str, Any]]) -> None:
    custody = custody_of_run.get((event.get("document_id"), event.get("run_id")))
    collector = _collector_of(event.get("detail")) or _collector_of(custody)
    node = _el(root, "event")
    _identifier(node, "event", "archivist-event", event["id"])
    _el(node, "eventType", EVENT_TYPES.get(event["kind"], event["kind"]),
        authority=EVENT_TYPE_AUTHORITY, authorityURI=EVENT_TYPE_URI)
    _el(node, "eventDateTime", event["created_at"])
    detail = _el(node, "eventDetailInformation")
    _el(detail, "eventDetail", f"archivist {event['kind']}: {events.canonical_json(event.get('detail') or {})}")
    if custody and event["kind"] in ("stored", "seen-again", "not-modified"):
        _el(_el(node, "eventDetailInformation"), "eventDetail", "custody: " + _custody_text(custody))
    outcome = _el(node, "eventOutcomeInformation")
    _el(outcome, "eventOutcome", event["outcome"])
    _el(_el(outcome, "eventOutcomeDetail"), "eventOutcomeDetailNote",
        f"archivist event hash {event.get('hash')} (previous {event.get('prev_hash')})")
    versions = event.get("tool_versions") or {}
    agent = _el(node, "linkingAgentIdentifier")
    _el(agent, "linkingAgentIdentifierType", "software")
    _el(agent, "linkingAgentIdentifierValue", f"archivist {versions.get('archivist', 'unknown')}")
    _el(agent, "linkingAgentRole", "executing program")
    if collector:
        person = _el(node, "linkingAgentIdentifier")
        _el(person, "linkingAgentIdentifierType", "collector")
        _el(person, "linkingAgentIdentifierValue", collector)
        _el(person, "linkingAgentRole", "collector")
    sha = sha_of.get(event.get("document_id"))  # type: ignore[arg-type]
    if sha:
        link = _el(node, "linkingObjectIdentifier")
        _el(link, "linkingObjectIdentifierType", "sha256")
        _el(link, "linkingObjectIdentifierValue", sha)
        _el(link, "linkingObjectRole", "source")


def _agent(root: etree._Element, kind: str, value: str, name: str, agent_type: str,
           version: str | None = None) -> None:
    node = _el(root, "agent")
    _identifier(node, "agent", kind, value)
    _el(node, "agentName", name)
    _el(node, "agentType", agent_type)
    if version:
        _el(node, "agentVersion", version)


def premis_xml(records: Iterable[Mapping[str, Any]], event_lines: Iterable[Mapping[str, Any]]) -> bytes:
    """PREMIS 3 XML (UTF-8) for the bag's ``records`` and events (see the module docstring for the mapping)."""
    root = etree.Element(f"{{{PREMIS_NS}}}premis", nsmap={"premis": PREMIS_NS, "xsi": XSI_NS}, version="3.0")
    root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
    records = sorted(records, key=lambda r: int(r["id"]))
    sha_of = {int(r["id"]): str(r["sha256"]) for r in records}
    custody_of_run: dict[tuple[int | None, int | None], Mapping[str, Any]] = {}
    collectors: set[str] = set()
    for record in records:
        _object(root, record)
        for fetch in record.get("fetches") or []:
            custody = fetch.get("custody")
            name = _collector_of(custody)
            if name:
                collectors.add(name)
            if isinstance(custody, Mapping):
                custody_of_run.setdefault((int(record["id"]), fetch.get("run_id")), custody)
    software: dict[str, set[str]] = {}
    for event in event_lines:
        _event(root, event, sha_of, custody_of_run)
        for tool, version in (event.get("tool_versions") or {}).items():
            software.setdefault(tool, set()).add(str(version))
        name = _collector_of(event.get("detail"))
        if name:
            collectors.add(name)
    for version in sorted(software.pop("archivist", {"unknown"})):
        _agent(root, "software", f"archivist {version}", "archivist", "software", version)
    for tool in sorted(software):
        for version in sorted(software[tool]):
            _agent(root, "software", f"{tool} {version}", tool, "software", version)
    for name in sorted(collectors):
        _agent(root, "collector", name, name, "person")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# -- into a bag ------------------------------------------------------------

def _json_lines(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def write_bag_proof(archive: Archive, payload: Path, head_id: int) -> dict[str, int]:
    """Into a bag's payload folder (before ``make_bag``): ``custody/premis.xml`` (from the ``records/`` and
    ``events.jsonl`` already written there), ``anchors/`` and ``timestamps/`` (those over events 1..``head_id``).
    Returns the counts."""
    records = (json.loads(p.read_text(encoding="utf-8")) for p in sorted((payload / "records").glob("*.json")))
    xml = premis_xml(records, _json_lines(payload / "events.jsonl"))
    (payload / "custody").mkdir()
    (payload / "custody" / "premis.xml").write_bytes(xml)
    return {"anchors": export_anchors(archive, payload / "anchors", head_id),
            "tokens": export_tokens(archive, payload / "timestamps", head_id)}


def add_verifier(bag: bagit.Bag) -> None:
    """Put ``verify_bag.py`` (:mod:`storage.integrity.bag_verifier`) into a made bag as a tag file."""
    bag_verifier.install(Path(bag.path))
    bag.save(manifests=False)  # the tag manifest now lists verify_bag.py too
