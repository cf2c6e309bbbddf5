"""Alembic, one migration tree per service under services/<name>/migrations, each keeping its
version table inside the service's own schema."""

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(service: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "services" / service / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(service: str, url: str) -> None:
    """Migrate a service's schema to its heads, as the service's own role (it owns its tables).
    Independent features may branch from the same revision: every head is applied."""
    command.upgrade(alembic_config(service, url), "heads")


async def is_current(engine: AsyncEngine, service: str, schema: str) -> bool:
    heads = set(ScriptDirectory.from_config(alembic_config(service, "")).get_heads())
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text(f'SELECT version_num FROM "{schema}".alembic_version'))
            return {row[0] for row in rows} == heads
    except (DBAPIError, OSError):
        # No database, or not migrated yet.
        return False


def run_env(schema: str, metadata: MetaData) -> None:
    """The body of every service's migrations/env.py."""
    url = context.config.get_main_option("sqlalchemy.url")
    options = {
        "target_metadata": metadata,
        "version_table_schema": schema,
        "include_schemas": True,
        # Autogenerate looks at the service's own schema only.
        "include_name": lambda name, type_, _parent: type_ != "schema" or name == schema,
    }
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def run(connection: Connection) -> None:
        # Replicas starting together migrate one at a time; the others then find it done.
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": schema})
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as conn:
            await conn.run_sync(run)
            await conn.commit()
        await engine.dispose()

    asyncio.run(run_async())


async def database_ready(engine: AsyncEngine, service: str, schema: str) -> bool:
    """Ready to serve: the database answers and the service's migrations are at head."""
    return await is_current(engine, service, schema)
