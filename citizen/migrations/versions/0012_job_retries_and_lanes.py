"""jobs: an attempt number, a time before which a retry does not run, and a lane (at most one job of a lane
runs at once: webhook deliveries of one organisation never hold another's)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempt', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('due_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('lane', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_column('lane')
        batch_op.drop_column('due_at')
        batch_op.drop_column('attempt')
