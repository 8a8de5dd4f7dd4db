"""delivery ledger: leases, message kinds (weekly wrap-ups join pushes), post problems

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('post_problem', sa.String(length=32), nullable=True))

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='push', nullable=False))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('lease_until', bot.store.types.UTCDateTime(), nullable=True))
        batch_op.drop_constraint('uq_deliveries_subscription_id', type_='unique')
        batch_op.create_unique_constraint(
            op.f('uq_deliveries_subscription_id'), ['subscription_id', 'local_date', 'kind']
        )

    # Wrap-ups already sent become ledger rows, so that none is sent again; they are dated by when they were
    # claimed (UTC), which is all that is known of them.
    claimed_date = (
        "substr(claimed_at, 1, 10)" if op.get_bind().dialect.name == 'sqlite'
        else "(claimed_at AT TIME ZONE 'UTC')::date"
    )
    op.execute(
        "INSERT INTO deliveries (subscription_id, local_date, kind, plan_day, status, attempts, claimed_at, sent_at)"
        f" SELECT subscription_id, {claimed_date}, 'summary', week * 7, 'sent', 0, claimed_at, claimed_at"
        # (WHERE true: SQLite reads "ON" after a bare FROM as a join.)
        " FROM weekly_summaries WHERE true ON CONFLICT DO NOTHING"
    )
    op.drop_table('weekly_summaries')


def downgrade() -> None:
    op.create_table('weekly_summaries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('claimed_at', bot.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_weekly_summaries_subscription_id_subscriptions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weekly_summaries')),
    sa.UniqueConstraint('subscription_id', 'week', name=op.f('uq_weekly_summaries_subscription_id'))
    )
    op.execute(
        "INSERT INTO weekly_summaries (subscription_id, week, claimed_at)"
        " SELECT subscription_id, plan_day / 7, claimed_at FROM deliveries WHERE kind = 'summary'"
    )
    op.execute("DELETE FROM deliveries WHERE kind <> 'push'")
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint('uq_deliveries_subscription_id', type_='unique')
        batch_op.create_unique_constraint(op.f('uq_deliveries_subscription_id'), ['subscription_id', 'local_date'])
        batch_op.drop_column('lease_until')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('kind')

    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('post_problem')
