"""runs: how many items a run was given; ``sources`` is what it was asked to ingest

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 22:10:00

A run kept the expanded list of its items in ``runs.sources`` and in its
``run-started`` event: every file of a folder, 20 MB a run for a folder of
500,000 files, written twice and read back by every listing of runs. Each
item is recorded all the same, with the run's id, in its fetch row (or in
the run's failures and warnings). A run now keeps what it was asked for (the
folders, files and URLs given, as given) and the number of items they
expanded to (``runs.items``). Older runs keep their lists; their ``items``
is the length of the list.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('runs', sa.Column('items', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE runs SET items = json_array_length(sources::json)")
    else:
        op.execute("UPDATE runs SET items = json_array_length(sources)")


def downgrade() -> None:
    with op.batch_alter_table('runs') as batch:
        batch.drop_column('items')
