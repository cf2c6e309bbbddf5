"""Tests of the deterministic demo-brokerage generator (services/profile/demo)."""

from __future__ import annotations

import itertools
import re
import time
import tracemalloc
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.profile.demo import generator as g
from services.profile.demo._ids import is_valid_prc_id, is_valid_uscc
from services.profile.domain.facts import ASSET_PARTS, VALUE_COLUMNS

MONEY = tuple(c for c in VALUE_COLUMNS if c.endswith("_fen"))
PARTS = ASSET_PARTS


# ----------------------------------------------------------- independent reference checks


def ref_prc_check(first17: str) -> str:
    """ISO 7064 MOD 11-2, written from the standard rather than from the generator."""
    s = sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(first17))
    return "10X98765432"[s % 11]


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def ref_uscc_ok(code: str) -> bool:
    org_w = (3, 7, 9, 10, 5, 8, 4, 2)
    org_c = 11 - sum(int(c, 36) * w for c, w in zip(code[8:16], org_w, strict=True)) % 11
    if code[16] != {10: "X", 11: "0"}.get(org_c, str(org_c)):
        return False
    s = sum(USCC_CHARS.index(c) * (3**i % 31) for i, c in enumerate(code[:17]))
    return code[17] == USCC_CHARS[(31 - s % 31) % 31]


def concat(chunks: list[g.CustomerChunk], name: str) -> np.ndarray:
    return np.concatenate([getattr(c, name) for c in chunks])


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def spec() -> g.BrokerageSpec:
    return g.BrokerageSpec(customers=20_000, days=20, seed=7)


@pytest.fixture(scope="module")
def chunks(spec: g.BrokerageSpec) -> list[g.CustomerChunk]:
    return list(g.customer_chunks(spec, chunk_size=7_000))


@pytest.fixture(scope="module")
def days(spec: g.BrokerageSpec) -> list[g.DayFacts]:
    return list(g.iter_day_facts(spec))


# ---------------------------------------------------------------------------- calendar


def test_spec_validation() -> None:
    with pytest.raises(ValueError):
        g.BrokerageSpec(customers=10, days=0, seed=1)
    with pytest.raises(ValueError):
        g.BrokerageSpec(customers=10, days=1, seed=-1)
    with pytest.raises(ValueError):
        g.BrokerageSpec(customers=10, days=1, seed=1, branches=1000)
    with pytest.raises(IndexError):
        g.day_facts(g.BrokerageSpec(customers=10, days=2, seed=1), 2)


def test_trading_days_are_consecutive_weekdays() -> None:
    spec = g.BrokerageSpec(customers=1, days=30, seed=1)
    days = g.trading_days(spec)
    assert len(days) == 30
    assert days[0] == date(2025, 1, 2)
    assert all(d.weekday() < 5 for d in days)
    assert all((b - a).days in (1, 3) for a, b in itertools.pairwise(days))
    assert g.as_of_date(spec) == days[-1]
    # A weekend first_day rolls forward to Monday.
    sat = g.BrokerageSpec(customers=1, days=2, seed=1, first_day=date(2025, 1, 4))
    assert g.trading_days(sat) == [date(2025, 1, 6), date(2025, 1, 7)]


# ------------------------------------------------------------------------- determinism


def assert_facts_equal(a: g.DayFacts, b: g.DayFacts) -> None:
    assert a.day == b.day
    for name in g.DayFacts.ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_day_facts_deterministic_and_independent_of_order() -> None:
    spec = g.BrokerageSpec(customers=3_000, days=12, seed=11)
    g.clear_cache()
    alone = g.day_facts(spec, 7)
    assert_facts_equal(alone, g.day_facts(spec, 7))
    g.clear_cache()
    backwards = {d: g.day_facts(spec, d) for d in reversed(range(12))}
    assert_facts_equal(alone, backwards[7])
    other = g.day_facts(g.BrokerageSpec(customers=3_000, days=12, seed=12), 7)
    assert not np.array_equal(alone.total_assets_fen[:100], other.total_assets_fen[:100])


