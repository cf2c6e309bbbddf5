"""Reading and writing the customer record inside a unit of work. One repository for the whole
aggregate (customer, status history, accounts, permissions, tags): they change together under
the customer's row lock and version."""

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, ColumnElement, Select, bindparam, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from mesh.db import ReadPool
from services.profile.adapters.customer_tables import (
    accounts,
    customers,
    permissions,
    status_changes,
    tag_changes,
    tags,
)
from services.profile.domain.customer import (
    Account,
    AccountType,
    BusinessPermission,
    Customer,
    CustomerFilter,
    CustomerHistory,
    CustomerKind,
    CustomerRecord,
    CustomerStatus,
    CustomerTag,
    PermissionGrant,
    StatusChange,
    Tag,
    TagAction,
    TagChange,
    TagDimension,
)

_IDENTITY_COLUMNS = (
    "name",
    "birth_date",
    "occupation",
    "income_band",
    "phone",
    "id_number",
    "id_expiry_date",
)


@dataclass(frozen=True)
class Locked:
    """A customer row locked for the rest of the transaction, with what checks need."""

    customer: Customer
    version: int
    status_since: date


class CustomerRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    # --- the customer row -------------------------------------------------------------------

    async def add(self, customer: Customer, start: StatusChange | None = None) -> bool:
        """Insert at version 1 with its first status-history row; False when the id is taken."""
        start = start or StatusChange(
            None, customer.status, customer.open_date, "customer record created"
        )
        since, reason = start.effective_date, start.reason
        row = _customer_row(customer) | {
            "customer_id": customer.customer_id,
            "kind": customer.kind.value,
            "branch_id": customer.branch_id,
            "open_date": customer.open_date,
            "status": customer.status.value,
            "status_since": since,
            "status_reason": reason,
            "version": 1,
        }
        stmt = insert(customers).values(**row).on_conflict_do_nothing()
        if (await self.conn.execute(stmt.returning(customers.c.customer_id))).first() is None:
            return False
        await self.conn.execute(
            status_changes.insert().values(
                customer_id=customer.customer_id,
                version=1,
                from_status=None,
                to_status=customer.status.value,
                effective_date=since,
                reason=reason,
            )
        )
        return True

    async def get(self, customer_id: str) -> Customer | None:
        row = (
            await self.conn.execute(select(customers).where(customers.c.customer_id == customer_id))
        ).first()
        return None if row is None else _to_customer(row)

    async def lock(self, customer_id: str) -> Locked | None:
        """Read the customer and hold its row lock until the transaction ends, so concurrent
        changes to one customer apply one after the other (None: unknown)."""
        stmt = select(customers).where(customers.c.customer_id == customer_id).with_for_update()
        row = (await self.conn.execute(stmt)).first()
        if row is None:
            return None
        return Locked(_to_customer(row), row.version, row.status_since or row.open_date)

    async def bump_version(self, customer_id: str) -> int | None:
        """Lock the customer for this transaction and return its next version (None: unknown)."""
        stmt = (
            update(customers)
            .where(customers.c.customer_id == customer_id)
            .values(version=customers.c.version + 1, updated_at=func.now())
            .returning(customers.c.version)
        )
        return (await self.conn.execute(stmt)).scalar()

    async def save_identity(self, customer: Customer) -> int:
        """Write the identity fields; returns the new version."""
        stmt = (
            update(customers)
            .where(customers.c.customer_id == customer.customer_id)
            .values(
                **_customer_row(customer),
                version=customers.c.version + 1,
                updated_at=func.now(),
            )
            .returning(customers.c.version)
        )
        return (await self.conn.execute(stmt)).scalar_one()

    async def save_status(self, customer_id: str, change: StatusChange) -> int:
        """Move to the new status and append it to the history; returns the new version."""
        stmt = (
            update(customers)
            .where(customers.c.customer_id == customer_id)
            .values(
                status=change.to_status.value,
                status_since=change.effective_date,
                status_reason=change.reason,
                version=customers.c.version + 1,
                updated_at=func.now(),
            )
            .returning(customers.c.version)
        )
        version = (await self.conn.execute(stmt)).scalar_one()
        await self.conn.execute(
            status_changes.insert().values(
                customer_id=customer_id,
                version=version,
                from_status=None if change.from_status is None else change.from_status.value,
                to_status=change.to_status.value,
                effective_date=change.effective_date,
                reason=change.reason,
            )
        )
        return version

    # --- accounts, permissions, tags --------------------------------------------------------

    async def add_account(self, customer_id: str, account: Account) -> bool:
        """False when the customer already has an account of that type."""
        stmt = insert(accounts).values(
            customer_id=customer_id,
            account_type=account.type.value,
            opened_date=account.opened_date,
        )
        return await self._inserted(stmt.on_conflict_do_nothing().returning(accounts.c.customer_id))

    async def add_permission(self, customer_id: str, grant: PermissionGrant) -> bool:
        """False when the permission is already granted."""
        stmt = insert(permissions).values(
            customer_id=customer_id,
            permission=grant.permission.value,
            opened_date=grant.opened_date,
        )
        return await self._inserted(
            stmt.on_conflict_do_nothing().returning(permissions.c.customer_id)
        )

    async def add_tag(self, customer_id: str, tag: Tag, actor: str) -> bool:
        """False when the tag is already on the customer."""
        stmt = insert(tags).values(
            customer_id=customer_id, dimension=tag.dimension.value, name=tag.name, added_by=actor
        )
        return await self._inserted(stmt.on_conflict_do_nothing().returning(tags.c.customer_id))

    async def remove_tag(self, customer_id: str, tag: Tag) -> bool:
        """False when the tag is not on the customer."""
        stmt = (
            tags.delete()
            .where(
                tags.c.customer_id == customer_id,
                tags.c.dimension == tag.dimension.value,
                tags.c.name == tag.name,
            )
            .returning(tags.c.customer_id)
        )
        return await self._inserted(stmt)

    async def record_tag_change(
        self, customer_id: str, version: int, action: TagAction, tag: Tag, actor: str
    ) -> None:
        await self.conn.execute(
            tag_changes.insert().values(
                customer_id=customer_id,
                version=version,
                action=action.value,
                dimension=tag.dimension.value,
                name=tag.name,
                actor=actor,
            )
        )

    async def _inserted(self, stmt: Any) -> bool:
        return (await self.conn.execute(stmt)).first() is not None

    # --- whole records ----------------------------------------------------------------------

    async def record(self, customer_id: str) -> CustomerRecord | None:
        """The customer with accounts, permissions and tags, in one round trip, as this
        transaction sees it."""
        raw = (await self.conn.get_raw_connection()).driver_connection
        return _record_or_none(await raw.fetchrow(_record_by_id_sql(), customer_id))

    async def page(self, where: CustomerFilter, after: str, limit: int) -> list[CustomerRecord]:
        """Up to `limit` records after `after` in customer_id order (keyset: each page is an
        index range scan however deep it is, never an OFFSET)."""
        stmt = _records().order_by(customers.c.customer_id).limit(limit)
        if after:
            stmt = stmt.where(customers.c.customer_id > after)
        if where.branch_id is not None:
            stmt = stmt.where(customers.c.branch_id == where.branch_id)
        if where.status is not None:
            stmt = stmt.where(customers.c.status == where.status.value)
        if where.tag is not None:
            # A join on the tag's primary key (one row per customer at most) walks the
            # (dimension, name, customer_id) index in order; the keyset bound is repeated on
            # the tag side because the planner does not carry '>' across the join.
            member = tags.alias("tag_filter")
            on = (
                (member.c.customer_id == customers.c.customer_id)
                & (member.c.dimension == where.tag.dimension.value)
                & (member.c.name == where.tag.name)
            )
            if after:
                on = on & (member.c.customer_id > after)
            stmt = stmt.join_from(customers, member, on)
        rows = (await self.conn.execute(stmt)).all()
        return [_to_record(row) for row in rows]

    async def history(self, customer_id: str) -> CustomerHistory:
        statuses = await self.conn.execute(
            select(status_changes)
            .where(status_changes.c.customer_id == customer_id)
            .order_by(status_changes.c.version)
        )
        changes = await self.conn.execute(
            select(tag_changes)
            .where(tag_changes.c.customer_id == customer_id)
            .order_by(tag_changes.c.version)
        )
        return CustomerHistory(
            status_changes=tuple(
                StatusChange(
                    from_status=None if r.from_status is None else CustomerStatus(r.from_status),
                    to_status=CustomerStatus(r.to_status),
                    effective_date=r.effective_date,
                    reason=r.reason,
                    version=r.version,
                    recorded_at=r.recorded_at,
                )
                for r in statuses
            ),
            tag_changes=tuple(
                TagChange(
                    action=TagAction(r.action),
                    tag=Tag(TagDimension(r.dimension), r.name),
                    actor=r.actor,
                    changed_at=r.changed_at,
                    version=r.version,
                )
                for r in changes
            ),
        )


