"""content flags by contributor and time (the flag allowance: a few flags per contributor in a while)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 20:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('content_flag', schema=None) as batch_op:
        batch_op.create_index('ix_content_flag_contributor', ['contributor_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('content_flag', schema=None) as batch_op:
        batch_op.drop_index('ix_content_flag_contributor')
