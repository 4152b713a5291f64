"""timestamp_tokens: RFC 3161 time-stamp tokens over the chain head (``archivist timestamp``)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:10:00

A new table only; existing archives get it empty.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('timestamp_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('tsa_url', sa.Text(), nullable=False),
    sa.Column('head_id', sa.Integer(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('response', sa.LargeBinary(), nullable=False),
    sa.Column('certificates', sa.JSON(), nullable=False),
    sa.Column('gen_time', sa.DateTime(), nullable=True),
    sa.Column('serial_number', sa.String(length=80), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('timestamp_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timestamp_tokens_head_id'), ['head_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_timestamp_tokens_event_id'), ['event_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('timestamp_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timestamp_tokens_event_id'))
        batch_op.drop_index(batch_op.f('ix_timestamp_tokens_head_id'))
    op.drop_table('timestamp_tokens')