def _customer_row(c: Customer) -> dict[str, object]:
    return {name: getattr(c, name) for name in _IDENTITY_COLUMNS}


def _json_list(table: Any, fields: dict[str, ColumnElement[Any]]) -> Any:
    """A correlated subquery: the customer's rows of `table` as a JSON array ('[]' if none).
    Unordered: _to_record sorts them in the contract's order."""
    # Keys as SQL literals (they are ours, fixed): one statement text for the cache.
    pairs = [p for key, column in fields.items() for p in (literal_column(f"'{key}'"), column)]
    aggregate = func.json_agg(func.json_build_object(*pairs))
    return (
        select(func.coalesce(aggregate, literal_column("'[]'::json"), type_=JSON))
        .where(table.c.customer_id == customers.c.customer_id)
        .correlate(customers)
        .scalar_subquery()
    )


def _records() -> Select[Any]:
    return select(
        customers,
        _json_list(
            accounts,
            {"type": accounts.c.account_type, "opened": accounts.c.opened_date},
        ).label("accounts"),
        _json_list(
            permissions,
            {"permission": permissions.c.permission, "opened": permissions.c.opened_date},
        ).label("permissions"),
        _json_list(
            tags,
            {
                "dimension": tags.c.dimension,
                "name": tags.c.name,
                "by": tags.c.added_by,
                "at": tags.c.added_at,
            },
        ).label("tags"),
    )


