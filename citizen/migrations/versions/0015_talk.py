"""talk: discussion posts per campaign and per task, reports of posts, notifications

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 05:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('talk_post',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('contributor_id', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=80), nullable=False),
    sa.Column('staff_role', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('needs_expert', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('reports', sa.Integer(), server_default='0', nullable=False),
    sa.Column('hidden_at', sa.DateTime(), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_talk_post_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contributor_id'], ['contributor.id'], name=op.f('fk_talk_post_contributor_id_contributor'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['user.id'], name=op.f('fk_talk_post_hidden_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_talk_post_task_id_task'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_talk_post_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talk_post'))
    )
    with op.batch_alter_table('talk_post', schema=None) as batch_op:
        batch_op.create_index('ix_talk_post_thread', ['campaign_id', 'task_id', 'id'], unique=False)
        batch_op.create_index('ix_talk_post_author', ['user_id', 'created_at'], unique=False)

    op.create_table('talk_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['post_id'], ['talk_post.id'], name=op.f('fk_talk_report_post_id_talk_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_talk_report_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talk_report')),
    sa.UniqueConstraint('post_id', 'user_id', name=op.f('uq_talk_report_post_id_user_id'))
    )
    with op.batch_alter_table('talk_report', schema=None) as batch_op:
        batch_op.create_index('ix_talk_report_user', ['user_id', 'created_at'], unique=False)

    op.create_table('talk_notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['post_id'], ['talk_post.id'], name=op.f('fk_talk_notification_post_id_talk_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_talk_notification_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talk_notification'))
    )
    with op.batch_alter_table('talk_notification', schema=None) as batch_op:
        batch_op.create_index('ix_talk_notification_user', ['user_id', 'id'], unique=False)


def downgrade():
    op.drop_table('talk_notification')
    op.drop_table('talk_report')
    op.drop_table('talk_post')
