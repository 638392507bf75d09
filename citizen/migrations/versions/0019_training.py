"""training: tutorial and qualification items (tasks taken out of the work), the answers given to them, finished
qualification runs; a contributor's training state per campaign; the reason an answer carries no weight

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 17:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade():
    op.create_table('training_item',
                    sa.Column('task_id', sa.Integer(), nullable=False),
                    sa.Column('campaign_id', sa.Integer(), nullable=False),
                    sa.Column('stage', sa.String(length=16), nullable=False),
                    sa.Column('position', sa.Integer(), nullable=False),
                    sa.Column('explanation', sa.Text(), nullable=False),
                    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('task_id'))
    op.create_index('ix_training_item_campaign', 'training_item', ['campaign_id', 'stage', 'position'])
    op.create_table('training_answer',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('campaign_id', sa.Integer(), nullable=False),
                    sa.Column('task_id', sa.Integer(), nullable=False),
                    sa.Column('contributor_id', sa.Integer(), nullable=False),
                    sa.Column('stage', sa.String(length=16), nullable=False),
                    sa.Column('attempt', sa.Integer(), nullable=False),
                    sa.Column('value', JSON, nullable=False),
                    sa.Column('correct', sa.Boolean(), nullable=False),
                    sa.Column('created_at', sa.DateTime(), nullable=False),
                    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['contributor_id'], ['contributor.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_training_answer_contributor', 'training_answer',
                    ['campaign_id', 'contributor_id', 'stage', 'attempt'])
    op.create_index('ix_training_answer_task', 'training_answer', ['task_id'])
    op.create_table('qualification_run',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('campaign_id', sa.Integer(), nullable=False),
                    sa.Column('contributor_id', sa.Integer(), nullable=False),
                    sa.Column('attempt', sa.Integer(), nullable=False),
                    sa.Column('correct', sa.Integer(), nullable=False),
                    sa.Column('total', sa.Integer(), nullable=False),
                    sa.Column('passed', sa.Boolean(), nullable=False),
                    sa.Column('created_at', sa.DateTime(), nullable=False),
                    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['contributor_id'], ['contributor.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_qualification_run', 'qualification_run', ['campaign_id', 'contributor_id'])
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('training', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('retrains', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_column('reason')
    with op.batch_alter_table('participation', schema=None) as batch_op:
        batch_op.drop_column('retrains')
        batch_op.drop_column('training')
    op.drop_index('ix_qualification_run', table_name='qualification_run')
    op.drop_table('qualification_run')
    op.drop_index('ix_training_answer_task', table_name='training_answer')
    op.drop_index('ix_training_answer_contributor', table_name='training_answer')
    op.drop_table('training_answer')
    op.drop_index('ix_training_item_campaign', table_name='training_item')
    op.drop_table('training_item')
