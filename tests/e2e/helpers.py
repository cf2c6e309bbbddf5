import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from clienttier.profile.v1 import facts_pb2, profile_pb2
from tests.conftest import new_id

T = TypeVar("T")

YUAN = 100  # fen


def retail_customer(customer_id: str | None = None, **overrides) -> profile_pb2.Customer:
    fields = {
        "customer_id": new_id("C") if customer_id is None else customer_id,
        "kind": profile_pb2.CUSTOMER_KIND_RETAIL,
        "name": "李四",
        "birth_date": "1985-06-15",
        "occupation": "engineer",
        "phone": "13812345678",
        "id_number": "110101198506150019",  # a valid check character
        "branch_id": "B001",
        "open_date": "2020-03-01",
    } | overrides
    return profile_pb2.Customer(**fields)


def facts(customer_id: str, day: str, assets_yuan: int, commission_yuan: int = 0, **more):
    """One day's facts with the assets all in cash unless `more` says otherwise (in fen)."""
    fields = {
        "customer_id": customer_id,
        "day": day,
        "total_assets_fen": assets_yuan * YUAN,
        "cash_fen": assets_yuan * YUAN,
        "net_commission_fen": commission_yuan * YUAN,
    } | more
    return facts_pb2.RecordDailyFactsRequest(facts=facts_pb2.DailyFacts(**fields))


async def eventually(
    probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], within: float = 10.0
) -> T:
    """Poll `probe` until `accept` holds; fail with the last value after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        try:
            value = await probe()
            if accept(value):
                return value
            last: object = value
        except Exception as exc:  # the service may still be catching up
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {within}s; last: {last!r}")
        await asyncio.sleep(0.05)
