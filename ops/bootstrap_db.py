"""Create the database, one login role and one schema per service, with rights on its own
schema only: no service can read another's tables.

    python -m ops.bootstrap_db         (admin URL from CT_ADMIN_DB_URL or DATABASE_URL)
"""

import asyncio
import os
import sys

import asyncpg

from ops.dsn import DEFAULT_DATABASE, SERVICES_WITH_DB, role_name, role_password


def _asyncpg_dsn(url: str, database: str) -> tuple[str, dict]:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    kwargs: dict = {"database": database, "user": parsed.username or "postgres"}
    if parsed.password:
        kwargs["password"] = parsed.password
    host = parsed.host or parsed.query.get("host")
    if host:
        kwargs["host"] = host
    if parsed.port:
        kwargs["port"] = parsed.port
    return "", kwargs


async def connect(url: str, database: str) -> asyncpg.Connection:
    _, kwargs = _asyncpg_dsn(url, database)
    return await asyncpg.connect(**kwargs)


async def bootstrap(url: str, database: str = DEFAULT_DATABASE) -> None:
    admin = await connect(url, "postgres")
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{database}"')
        for service in SERVICES_WITH_DB:
            role, password = role_name(service), role_password(service)
            if not await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
                await admin.execute(f'CREATE ROLE "{role}" LOGIN')
            # Passwords cannot be bind parameters in DDL; quote_literal makes them safe.
            literal = await admin.fetchval("SELECT quote_literal($1)", password)
            await admin.execute(f'ALTER ROLE "{role}" LOGIN PASSWORD {literal}')
    finally:
        await admin.close()

    db = await connect(url, database)
    try:
        # Nobody but the owner may create in public; each role gets its schema and nothing else.
        await db.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        await db.execute(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
        for service in SERVICES_WITH_DB:
            role = role_name(service)
            await db.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO "{role}"')
            await db.execute(f'CREATE SCHEMA IF NOT EXISTS "{service}" AUTHORIZATION "{role}"')
            await db.execute(f'REVOKE ALL ON SCHEMA "{service}" FROM PUBLIC')
    finally:
        await db.close()


async def drop_database(url: str, database: str) -> None:
    admin = await connect(url, "postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.close()


def main() -> None:
    url = os.environ.get("CT_ADMIN_DB_URL") or os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("set CT_ADMIN_DB_URL (or DATABASE_URL) to an administrator's Postgres URL")
    database = os.environ.get("CT_DATABASE", DEFAULT_DATABASE)
    asyncio.run(bootstrap(url, database))
    print(f"database {database!r}: roles and schemas ready")


if __name__ == "__main__":
    main()
