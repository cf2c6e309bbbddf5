"""Grading through real gRPC on the running mesh: facts ingested at profile become tiers at
the Galaxy table's exact boundaries, an upgrade reaches grading's event stream within a
second, runs (dry and applied) by hand, history on a date, the distribution report and
rule-set publishing. Runs keep to each test's own branch."""

import asyncio
import json
import time

import grpc
import pytest

from clienttier.grading.v1 import grading_pb2
from clienttier.profile.v1 import facts_pb2, onboarding_pb2, onboarding_pb2_grpc, profile_pb2
from services.grading.domain.rules import read_rules_json
from services.grading.service.follow_profile import QUEUE_ROWS
from services.profile.domain.facts import VALUE_COLUMNS
from tests.conftest import new_id
from tests.e2e.helpers import YUAN, eventually, facts, retail_customer

pytestmark = pytest.mark.e2e


async def create(stubs, branch: str = "B001") -> str:
    customer = retail_customer(branch_id=branch)
    await stubs.profile.CreateCustomer(profile_pb2.CreateCustomerRequest(customer=customer))
    return customer.customer_id


async def grade(stubs, cid: str, as_of: str = "") -> grading_pb2.Grade:
    request = grading_pb2.GetGradeRequest(customer_id=cid, as_of_date=as_of)
    return (await stubs.grading.GetGrade(request)).grade


async def settled(stubs, cid: str, day: str, accept=lambda g: True) -> grading_pb2.Grade:
    """The grade once grading has seen the facts of `day`."""
    return await eventually(lambda: grade(stubs, cid), lambda g: g.as_of_date >= day and accept(g))


# (daily assets in fen, last-year net commission in fen, expected tier): DOMAIN.md 3.
BOUNDARIES = [
    (5_000_000 * YUAN, 0, grading_pb2.TIER_CORE_B),  # A > 5,000,000 needed for VIP
    (5_000_000 * YUAN + 1, 0, grading_pb2.TIER_VIP),
    (500_000 * YUAN, 0, grading_pb2.TIER_CORE_B),
    (500_000 * YUAN - 1, 0, grading_pb2.TIER_POTENTIAL),
    (200_000 * YUAN, 0, grading_pb2.TIER_POTENTIAL),
    (200_000 * YUAN - 1, 0, grading_pb2.TIER_ORDINARY),
    (1_000 * YUAN, 50_000 * YUAN, grading_pb2.TIER_VIP),
    (1_000 * YUAN, 50_000 * YUAN - 1, grading_pb2.TIER_CORE_A),
    (1_000 * YUAN, 10_000 * YUAN, grading_pb2.TIER_CORE_A),
    (1_000 * YUAN, 10_000 * YUAN - 1, grading_pb2.TIER_POTENTIAL),
    (1_000 * YUAN, 5_000 * YUAN, grading_pb2.TIER_POTENTIAL),
    (1_000 * YUAN, 5_000 * YUAN - 1, grading_pb2.TIER_ORDINARY),
]


async def test_boundary_customers_get_the_tiers_of_the_galaxy_table(stubs):
    async def one(assets: int, commission: int, expected: int) -> None:
        cid = await create(stubs)
        if commission:
            last_year = facts(
                cid, "2025-06-02", 0, total_assets_fen=0, cash_fen=0, net_commission_fen=commission
            )
            await stubs.facts.RecordDailyFacts(last_year)
        today = facts(cid, "2026-03-02", 0, total_assets_fen=assets, cash_fen=assets)
        await stubs.facts.RecordDailyFacts(today)
        g = await settled(stubs, cid, "2026-03-02")
        assert g.tier == expected, (assets, commission, g.reason)
        assert g.rule_set_version in g.reason
        assert g.average_assets.fen == assets

    await asyncio.gather(*(one(*case) for case in BOUNDARIES))


async def test_an_upgrade_is_stored_and_published_within_a_second(stubs):
    cid = await create(stubs)
    await stubs.facts.RecordDailyFacts(facts(cid, "2026-03-02", 600_000))
    await settled(stubs, cid, "2026-03-02", lambda g: g.tier == grading_pb2.TIER_CORE_B)

    # Follow grading's events; what is there already is read until the stream goes quiet.
    changes: asyncio.Queue[grading_pb2.GradeChanged] = asyncio.Queue()
    stream = stubs.grading.SubscribeEvents(grading_pb2.SubscribeEventsRequest())

    async def follow() -> None:
        async for response in stream:
            for e in response.events:
                if e.payload.type_url.endswith("grading.v1.GradeChanged"):
                    changes.put_nowait(grading_pb2.GradeChanged.FromString(e.payload.value))

    reader = asyncio.create_task(follow())
    try:
        while True:
            await asyncio.wait_for(changes.get(), 0.5)
    except TimeoutError:
        pass
    started = time.monotonic()
    # Daily average (600,000 + 12,000,000) / 2 = 6,300,000 > 5,000,000: VIP.
    await stubs.facts.RecordDailyFacts(facts(cid, "2026-03-03", 12_000_000))
    try:
        while True:
            change = await asyncio.wait_for(changes.get(), 5)
            if change.grade.customer_id == cid and change.grade.tier == grading_pb2.TIER_VIP:
                break
    finally:
        stream.cancel()
        await asyncio.gather(reader, return_exceptions=True)
    latency = time.monotonic() - started
    assert latency < 1.0, f"upgrade took {latency:.2f}s to be published"
    assert change.previous_tier == grading_pb2.TIER_CORE_B
    assert change.grade.tier == grading_pb2.TIER_VIP
    assert change.grade.action == grading_pb2.GRADE_ACTION_UPGRADE
    assert (await grade(stubs, cid)).tier == grading_pb2.TIER_VIP