def test_customer_chunks_independent_of_chunk_size() -> None:
    spec = g.BrokerageSpec(customers=9_000, days=5, seed=3)
    a = list(g.customer_chunks(spec, chunk_size=1_000))
    g.clear_cache()
    b = list(g.customer_chunks(spec, chunk_size=3_333))
    assert sum(map(len, a)) == sum(map(len, b)) == 9_000
    for name in g.CustomerChunk.__dataclass_fields__:
        np.testing.assert_array_equal(concat(a, name), concat(b, name), err_msg=name)
    np.testing.assert_array_equal(concat(a, "index"), np.arange(9_000))


# ------------------------------------------------------------------------- master data


def test_identifiers_are_valid_and_unique(chunks: list[g.CustomerChunk]) -> None:
    ids = concat(chunks, "id_number")
    kinds = concat(chunks, "kind")
    births = concat(chunks, "birth_date")
    assert len(set(ids.tolist())) == len(ids)
    for number, kind, birth in zip(ids.tolist(), kinds.tolist(), births.tolist(), strict=True):
        if kind == "RETAIL":
            assert re.fullmatch(r"\d{17}[\dX]", number), number
            assert number[17] == ref_prc_check(number[:17]), number
            assert is_valid_prc_id(number)
            assert number[6:14] == birth.strftime("%Y%m%d")
        else:
            assert ref_uscc_ok(number) and is_valid_uscc(number), number
    # Published examples: the GB 11643 sample number and real unified social credit codes.
    assert is_valid_prc_id("11010519491231002X")
    assert not is_valid_prc_id("110105194912310021")
    assert is_valid_uscc("9144030071526726XG") and is_valid_uscc("91330100716105852F")
    assert not is_valid_uscc("9144030071526726XH")

    cust = concat(chunks, "customer_id")
    assert cust[0] == "C00000001" and cust[-1] == "C00020000"
    assert all(re.fullmatch(r"C\d{8}", c) for c in cust.tolist())
    np.testing.assert_array_equal(g.customer_id_of(np.arange(len(cust))), cust)
    phones = concat(chunks, "phone").tolist()
    assert all(re.fullmatch(r"1[358]\d{9}", p) for p in phones)
    branches = set(concat(chunks, "branch_id").tolist())
    assert branches == {f"B{i:03d}" for i in range(1, 21)}


def test_people_are_plausible(spec: g.BrokerageSpec, chunks: list[g.CustomerChunk]) -> None:
    retail = concat(chunks, "kind") == "RETAIL"
    names = concat(chunks, "name")
    assert all(2 <= len(n) <= 3 for n in names[retail].tolist())
    assert all(n.endswith(("公司", "计划")) for n in names[~retail].tolist())
    births = concat(chunks, "birth_date")
    opened = concat(chunks, "open_date")
    assert np.isnat(births[~retail]).all() and not np.isnat(births[retail]).any()
    age_at_open = (opened[retail] - births[retail]).astype(np.int64) / 365.25
    assert age_at_open.min() >= 18
    assert (opened <= np.datetime64(g.as_of_date(spec))).all()
    assert set(concat(chunks, "occupation")[retail].tolist()) >= {"退休人员", "企业职员"}
    expiry = concat(chunks, "id_expiry_date")
    as_of = np.datetime64(g.as_of_date(spec))
    assert 0.03 < (expiry < as_of).mean() < 0.10
    assert 0.03 < ((expiry >= as_of) & (expiry < as_of + 90)).mean() < 0.10
    rec = chunks[0].records()[0]
    assert rec["customer_id"] == "C00000001" and isinstance(rec["open_date"], date)


