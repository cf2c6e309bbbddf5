"""The customer record over real sockets: identity and its checks, masked PII by role, status
history, accounts and permissions, tags, events with every change, and paging through
100,000 customers."""

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from clienttier.profile.v1 import profile_pb2 as pb
from clienttier.profile.v1 import risk_pb2, risk_pb2_grpc
from ops.dsn import admin_url as admin_on
from tests.conftest import new_id

pytestmark = pytest.mark.e2e

PRC_ID = "110101198506150019"  # valid check character, born 1985-06-15
USCC = "91110108123456788E"  # valid unified social credit code
COMPLIANCE = (("x-clienttier-role", "compliance"),)
ADVISOR = (("x-clienttier-role", "advisor"),)


def person(**overrides) -> pb.Customer:
    fields = {
        "customer_id": new_id("C"),
        "kind": pb.CUSTOMER_KIND_RETAIL,
        "name": "李四",
        "birth_date": "1985-06-15",
        "occupation": "engineer",
        "income_band": "B",
        "phone": "13812345678",
        "id_number": PRC_ID,
        "id_expiry_date": "2035-06-15",
        "branch_id": "B001",
        "open_date": "2020-03-01",
    } | overrides
    return pb.Customer(**fields)


def institution(**overrides) -> pb.Customer:
    fields = {
        "customer_id": new_id("I"),
        "kind": pb.CUSTOMER_KIND_INSTITUTION,
        "name": "北京某某投资有限公司",
        "phone": "13900001111",
        "id_number": USCC,
        "branch_id": "B001",
        "open_date": "2019-01-02",
    } | overrides
    return pb.Customer(**fields)


async def create(stubs, customer: pb.Customer, metadata=None) -> pb.Customer:
    reply = await stubs.profile.CreateCustomer(
        pb.CreateCustomerRequest(customer=customer), metadata=metadata
    )
    return reply.customer


async def get(stubs, customer_id: str, metadata=None) -> pb.Customer:
    reply = await stubs.profile.GetCustomer(
        pb.GetCustomerRequest(customer_id=customer_id), metadata=metadata
    )
    return reply.customer


async def rejected(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


@pytest.fixture
async def db(admin_url, test_database):
    """An admin connection to the test database, to look behind the service."""
    engine = create_async_engine(admin_on(admin_url, test_database))
    yield engine
    await engine.dispose()


async def written(db, customer_id: str) -> tuple:
    """Everything a change to the customer writes: version, outbox rows, history rows."""
    async with db.connect() as conn:
        return (
            await conn.execute(
                text("""
                SELECT (SELECT version FROM profile.customers WHERE customer_id = :c),
                       (SELECT count(*) FROM profile.outbox WHERE aggregate_id = :c),
                       (SELECT count(*) FROM profile.customer_status_changes
                         WHERE customer_id = :c),
                       (SELECT count(*) FROM profile.customer_tag_changes WHERE customer_id = :c),
                       (SELECT count(*) FROM profile.customer_tags WHERE customer_id = :c),
                       (SELECT count(*) FROM profile.customer_accounts WHERE customer_id = :c),
                       (SELECT count(*) FROM profile.customer_permissions
                         WHERE customer_id = :c)"""),
                {"c": customer_id},
            )
        ).one()


async def events(db, customer_id: str) -> list[pb.CustomerChanged]:
    async with db.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT payload FROM profile.outbox WHERE aggregate_id = :c"
                " AND event_type = 'clienttier.profile.v1.CustomerChanged' ORDER BY id"
            ),
            {"c": customer_id},
        )
        return [pb.CustomerChanged.FromString(row.payload) for row in rows]


# --- identity and PII -----------------------------------------------------------------------------


