"""The floor of this machine for benchmarks.load: the same stack as citizen (Flask, Flask-SQLAlchemy,
psycopg, PostgreSQL, gunicorn with deploy/gunicorn.conf.py) with a next-task and a submit endpoint and no
logic: next reads one task row, submit inserts one answer row, each in one transaction.

Served with `FLOOR_DATABASE_URL=... gunicorn -c deploy/gunicorn.conf.py benchmarks.floor_app:app`.
"""
import os
import random

from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

TASKS = 20_000
SCHEMA = [
    "CREATE TABLE IF NOT EXISTS floor_task (id serial PRIMARY KEY, payload jsonb NOT NULL)",
    "CREATE TABLE IF NOT EXISTS floor_answer (id bigserial PRIMARY KEY, task_id integer NOT NULL, "
    "contributor text NOT NULL, value jsonb NOT NULL, created_at timestamp NOT NULL DEFAULT now())",
]

db = SQLAlchemy()
app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("FLOOR_DATABASE_URL", "sqlite://")
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}  # as citizen's production mode
db.init_app(app)


def create_schema(tasks=TASKS):
    """Tables and `tasks` task rows (run once before serving)."""
    with app.app_context():
        with db.engine.begin() as conn:
            for statement in SCHEMA:
                conn.execute(text(statement))
            conn.execute(text("TRUNCATE floor_task, floor_answer RESTART IDENTITY"))
            conn.execute(text("INSERT INTO floor_task (payload) SELECT jsonb_build_object('text', 'task ' || i) "
                              "FROM generate_series(1, :n) AS i"), {"n": tasks})


@app.get("/api/v1/campaigns/<slug>/tasks/next")
def next_task(slug):
    row = db.session.execute(text("SELECT id, payload FROM floor_task WHERE id = :id"),
                             {"id": random.randint(1, TASKS)}).one()
    db.session.commit()
    return {"id": row.id, "payload": row.payload}


@app.post("/api/v1/tasks/<int:task_id>/answers")
def submit(task_id):
    body = request.get_json()
    answer_id = db.session.execute(text(
        "INSERT INTO floor_answer (task_id, contributor, value) VALUES (:t, :c, CAST(:v AS jsonb)) RETURNING id"),
        {"t": task_id, "c": request.headers.get("Authorization", ""),
         "v": '"' + str(body["value"]) + '"'}).scalar_one()
    db.session.commit()
    return {"answer": {"id": answer_id, "task_id": task_id}}, 201
