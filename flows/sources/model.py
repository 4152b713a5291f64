"""Turning what the user names (files, folders, URLs) into a list of inputs."""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flows.errors import SourceError

log = logging.getLogger(__name__)

MANIFEST = "manifest.toml"


@dataclass(frozen=True)
class SourceItem:
    """One thing to fetch: a file path or an http(s) URL, with manifest facts if any."""

    location: str
    kind: str  # "file" or "url"
    manifest: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


def is_url(text: str) -> bool:
    return urlsplit(text).scheme.lower() in ("http", "https")


def expand(sources: list[str]) -> list[SourceItem]:
    """Files as given, folders recursively (sorted), URLs as given; duplicates dropped.

    A folder that holds a ``manifest.toml`` with ``[[document]]`` entries
    contributes exactly the files it lists (so scripts and READMEs beside the
    documents are not archived), each with its manifest entry. Other folders
    contribute every regular file except hidden ones. A source that does not
    exist raises :class:`SourceError` before anything is fetched.
    """
    items: list[SourceItem] = []
    for source in sources:
        if is_url(source):
            items.append(SourceItem(source, "url"))
            continue
        if "://" in source:
            raise SourceError(f"{source}: only http and https URLs are fetched")
        path = Path(source)
        if path.is_file():
            items.append(SourceItem(str(path), "file", _manifest_entry(path)))
        elif path.is_dir():
            items.extend(_expand_folder(path))
        else:
            raise SourceError(f"{source}: no such file, folder or http(s) URL")
    seen: set[str] = set()
    unique = []
    for item in items:
        key = item.location if item.kind == "url" else str(Path(item.location).resolve())
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def read_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """``{file name: entry}`` from a folder's manifest, or ``{}`` when there is none."""
    path = folder / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: not a valid manifest: {exc}") from exc
    entries = {}
    for entry in data.get("document", []):
        name = entry.get("file")
        if not name:
            raise SourceError(f"{path}: a [[document]] entry has no 'file'")
        entries[name] = dict(entry)
    return entries


def _manifest_entry(path: Path) -> dict[str, Any]:
    entries = read_manifest(path.parent)
    return entries.get(path.name, {})


def _expand_folder(folder: Path) -> list[SourceItem]:
    manifest = read_manifest(folder)
    if manifest:
        items = []
        for name, entry in manifest.items():
            file = folder / name
            if not file.is_file():
                raise SourceError(f"{folder / MANIFEST}: lists {name}, which is not there")
            items.append(SourceItem(str(file), "file", entry))
        return items
    items = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        items.append(SourceItem(str(path), "file"))
    return items
