"""Turning what the user names (files, folders, URLs) into a list of inputs."""

from __future__ import annotations

import logging
import os
import stat
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from storage.provenance import path_text

from flows.errors import SourceError
from flows.fetching.policy import Credentials, has_userinfo, strip_userinfo

log = logging.getLogger(__name__)

MANIFEST = "manifest.toml"


@dataclass(frozen=True, slots=True)  # slots: a folder of 500,000 files is as many items
class SourceItem:
    """One thing to fetch: a file path or an http(s) URL, with manifest facts if any.

    A URL never carries ``user:password@`` (see :func:`expand`); its
    ``credentials`` name environment variables, read when it is fetched.
    ``custody`` is what the sources file or the command line says of its
    collection (``collector``, ``collector_from``, ``purpose``, ``note``;
    see :mod:`flows.custody`).
    """

    location: str
    kind: str  # "file" or "url"
    manifest: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    credentials: Credentials | None = field(default=None, hash=False, compare=False)
    custody: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


def is_url(text: str) -> bool:
    return urlsplit(text).scheme.lower() in ("http", "https")


def _note(skipped: list[str] | None, text: str) -> None:
    log.warning("%s", text)
    if skipped is not None:
        skipped.append(text)


def expand(sources: list[str], *, follow_links: bool = False, skipped: list[str] | None = None,
           credentials: Credentials | None = None, custody: dict[str, Any] | None = None) -> list[SourceItem]:
    """Files as given, folders recursively (sorted), URLs as given; duplicates dropped.

    A folder that holds a ``manifest.toml`` with ``[[document]]`` entries
    contributes exactly the files it lists (so scripts and READMEs beside the
    documents are not archived), each with its manifest entry; an entry must
    name a file inside that folder (no absolute path, no ``..``, no link
    out of it). Other folders contribute every regular file except hidden
    ones; symbolic links are not followed unless ``follow_links``. What is
    left out (hidden files, links, unreadable folders, credentials dropped
    from a URL) is appended to ``skipped``, one line each. A source that does
    not exist raises :class:`SourceError` before anything is fetched.
    ``credentials`` go with every URL, ``custody`` with every item.
    """
    items: list[SourceItem] = []
    for source in sources:
        if is_url(source):
            if has_userinfo(source):
                source = strip_userinfo(source)
                _note(skipped, f"{source}: the user name and password in the URL were removed and are not used "
                      "(give credentials with a sources file's auth = { env = \"VAR\" })")
            items.append(SourceItem(source, "url", credentials=credentials))
            continue
        if "://" in source:
            raise SourceError(f"{strip_userinfo(source)}: only http and https URLs are fetched")
        path = Path(source)
        if path.is_file():
            items.append(SourceItem(str(path), "file", _manifest_entry(path)))
        elif path.is_dir():
            items.extend(_expand_folder(path, follow_links, skipped))
        else:
            raise SourceError(f"{path_text(source)}: no such file, folder or http(s) URL")
    seen: set[str] = set()
    unique = []
    real = _RealPaths()
    custody = dict(custody) if custody else None  # one copy for every item (read, never changed)
    for item in items:
        key = item.location if item.kind == "url" else real(item.location)
        if key not in seen:
            seen.add(key)
            unique.append(replace(item, custody=custody) if custody else item)
    return unique


class _RealPaths:
    """``str(Path(p).resolve())``, each folder resolved once: a file that is not a link is its real folder
    and its name (one ``lstat``, where resolving the whole path costs one per component)."""

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}

    def __call__(self, location: str) -> str:
        folder, name = os.path.split(os.path.abspath(location))
        real = self._folders.get(folder)
        if real is None:
            real = self._folders[folder] = os.path.realpath(folder)
        path = os.path.join(real, name)
        return os.path.realpath(path) if os.path.islink(path) else path


def recorded_sources(sources: list[str]) -> list[str]:
    """What a run records of the sources it was given: each URL without a user name and password, each
    path made absolute (links not resolved), in the order given."""
    return [strip_userinfo(s) if is_url(s) or "://" in s else path_text(os.path.abspath(s)) for s in sources]


