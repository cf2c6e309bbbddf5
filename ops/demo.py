"""The demo brokerage `make run` loads once: `clienttier seed` with a fixed shape. A second
run finds the first demo customer already there and skips."""

import asyncio

import grpc

from clienttier.profile.v1 import profile_pb2, profile_pb2_grpc
from mesh.channels import open_channel
from ops.seed import seed
from services.profile.demo.generator import BrokerageSpec, customer_id_of

# About 10,000 customers x a year of trading days (issue 3).
DEMO = BrokerageSpec(customers=10_000, days=250, seed=7)


async def _already_loaded(profile_address: str) -> bool:
    first_id = str(customer_id_of([0])[0])
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
    if asyncio.run(_already_loaded(profile_address)):
        print("demo brokerage already loaded", flush=True)
        return
    print(f"loading the demo brokerage once: {spec.customers:,} customers x {spec.days} "
          "trading days, through profile's RPCs", flush=True)  # fmt: skip
    report = asyncio.run(seed(profile_address, spec, show_progress=True))
    print(
        f"demo loaded: {report.customers_created:,} customers, {report.fact_rows:,} daily facts "
        f"({report.rows_per_second:,.0f} rows/s), {report.assessments:,} assessments",
        flush=True,
    )
