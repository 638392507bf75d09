"""answers to blurred items: whether the volunteer revealed what the blur held back (NULL: nothing was held back)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-21 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revealed', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_column('revealed')
