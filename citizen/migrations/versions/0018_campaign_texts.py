"""campaign texts in other languages: the title, summary, description and field guide an organiser gives per language
(citizen.campaigns.texts), in their own column so that the volunteer loop, which reads the campaign's settings on
every answer, never reads them

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 15:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('texts', sa.JSON().with_variant(postgresql.JSONB(none_as_null=True), 'postgresql'),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('texts')
