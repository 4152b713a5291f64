"""Engines, sessions and the schema version check.

SQLite is the embedded default: WAL journal so readers never block the
writer, a busy timeout so concurrent runs wait instead of failing, and
``BEGIN IMMEDIATE`` for every write transaction (:func:`transaction`) so two
writers serialize at the start of a transaction rather than failing half-way;
read sessions (:func:`read_session`) begin with a plain ``BEGIN`` and never
take the write lock. PostgreSQL needs none of that; writers serialize on the
chain-head row (``storage.events``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from storage.errors import ArchiveMissing, ArchiveUnavailable, SchemaOutOfDate, SchemaTooNew, StorageError

if TYPE_CHECKING:
    import sqlite3

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_S = 60


def sqlite_url(home: Path) -> str:
    """The default database URL inside an archive home."""
    return f"sqlite:///{(home / 'archive.sqlite3').resolve()}"


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (None for other databases and in-memory SQLite)."""
    if not url.startswith("sqlite"):
        return None
    try:
        database = make_url(url).database
    except ArgumentError:
        return None
    if not database or database == ":memory:":
        return None
    return Path(database[len("file:"):] if database.startswith("file:") else database)


def _writable(path: Path) -> bool:
    """Whether ``path`` may be written: permitted *and* with a write bit set (root ignores permissions,
    but an archive its owner made read-only with ``chmod -R a-w`` is treated as read-only all the same)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & 0o222) and os.access(path, os.W_OK)


def _sqlite_open_url(url: str, path: Path, mode: str) -> str:
    """A URI-form SQLite URL for ``mode``: ``create`` (plain), ``write`` (rw: never creates the file)
    or ``read`` (rw + query_only when writable; else ro + immutable, which never creates -wal/-shm)."""
    if mode == "create":
        return url
    immutable = mode == "read" and not (_writable(path) and _writable(path.parent))
    params = "mode=ro&immutable=1" if immutable else "mode=rw"
    return f"sqlite:///file:{quote(str(path.resolve()))}?{params}&uri=true"


def make_engine(url: str, mode: str = "create") -> Engine:
    """An engine configured for archivist's transaction discipline.

    ``mode`` is ``create`` (SQLite creates a missing file), ``write`` (the
    database must exist) or ``read`` (queries only: SQLite ``query_only``, opened
    ``immutable`` when the files are not writable; PostgreSQL read-only
    transactions). A malformed URL raises :class:`ArchiveUnavailable`.
    """
    try:
        if url.startswith("sqlite"):
            return _sqlite_engine(url, mode)
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        args = {"options": "-c default_transaction_read_only=on"} if mode == "read" else {}
        return create_engine(url, pool_pre_ping=True, connect_args=args)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        raise ArchiveUnavailable(f"{_safe(url)}: not a usable database URL ({exc})") from exc


def display_url(engine: Engine) -> str:
    """The engine's URL for messages: password hidden, SQLite's ``file:...?mode=`` form shown as the plain path."""
    url = engine.url.render_as_string(hide_password=True)
    path = sqlite_path(url)
    if path is not None and url.startswith("sqlite:///file:"):
        return f"sqlite:///{unquote(str(path).split('?', 1)[0])}"
    return url


def _safe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "the database URL"


def _sqlite_engine(url: str, mode: str) -> Engine:
    path = sqlite_path(url)
    if path is not None and mode != "create":
        url = _sqlite_open_url(url, path, mode)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        if mode != "read":  # switching the journal mode is a write
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")
        if mode == "read":
            cur.execute("PRAGMA query_only=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Readers (verify, export, queries) must not take the write lock.
        readonly = mode == "read" or conn.get_execution_options().get("readonly")
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def alembic_config(engine: Engine) -> Config:
    """The Alembic configuration for ``engine``: archivist's migrations, the engine's URL."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg



def head_revision() -> str:
    """The schema revision this code expects."""
    script = ScriptDirectory.from_config(alembic_config(create_engine("sqlite://")))
    return script.get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None for an empty database); a read, without the write lock."""
    with engine.execution_options(readonly=True).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` with Alembic."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


_CREATE_LOCK_KEY = 0x61726368  # "arch": PostgreSQL advisory lock taken while creating the schema


def ensure_schema(engine: Engine, create: bool = True) -> None:
    """Create the schema in an empty database; refuse one that is behind or ahead.

    Creation happens inside one locked transaction (SQLite ``BEGIN
    IMMEDIATE``, a PostgreSQL advisory lock), re-checking the revision once
    the lock is held, so several processes opening a new archive at once
    create it exactly once.
    """
    current = current_revision(engine)
    head = head_revision()
    if current is None:
        if not create:
            raise ArchiveMissing(f"{display_url(engine)}: no archive here "
                                 "(`archivist init` or `archivist ingest` creates one)")
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_CREATE_LOCK_KEY})")
            current = MigrationContext.configure(conn).get_current_revision()
            if current is None:
                if inspect(conn).get_table_names():
                    raise StorageError(f"{display_url(engine)}: database has tables but no archivist schema version")
                log.info("creating archive schema at %s", engine.url)
                cfg = alembic_config(engine)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                return
    if current == head:
        return
    script = ScriptDirectory.from_config(alembic_config(engine))
    known = {rev.revision for rev in script.walk_revisions()}
    if current not in known:
        raise SchemaTooNew(
            f"{display_url(engine)}: schema revision {current} is newer than this archivist knows ({head}); upgrade archivist"
        )
    raise SchemaOutOfDate(
        f"{display_url(engine)}: schema is at revision {current}, this archivist needs {head}; "
        "run `archivist db upgrade` (back up the archive first)"
    )


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        with session.begin():
            yield session
    finally:
        session.close()


@contextmanager
def read_session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for queries only: never committed, closed (rolled back) at the end.

    Give it a factory bound with ``execution_options(readonly=True)`` (see
    ``Archive.readers``): on SQLite its transactions start with a plain
    ``BEGIN``, so readers never take or wait for the write lock.
    """
    session = factory()
    try:
        yield session
    finally:
        session.close()
