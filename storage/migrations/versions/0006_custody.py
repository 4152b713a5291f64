"""fetches: custody (who collected, why, with what, from where); documents: derivation

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:30:00

``fetches.custody`` holds the chain-of-custody record of each acquisition
(collector, purpose, tool versions, host, time zone; for URLs the peer's
address, the TLS certificate chain and the request as sent);
``documents.derivation`` what the canonical text and record were derived from
and by which tool and version. Rows written before this revision get NULL:
their custody was never recorded.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMNs: nullable, no constraint, so SQLite never rebuilds the tables
    op.add_column('fetches', sa.Column('custody', sa.JSON(), nullable=True))
    op.add_column('documents', sa.Column('derivation', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('documents') as batch:
        batch.drop_column('derivation')
    with op.batch_alter_table('fetches') as batch:
        batch.drop_column('custody')