def _to_customer(row: Any) -> Customer:
    return Customer(
        customer_id=row.customer_id,
        kind=CustomerKind(row.kind),
        name=row.name,
        birth_date=row.birth_date,
        occupation=row.occupation,
        phone=row.phone,
        id_number=row.id_number,
        id_expiry_date=row.id_expiry_date,
        branch_id=row.branch_id,
        open_date=row.open_date,
        status=CustomerStatus(row.status),
        income_band=row.income_band,
    )


def _ordinal(member: Any) -> int:
    """Position in the enum's definition: lists come out in the order the contract lists
    them, not alphabetically."""
    return list(type(member)).index(member)


@cache
def _record_by_id_sql() -> str:
    stmt = _records().where(customers.c.customer_id == bindparam("customer_id"))
    return str(stmt.compile(dialect=asyncpg_dialect.dialect()))


class CustomerReader:
    """Whole records read on their own, outside any unit of work: GetCustomer, the hottest
    read. The SQL is compiled once and run on the read pool's plain connections."""

    def __init__(self, reads: ReadPool) -> None:
        self.reads = reads

    async def record(self, customer_id: str) -> CustomerRecord | None:
        return _record_or_none(await self.reads.fetchrow(_record_by_id_sql(), customer_id))


def _record_or_none(row: Any) -> CustomerRecord | None:
    return None if row is None else _to_record(_DriverRow(row))


class _DriverRow:
    """An asyncpg record read like a SQLAlchemy row. (JSON arrives decoded: SQLAlchemy
    registers the codec on the engine's connections, ReadPool on its own.)"""

    def __init__(self, record: Any) -> None:
        self._record = record

    def __getattr__(self, name: str) -> Any:
        return self._record[name]


def _to_record(row: Any) -> CustomerRecord:
    return CustomerRecord(
        customer=_to_customer(row),
        version=row.version,
        # Rows loaded in bulk (not through create) may lack the status's date: it has held
        # since the customer opened, as far as profile knows.
        status_since=row.status_since or row.open_date,
        status_reason=row.status_reason,
        accounts=tuple(
            sorted(
                (
                    Account(AccountType(a["type"]), date.fromisoformat(a["opened"]))
                    for a in row.accounts
                ),
                key=lambda a: _ordinal(a.type),
            )
        ),
        permissions=tuple(
            sorted(
                (
                    PermissionGrant(
                        BusinessPermission(p["permission"]), date.fromisoformat(p["opened"])
                    )
                    for p in row.permissions
                ),
                key=lambda p: _ordinal(p.permission),
            )
        ),
        tags=tuple(
            sorted(
                (
                    CustomerTag(
                        Tag(TagDimension(t["dimension"]), t["name"]),
                        t["by"],
                        datetime.fromisoformat(t["at"]),
                    )
                    for t in row.tags
                ),
                key=lambda t: (_ordinal(t.tag.dimension), t.tag.name),
            )
        ),
    )
