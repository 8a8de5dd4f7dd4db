"""handled_updates: each platform update handled once across every replica (Telegram webhook mode)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'handled_updates',
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('handled_at', bot.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('platform', 'update_id', name=op.f('pk_handled_updates')),
    )
    with op.batch_alter_table('handled_updates', schema=None) as batch_op:
        batch_op.create_index('ix_handled_updates_handled_at', ['handled_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('handled_updates', schema=None) as batch_op:
        batch_op.drop_index('ix_handled_updates_handled_at')
    op.drop_table('handled_updates')