async def test_pii_is_masked_for_everyone_but_compliance(stubs):
    created = await create(stubs, person())
    assert (created.phone, created.id_number) == ("138****5678", "110***********0019")
    cid = created.customer_id
    for metadata in (None, ADVISOR):
        shown = await get(stubs, cid, metadata)
        assert (shown.phone, shown.id_number) == ("138****5678", "110***********0019")
    whole = await get(stubs, cid, COMPLIANCE)
    assert (whole.phone, whole.id_number) == ("13812345678", PRC_ID)
    assert (whole.name, whole.income_band, whole.status) == ("李四", "B", pb.CUSTOMER_STATUS_ACTIVE)
    assert (whole.status_since, whole.version) == ("2020-03-01", 1)

    listed = await stubs.profile.ListCustomers(
        pb.ListCustomersRequest(branch_id="B001", page_size=1000)
    )
    assert all("*" in c.phone and "*" in c.id_number for c in listed.customers)
    listed = await stubs.profile.ListCustomers(
        pb.ListCustomersRequest(branch_id="B001", page_size=1000), metadata=COMPLIANCE
    )
    assert "13812345678" in {c.phone for c in listed.customers}


async def test_institutions_carry_a_credit_code(stubs):
    created = await create(stubs, institution(), COMPLIANCE)
    assert (created.kind, created.id_number, created.birth_date) == (
        pb.CUSTOMER_KIND_INSTITUTION,
        USCC,
        "",
    )
    error = await rejected(create(stubs, institution(id_number=PRC_ID)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("customer.id_number:")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": "12345"}, "customer.phone"),
        ({"phone": ""}, "customer.phone"),
        ({"id_number": "110101198506150011"}, "customer.id_number"),
        ({"birth_date": "1985-06-16"}, "customer.birth_date"),
        ({"status": 9}, "customer.status"),
        ({"status_since": "2019-01-01"}, "customer.status_since"),
    ],
)
async def test_bad_identity_is_rejected_and_nothing_is_written(stubs, db, overrides, field):
    customer = person(**overrides)
    error = await rejected(create(stubs, customer))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith(field + ":")
    assert "13812345678" not in error.details() and PRC_ID not in error.details()
    assert await written(db, customer.customer_id) == (None, 0, 0, 0, 0, 0, 0)


async def test_update_changes_identity_and_publishes_the_whole_record(stubs, db):
    cid = (await create(stubs, person())).customer_id
    reply = await stubs.profile.UpdateCustomer(
        pb.UpdateCustomerRequest(
            customer=pb.Customer(customer_id=cid, occupation="teacher", phone="13900002222"),
            update_mask=FieldMask(paths=["occupation", "phone", "income_band"]),
        )
    )
    updated = reply.customer
    assert (updated.occupation, updated.income_band, updated.phone) == (
        "teacher",
        "",
        "139****2222",
    )
    assert (updated.version, updated.name) == (2, "李四")  # fields outside the mask kept

    # No mask: the identity fields set; a masked value sent back means unchanged.
    shown = await get(stubs, cid)
    shown.income_band = "D"
    shown.branch_id = "B999"  # not identity: ignored
    again = await stubs.profile.UpdateCustomer(
        pb.UpdateCustomerRequest(customer=shown), metadata=COMPLIANCE
    )
    assert (again.customer.income_band, again.customer.phone) == ("D", "13900002222")
    assert (again.customer.id_number, again.customer.branch_id) == (PRC_ID, "B001")

    published = await events(db, cid)
    assert [e.version for e in published] == [1, 2, 3]
    assert published[-1].customer.phone == "13900002222"  # unmasked: service-to-service
    assert published[-1].customer.income_band == "D"
    assert published[-1].customer.version == 3


