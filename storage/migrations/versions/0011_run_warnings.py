"""runs: the warnings of each run (what it left out or repaired: skipped files, links, fallbacks)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 20:20:00

A run's warnings were printed and shown in its Prefect report, but only its
failures were kept: years later the record could not say which files a run
skipped. They are kept now, beside the failures, and in the run-finished
event. Runs recorded before this have an empty list (their warnings were
not kept).
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('runs', sa.Column('warnings', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('runs') as batch:
        batch.drop_column('warnings')
