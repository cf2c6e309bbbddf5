"""Each service owns one schema through its own role and can touch nothing else."""

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("role", "foreign_table"),
    [
        ("grading", "profile.customers"),
        ("grading", "profile.daily_facts"),
        ("profile", "grading.grades"),
        ("recommend", "alerts.alerts"),
        ("alerts", "recommend.products"),
    ],
)
async def test_a_role_cannot_read_another_services_table(engines, role, foreign_table):
    async with engines[role].connect() as conn:
        with pytest.raises(ProgrammingError) as caught:
            await conn.execute(text(f"SELECT * FROM {foreign_table} LIMIT 1"))
    assert isinstance(caught.value.orig.__cause__, asyncpg.InsufficientPrivilegeError)


async def test_a_role_cannot_create_outside_its_schema(engines):
    async with engines["grading"].connect() as conn:
        with pytest.raises(ProgrammingError):
            await conn.execute(text("CREATE TABLE public.sneaky (id int)"))


async def test_a_role_reads_its_own_schema(engines):
    async with engines["recommend"].connect() as conn:
        count = await conn.scalar(text("SELECT count(*) FROM recommend.products"))
    assert count > 0


async def test_version_tables_live_in_each_services_schema(engines):
    async with engines["admin"].connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT table_schema FROM information_schema.tables "
                "WHERE table_name = 'alembic_version' ORDER BY 1"
            )
        )
        schemas = [r[0] for r in rows]
    assert schemas == ["alerts", "grading", "profile", "recommend"]


async def test_tables_are_owned_by_the_services_role(engines):
    async with engines["admin"].connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT schemaname, tableowner FROM pg_tables "
                "WHERE schemaname IN ('profile', 'grading', 'recommend', 'alerts')"
            )
        )
        owners = {(schema, owner) for schema, owner in rows}
    assert owners == {(s, f"{s}_svc") for s in ("profile", "grading", "recommend", "alerts")}
