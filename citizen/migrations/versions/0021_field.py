"""field: the field kind's sites index, volunteers' photos and their resumable uploads, proposed sites and their
confirmations; an index of the answers kept without weight for a reason (held for a moderator)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 20:45:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('field_site',
                    sa.Column('task_id', sa.Integer(), nullable=False),
                    sa.Column('campaign_id', sa.Integer(), nullable=False),
                    sa.Column('lat', sa.Float(), nullable=False),
                    sa.Column('lon', sa.Float(), nullable=False),
                    sa.Column('name', sa.String(length=200), nullable=False),
                    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('task_id'))
    op.create_index('ix_field_site_place', 'field_site', ['campaign_id', 'lat', 'lon'])
    op.create_table('field_photo',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('campaign_id', sa.Integer(), nullable=False),
                    sa.Column('task_id', sa.Integer(), nullable=True),
                    sa.Column('contributor_id', sa.Integer(), nullable=True),
                    sa.Column('key', sa.String(length=200), nullable=False),
                    sa.Column('blurred_key', sa.String(length=200), nullable=False),
                    sa.Column('width', sa.Integer(), nullable=False),
                    sa.Column('height', sa.Integer(), nullable=False),
                    sa.Column('size', sa.Integer(), nullable=False),
                    sa.Column('exif_lat', sa.Float(), nullable=True),
                    sa.Column('exif_lon', sa.Float(), nullable=True),
                    sa.Column('exif_taken', sa.String(length=20), nullable=True),
                    sa.Column('removed', sa.Boolean(), nullable=False),
                    sa.Column('created_at', sa.DateTime(), nullable=False),
                    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['contributor_id'], ['contributor.id'], ondelete='SET NULL'),
                    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('key'))
    op.create_index('ix_field_photo_task', 'field_photo', ['task_id'])
    op.create_table('field_upload',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('contributor_id', sa.Integer(), nullable=False),
                    sa.Column('upload_id', sa.String(length=64), nullable=False),
                    sa.Column('task_id', sa.Integer(), nullable=False),
                    sa.Column('total', sa.Integer(), nullable=False),
                    sa.Column('received', sa.Integer(), nullable=False),
                    sa.Column('parts', sa.Integer(), nullable=False),
                    sa.Column('photo_id', sa.Integer(), nullable=True),
                    sa.Column('created_at', sa.DateTime(), nullable=False),
                    sa.ForeignKeyConstraint(['contributor_id'], ['contributor.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['photo_id'], ['field_photo.id'], ondelete='SET NULL'),
                    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('contributor_id', 'upload_id'))
    op.create_index('ix_field_upload_age', 'field_upload', ['created_at'])
    op.create_table('field_proposal',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('campaign_id', sa.Integer(), nullable=False),
                    sa.Column('contributor_id', sa.Integer(), nullable=True),
                    sa.Column('key', sa.String(length=200), nullable=False),
                    sa.Column('name', sa.String(length=200), nullable=False),
                    sa.Column('lat', sa.Float(), nullable=False),
                    sa.Column('lon', sa.Float(), nullable=False),
                    sa.Column('accuracy', sa.Float(), nullable=False),
                    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
                    sa.Column('status', sa.String(length=12), nullable=False),
                    sa.Column('confirmations', sa.Integer(), nullable=False),
                    sa.Column('task_id', sa.Integer(), nullable=True),
                    sa.Column('created_at', sa.DateTime(), nullable=False),
                    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['contributor_id'], ['contributor.id'], ondelete='SET NULL'),
                    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ondelete='SET NULL'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('contributor_id', 'key'))
    op.create_index('ix_field_proposal_place', 'field_proposal', ['campaign_id', 'status', 'lat', 'lon'])
    op.create_table('field_confirmation',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('proposal_id', sa.Integer(), nullable=False),
                    sa.Column('contributor_id', sa.Integer(), nullable=False),
                    sa.Column('exists', sa.Boolean(), nullable=False),
                    sa.Column('created_at', sa.DateTime(), nullable=False),
                    sa.ForeignKeyConstraint(['contributor_id'], ['contributor.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['proposal_id'], ['field_proposal.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('proposal_id', 'contributor_id'))
    op.create_index('ix_answer_reason', 'answer', ['campaign_id', 'reason'],
                    sqlite_where=sa.text('reason IS NOT NULL'), postgresql_where=sa.text('reason IS NOT NULL'))


def downgrade():
    op.drop_index('ix_answer_reason', table_name='answer')
    op.drop_table('field_confirmation')
    op.drop_index('ix_field_proposal_place', table_name='field_proposal')
    op.drop_table('field_proposal')
    op.drop_index('ix_field_upload_age', table_name='field_upload')
    op.drop_table('field_upload')
    op.drop_index('ix_field_photo_task', table_name='field_photo')
    op.drop_table('field_photo')
    op.drop_index('ix_field_site_place', table_name='field_site')
    op.drop_table('field_site')
