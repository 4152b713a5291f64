"""index fetches(source, id) for the latest-fetch-of-a-URL lookup

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 06:00:00

``Archive.last_validators`` asks, before every conditional GET, for the
newest fetch of one URL (``WHERE source = ? ORDER BY id DESC LIMIT 1``);
with this index that is one index probe instead of a scan of every fetch of
that source.
"""
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_fetches_source_id', 'fetches', ['source', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_fetches_source_id', table_name='fetches')