def test_class_shares(spec: g.BrokerageSpec, chunks: list[g.CustomerChunk]) -> None:
    kind = concat(chunks, "kind")
    assert 0.006 < (kind == "INSTITUTION").mean() < 0.014
    margin = concat(chunks, "has_margin")
    assert 0.08 <= margin.mean() <= 0.10
    assert 0.005 < concat(chunks, "has_option").mean() < 0.03
    assert set(concat(chunks, "lifecycle").tolist()) == set(g.LIFECYCLES)
    status = concat(chunks, "status")
    assert set(status.tolist()) == set(g.STATUSES)
    assert (status == "ACTIVE").mean() > 0.85
    leaving = concat(chunks, "lifecycle") == "LEAVING"
    assert (status[~leaving] == "ACTIVE").all()

    level = concat(chunks, "assessment_target_level")
    retail = kind == "RETAIL"
    prof = concat(chunks, "professional")
    assert set(level.tolist()) == {*g.RISK_LEVELS, ""}
    assert (level[kind == "INSTITUTION"] == "").all()
    assert (level[retail & ~prof] != "").all()
    lowest = concat(chunks, "assessment_lowest_category")
    assert 0.005 < lowest.mean() < 0.05 and (level[lowest] == "C1").all()
    assessed_on = concat(chunks, "assessment_assessed_on")
    as_of = np.datetime64(g.as_of_date(spec))
    age = (as_of - assessed_on[level != ""]).astype(np.int64)
    assert (age >= 0).all()
    assert 0.03 < (age > g.ASSESSMENT_VALIDITY_DAYS).mean() < 0.25
    assert (assessed_on[level != ""] >= concat(chunks, "open_date")[level != ""]).all()

    perms = concat(chunks, "permissions")
    held = ~np.isnat(perms)
    assert held.any(axis=0).all()  # every permission occurs
    np.testing.assert_array_equal(held[:, g.PERMISSIONS.index("MARGIN")], margin)
    np.testing.assert_array_equal(
        held[:, g.PERMISSIONS.index("OPTIONS")], concat(chunks, "has_option")
    )
    opened = concat(chunks, "open_date")
    assert (perms[held] >= np.broadcast_to(opened[:, None], perms.shape)[held]).all()
    assert (perms[held] <= as_of).all()


# ----------------------------------------------------------------------------- facts


def check_money(f: g.DayFacts) -> None:
    n = len(f)
    for name in g.DayFacts.ARRAYS:
        assert len(getattr(f, name)) == n, name
    for name in MONEY:
        arr = getattr(f, name)
        assert arr.dtype == np.int64, name
        assert (arr >= 0).all(), name
    assert f.customer_index.dtype == np.int32 and f.trade_count.dtype == np.int32
    assert f.average_holding_days.dtype == np.int32
    assert (f.trade_count >= 0).all() and (f.average_holding_days >= 1).all()
    np.testing.assert_array_equal(f.total_assets_fen, sum(getattr(f, p) for p in PARTS))
    assert (f.collateral_fen <= f.securities_fen).all()
    assert (f.net_commission_fen[f.trade_count == 0] == 0).all()
    assert np.all(np.diff(f.customer_index) > 0)


def test_money_is_consistent(
    spec: g.BrokerageSpec, days: list[g.DayFacts], chunks: list[g.CustomerChunk]
) -> None:
    margin = concat(chunks, "has_margin")
    for f in days:
        check_money(f)
        m = margin[f.customer_index]
        assert (f.margin_debt_fen[~m] == 0).all() and (f.collateral_fen[~m] == 0).all()
    debt = np.concatenate([f.margin_debt_fen for f in days])
    coll = np.concatenate([f.collateral_fen for f in days])
    borrowing = debt > 0
    assert borrowing.sum() > 1_000
    assert (debt[borrowing] < coll[borrowing]).mean() > 0.95


def test_assets_are_log_normal(days: list[g.DayFacts], chunks: list[g.CustomerChunk]) -> None:
    f = days[0]
    inst = concat(chunks, "kind")[f.customer_index] == "INSTITUTION"
    total_cny = f.total_assets_fen / 100
    retail = total_cny[~inst & (total_cny > 0)]
    assert 40_000 < np.median(retail) < 110_000
    assert retail.max() > 5_000_000
    assert np.median(total_cny[inst]) > 50 * np.median(retail)
    logs = np.log(retail)
    skew = ((logs - logs.mean()) ** 3).mean() / logs.std() ** 3
    assert abs(skew) < 0.5  # log of assets roughly symmetric


