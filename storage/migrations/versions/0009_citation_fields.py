"""citations: the labeller's fields (container, publisher, place, volume, issue, pages) and confidence

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 12:30:00

The citation labeller finds more than author, title and date; these columns
keep what it found. One nullable text column per field (not one JSON
column): each is a plain value the CSL-JSON export maps one to one, and a
column can be searched and indexed later without parsing JSON. Existing rows
get NULL fields (they were parsed before the fields were kept) and a
confidence of 1.0 (the meaning they were written with).
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

FIELDS = ('container', 'publisher', 'place', 'volume', 'issue', 'pages')


def upgrade() -> None:
    # plain ADD COLUMNs: on SQLite a batch rebuild would copy every citation
    for name in FIELDS:
        op.add_column('citations', sa.Column(name, sa.Text(), nullable=True))
    op.add_column('citations', sa.Column('confidence', sa.Float(), nullable=False, server_default='1.0'))


def downgrade() -> None:
    with op.batch_alter_table('citations') as batch:
        batch.drop_column('confidence')
        for name in reversed(FIELDS):
            batch.drop_column(name)
