"""citation graph: indexes of title words and citation URL keys (document_title_words, citation_keys);
work_keys indexed by (key, document_id)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 15:20:00

Linking a document scanned every stored title and every citation's title and
URLs (``LIKE``), linear in the archive per document. These two tables hold
the words of each title key and each citation URL's key, so the look-ups of
``storage.citations.match_index`` are indexed. Existing documents and
citations are indexed here, from the rows as they are.

``work_keys``' index on ``key`` becomes one on ``(key, document_id)``: the
candidates stored after a grouping prematch's snapshot
(``storage.works.prematch``) are then one index range per key.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'document_title_words',
        sa.Column('document_id', sa.Integer(), sa.ForeignKey('documents.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('word', sa.String(128), primary_key=True),
        sa.Column('longest', sa.Boolean(), nullable=False),
    )
    op.create_index('ix_document_title_words_word', 'document_title_words', ['word'])
    op.create_table(
        'citation_keys',
        sa.Column('citation_id', sa.Integer(), sa.ForeignKey('citations.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('kind', sa.String(8), primary_key=True),
        sa.Column('key', sa.String(255), primary_key=True),
        sa.Column('longest', sa.Boolean(), nullable=False),
    )
    op.create_index('ix_citation_keys_kind_key', 'citation_keys', ['kind', 'key'])
    from storage.citations.match_index import rebuild

    rebuild(op.get_bind())
    op.create_index('ix_work_keys_key_document', 'work_keys', ['key', 'document_id'])
    op.drop_index('ix_work_keys_key', table_name='work_keys')


def downgrade() -> None:
    op.create_index('ix_work_keys_key', 'work_keys', ['key'])
    op.drop_index('ix_work_keys_key_document', table_name='work_keys')
    op.drop_index('ix_citation_keys_kind_key', table_name='citation_keys')
    op.drop_table('citation_keys')
    op.drop_index('ix_document_title_words_word', table_name='document_title_words')
    op.drop_table('document_title_words')
