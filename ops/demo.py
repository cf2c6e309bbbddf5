"""Load a small, deterministic demo brokerage through profile's public RPCs, exactly as the
trading system would, once: a second `make run` finds it there and skips.

    python -m ops.demo [--profile HOST:PORT] [--customers N] [--days D] [--seed S]
"""

import argparse
import asyncio
from collections.abc import Iterator

import grpc
import numpy as np
from clienttier.common.v1 import common_pb2
from clienttier.profile.v1 import profile_pb2, profile_pb2_grpc
from tqdm import tqdm

from mesh.channels import open_channel
from services.profile.demo.generator import BrokerageSpec, customer_chunks, day_facts, trading_days

DEMO = BrokerageSpec(customers=200, days=40, seed=7)
CONCURRENCY = 32


def _customers(spec: BrokerageSpec) -> Iterator[profile_pb2.Customer]:
    for chunk in customer_chunks(spec):
        for i in range(len(chunk.customer_id)):
            yield profile_pb2.Customer(
                customer_id=chunk.customer_id[i],
                kind=profile_pb2.CustomerKind.Value(f"CUSTOMER_KIND_{chunk.kind[i]}"),
                name=chunk.name[i],
                birth_date=_iso(chunk.birth_date[i]),
                occupation=chunk.occupation[i],
                phone=chunk.phone[i],
                id_number=chunk.id_number[i],
                id_expiry_date=_iso(chunk.id_expiry_date[i]),
                branch_id=chunk.branch_id[i],
                open_date=_iso(chunk.open_date[i]),
                status=profile_pb2.CustomerStatus.Value(f"CUSTOMER_STATUS_{chunk.status[i]}"),
            )


def _iso(value: np.datetime64) -> str:
    return "" if np.isnat(value) else str(value)


def _facts(spec: BrokerageSpec, ids: list[str]) -> Iterator[profile_pb2.DailyFacts]:
    for index, day in enumerate(trading_days(spec)):
        facts = day_facts(spec, index)
        for k in range(len(facts.customer_index)):
            yield profile_pb2.DailyFacts(
                customer_id=ids[int(facts.customer_index[k])],
                day=day.isoformat(),
                total_assets=common_pb2.Money(fen=int(facts.total_assets_fen[k])),
                net_commission=common_pb2.Money(fen=int(facts.net_commission_fen[k])),
            )


async def _bounded(calls: Iterator, label: str, total: int) -> None:
    semaphore = asyncio.Semaphore(CONCURRENCY)
    progress = tqdm(total=total, desc=label, unit=" calls", mininterval=1.0)

    async def one(make_call) -> None:  # type: ignore[no-untyped-def]
        async with semaphore:
            await make_call()
            progress.update()

    pending: set[asyncio.Task] = set()
    for make_call in calls:
        pending.add(asyncio.create_task(one(make_call)))
        if len(pending) >= CONCURRENCY * 4:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
    await asyncio.gather(*pending)
    progress.close()


async def load(profile_address: str, spec: BrokerageSpec) -> None:
    channel = open_channel(profile_address, 10.0)
    stub = profile_pb2_grpc.ProfileServiceStub(channel)
    customers = list(_customers(spec))
    ids = [c.customer_id for c in customers]
    await _bounded(
        (
            lambda c=c: stub.CreateCustomer(profile_pb2.CreateCustomerRequest(customer=c))
            for c in customers
        ),
        "customers",
        len(customers),
    )
    await _bounded(
        (
            lambda f=f: stub.RecordDailyFacts(profile_pb2.RecordDailyFactsRequest(facts=f))
            for f in _facts(spec, ids)
        ),
        "daily facts",
        None,  # type: ignore[arg-type]
    )
    await channel.close()


async def _already_loaded(profile_address: str, spec: BrokerageSpec) -> bool:
    first_id = next(_customers(spec)).customer_id
    async with open_channel(profile_address, 5.0) as channel:
        try:
            await profile_pb2_grpc.ProfileServiceStub(channel).GetCustomer(
                profile_pb2.GetCustomerRequest(customer_id=first_id)
            )
            return True
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return False
            raise


def load_demo_once(profile_address: str, spec: BrokerageSpec = DEMO) -> None:
    if asyncio.run(_already_loaded(profile_address, spec)):
        print("demo brokerage already loaded", flush=True)
        return
    print(f"loading the demo brokerage: {spec.customers} customers x {spec.days} days", flush=True)
    asyncio.run(load(profile_address, spec))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="127.0.0.1:50051")
    parser.add_argument("--customers", type=int, default=DEMO.customers)
    parser.add_argument("--days", type=int, default=DEMO.days)
    parser.add_argument("--seed", type=int, default=DEMO.seed)
    args = parser.parse_args()
    asyncio.run(load(args.profile, BrokerageSpec(args.customers, args.days, args.seed)))


if __name__ == "__main__":
    main()
