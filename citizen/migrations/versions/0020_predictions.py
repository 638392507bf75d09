"""predictions: a model's predicted answers with confidence and version per task (the audit sample, tasks left to
the model), and whether an answer's volunteer was shown the prediction

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 18:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('prediction',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('campaign_id', sa.Integer(), nullable=False),
                    sa.Column('task_id', sa.Integer(), nullable=False),
                    sa.Column('model', sa.String(length=100), nullable=False),
                    sa.Column('answer', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
                    sa.Column('confidence', sa.Float(), nullable=False),
                    sa.Column('audit', sa.Boolean(), nullable=False),
                    sa.Column('skipped', sa.Boolean(), nullable=False),
                    sa.Column('created_at', sa.DateTime(), nullable=False),
                    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('task_id', 'model'))
    op.create_index('ix_prediction_campaign', 'prediction', ['campaign_id', 'model'])
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prediction_shown', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_column('prediction_shown')
    op.drop_index('ix_prediction_campaign', table_name='prediction')
    op.drop_table('prediction')
