"""Small helpers over dialect differences (SQLite for `make run`, PostgreSQL in production)."""
from sqlalchemy.dialects import postgresql, sqlite

from citizen.extensions import db


def insert_ignore(model):
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model).on_conflict_do_nothing()
