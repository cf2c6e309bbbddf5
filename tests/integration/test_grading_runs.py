"""Grading runs on the real database: the observation timeline across years, a dry run, the
distribution report and a rule-set change. Each test keeps to its own branch so the runs
(which rank everyone but change only their branch) do not touch other tests' customers."""

import json
from datetime import date

import pytest
from sqlalchemy import text

from clienttier.grading.v1 import grading_pb2
from services.grading.domain.rules import read_rules_json
from services.grading.service import grades
from services.grading.service.library import RuleLibrary
from services.grading.service.runs import RunManager, get_run
from tests.conftest import new_id
from tests.integration.test_grading_apply import apply, customer, quarters

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def library(engines):
    lib = RuleLibrary(engines["grading"])
    await lib.load()
    return lib


@pytest.fixture(scope="module")
def runs(engines, library):
    return RunManager(engines["grading"], library)


async def run(runs, engines, day: date, branch: str, **options) -> dict:
    run_id = await runs.start(day, branch_id=branch, **options)
    await runs.wait(run_id)
    found = await get_run(engines["grading"], run_id)
    assert found["state"] == "SUCCEEDED", found["error"]
    return found


def quarter(cid: str, period: str, assets: int, day: str, version: int = 1, **more) -> dict:
    return {
        "customer_id": cid,
        "period": period,
        "assets": assets,
        "first": day,
        "version": version,
    } | more


async def test_downgrade_waits_for_the_observation_year_and_a_scheduled_run(engines, library, runs):
    branch, cid = new_id("BR"), new_id("C")
    await apply(
        engines,
        library,
        customer(cid, branch_id=branch),
        quarters([quarter(cid, "2024Q2", 6_000_000, "2024-06-03")]),
    )
    g = await grades.get_grade(engines["grading"], library, cid, None)
    assert (g.tier, g.as_of_date) == (grading_pb2.TIER_VIP, "2024-06-03")

    # 2025 assets of 1M: the 2024 average still counts in 2025, so VIP holds.
    await apply(engines, library, quarters([quarter(cid, "2025Q1", 1_000_000, "2025-03-03")]))
    assert (await grades.get_grade(engines["grading"], library, cid, None)).tier == (
        grading_pb2.TIER_VIP
    )

    # Annual 2026: the numbers give Core-B; VIP is kept and the observation starts.
    annual = await run(runs, engines, date(2026, 1, 5), branch)
    assert annual["kind"] == "ANNUAL"
    assert "working day 1 of the first 10" in annual["kind_reason"]
    g = await grades.get_grade(engines["grading"], library, cid, None)
    assert g.tier == grading_pb2.TIER_VIP
    assert g.decided_tier == grading_pb2.TIER_CORE_B
    assert g.action == grading_pb2.GRADE_ACTION_OBSERVE
    assert g.observation_start == "2026-01-05"
    assert "in observation since 2026-01-05" in g.reason

    await apply(engines, library, quarters([quarter(cid, "2026Q1", 1_000_000, "2026-03-02")]))
    quarterly = await run(runs, engines, date(2026, 4, 1), branch)
    assert quarterly["kind"] == "QUARTERLY"
    assert (await grades.get_grade(engines["grading"], library, cid, None)).tier == (
        grading_pb2.TIER_VIP
    )
    # A hand-started run outside the windows never downgrades.
    ad_hoc = await run(runs, engines, date(2026, 11, 20), branch)
    assert ad_hoc["kind"] == "AD_HOC"
    assert ad_hoc["counts"]["downgrades"] == 0

    # 2027-01-04 is in the annual window but the year of observation ends on 2027-01-05.
    await run(runs, engines, date(2027, 1, 4), branch)
    assert (await grades.get_grade(engines["grading"], library, cid, None)).tier == (
        grading_pb2.TIER_VIP
    )
    downgrade = await run(runs, engines, date(2027, 1, 5), branch)
    assert downgrade["counts"]["downgrades"] == 1
    g = await grades.get_grade(engines["grading"], library, cid, None)
    assert g.tier == grading_pb2.TIER_CORE_B
    assert g.action == grading_pb2.GRADE_ACTION_DOWNGRADE
    assert g.previous_tier == grading_pb2.TIER_VIP
    assert "downgraded VIP -> Core-B at the annual grading" in g.reason

    # History on any date, with the reason it had then.
    on = await grades.get_grade(engines["grading"], library, cid, date(2026, 6, 30))
    assert on.tier == grading_pb2.TIER_VIP
    history = await grades.grade_history(engines["grading"], library, cid)
    actions = [h.action for h in history]
    assert actions[0] == grading_pb2.GRADE_ACTION_NEW
    assert grading_pb2.GRADE_ACTION_OBSERVE in actions
    assert actions[-1] == grading_pb2.GRADE_ACTION_DOWNGRADE
    assert [h.as_of_date for h in history] == sorted(h.as_of_date for h in history)


async def test_an_annual_grading_renews_the_keep_period(engines, library, runs):
    branch, cid = new_id("BR"), new_id("C")
    await apply(
        engines,
        library,
        customer(cid, branch_id=branch),
        quarters([quarter(cid, "2025Q4", 6_000_000, "2025-11-03")]),
    )
    await run(runs, engines, date(2026, 1, 6), branch)
    g = await grades.get_grade(engines["grading"], library, cid, None)
    assert (g.tier, g.kept_until) == (grading_pb2.TIER_VIP, "2027-01-06")
    assert "annual qualification kept until 2027-01-06" in g.reason