@pytest.mark.parametrize(
    ("customer", "paths", "field"),
    [
        (pb.Customer(phone="138"), ["phone"], "customer.phone"),
        (pb.Customer(id_number="110101198506150011"), ["id_number"], "customer.id_number"),
        (pb.Customer(birth_date="2021-01-01"), ["birth_date"], "customer.birth_date"),
        (pb.Customer(name=""), ["name"], "customer.name"),
        (pb.Customer(branch_id="B2"), ["branch_id"], "update_mask"),
        (pb.Customer(), [], "update_mask"),
        (pb.Customer(occupation="x"), ["occupation"], "effective_date"),
    ],
)
async def test_bad_updates_are_rejected_and_nothing_is_written(stubs, db, customer, paths, field):
    cid = (await create(stubs, person())).customer_id
    before = await written(db, cid)
    customer.customer_id = cid
    request = pb.UpdateCustomerRequest(customer=customer, update_mask=FieldMask(paths=paths))
    if field == "effective_date":
        request.effective_date = "2024/01/01"
    error = await rejected(stubs.profile.UpdateCustomer(request))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith(field + ":")
    assert await written(db, cid) == before
    assert (await get(stubs, cid, COMPLIANCE)).phone == "13812345678"


async def test_unknown_customers_are_not_found_everywhere(stubs):
    nobody = new_id("NOBODY")
    p = stubs.profile
    for call in (
        p.GetCustomer(pb.GetCustomerRequest(customer_id=nobody)),
        p.GetCustomerHistory(pb.GetCustomerHistoryRequest(customer_id=nobody)),
        p.UpdateCustomer(
            pb.UpdateCustomerRequest(customer=pb.Customer(customer_id=nobody, occupation="x"))
        ),
        p.ChangeCustomerStatus(
            pb.ChangeCustomerStatusRequest(
                customer_id=nobody,
                status=pb.CUSTOMER_STATUS_DORMANT,
                effective_date="2024-01-01",
                reason="r",
            )
        ),
        p.OpenAccount(
            pb.OpenAccountRequest(
                customer_id=nobody, type=pb.ACCOUNT_TYPE_CASH, opened_date="2024-01-01"
            )
        ),
        p.GrantPermission(
            pb.GrantPermissionRequest(
                customer_id=nobody,
                permission=pb.BUSINESS_PERMISSION_NEEQ,
                opened_date="2024-01-01",
            )
        ),
        p.AddTag(
            pb.AddTagRequest(
                customer_id=nobody, dimension=pb.TAG_DIMENSION_VALUE, name="x", actor="a"
            )
        ),
    ):
        error = await rejected(call)
        assert error.code() == grpc.StatusCode.NOT_FOUND
        assert nobody in error.details()


# --- status ------------------------------------------------------------------------------------


def status(cid: str, to: int, on: str, reason: str) -> pb.ChangeCustomerStatusRequest:
    return pb.ChangeCustomerStatusRequest(
        customer_id=cid, status=to, effective_date=on, reason=reason
    )


async def test_status_changes_keep_their_dates_and_reasons(stubs, db):
    cid = (await create(stubs, person())).customer_id
    p = stubs.profile
    await p.ChangeCustomerStatus(status(cid, pb.CUSTOMER_STATUS_DORMANT, "2023-01-02", "no trades"))
    await p.ChangeCustomerStatus(status(cid, pb.CUSTOMER_STATUS_ACTIVE, "2023-06-01", "traded"))
    await p.ChangeCustomerStatus(
        status(cid, pb.CUSTOMER_STATUS_TRANSFERRED_OUT, "2024-02-01", "转户")
    )
    closed = await p.ChangeCustomerStatus(
        status(cid, pb.CUSTOMER_STATUS_CLOSED, "2024-03-01", "销户")
    )
    assert closed.customer.status == pb.CUSTOMER_STATUS_CLOSED
    assert (closed.customer.status_since, closed.customer.status_reason) == ("2024-03-01", "销户")
    assert closed.customer.phone == "138****5678"

    history = await p.GetCustomerHistory(pb.GetCustomerHistoryRequest(customer_id=cid))
    assert [
        (s.from_status, s.to_status, s.effective_date, s.reason, s.version)
        for s in history.status_changes
    ] == [
        (0, pb.CUSTOMER_STATUS_ACTIVE, "2020-03-01", "customer record created", 1),
        (1, pb.CUSTOMER_STATUS_DORMANT, "2023-01-02", "no trades", 2),
        (2, pb.CUSTOMER_STATUS_ACTIVE, "2023-06-01", "traded", 3),
        (1, pb.CUSTOMER_STATUS_TRANSFERRED_OUT, "2024-02-01", "转户", 4),
        (3, pb.CUSTOMER_STATUS_CLOSED, "2024-03-01", "销户", 5),
    ]
    assert all(s.recorded_at.seconds > 0 for s in history.status_changes)
    assert [e.customer.status for e in await events(db, cid)] == [1, 2, 1, 3, 4]

    before = await written(db, cid)
    for to in (pb.CUSTOMER_STATUS_ACTIVE, pb.CUSTOMER_STATUS_DORMANT, pb.CUSTOMER_STATUS_CLOSED):
        error = await rejected(p.ChangeCustomerStatus(status(cid, to, "2025-01-01", "again")))
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "CLOSED" in error.details()
    assert await written(db, cid) == before


