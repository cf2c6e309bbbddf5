"""Session-wide: a real Postgres (DATABASE_URL, or the embedded one) and a fresh database
for this test run, bootstrapped and migrated exactly as `make run` does, dropped at the end."""

import asyncio
import os
import uuid

import pytest

from ops.bootstrap_db import drop_database
from ops.embedded_pg import database_url
from ops.launcher import Mesh


def new_id(prefix: str = "T") -> str:
    """An id no other test uses, so tests share one database without interfering."""
    return f"{prefix}{uuid.uuid4().hex[:12].upper()}"


@pytest.fixture(scope="session")
def admin_url() -> str:
    return database_url()


@pytest.fixture(scope="session")
def test_database(admin_url: str):
    name = f"ct_test_{os.getpid()}"
    Mesh(admin_url=admin_url, database=name).prepare_database()
    yield name
    asyncio.run(drop_database(admin_url, name))
