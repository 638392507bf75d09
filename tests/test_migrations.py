"""The Alembic migrations build exactly the models' schema; init-db and demo are safe to re-run."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from citizen.accounts.models import User
from citizen.campaigns.models import Campaign, Task
from citizen.extensions import db


def test_migrations_match_the_models(app):
    # The test database was built by running the migrations (see conftest.py).
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        assert compare_metadata(context, db.metadata) == []
        assert context.get_current_revision() is not None


def run(runner, *args):
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def state():
    db.session.expire_all()
    counts = tuple(db.session.execute(select(func.count()).select_from(table)).scalar_one()
                   for table in (Campaign, Task, User))
    db.session.rollback()
    return counts


def test_init_db_and_demo_can_run_twice(app):
    runner = app.test_cli_runner()
    assert "latest schema" in run(runner, "init-db")
    first = run(runner, "demo")
    assert "/campaigns/red-roofs" in first and "Organiser API token: ctz_" in first
    after_first = state()
    assert "latest schema" in run(runner, "init-db")
    second = run(runner, "demo")
    assert "Organiser API token" not in second and "admin@example.org" in second
    assert state() == after_first

    demo = db.session.execute(select(Campaign).where(Campaign.slug == "red-roofs")).scalar_one()
    assert (demo.kind, demo.status) == ("question", "published")
    published = db.session.execute(select(Campaign.kind, Campaign.tasks_total)
                                   .where(Campaign.status == "published")).all()
    assert {kind for kind, _n in published} >= {"question", "deforestation", "damage"}
    finished = db.session.execute(select(Campaign.tasks_total).where(Campaign.status == "closed")).scalars().all()
    assert finished, "the demo shows a finished campaign with its outcome"
    from citizen.training.models import TrainingItem  # training tasks are tasks, but not work to be done
    trainers = db.session.execute(select(func.count()).select_from(TrainingItem)).scalar()
    assert all(n for _kind, n in published)
    assert sum(n for _kind, n in published) + sum(finished) + trainers == after_first[1]
    client = app.test_client()
    assert "red-roofs" in [c["slug"] for c in client.get("/api/v1/campaigns").get_json()["campaigns"]]
    task = client.post("/api/v1/campaigns/red-roofs/tasks/next").get_json()
    assert task["options"] == ["yes", "no", "unsure"] and task["image_url"].startswith("/media/demo/")
    assert client.get(task["image_url"]).status_code == 200
