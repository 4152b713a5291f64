"""index fetches(source, etag) for the unchanged-file lookup; drop the index on source alone

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 04:00:00

A run asks, for each large file, whether an earlier fetch of that file had
the status it has now (``Archive.archived_file``: ``WHERE source = ? AND
etag = ?``). Every run adds a fetch row per file, so with the index on
``source`` alone that lookup read every earlier fetch of the file: 94 µs
with one, 735 µs with 5,000 (an hourly schedule for seven months), more
than reading the file it was meant to spare. With ``(source, etag)`` it is
one probe however many runs there were.

``ix_fetches_source`` goes: ``ix_fetches_source_id`` (0002) and the new
index both begin with ``source`` and serve every query it served, so each
fetch row still costs the same number of index writes.
"""
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_fetches_source_etag', 'fetches', ['source', 'etag'], unique=False)
    op.drop_index('ix_fetches_source', table_name='fetches')


def downgrade() -> None:
    op.create_index('ix_fetches_source', 'fetches', ['source'], unique=False)
    op.drop_index('ix_fetches_source_etag', table_name='fetches')
