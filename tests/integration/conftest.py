import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from ops.dsn import admin_url as admin_on
from ops.dsn import service_url


@pytest.fixture(scope="session")
async def engines(admin_url, test_database):
    """An engine per service role, plus 'admin' for the superuser, on the test database."""
    made = {
        service: create_async_engine(service_url(admin_url, service, test_database))
        for service in ("profile", "grading", "recommend", "alerts")
    }
    made["admin"] = create_async_engine(admin_on(admin_url, test_database))
    yield made
    for engine in made.values():
        await engine.dispose()
