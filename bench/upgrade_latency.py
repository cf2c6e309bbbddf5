"""Event-driven upgrade latency while an ingest runs: from RecordDailyFacts returning for a
customer who now qualifies as VIP to grading's grade-changed event for that customer.

    .venv/bin/python bench/upgrade_latency.py [--customers 100000] [--probes 100]

Starts real profile and grading processes on a scratch database and imports `--customers`
customers. Measures only once grading has caught up with the import (a marker customer created
after it is graded; the run gives up, measuring nothing, after --catch-up-seconds). Then
ingests one day for all of them (an ingest of that many rows) while, every few milliseconds, a
probe customer's facts make it a VIP. A follower of grading's SubscribeEvents stream notes when
each probe's change arrives. Prints the ingest's rows/s and the latency percentiles over every
probe: one not seen within 30 s of the ingest's end counts as slower than any seen, and is
reported. The scratch database is dropped at the end."""

import argparse
import asyncio
import math
import time

import grpc
from tqdm import tqdm

from clienttier.grading.v1 import grading_pb2, grading_pb2_grpc
from clienttier.profile.v1 import facts_pb2, facts_pb2_grpc, profile_pb2, profile_pb2_grpc
from mesh.channels import open_channel
from mesh.outbox import unpack
from ops.embedded_pg import database_url
from ops.launcher import Mesh, free_port, scratch_mesh
from ops.seed import customer_batches, fact_batches, interleaved
from services.profile.demo.generator import BrokerageSpec, trading_days


class Arrivals:
    """When grading announced a change for each customer."""

    def __init__(self, expected: list[str]) -> None:
        self.at: dict[str, float] = {}
        self.expected = set(expected)
        self.all_seen = asyncio.Event()

    def _seen(self, customer_id: str, now: float) -> None:
        self.at.setdefault(customer_id, now)
        if self.expected <= self.at.keys():
            self.all_seen.set()

    async def follow(self, grading: grading_pb2_grpc.GradingServiceStub, after: str) -> None:
        stream = grading.SubscribeEvents(grading_pb2.SubscribeEventsRequest(after_position=after))
        async for response in stream:
            now = time.perf_counter()
            for event in response.events:
                if one := unpack(event, grading_pb2.GradeChanged):
                    self._seen(one.grade.customer_id, now)
                elif many := unpack(event, grading_pb2.GradesChanged):
                    for customer_id in many.customer_id:
                        self._seen(customer_id, now)


async def last_position(grading: grading_pb2_grpc.GradingServiceStub) -> str:
    """The newest position of grading's stream (read until it goes quiet)."""
    position = ""
    stream = grading.SubscribeEvents(grading_pb2.SubscribeEventsRequest())
    try:
        while True:
            response = await asyncio.wait_for(stream.read(), timeout=1.0)
            position = response.events[-1].position
    except TimeoutError:
        stream.cancel()
    return position


def probe_customer(customer_id: str) -> profile_pb2.Customer:
    return profile_pb2.Customer(
        customer_id=customer_id, kind=profile_pb2.CUSTOMER_KIND_INSTITUTION, name="probe",
        id_number="9144030071526726XG", phone="13800138000", branch_id="B001",
        open_date="2020-01-02",
    )  # fmt: skip


