"""Profile's gRPC servicer: proto <-> domain mapping and validation only; errors become status
codes. Every customer leaving here is masked unless the caller's role is compliance."""

import asyncio

import grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from clienttier.profile.v1 import profile_pb2, profile_pb2_grpc
from mesh.db import ReadPool
from mesh.errors import InvalidField
from mesh.outbox import OutboxFeed, serve_subscription
from mesh.rpc import (
    caller_role,
    parse_date,
    required_date,
    required_id,
    required_text,
    server_stream,
    unary,
)
from services.profile.adapters.messages import (
    customer_from_proto,
    decode_page_token,
    encode_page_token,
    filter_from_request,
    from_enum,
    history_to_proto,
    identity_changes_from_proto,
    record_to_proto,
    status_start_from_proto,
    tag_from_request,
)
from services.profile.adapters.repository import CustomerReader
from services.profile.domain.customer import (
    Account,
    AccountType,
    BusinessPermission,
    CustomerRecord,
    CustomerStatus,
    PermissionGrant,
)
from services.profile.service import (
    customer_accounts,
    customer_queries,
    customer_status,
    customer_tags,
    customers,
)
from services.profile.service.unit_of_work import ProfileUnitOfWork

SERVICE_NAME = profile_pb2.DESCRIPTOR.services_by_name["ProfileService"].full_name

COMPLIANCE_ROLE = "compliance"
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 100, 1000
ACTOR_MAX = 64


def _reveals_pii(context: grpc.aio.ServicerContext) -> bool:
    """PII whole for compliance only (DOMAIN.md 1)."""
    return caller_role(context) == COMPLIANCE_ROLE


def _shown(record: CustomerRecord, context: grpc.aio.ServicerContext) -> profile_pb2.Customer:
    return record_to_proto(record, reveal_pii=_reveals_pii(context))


def _page_size(value: int) -> int:
    if value == 0:
        return DEFAULT_PAGE_SIZE
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise InvalidField("page_size", f"must be 1..{MAX_PAGE_SIZE} (0: {DEFAULT_PAGE_SIZE})")
    return value


class ProfileServicer(profile_pb2_grpc.ProfileServiceServicer):
    def __init__(
        self,
        engine: AsyncEngine,
        reads: ReadPool,
        feed: OutboxFeed,
        stopping: asyncio.Event,
    ) -> None:
        self.engine = engine
        self.reader = CustomerReader(reads)
        self.feed = feed
        self.stopping = stopping

    def _uow(self) -> ProfileUnitOfWork:
        return ProfileUnitOfWork(self.engine)

    @unary
    async def CreateCustomer(self, request, context):  # type: ignore[no-untyped-def]
        if not request.HasField("customer"):
            raise InvalidField("customer", "is required")
        customer = customer_from_proto(request.customer)
        since, reason = status_start_from_proto(request.customer)
        created = await customers.create_customer(self._uow(), customer, since, reason)
        return profile_pb2.CreateCustomerResponse(customer=_shown(created, context))

    @unary
    async def GetCustomer(self, request, context):  # type: ignore[no-untyped-def]
        customer_id = required_id(request.customer_id, "customer_id")
        record = await customers.get_customer(self.reader, customer_id)
        return profile_pb2.GetCustomerResponse(customer=_shown(record, context))

    @unary
    async def UpdateCustomer(self, request, context):  # type: ignore[no-untyped-def]
        if not request.HasField("customer"):
            raise InvalidField("customer", "is required")
        customer_id = required_id(request.customer.customer_id, "customer.customer_id")
        changes = identity_changes_from_proto(request.customer, list(request.update_mask.paths))
        on = parse_date(request.effective_date, "effective_date", required=False)
        updated = await customers.update_customer(
            self._uow(), customer_id, changes, on or customers.today()
        )
        return profile_pb2.UpdateCustomerResponse(customer=_shown(updated, context))

    @unary
    async def ChangeCustomerStatus(self, request, context):  # type: ignore[no-untyped-def]
        changed = await customer_status.change_status(
            self._uow(),
            required_id(request.customer_id, "customer_id"),
            from_enum(request.status, CustomerStatus, "status"),
            required_date(request.effective_date, "effective_date"),
            required_text(request.reason, "reason"),
        )
        return profile_pb2.ChangeCustomerStatusResponse(customer=_shown(changed, context))

    @unary
    async def OpenAccount(self, request, context):  # type: ignore[no-untyped-def]
        account = Account(
            from_enum(request.type, AccountType, "type"),
            required_date(request.opened_date, "opened_date"),
        )
        customer_id = required_id(request.customer_id, "customer_id")
        opened = await customer_accounts.open_account(self._uow(), customer_id, account)
        return profile_pb2.OpenAccountResponse(customer=_shown(opened, context))

    @unary
    async def GrantPermission(self, request, context):  # type: ignore[no-untyped-def]
        grant = PermissionGrant(
            from_enum(request.permission, BusinessPermission, "permission"),
            required_date(request.opened_date, "opened_date"),
        )
        customer_id = required_id(request.customer_id, "customer_id")
        granted = await customer_accounts.grant_permission(self._uow(), customer_id, grant)
        return profile_pb2.GrantPermissionResponse(customer=_shown(granted, context))

    @unary
    async def AddTag(self, request, context):  # type: ignore[no-untyped-def]
        customer_id = required_id(request.customer_id, "customer_id")
        tag = tag_from_request(request.dimension, request.name)
        actor = required_text(request.actor, "actor", max_length=ACTOR_MAX)
        tagged = await customer_tags.add_tag(self._uow(), customer_id, tag, actor)
        return profile_pb2.AddTagResponse(customer=_shown(tagged, context))

    @unary
    async def RemoveTag(self, request, context):  # type: ignore[no-untyped-def]
        customer_id = required_id(request.customer_id, "customer_id")
        tag = tag_from_request(request.dimension, request.name)
        actor = required_text(request.actor, "actor", max_length=ACTOR_MAX)
        untagged = await customer_tags.remove_tag(self._uow(), customer_id, tag, actor)
        return profile_pb2.RemoveTagResponse(customer=_shown(untagged, context))

    @unary
    async def ListCustomers(self, request, context):  # type: ignore[no-untyped-def]
        where = filter_from_request(request)
        page_size = _page_size(request.page_size)
        after = decode_page_token(request.page_token, where)
        page, next_after = await customer_queries.list_customers(
            self._uow(), where, after, page_size
        )
        reveal = _reveals_pii(context)
        return profile_pb2.ListCustomersResponse(
            customers=[record_to_proto(record, reveal_pii=reveal) for record in page],
            next_page_token="" if next_after is None else encode_page_token(next_after, where),
        )

    @unary
    async def GetCustomerHistory(self, request, context):  # type: ignore[no-untyped-def]
        customer_id = required_id(request.customer_id, "customer_id")
        return history_to_proto(await customer_queries.get_history(self._uow(), customer_id))

    @server_stream
    async def SubscribeEvents(self, request, context):  # type: ignore[no-untyped-def]
        async for response in serve_subscription(
            self.feed, request, profile_pb2.SubscribeEventsResponse, self.stopping
        ):
            yield response
