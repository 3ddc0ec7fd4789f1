"""Alembic, driven from the app: upgrade, and whether the database is at the newest revision."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError

from ifm_api.core import db


def migrations_dir() -> Path:
    """Shipped inside the wheel as ``ifm_api/_migrations``; in a checkout, ``migrations/``."""
    packaged = Path(__file__).parent / "_migrations"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


@cache
def migration_heads() -> frozenset[str]:
    """The newest revision(s) of the shipped migrations (read once per process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def migration_head() -> str:
    return ",".join(sorted(migration_heads()))


def database_is_current() -> bool:
    engine = db.engine()
    heads = migration_heads()
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError:
        return False
    return current == heads
