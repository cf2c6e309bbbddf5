"""The unit of work's bulk path on the real database: the driver's connection it hands out."""

import pytest

from services.profile.service.unit_of_work import ProfileUnitOfWork

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("asynchronous", [False, True], ids=["plain", "asynchronous-commit"])
async def test_the_driver_connection_is_inside_the_unit_of_works_transaction(engines, asynchronous):
    async with ProfileUnitOfWork(engines["profile"]) as uow:
        if asynchronous:
            await uow.commit_asynchronously()
        raw = await uow.raw_connection()
        assert raw.is_in_transaction()
        expected = "off" if asynchronous else "on"
        assert await raw.fetchval("SHOW synchronous_commit") == expected
        await uow.commit()
    # SET LOCAL: the next unit of work commits synchronously again.
    async with ProfileUnitOfWork(engines["profile"]) as uow:
        raw = await uow.raw_connection()
        assert await raw.fetchval("SHOW synchronous_commit") == "on"
