"""alert channels: the response team's live page (secret link, last check-in), test alerts, an escalation's place

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 05:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('alert_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('live_token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('live_seen_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('test_at', sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_alert_settings_live_token'), ['live_token'])
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('place', sa.JSON(none_as_null=True).with_variant(
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=True))


def downgrade():
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_column('place')
    with op.batch_alter_table('alert_settings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_alert_settings_live_token'), type_='unique')
        batch_op.drop_column('test_at')
        batch_op.drop_column('live_seen_at')
        batch_op.drop_column('live_token')