def read_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """``{file name: entry}`` from a folder's manifest, or ``{}`` when there is none.

    Every entry's ``file`` must be a relative path that stays inside
    ``folder`` (raises :class:`SourceError` for ``/etc/passwd``, ``../x``,
    ``/proc/self/environ`` or a link that leads out).
    """
    path = folder / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: not a valid manifest: {exc}") from exc
    entries = {}
    documents = data.get("document", [])
    if not isinstance(documents, list):
        raise SourceError(f"{path}: 'document' must be [[document]] tables")
    for entry in documents:
        name = entry.get("file") if isinstance(entry, dict) else None
        if not name or not isinstance(name, str):
            raise SourceError(f"{path}: a [[document]] entry has no 'file'")
        _confined(folder, name, path)
        entries[name] = dict(entry)
    return entries


def _confined(folder: Path, name: str, manifest: Path) -> None:
    """Refuse a manifest entry that names anything outside ``folder``."""
    if "\x00" in name or PurePosixPath(name).is_absolute() or Path(name).is_absolute() or \
            ".." in PurePosixPath(name).parts or ".." in Path(name).parts:
        raise SourceError(f"{manifest}: entry {name!r} is not a file inside the manifest's folder")
    try:
        (folder / name).resolve().relative_to(folder.resolve())
    except (ValueError, OSError) as exc:
        raise SourceError(f"{manifest}: entry {name!r} leads outside the manifest's folder") from exc


def _manifest_entry(path: Path) -> dict[str, Any]:
    entries = read_manifest(path.parent)
    return entries.get(path.name, {})


def is_archive_home(folder: Path) -> bool:
    """Whether ``folder`` is an archivist home (its database beside its blob store)."""
    return (folder / "archive.sqlite3").is_file() and (folder / "blobs").is_dir()


def _walk(folder: Path, follow_links: bool, skipped: list[str] | None) -> list[str]:
    """Regular files under ``folder`` (sorted, as :class:`Path` sorts them), hidden ones and links left out
    and noted; each file's path as ``str(Path(root) / name)`` would give it."""
    found: list[str] = []

    def unreadable(err: OSError) -> None:
        _note(skipped, f"{path_text(str(err.filename))}: skipped, cannot be read ({err.strerror or err})")

    if is_archive_home(folder):
        _note(skipped, f"{path_text(str(folder))}: skipped, an archivist archive (its own files are never ingested)")
        return found
    for root, dirs, files in os.walk(folder, onerror=unreadable, followlinks=follow_links):
        base = Path(root)
        prefix = "" if str(base) == "." else str(base)
        for name in sorted(dirs):
            if is_archive_home(base / name):
                _note(skipped, f"{path_text(str(base / name))}: skipped, an archivist archive "
                      "(its own files are never ingested)")
                dirs.remove(name)
            elif name.startswith("."):
                _note(skipped, f"{path_text(str(base / name))}: skipped, hidden folder")
                dirs.remove(name)
            elif (base / name).is_symlink() and not follow_links:
                _note(skipped, f"{path_text(str(base / name))}: skipped, a symbolic link (not followed)")
        for name in sorted(files):
            path = os.path.join(prefix, name)
            if name.startswith("."):
                _note(skipped, f"{path_text(path)}: skipped, hidden file")
                continue
            kind = _kind(path, follow_links)
            if kind == "link":
                _note(skipped, f"{path_text(path)}: skipped, a symbolic link (not followed)")
            elif kind == "file":
                found.append(path)
            else:
                _note(skipped, f"{path_text(path)}: skipped, not a regular file")
    # in the order of paths (by component, as Path sorts them), without a Path a file: a folder may hold 500,000
    return sorted(found, key=lambda p: p.split(os.sep))


def _kind(path: str, follow_links: bool) -> str:
    """``file`` (regular, or a link to one when ``follow_links``), ``link`` (not followed) or ``other``,
    from one ``lstat`` (two for a followed link)."""
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            if not follow_links:
                return "link"
            st = os.stat(path)
    except OSError:
        return "other"
    return "file" if stat.S_ISREG(st.st_mode) else "other"


def _expand_folder(folder: Path, follow_links: bool = False, skipped: list[str] | None = None) -> list[SourceItem]:
    manifest = read_manifest(folder)
    if manifest:
        items = []
        for name, entry in manifest.items():
            file = folder / name
            if not file.is_file():
                raise SourceError(f"{folder / MANIFEST}: lists {name}, which is not there")
            items.append(SourceItem(str(file), "file", entry))
        return items
    return [SourceItem(path, "file") for path in _walk(folder, follow_links, skipped)]
