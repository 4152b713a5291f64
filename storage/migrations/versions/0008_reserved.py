"""(no schema change) the revision reserved for the throughput work of issue 19

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:20:00

The batched store path (group commits, bulk inserts) needed no new table or
column; this revision only keeps the chain 0007 -> 0008 -> 0009 unbroken.
"""


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
