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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from storage.errors import SchemaOutOfDate, SchemaTooNew, StorageError

if TYPE_CHECKING:
    import sqlite3

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_S = 60


def sqlite_url(home: Path) -> str:
    """The default database URL inside an archive home."""
    return f"sqlite:///{(home / 'archive.sqlite3').resolve()}"


def make_engine(url: str) -> Engine:
    """An engine configured for archivist's transaction discipline."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # Readers (verify, export, queries) must not take the write lock.
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("readonly") else "BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True)


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
            raise SchemaOutOfDate(f"{engine.url}: no archive here yet")
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_CREATE_LOCK_KEY})")
            current = MigrationContext.configure(conn).get_current_revision()
            if current is None:
                if inspect(conn).get_table_names():
                    raise StorageError(f"{engine.url}: database has tables but no archivist schema version")
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
            f"{engine.url}: schema revision {current} is newer than this archivist knows ({head}); upgrade archivist"
        )
    raise SchemaOutOfDate(
        f"{engine.url}: schema is at revision {current}, this archivist needs {head}; "
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