@pytest.mark.parametrize(
    ("to", "on", "reason", "code", "field"),
    [
        (pb.CUSTOMER_STATUS_ACTIVE, "2024-01-01", "r", "FAILED_PRECONDITION", ""),
        (pb.CUSTOMER_STATUS_DORMANT, "2020-02-01", "r", "INVALID_ARGUMENT", "effective_date"),
        (pb.CUSTOMER_STATUS_DORMANT, "2024-01-01", " ", "INVALID_ARGUMENT", "reason"),
        (pb.CUSTOMER_STATUS_DORMANT, "", "r", "INVALID_ARGUMENT", "effective_date"),
        (0, "2024-01-01", "r", "INVALID_ARGUMENT", "status"),
    ],
)
async def test_impossible_status_changes_are_rejected(stubs, db, to, on, reason, code, field):
    cid = (await create(stubs, person())).customer_id
    before = await written(db, cid)
    error = await rejected(stubs.profile.ChangeCustomerStatus(status(cid, to, on, reason)))
    assert error.code() == getattr(grpc.StatusCode, code)
    assert error.details().startswith(field + ":") if field else True
    assert await written(db, cid) == before


# --- accounts, permissions, tags -----------------------------------------------------------------


async def test_accounts_and_permissions_with_their_dates(stubs, db):
    cid = (await create(stubs, person())).customer_id
    p = stubs.profile
    for kind, on in ((pb.ACCOUNT_TYPE_CASH, "2020-03-01"), (pb.ACCOUNT_TYPE_MARGIN, "2022-05-06")):
        await p.OpenAccount(pb.OpenAccountRequest(customer_id=cid, type=kind, opened_date=on))
    for grant, on in (
        (pb.BUSINESS_PERMISSION_MARGIN_TRADING, "2022-05-06"),
        (pb.BUSINESS_PERMISSION_STAR_MARKET, "2021-07-01"),
    ):
        reply = await p.GrantPermission(
            pb.GrantPermissionRequest(customer_id=cid, permission=grant, opened_date=on)
        )
    assert reply.customer.version == 5

    shown = await get(stubs, cid)
    assert [(a.type, a.opened_date) for a in shown.accounts] == [
        (pb.ACCOUNT_TYPE_CASH, "2020-03-01"),
        (pb.ACCOUNT_TYPE_MARGIN, "2022-05-06"),
    ]
    assert [(g.permission, g.opened_date) for g in shown.permissions] == [
        (pb.BUSINESS_PERMISSION_MARGIN_TRADING, "2022-05-06"),
        (pb.BUSINESS_PERMISSION_STAR_MARKET, "2021-07-01"),
    ]
    last = (await events(db, cid))[-1]
    assert last.version == 5 and len(last.customer.accounts) == 2
    assert len(last.customer.permissions) == 2

    before = await written(db, cid)
    twice = await rejected(
        p.OpenAccount(
            pb.OpenAccountRequest(
                customer_id=cid, type=pb.ACCOUNT_TYPE_CASH, opened_date="2024-01-01"
            )
        )
    )
    assert twice.code() == grpc.StatusCode.ALREADY_EXISTS
    early = await rejected(
        p.GrantPermission(
            pb.GrantPermissionRequest(
                customer_id=cid,
                permission=pb.BUSINESS_PERMISSION_OPTIONS,
                opened_date="2019-12-31",
            )
        )
    )
    assert early.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert early.details().startswith("opened_date:")
    assert await written(db, cid) == before

    await p.ChangeCustomerStatus(status(cid, pb.CUSTOMER_STATUS_CLOSED, "2024-06-01", "销户"))
    gone = await rejected(
        p.OpenAccount(
            pb.OpenAccountRequest(
                customer_id=cid, type=pb.ACCOUNT_TYPE_OPTION, opened_date="2024-07-01"
            )
        )
    )
    assert gone.code() == grpc.StatusCode.FAILED_PRECONDITION