async def test_a_dry_run_reports_changes_and_changes_nothing(engines, library, runs):
    branch, cid = new_id("BR"), new_id("C")
    await apply(
        engines,
        library,
        customer(cid, branch_id=branch),
        quarters([quarter(cid, "2026Q1", 300_000, "2026-02-02")]),
    )
    await apply(
        engines,
        library,
        quarters([quarter(cid, "2026Q1", 300_000, "2026-02-02", version=2, commission=60_000)]),
    )
    before = await grades.grade_history(engines["grading"], library, cid)

    async def outbox_size() -> int:
        async with engines["grading"].connect() as conn:
            return await conn.scalar(text("SELECT count(*) FROM grading.outbox"))

    events = await outbox_size()
    # 2026 commission of 60,000 counts as last year's at the 2027 grading: VIP.
    dry = await run(runs, engines, date(2027, 1, 5), branch, dry_run=True, sample_size=10)
    assert dry["dry_run"] is True
    assert dry["counts"]["graded"] == 1
    assert dry["counts"]["upgrades"] == 1
    assert dry["sample"][0]["customer_id"] == cid
    assert dry["sample"][0]["tier"] == grading_pb2.TIER_VIP
    assert await grades.grade_history(engines["grading"], library, cid) == before
    assert await outbox_size() == events


async def test_distribution_counts_and_moves(engines, library, runs):
    branch = new_id("BR")
    ids = [new_id("C") for _ in range(3)]
    levels = [6_000_000, 600_000, 1_000]
    for cid, assets in zip(ids, levels, strict=True):
        await apply(
            engines,
            library,
            customer(cid, branch_id=branch),
            quarters([quarter(cid, "2026Q1", assets, "2026-02-02")]),
        )
    now = await grades.distribution(engines["grading"], library, None, branch, None)
    tiers = {c.key: c.count for c in now.total.tiers}
    assert tiers == {"VIP": 1, "CORE_B": 1, "ORDINARY": 1}
    assert now.total.customers == 3
    assert sum(c.count for c in now.total.stages) == 3
    # The ordinary customer turns VIP by commission at the 2027 annual run.
    await apply(
        engines,
        library,
        quarters([quarter(ids[2], "2026Q1", 1_000, "2026-02-02", version=2, commission=60_000)]),
    )
    await run(runs, engines, date(2027, 1, 5), branch)
    report = await grades.distribution(
        engines["grading"], library, date(2027, 1, 5), branch, date(2026, 12, 31)
    )
    assert {c.key: c.count for c in report.total.tiers}["VIP"] == 2
    moves = {(m.before, m.after): m.count for m in report.tier_moves}
    assert moves[("ORDINARY", "VIP")] == 1
    before = await grades.distribution(
        engines["grading"], library, date(2026, 12, 31), branch, None
    )
    assert {c.key: c.count for c in before.total.tiers} == tiers


async def test_a_new_rule_set_applies_from_its_date_and_leaves_history_intact(
    engines, library, runs
):
    branch, cid = new_id("BR"), new_id("C")
    await apply(
        engines,
        library,
        customer(cid, branch_id=branch),
        quarters([quarter(cid, "2027Q2", 4_000_000, "2027-05-05")]),
    )
    old = await grades.get_grade(engines["grading"], library, cid, None)
    assert old.tier == grading_pb2.TIER_CORE_B
    assert old.rule_set_version == "galaxy-2025.1"

    # A second version, effective 2027-10-01, lowers the VIP line to 3,000,000 CNY.
    content = read_rules_json("galaxy-2025")
    content["version"] = "galaxy-2027q4.1"
    content["effective_from"] = "2027-10-01"
    content["tiers"]["rules"][0]["when"]["any"][0]["value"] = 300_000_000
    rules, created = await library.publish("galaxy-2027q4", json.dumps(content))
    assert created and rules.version == "galaxy-2027q4.1"
    # Publishing the same again is harmless; other content under that version is refused.
    assert (await library.publish("galaxy-2027q4", json.dumps(content)))[1] is False
    content["tiers"]["rules"][0]["when"]["any"][0]["value"] = 1
    with pytest.raises(Exception, match="already exists"):
        await library.publish("galaxy-2027q4", json.dumps(content))

    quarterly = await run(runs, engines, date(2027, 10, 8), branch)
    assert quarterly["kind"] == "QUARTERLY"
    new = await grades.get_grade(engines["grading"], library, cid, None)
    assert new.tier == grading_pb2.TIER_VIP
    assert new.rule_set_version == "galaxy-2027q4.1"
    assert "> 3,000,000 CNY" in new.reason

    history = await grades.grade_history(engines["grading"], library, cid)
    assert history[0] == old  # the earlier grade, its version and reason, unchanged
    then = await grades.get_grade(engines["grading"], library, cid, date(2027, 9, 30))
    assert then.rule_set_version == "galaxy-2025.1"
    assert then.reason == old.reason
