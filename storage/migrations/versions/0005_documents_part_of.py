"""documents: part_of_id (attachments and container members point at the document they were found in)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 11:00:00

An e-mail's attachments and a ZIP's or tar's members are ingested as documents
of their own; ``part_of_id`` names the document that held them. Existing rows
get NULL: they were found on their own.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # a plain ADD COLUMN with an inline REFERENCES: the table is not rebuilt (Alembic cannot ALTER
        # constraints on SQLite, and a batch rebuild would copy every document)
        op.execute("ALTER TABLE documents ADD COLUMN part_of_id INTEGER REFERENCES documents (id)")
    else:
        op.add_column('documents', sa.Column('part_of_id', sa.Integer(), sa.ForeignKey('documents.id'),
                                             nullable=True))
    op.create_index('ix_documents_part_of_id', 'documents', ['part_of_id'])


def downgrade() -> None:
    op.drop_index('ix_documents_part_of_id', table_name='documents')
    with op.batch_alter_table('documents') as batch:
        batch.drop_column('part_of_id')