def tag(cid: str, dimension: int, name: str, actor: str = "advisor-7"):
    return {"customer_id": cid, "dimension": dimension, "name": name, "actor": actor}


async def test_tags_with_who_and_when(stubs, db):
    cid = (await create(stubs, person())).customer_id
    p = stubs.profile
    await p.AddTag(pb.AddTagRequest(**tag(cid, pb.TAG_DIMENSION_VALUE, "高净值")))
    await p.AddTag(pb.AddTagRequest(**tag(cid, pb.TAG_DIMENSION_NEEDS, "养老规划", "crm-batch")))
    await p.AddTag(pb.AddTagRequest(**tag(cid, pb.TAG_DIMENSION_LOYALTY, "十年")))
    reply = await p.RemoveTag(pb.RemoveTagRequest(**tag(cid, pb.TAG_DIMENSION_LOYALTY, "十年")))
    current = [(t.dimension, t.name, t.added_by) for t in reply.customer.tags]
    assert current == [
        (pb.TAG_DIMENSION_VALUE, "高净值", "advisor-7"),
        (pb.TAG_DIMENSION_NEEDS, "养老规划", "crm-batch"),
    ]
    assert all(t.added_at.seconds > 0 for t in reply.customer.tags)
    assert reply.customer.version == 5

    history = await p.GetCustomerHistory(pb.GetCustomerHistoryRequest(customer_id=cid))
    assert [(c.action, c.name, c.actor, c.version) for c in history.tag_changes] == [
        (pb.TAG_ACTION_ADDED, "高净值", "advisor-7", 2),
        (pb.TAG_ACTION_ADDED, "养老规划", "crm-batch", 3),
        (pb.TAG_ACTION_ADDED, "十年", "advisor-7", 4),
        (pb.TAG_ACTION_REMOVED, "十年", "advisor-7", 5),
    ]
    assert [len(e.customer.tags) for e in await events(db, cid)] == [0, 1, 2, 3, 2]

    before = await written(db, cid)
    again = await rejected(p.AddTag(pb.AddTagRequest(**tag(cid, pb.TAG_DIMENSION_VALUE, "高净值"))))
    assert again.code() == grpc.StatusCode.ALREADY_EXISTS
    absent = await rejected(
        p.RemoveTag(pb.RemoveTagRequest(**tag(cid, pb.TAG_DIMENSION_NEEDS, "x")))
    )
    assert absent.code() == grpc.StatusCode.NOT_FOUND
    for bad, field in (
        (tag(cid, 0, "x"), "dimension"),
        (tag(cid, pb.TAG_DIMENSION_VALUE, ""), "name"),
        (tag(cid, pb.TAG_DIMENSION_VALUE, "x", ""), "actor"),
    ):
        error = await rejected(p.AddTag(pb.AddTagRequest(**bad)))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error.details().startswith(field + ":")
    assert await written(db, cid) == before


