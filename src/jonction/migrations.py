"""Schema migrations (Alembic) for jonction's own databases: REFER and the state database.

Each database has its own migration folder and version table, so both may live in one database
or in two. `upgrade` is called before a step uses a database; it is a no-op when up to date.
"""

from __future__ import annotations

from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Engine, MetaData


def alembic_config(script_location: str, engine: Engine, version_table: str) -> Config:
    config = Config()
    config.set_main_option("script_location", script_location)
    config.attributes["engine"] = engine
    config.attributes["version_table"] = version_table
    return config


def upgrade(script_location: str, engine: Engine, version_table: str) -> None:
    """Brings the database of `engine` to the latest revision of `script_location`."""
    command.upgrade(alembic_config(script_location, engine, version_table), "head")


def run_env(target_metadata: MetaData) -> None:
    """Body of a migration folder's env.py: online migrations on the configured engine."""
    config = context.config
    engine: Engine = config.attributes["engine"]
    options: dict[str, Any] = {
        "target_metadata": target_metadata,
        "version_table": config.attributes["version_table"],
        "render_as_batch": engine.dialect.name == "sqlite",
        "compare_type": True,
    }
    with engine.begin() as connection:
        context.configure(connection=connection, **options)
        context.run_migrations()