async def run(mesh: Mesh, customers: int, probes: int, catch_up_seconds: float) -> None:
    spec = BrokerageSpec(customers=customers, days=1, seed=5)
    day = trading_days(spec)[0].isoformat()
    async with (
        open_channel(mesh.address("profile"), 30.0) as profile_channel,
        open_channel(mesh.address("grading"), 30.0) as grading_channel,
    ):
        profile = profile_pb2_grpc.ProfileServiceStub(profile_channel)
        facts = facts_pb2_grpc.FactsServiceStub(profile_channel)
        grading = grading_pb2_grpc.GradingServiceStub(grading_channel)
        from clienttier.profile.v1 import onboarding_pb2_grpc

        onboarding = onboarding_pb2_grpc.CustomerImportServiceStub(profile_channel)
        await onboarding.ImportCustomers(interleaved(customer_batches(spec, 2000)), timeout=None)
        imported = time.perf_counter()
        ids = [f"PROBE{n:05d}" for n in range(probes)]
        for cid in ids:
            await profile.CreateCustomer(
                profile_pb2.CreateCustomerRequest(customer=probe_customer(cid))
            )
        # Measure from a caught-up grading: profile's stream is ordered and grading applies
        # customer records in that order (only bulk fact batches are queued), and grades
        # every customer it takes in, so once the marker created after the import and the
        # probes is graded, so is everyone before it.
        if not await wait_for_marker(profile, grading, catch_up_seconds):
            print(
                f"NOT MEASURED: grading had not graded the marker within {catch_up_seconds:g} s "
                f"of its creation ({customers + probes:,} customers imported before it)"
            )
            raise SystemExit(1)
        print(
            f"grading caught up with {customers + probes:,} new customers "
            f"{time.perf_counter() - imported:.1f} s after the import returned"
        )
        arrivals = Arrivals(ids)
        follower = asyncio.create_task(arrivals.follow(grading, await last_position(grading)))

        progress = tqdm(disable=True)
        started = time.perf_counter()
        streams = (interleaved(fact_batches(spec, s, 2, 2000, progress)) for s in range(2))
        ingest = asyncio.gather(*(facts.IngestDailyFacts(b, timeout=None) for b in streams))
        sent: dict[str, float] = {}
        for cid in ids:
            vip = facts_pb2.DailyFacts(
                customer_id=cid, day=day, total_assets_fen=600_000_000, cash_fen=600_000_000
            )
            await facts.RecordDailyFacts(facts_pb2.RecordDailyFactsRequest(facts=vip))
            sent[cid] = time.perf_counter()
            await asyncio.sleep(0.02)
        probes_done = time.perf_counter()
        replies = await ingest
        ingest_seconds = time.perf_counter() - started
        try:
            await asyncio.wait_for(arrivals.all_seen.wait(), timeout=30)
        except TimeoutError:
            pass  # reported below as probes that never arrived
        follower.cancel()

    rows = sum(r.accepted_rows for r in replies)
    print(f"ingest during the probes: {rows:,} rows in {ingest_seconds:.1f} s = "
          f"{rows / ingest_seconds:,.0f} rows/s; probes sent over the first "
          f"{probes_done - started:.1f} s")  # fmt: skip
    print(latency_report([arrivals.at.get(c, math.inf) - sent[c] for c in ids], waited=30))


async def wait_for_marker(profile, grading, limit: float) -> bool:  # type: ignore[no-untyped-def]
    """Create a marker customer and wait until grading has graded it (False: not within
    `limit` seconds)."""
    started = time.perf_counter()
    marker = "PROBE-MARKER"
    await profile.CreateCustomer(profile_pb2.CreateCustomerRequest(customer=probe_customer(marker)))
    while time.perf_counter() - started < limit:
        try:
            await grading.GetGrade(grading_pb2.GetGradeRequest(customer_id=marker))
            return True
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                raise
        await asyncio.sleep(0.2)
    return False


def latency_report(seconds: list[float], waited: float) -> str:
    """Percentiles over every probe; one never seen counts as slower than any seen, so a
    percentile that falls on it is reported as not reached rather than left out."""
    ms = sorted(s * 1000 for s in seconds)
    missing = sum(1 for s in ms if math.isinf(s))

    def at(share: float) -> str:
        value = ms[min(len(ms) - 1, math.ceil(share * len(ms)) - 1)]
        return f"{value:.0f} ms" if math.isfinite(value) else f"not seen within {waited:.0f} s"

    seen = len(ms) - missing
    text = (
        f"upgrade latency (facts recorded -> grade-changed event), {len(ms)} probes: "
        f"p50 {at(0.50)}, p90 {at(0.90)}, p99 {at(0.99)}, "
        f"max {at(1.0) if not missing else 'not seen'}"
    )
    if missing:
        text += f"; {missing} of {len(ms)} never arrived ({seen} seen)"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument(
        "--catch-up-seconds", type=float, default=600,
        help="how long grading may take to take in the import before the run gives up",
    )  # fmt: skip
    args = parser.parse_args()
    with scratch_mesh(
        database_url(),
        "bench_upgrade",
        ports={"profile": free_port(), "grading": free_port()},
        env={"CT_LOG_LEVEL": "WARNING", "CT_GRADING_SCHEDULE": "off"},
    ) as mesh:
        mesh.start("profile")
        mesh.start("grading")
        mesh.wait_serving(["profile", "grading"])
        asyncio.run(run(mesh, args.customers, args.probes, args.catch_up_seconds))


if __name__ == "__main__":
    main()