# --- listing -------------------------------------------------------------------------------------

BULK = 100_000
STATUSES = ("ACTIVE", "DORMANT", "TRANSFERRED_OUT", "CLOSED")


async def _load_bulk(db, prefix: str, branch: str) -> None:
    """100,000 customers in one statement (status by i % 4), and a VALUE/vip tag on every
    tenth, straight into profile's tables: the service pages over what is there."""
    async with db.begin() as conn:
        await conn.execute(
            text("""
            INSERT INTO profile.customers (customer_id, kind, name, birth_date, occupation,
                phone, id_number, branch_id, open_date, status, version)
            SELECT :prefix || lpad(i::text, 6, '0'), 'RETAIL', 'bulk ' || i, date '1985-06-15',
                   'clerk', '138' || lpad(i::text, 8, '0'), :id_number, :branch,
                   date '2020-01-01', (CAST(:statuses AS text[]))[i % 4 + 1], 1
            FROM generate_series(0, :n - 1) AS i"""),
            {
                "prefix": prefix,
                "id_number": PRC_ID,
                "branch": branch,
                "n": BULK,
                "statuses": list(STATUSES),
            },
        )
        await conn.execute(
            text("""
            INSERT INTO profile.customer_tags (customer_id, dimension, name, added_by)
            SELECT :prefix || lpad(i::text, 6, '0'), 'VALUE', :tag, 'bulk'
            FROM generate_series(0, :n - 1, 10) AS i"""),
            {"prefix": prefix, "tag": f"vip-{prefix}", "n": BULK},
        )
        await conn.execute(text("ANALYZE profile.customers, profile.customer_tags"))


async def _walk(stubs, request: pb.ListCustomersRequest) -> tuple[list[str], int]:
    ids: list[str] = []
    pages = 0
    while True:
        reply = await stubs.profile.ListCustomers(request, timeout=30)
        pages += 1
        assert len(reply.customers) <= (request.page_size or 100)
        ids += [c.customer_id for c in reply.customers]
        if not reply.next_page_token:
            return ids, pages
        request.page_token = reply.next_page_token


