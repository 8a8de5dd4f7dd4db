"""announcements (studybot broadcast), and deliveries.ref in the ledger's unique key

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('announcements',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=True),
    sa.Column('created_at', bot.store.types.UTCDateTime(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcements'))
    )
    # Pushes and wrap-ups keep ref 0, so their key is what it was; each broadcast row names its announcement.
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ref', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint('uq_deliveries_subscription_id', type_='unique')
        batch_op.create_unique_constraint(
            op.f('uq_deliveries_subscription_id'), ['subscription_id', 'local_date', 'kind', 'ref']
        )


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE kind = 'broadcast'")
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint('uq_deliveries_subscription_id', type_='unique')
        batch_op.create_unique_constraint(
            op.f('uq_deliveries_subscription_id'), ['subscription_id', 'local_date', 'kind']
        )
        batch_op.drop_column('ref')
    op.drop_table('announcements')