async def run(stubs, day: str, branch: str, **options) -> grading_pb2.GradingRun:
    request = grading_pb2.StartGradingRunRequest(
        as_of_date=day, branch_id=branch, wait=True, **options
    )
    found = (await stubs.grading.StartGradingRun(request)).run
    assert found.state == grading_pb2.RUN_STATE_SUCCEEDED, found.error
    return found


async def test_runs_by_hand_dry_and_applied_with_history_and_distribution(stubs):
    branch = new_id("BR")
    vip, low = await create(stubs, branch), await create(stubs, branch)
    # Graded at opening before any facts, as a customer opened years before them would be
    # (grading follows customers and facts separately: facts may otherwise be seen first).
    for customer in (vip, low):
        await settled(stubs, customer, "2020-03-01")
    await stubs.facts.RecordDailyFacts(facts(vip, "2026-02-02", 6_000_000))
    await stubs.facts.RecordDailyFacts(
        facts(low, "2026-02-02", 1_000, net_commission_fen=60_000 * YUAN)
    )
    await settled(stubs, vip, "2026-02-02")
    before = await settled(stubs, low, "2026-02-02")
    assert before.tier == grading_pb2.TIER_ORDINARY  # this year's commission counts next year

    dry = await run(stubs, "2027-01-05", branch, dry_run=True, sample_size=5)
    assert dry.kind == grading_pb2.RUN_KIND_ANNUAL
    assert dry.counts.graded == 2
    assert dry.counts.upgrades == 1
    upgrades = [c for c in dry.sample if c.action == grading_pb2.GRADE_ACTION_UPGRADE]
    assert [(c.customer_id, c.tier) for c in upgrades] == [(low, grading_pb2.TIER_VIP)]
    assert (await grade(stubs, low)) == before  # nothing applied

    applied = await run(stubs, "2027-01-05", branch)
    assert applied.counts.upgrades == 1
    assert applied.counts.kept == 1  # 2026 is last year in 2027: the 6M average still counts
    listed = await stubs.grading.ListGradingRuns(grading_pb2.ListGradingRunsRequest(limit=5))
    assert applied.run_id in [r.run_id for r in listed.runs]
    now = await grade(stubs, low)
    assert now.tier == grading_pb2.TIER_VIP
    assert now.run_id == applied.run_id
    assert "upgraded Ordinary -> VIP at once, by the annual grading" in now.reason
    assert (await grade(stubs, low, "2026-12-31")).tier == grading_pb2.TIER_ORDINARY
    history = await stubs.grading.GetGradeHistory(
        grading_pb2.GetGradeHistoryRequest(customer_id=low)
    )
    # Graded at opening (2020-03-01), on the facts (2026-02-02), upgraded at the run.
    tiers = [g.tier for g in history.grades]
    assert set(tiers[:-1]) == {grading_pb2.TIER_ORDINARY}
    assert tiers[-1] == grading_pb2.TIER_VIP
    assert history.grades[0].as_of_date == "2020-03-01"
    assert history.grades[-1].as_of_date == "2027-01-05"

    report = await stubs.grading.GetDistribution(
        grading_pb2.GetDistributionRequest(
            as_of_date="2027-01-05", branch_id=branch, compare_from_date="2026-12-31"
        )
    )
    assert report.total.customers == 2
    assert {c.key: c.count for c in report.total.tiers} == {"VIP": 2}
    assert [(m.before, m.after, m.count) for m in report.tier_moves] == [("ORDINARY", "VIP", 1)]


