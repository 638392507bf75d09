"""stored results: Task.result, the task's result computed when an answer is folded in (read, never computed,
by public pages, the API and the exports); existing tasks are backfilled from their consensus

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 20:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('result', sa.JSON(none_as_null=True).with_variant(
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=True))
    _backfill()


def _backfill():
    """Each answered task's result from its consensus (the kinds registered in the app running the migration);
    `flask results rebuild` does the same later for a campaign, e.g. after a kind's settings changed."""
    from flask import current_app, has_app_context
    if not has_app_context() or "citizen.kinds" not in current_app.extensions:
        return
    from citizen.campaigns.tally import result_of
    kinds = current_app.extensions["citizen.kinds"]
    bind = op.get_bind()
    campaign = sa.table("campaign", sa.column("id"), sa.column("kind"), sa.column("settings", sa.JSON))
    task = sa.table("task", sa.column("id"), sa.column("campaign_id"), sa.column("answer_count"),
                    sa.column("consensus", sa.JSON), sa.column("result", sa.JSON(none_as_null=True)))
    for camp in bind.execute(sa.select(campaign.c.id, campaign.c.kind, campaign.c.settings)).all():
        kind = kinds.get(camp.kind)
        if kind is None:
            continue
        after = 0
        while True:
            rows = bind.execute(sa.select(task.c.id, task.c.consensus).where(
                task.c.campaign_id == camp.id, task.c.answer_count > 0, task.c.id > after)
                .order_by(task.c.id).limit(500)).all()
            if not rows:
                break
            for r in rows:
                bind.execute(task.update().where(task.c.id == r.id).values(
                    result=result_of(kind, r.consensus or {}, camp.settings or {})))
            after = rows[-1].id


def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('result')
