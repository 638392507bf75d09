"""jobs on a queue: when a job's message was last sent, who claimed it and until when (its lease), how many runs

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-20 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('runs', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_job_lane_status', ['lane', 'status'])


def downgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('ix_job_lane_status')
        batch_op.drop_column('runs')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('sent_at')