async def test_publishing_rule_sets_and_bad_requests(stubs):
    content = read_rules_json("galaxy-2025")
    content["version"] = f"test-{new_id('V').lower()}"
    content["effective_from"] = "2031-01-01"
    published = await stubs.grading.PublishRuleSet(
        grading_pb2.PublishRuleSetRequest(rule_set_json=json.dumps(content))
    )
    assert published.created
    listed = await stubs.grading.ListRuleSets(grading_pb2.ListRuleSetsRequest())
    assert content["version"] in [r.version for r in listed.rule_sets]

    del content["tiers"]
    content["version"] = "broken.1"
    for request, field in [
        (grading_pb2.PublishRuleSetRequest(rule_set_json=json.dumps(content)), "rule_set_json"),
        (grading_pb2.PublishRuleSetRequest(rule_set_json="{"), "rule_set_json"),
    ]:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stubs.grading.PublishRuleSet(request)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert caught.value.details().startswith(field + ":")

    for call, code, field in [
        (
            stubs.grading.GetGrade(
                grading_pb2.GetGradeRequest(customer_id="C1", as_of_date="2026-02-30")
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "as_of_date:",
        ),
        (
            stubs.grading.StartGradingRun(
                grading_pb2.StartGradingRunRequest(as_of_date="2035-01-02")
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "as_of_date:",
        ),
        (
            stubs.grading.GetGradingRun(grading_pb2.GetGradingRunRequest(run_id=987654321)),
            grpc.StatusCode.NOT_FOUND,
            "",
        ),
        (
            stubs.grading.GetGrade(grading_pb2.GetGradeRequest(customer_id=new_id("NOBODY"))),
            grpc.StatusCode.NOT_FOUND,
            "",
        ),
    ]:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == code
        assert caught.value.details().startswith(field)


async def test_a_columnar_ingest_grades_every_customer_in_it(stubs):
    branch = new_id("BR")
    ids = [await create(stubs, branch) for _ in range(40)]
    days = ["2026-05-04", "2026-05-05", "2026-05-06"]

    def batch(day: str) -> facts_pb2.IngestDailyFactsRequest:
        rows = facts_pb2.DailyFactsColumns()
        for i, cid in enumerate(ids):
            assets = (i + 1) * 150_000 * YUAN  # 150,000 .. 6,000,000 CNY
            rows.customer_id.append(cid)
            rows.day.append(day)
            given = {"total_assets_fen": assets, "cash_fen": assets}
            given |= {"trade_count": 1, "average_holding_days": 30}
            for name in VALUE_COLUMNS:
                getattr(rows, name).append(given.get(name, 0))
        return facts_pb2.IngestDailyFactsRequest(rows=rows)

    async def requests():
        for day in days:
            yield batch(day)

    reply = await stubs.facts.IngestDailyFacts(requests())
    assert reply.accepted_rows == 3 * len(ids)

    async def tiers() -> dict[str, int]:
        report = await stubs.grading.GetDistribution(
            grading_pb2.GetDistributionRequest(branch_id=branch)
        )
        return {c.key: c.count for c in report.total.tiers}

    # 150k x i: i = 1 Ordinary; 2-3 Potential; 4-33 Core-B (<= 5M); 34-40 VIP.
    expected = {"ORDINARY": 1, "POTENTIAL": 2, "CORE_B": 30, "VIP": 7}
    await eventually(tiers, lambda t: t == expected)
    g = await grade(stubs, ids[-1])
    # The day the grade (and its reason) was made; later days that changed no figure
    # confirm it without a new history entry.
    assert g.as_of_date in days
    assert g.stars in range(1, 6)


async def test_a_bulk_ingest_is_queued_and_graded_with_a_new_day_recorded_behind_it(stubs):
    # More customers than grading applies inline (follow_profile.QUEUE_ROWS): their totals
    # reach grading as bulk and are applied behind the stream; the probe's day after them
    # is applied at once, and both end up graded.
    branch = new_id("BR")
    bulk = [retail_customer(branch_id=branch) for _ in range(QUEUE_ROWS + 100)]
    onboarding = onboarding_pb2_grpc.CustomerImportServiceStub(stubs.channels["profile"])

    async def customers():
        yield onboarding_pb2.ImportCustomersRequest(customers=bulk)

    assert (await onboarding.ImportCustomers(customers())).created == len(bulk)
    probe = await create(stubs, branch)
    day = "2026-06-01"
    rows = facts_pb2.DailyFactsColumns(
        customer_id=[c.customer_id for c in bulk], day=[day] * len(bulk)
    )
    for name in facts_pb2.DailyFactsColumns.DESCRIPTOR.fields_by_name:
        if name in ("total_assets_fen", "cash_fen"):
            getattr(rows, name).extend([300_000 * YUAN] * len(bulk))
        elif name not in ("customer_id", "day"):
            getattr(rows, name).extend([0] * len(bulk))

    async def requests():
        yield facts_pb2.IngestDailyFactsRequest(rows=rows)

    assert (await stubs.facts.IngestDailyFacts(requests())).accepted_rows == len(bulk)
    await stubs.facts.RecordDailyFacts(facts(probe, day, 6_000_000))
    await settled(stubs, probe, day, lambda g: g.tier == grading_pb2.TIER_VIP)

    async def tiers() -> dict[str, int]:
        report = await stubs.grading.GetDistribution(
            grading_pb2.GetDistributionRequest(branch_id=branch)
        )
        return {c.key: c.count for c in report.total.tiers}

    await eventually(tiers, lambda t: t == {"POTENTIAL": len(bulk), "VIP": 1})