async def test_paging_through_100_000_customers(stubs, db):
    prefix, branch = new_id("P"), new_id("BR")
    await _load_bulk(db, prefix, branch)
    async with db.connect() as conn:
        in_order = list(
            await conn.scalars(
                text("SELECT customer_id FROM profile.customers WHERE branch_id = :b ORDER BY 1"),
                {"b": branch},
            )
        )
        # Deep pages read an index range from the keyset bound, not rows skipped past.
        plan = "\n".join(
            await conn.scalars(
                text(
                    "EXPLAIN SELECT customer_id FROM profile.customers WHERE branch_id = :b"
                    " AND status = 'DORMANT' AND customer_id > :after"
                    " ORDER BY customer_id LIMIT 1001"
                ),
                {"b": branch, "after": in_order[BULK // 2]},
            )
        )
    assert len(in_order) == BULK
    assert "Index" in plan and "Seq Scan" not in plan, plan

    ids, pages = await _walk(stubs, pb.ListCustomersRequest(branch_id=branch, page_size=1000))
    assert ids == in_order  # no duplicates, no gaps, the database's own order
    assert pages == 100

    # Unfiltered: the whole book, ours included, strictly increasing (so no duplicates).
    everyone, _ = await _walk(stubs, pb.ListCustomersRequest(page_size=1000))
    assert len(everyone) == len(set(everyone)) >= BULK
    assert set(in_order) <= set(everyone)
    position = {cid: k for k, cid in enumerate(everyone)}
    assert [position[cid] for cid in in_order] == sorted(position[cid] for cid in in_order)

    def expected(keep) -> list[str]:
        return [cid for cid in in_order if keep(int(cid[len(prefix) :]))]

    dormant, _ = await _walk(
        stubs,
        pb.ListCustomersRequest(branch_id=branch, status=pb.CUSTOMER_STATUS_DORMANT, page_size=777),
    )
    assert dormant == expected(lambda i: i % 4 == 1)

    vip = {"tag_dimension": pb.TAG_DIMENSION_VALUE, "tag_name": f"vip-{prefix}"}
    tagged, _ = await _walk(stubs, pb.ListCustomersRequest(**vip, page_size=999))
    assert tagged == expected(lambda i: i % 10 == 0)

    moved_vip, _ = await _walk(
        stubs,
        pb.ListCustomersRequest(
            **vip, branch_id=branch, status=pb.CUSTOMER_STATUS_TRANSFERRED_OUT, page_size=500
        ),
    )
    assert moved_vip == expected(lambda i: i % 10 == 0 and i % 4 == 2)
    assert len(moved_vip) == 5_000

    page = await stubs.profile.ListCustomers(pb.ListCustomersRequest(**vip, page_size=1))
    assert page.customers[0].tags[0].name == f"vip-{prefix}"
    assert page.customers[0].phone.startswith("138****")


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"page_size": 1001}, "page_size"),
        ({"page_size": -1}, "page_size"),
        ({"page_token": "garbage"}, "page_token"),
        ({"tag_name": "x"}, "tag_dimension"),
        ({"tag_dimension": pb.TAG_DIMENSION_VALUE}, "tag_name"),
        ({"status": 17}, "status"),
    ],
)
async def test_bad_list_requests_name_the_field(stubs, request_fields, field):
    error = await rejected(stubs.profile.ListCustomers(pb.ListCustomersRequest(**request_fields)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith(field + ":")


async def test_a_page_token_only_continues_its_own_query(stubs):
    for _ in range(3):
        await create(stubs, person(branch_id="B777"))
    first = await stubs.profile.ListCustomers(
        pb.ListCustomersRequest(branch_id="B777", page_size=1)
    )
    assert first.next_page_token
    error = await rejected(
        stubs.profile.ListCustomers(
            pb.ListCustomersRequest(branch_id="B778", page_token=first.next_page_token)
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("page_token:")


async def test_a_material_update_marks_the_risk_assessment_in_the_same_commit(stubs, db):
    """UpdateCustomer runs risk.flag_material_changes inside its unit of work."""
    risk = risk_pb2_grpc.RiskAssessmentServiceStub(stubs.channels["profile"])
    cid = (await create(stubs, person())).customer_id
    q = (
        await risk.GetQuestionnaire(
            risk_pb2.GetQuestionnaireRequest(questionnaire_id="galaxy-2024")
        )
    ).questionnaire
    answers = [
        risk_pb2.Answer(
            question_id=question.question_id,
            option_id=next(o.option_id for o in question.options if not o.lowest_category),
        )
        for question in q.questions
    ]
    await risk.SubmitAssessment(
        risk_pb2.SubmitAssessmentRequest(
            customer_id=cid, questionnaire_id="galaxy-2024", answers=answers
        )
    )
    await stubs.profile.UpdateCustomer(
        pb.UpdateCustomerRequest(
            customer=pb.Customer(customer_id=cid, income_band="E"),
            update_mask=FieldMask(paths=["income_band"]),
        )
    )
    assessment = (
        await risk.GetAssessment(risk_pb2.GetAssessmentRequest(customer_id=cid))
    ).assessment
    assert assessment.needs_renewal
    async with db.connect() as conn:
        committed = (
            await conn.execute(
                text(
                    "SELECT event_type, xmin FROM profile.outbox WHERE aggregate_id = :c"
                    " ORDER BY id DESC LIMIT 2"
                ),
                {"c": cid},
            )
        ).all()
    kinds = {row.event_type.rsplit(".", 1)[1] for row in committed}
    assert kinds == {"CustomerChanged", "AssessmentNeedsRenewal"}
    assert committed[0].xmin == committed[1].xmin  # one transaction
