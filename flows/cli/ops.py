"""archivist serve, sources and db (operations commands).

``db`` never opens the archive through :meth:`Archive.open` (which refuses a
schema that is behind): it talks to the database directly.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from storage.blobs import PRIVATE_FILE, make_private_dir

from flows.cli.context import Context, echo_json, json_option
from flows.errors import FlowError
from flows.settings import apply_prefect_defaults

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from flows.sources.file import SourcesFile


def _load_sources(path: str | None) -> SourcesFile:
    from flows.sources.file import load

    try:
        return load(path)
    except FlowError as exc:
        raise click.ClickException(str(exc)) from exc


# -- sources ------------------------------------------------------------------


@click.command("sources")
@click.argument("file", required=False, metavar="[SOURCES]")
@json_option()
def sources_command(file: str | None, as_json: bool) -> None:
    """Check a sources file (default $ARCHIVIST_SOURCES or ./sources.toml) and list its sources."""
    sf = _load_sources(file)
    rows = [{"name": s.name, "schedule": s.schedule_text, "cron": s.cron, "interval_seconds": s.interval_seconds,
             "timezone": s.timezone, "enabled": s.enabled, "paths": list(s.paths), "urls": list(s.urls),
             "url_list": s.url_list, "max_bytes": s.max_bytes, "max_documents": s.max_documents}
            for s in sf.sources.values()]
    if as_json:
        echo_json({"file": str(sf.path), "dask_address": sf.cluster_address(), "fixity_cron": sf.fixity_cron,
                   "sources": rows})
        return
    click.echo(f"{sf.path}: {len(rows)} source(s), valid")
    for r in rows:
        what = len(r["paths"]) + len(r["urls"])
        click.echo(f"  {r['name']:<20} {r['schedule']:<24} {what} location(s)"
                   + (f" + URL list {r['url_list']}" if r["url_list"] else ""))
    click.echo(f"  fixity check: {('cron ' + sf.fixity_cron) if sf.fixity_cron else 'off'}")
    if sf.cluster_address():
        click.echo(f"  Dask scheduler: {sf.cluster_address()}")


# -- serve --------------------------------------------------------------------


@click.command()
@click.argument("file", required=False, metavar="[SOURCES]")
@click.option("--limit", type=int, default=None, help="At most this many flow runs at once.")
@click.pass_obj
def serve(obj: Context, file: str | None, limit: int | None) -> None:
    """Serve one Prefect deployment per source (scheduled ones on their schedule) and the fixity check.

    SOURCES is the sources file (default $ARCHIVIST_SOURCES or ./sources.toml).
    Runs until interrupted; schedules stay active when it stops. Manual runs:
    `prefect deployment run 'ingest/NAME'` or the Prefect UI.
    """
    sf = _load_sources(file)
    archive = obj.archive()  # create or check the archive (and its schema) before serving
    home = str(archive.home.resolve())
    apply_prefect_defaults()
    from flows.prefect.deployments import build_deployments, parameter_db_url
    from flows.prefect.deployments import serve as serve_deployments

    db_url = parameter_db_url(archive.engine.url.render_as_string(hide_password=False))
    try:
        deployments = build_deployments(sf, home, db_url)
    except FlowError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"archivist serve: archive {archive.home} ({archive.url}), sources {sf.path}")
    for source in sf.sources.values():
        click.echo(f"  ingest/{source.name}: {source.schedule_text if source.scheduled else 'manual runs only'}")
    if any(d.full_name == "fixity/archivist-fixity" for d in deployments):
        click.echo(f"  fixity/archivist-fixity: cron {sf.fixity_cron}")
    if sf.cluster_address():
        click.echo(f"  extraction on the Dask cluster at {sf.cluster_address()}")
    click.echo("serving; stop with Ctrl-C (schedules stay active)", nl=True)
    archive.close()
    serve_deployments(deployments, limit=limit)


# -- init ---------------------------------------------------------------------


@click.command()
@json_option()
@click.pass_obj
def init(obj: Context, as_json: bool) -> None:
    """Create an empty archive in the home (query and integrity commands never create one)."""
    archive = obj.archive(create=True)
    counts = archive.counts()
    if as_json:
        echo_json({"home": str(archive.home.resolve()), "database": archive.url, "documents": counts["documents"]})
        return
    state = f"{counts['documents']} documents" if counts["documents"] else "empty"
    click.echo(f"archive at {archive.home} ({archive.url}): ready, {state}")


# -- db -----------------------------------------------------------------------


@click.group()
def db() -> None:
    """Schema version of the archive database (Alembic migrations)."""


def _engine(obj: Context, mode: str = "create") -> tuple[Path, Engine]:
    """The database engine of the home; ``read`` opens an existing database read-only (an in-memory one when
    the home has no database file yet, so nothing is created), ``create`` creates the file 0600."""
    from storage.archive import resolve_db_url, resolve_home
    from storage.database import make_engine, sqlite_path

    home = resolve_home(obj.home)
    url = resolve_db_url(home, obj.db_url)
    path = sqlite_path(url)
    if url.startswith("sqlite") and not home.is_dir():
        raise click.ClickException(f"{home}: no archive here (give --home DIR)")
    if path is not None and not path.exists():
        if mode == "read":
            return home, make_engine("sqlite://")
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    return home, make_engine(url, mode)


def _shown_url(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


def _state(current: str | None, head: str, known: set[str]) -> str:
    if current is None:
        return "empty"
    if current == head:
        return "up to date"
    return "behind" if current in known else "ahead"


def _known_revisions() -> list[str]:
    """Every revision, oldest first."""
    from alembic.script import ScriptDirectory

    from storage.database import alembic_config, make_engine

    script = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


@db.command()
@json_option()
@click.pass_obj
def current(obj: Context, as_json: bool) -> None:
    """The schema revision of the database and the one this archivist needs."""
    from storage.database import current_revision, head_revision

    _home, engine = _engine(obj, "read")
    try:
        rev, head, known = current_revision(engine), head_revision(), _known_revisions()
    finally:
        engine.dispose()
    state = _state(rev, head, set(known))
    from storage.archive import resolve_db_url, resolve_home

    shown = _shown_url(resolve_db_url(resolve_home(obj.home), obj.db_url))
    if as_json:
        echo_json({"database": shown, "current": rev, "head": head, "state": state, "revisions": known})
        return
    click.echo(f"database: {shown}")
    click.echo(f"current:  {rev or '(none)'}")
    click.echo(f"head:     {head}")
    click.echo(f"state:    {state}" + ("; run `archivist db upgrade`" if state == "behind" else ""))


@db.command()
@click.option("--revision", default="head", show_default=True, help="Upgrade to this revision.")
@click.option("--no-backup", is_flag=True, help="SQLite: do not copy the database file before upgrading.")
@json_option()
@click.pass_obj
def upgrade(obj: Context, revision: str, no_backup: bool, as_json: bool) -> None:
    """Bring the database schema up to date (SQLite: a backup copy is made first)."""
    from sqlalchemy import inspect

    from storage.database import current_revision, head_revision
    from storage.database import upgrade as run_upgrade

    home, engine = _engine(obj)
    try:
        before = current_revision(engine)
        known = _known_revisions()
        if before is not None and before not in known:
            raise click.ClickException(f"schema revision {before} is newer than this archivist knows "
                                       f"({head_revision()}); upgrade archivist")
        if before is None and inspect(engine).get_table_names():
            raise click.ClickException(f"{engine.url}: database has tables but no archivist schema version")
        backup = None
        target = head_revision() if revision == "head" else revision
        if before is not None and before != target and engine.url.get_backend_name() == "sqlite" and not no_backup:
            backup = _backup_sqlite(Path(engine.url.database), home, before)
        run_upgrade(engine, revision)
        after = current_revision(engine)
    finally:
        engine.dispose()
    result = {"database": engine.url.render_as_string(hide_password=True), "from": before, "to": after,
              "backup": str(backup) if backup else None}
    if as_json:
        echo_json(result)
        return
    if before == after:
        click.echo(f"schema already at {after}")
    else:
        click.echo(f"schema upgraded from {before or '(empty)'} to {after}")
    if backup:
        click.echo(f"backup of the previous database: {backup}")


def _backup_sqlite(path: Path, home: Path, revision: str) -> Path:
    """A consistent copy (SQLite's online backup) in ``HOME/backups/``."""
    folder = make_private_dir(home / "backups")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"{path.stem}-{revision}-{stamp}.sqlite3"
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))  # private before any byte
    src = sqlite3.connect(path)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


COMMANDS = [sources_command, serve, init, db]