def test_commission_80_20(spec: g.BrokerageSpec, days: list[g.DayFacts]) -> None:
    per_customer = np.zeros(spec.customers)
    for f in days:
        per_customer[f.customer_index] += f.net_commission_fen
    ranked = np.sort(per_customer)[::-1]
    share = ranked[: spec.customers // 5].sum() / ranked.sum()
    print(f"top 20% of customers bring {share:.1%} of net commission")
    assert 0.75 <= share <= 0.85


def test_lifecycle_patterns_shape_the_trend() -> None:
    spec = g.BrokerageSpec(customers=10_000, days=120, seed=5)
    chunks = list(g.customer_chunks(spec, chunk_size=10_000))
    life = concat(chunks, "lifecycle")
    status = concat(chunks, "status")
    opened = concat(chunks, "open_date")
    first, last = g.day_facts(spec, 0), g.day_facts(spec, spec.days - 1)

    def assets(f: g.DayFacts) -> np.ndarray:
        a = np.full(spec.customers, np.nan)
        a[f.customer_index] = f.total_assets_fen
        return a

    a0, a1 = assets(first), assets(last)
    ratio = {}
    for name in ("GROWING", "STABLE", "DECLINING"):
        m = (life == name) & (a0 > 0) & ~np.isnan(a1)
        ratio[name] = np.median(a1[m] / a0[m])
    assert ratio["GROWING"] > ratio["STABLE"] > ratio["DECLINING"]
    assert ratio["GROWING"] > 1.0 and ratio["DECLINING"] < 0.9

    # Closed / transferred-out customers vanish after their last day, on which nothing is left
    # (so on the period's last day they either are absent or show an emptied account).
    gone = np.isin(status, ["CLOSED", "TRANSFERRED_OUT"])
    still_there = gone[last.customer_index]
    assert (last.total_assets_fen[still_there] == 0).all()
    assert still_there.sum() < 0.1 * gone.sum()
    # Dormant customers keep a residue but no longer trade.
    dormant = np.flatnonzero(status == "DORMANT")
    pos = np.searchsorted(last.customer_index, dormant)
    assert (last.customer_index[pos] == dormant).all()
    assert (last.trade_count[pos] == 0).all()
    assert np.median(last.total_assets_fen[pos]) < 1_000_000  # < 10k CNY

    # Leaving customers drain: outflows exceed inflows over the period; and vice versa.
    flows = {name: [0, 0] for name in ("GROWING", "LEAVING")}
    for d in range(spec.days):
        f = g.day_facts(spec, d)
        day = np.datetime64(f.day)
        assert (opened[f.customer_index] <= day).all()  # NEW only from their open day
        if d in (0, spec.days - 1):
            continue
        for name in flows:
            m = life[f.customer_index] == name
            flows[name][0] += int(f.fund_inflow_fen[m].sum())
            flows[name][1] += int(f.fund_outflow_fen[m].sum())
    assert flows["GROWING"][0] > 1.5 * flows["GROWING"][1]
    assert flows["LEAVING"][1] > 3 * flows["LEAVING"][0]
    new_seen = np.isin(np.flatnonzero(life == "NEW"), first.customer_index).mean()
    assert 0.1 < new_seen < 0.6  # some NEW customers opened before the period, most during it


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    customers=st.integers(0, 400),
    days=st.integers(1, 30),
    seed=st.integers(0, 2**32),
    data=st.data(),
)
def test_any_small_spec_is_consistent(
    customers: int, days: int, seed: int, data: st.DataObject
) -> None:
    spec = g.BrokerageSpec(customers=customers, days=days, seed=seed)
    d = data.draw(st.integers(0, days - 1))
    f = g.day_facts(spec, d)
    check_money(f)
    assert len(f) <= customers
    g.clear_cache()
    assert_facts_equal(f, g.day_facts(spec, d))
    chunks = list(g.customer_chunks(spec, chunk_size=97))
    assert sum(map(len, chunks)) == customers


def test_memory_does_not_grow_with_days() -> None:
    spec = g.BrokerageSpec(customers=20_000, days=60, seed=9)
    g.day_facts(spec, 0)  # build the static parameters first
    tracemalloc.start()
    try:
        for d in range(5):
            g.day_facts(spec, d)
        _, early = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for d in range(5, 60):
            g.day_facts(spec, d)
        _, late = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert late < 1.2 * early


def test_speed_one_million_customers_one_day() -> None:
    spec = g.BrokerageSpec(customers=1_000_000, days=1, seed=42)
    g.clear_cache()
    t0 = time.perf_counter()
    g.day_facts(spec, 0)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    f = g.day_facts(spec, 0)
    warm = time.perf_counter() - t0
    print(
        f"1M customers x 1 day: {len(f):,} rows; cold (with static parameters) {cold:.2f}s, "
        f"warm {warm:.3f}s = {len(f) / warm:,.0f} rows/s"
    )
    g.clear_cache()
    assert warm < 3.0
