import asyncio
import os
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ops.bootstrap_db import drop_database
from ops.dsn import admin_url as admin_on
from ops.dsn import service_url
from ops.launcher import Mesh


def _engines(admin_url: str, database: str) -> dict[str, AsyncEngine]:
    made = {
        service: create_async_engine(service_url(admin_url, service, database))
        for service in ("profile", "grading", "recommend", "alerts")
    }
    made["admin"] = create_async_engine(admin_on(admin_url, database))
    return made


@pytest.fixture(scope="session")
async def engines(admin_url, test_database):
    """An engine per service role, plus 'admin' for the superuser, on the test database."""
    made = _engines(admin_url, test_database)
    yield made
    for engine in made.values():
        await engine.dispose()


@pytest.fixture(scope="module")
async def private_engines(admin_url):
    """The same on a database of the module's own: the end-to-end mesh shares the session's
    database, and its background loops (profile's roll-up, grading's queue) would take work
    a module means to observe."""
    name = f"ct_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(Mesh(admin_url=admin_url, database=name).prepare_database)
    made = _engines(admin_url, name)
    yield made
    for engine in made.values():
        await engine.dispose()
    await drop_database(admin_url, name)
