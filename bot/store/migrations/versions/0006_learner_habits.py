"""learner habits: study days and pauses, pace, jumps and runs of the plan, nudges, freezes told, graduation

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_day', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('first_day', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('round', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('pace', sa.String(length=16), server_default='calendar', nullable=False))
        batch_op.add_column(sa.Column('schedule', bot.store.types.StudySchedule(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('nudge', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('nudge_time', bot.store.types.WallTime(), nullable=True))
        batch_op.add_column(sa.Column('owner_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('freeze_told', bot.store.types.LocalDate(), nullable=True))
        batch_op.add_column(sa.Column('graduated_on', bot.store.types.LocalDate(), nullable=True))

    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round', sa.Integer(), server_default='1', nullable=False))
        batch_op.drop_constraint('uq_completions_subscription_id', type_='unique')
        batch_op.create_unique_constraint(
            op.f('uq_completions_subscription_id'), ['subscription_id', 'user_id', 'round', 'plan_day']
        )

    # A DM's person is whoever marked days done in it (nobody else can there).
    op.execute(
        "UPDATE subscriptions SET owner_id = (SELECT MIN(c.user_id) FROM completions c"
        " WHERE c.subscription_id = subscriptions.id) WHERE kind = 'private'"
    )


def downgrade() -> None:
    # Later runs of the plan cannot share the old key with the first: they go.
    op.execute("DELETE FROM completions WHERE round <> 1")
    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.drop_constraint('uq_completions_subscription_id', type_='unique')
        batch_op.create_unique_constraint(
            op.f('uq_completions_subscription_id'), ['subscription_id', 'user_id', 'plan_day']
        )
        batch_op.drop_column('round')

    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        for column in ('graduated_on', 'freeze_told', 'owner_id', 'nudge_time', 'nudge', 'schedule', 'pace', 'round',
                       'first_day', 'start_day'):
            batch_op.drop_column(column)
