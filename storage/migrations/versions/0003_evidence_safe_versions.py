"""documents: relation_reason, differences and file_date (evidence-safe versions)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:00:00

A version label is evidence: ``relation_reason`` says why a document is a
rendition or revision of its related document ("same words", "edited: N
spans", "curator: manifest"), ``differences`` holds the word spans in which
it differs from that document, and ``file_date`` keeps the date the file was
made (a PDF's /CreationDate) apart from the document's own ``date``.
Existing rows get NULLs; ``archivist regroup`` fills the first two.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('documents', sa.Column('relation_reason', sa.String(length=200), nullable=True))
    op.add_column('documents', sa.Column('differences', sa.JSON(), nullable=True))
    op.add_column('documents', sa.Column('file_date', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('documents') as batch:
        batch.drop_column('file_date')
        batch.drop_column('differences')
        batch.drop_column('relation_reason')
