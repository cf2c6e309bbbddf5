"""Database access: an engine per process (made on demand, never at import), a unit of work
that commits only when told to, and a lean pool for the hottest reads."""

import asyncio
import json
from typing import Any, Self

import asyncpg
from asyncpg.exceptions import DeadlockDetectedError
from google.protobuf.message import Message
from sqlalchemy import Table, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from mesh.outbox import OutgoingEvent, append
from mesh.settings import ServiceSettings
from mesh.telemetry import instrument_engine, sql_spans_if_traced


def create_engine(settings: ServiceSettings) -> AsyncEngine:
    engine = _create_async_engine(
        settings.database_url(),
        pool_size=settings.db.pool_size,
        max_overflow=settings.db.max_overflow,
        pool_pre_ping=settings.db.pre_ping,
    )
    instrument_engine(engine)
    return engine


def attempts(*also: type[Exception]) -> AsyncRetrying:
    """Up to five tries of a transaction that Postgres may end by breaking a deadlock (or by
    one of `also`): `await attempts()(transaction, *args)`, or `async for attempt in
    attempts(): with attempt: async with uow: ...`."""
    retry_on = retry_if_exception_type((DeadlockDetectedError, *also))
    return AsyncRetrying(retry=retry_on, stop=stop_after_attempt(5), reraise=True)


class ReadPool:
    """Plain asyncpg connections for the hottest one-statement reads (GetCustomer).

    One statement needs no transaction, and going round SQLAlchemy takes about 15% off a
    GetCustomer's CPU in the server: its checkout, BEGIN, rollback and checkin each switch
    greenlets, and every new greenlet maps and unmaps a fresh frame stack. (`bench/ingest.py`
    prints the CPU per call.) db.pool_size connections of its own, all opened on first use:
    growing the pool under load would stall the calls that wait for each new connection."""

    def __init__(self, settings: ServiceSettings) -> None:
        url = make_url(settings.database_url()).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._size = settings.db.pool_size
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        pool = await self._opened()
        with sql_spans_if_traced():
            async with pool.acquire() as conn:
                return await conn.fetchrow(sql, *args)

    async def _opened(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self._dsn,
                        min_size=self._size,
                        max_size=self._size,
                        init=_decode_json,
                        reset=_nothing_to_reset,
                    )
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()


async def _decode_json(conn: asyncpg.Connection) -> None:
    """As the engine's connections do: json columns arrive decoded."""
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _nothing_to_reset(conn: asyncpg.Connection) -> None:
    """Reads leave no session state behind, so a connection goes back without the default
    reset's round trip."""


async def database_answers(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


class UnitOfWork:
    """One transaction: `async with uow: ...; await uow.commit()`. Leaving the block without
    commit rolls back, so a rejected request leaves nothing half-written.

    Events published during the unit of work are written to the service's outbox by commit(),
    in the same transaction as the change. Services subclass it, set `outbox`, and bind their
    repositories to `self.conn` in `_bind`."""

    outbox: Table | None = None
    conn: AsyncConnection
    _tx: AsyncTransaction

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._events: list[OutgoingEvent] = []

    async def __aenter__(self) -> Self:
        self._events = []
        self._begun_on_driver = False
        self.conn = await self.engine.connect()
        self._tx = await self.conn.begin()
        self._bind(self.conn)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            if self._tx.is_active:
                await self._tx.rollback()
        finally:
            await self.conn.close()

    def _bind(self, conn: AsyncConnection) -> None:
        """Create repositories on the connection; subclasses override."""

    async def raw_connection(self):  # type: ignore[no-untyped-def]
        """The driver's own connection (asyncpg) inside this transaction, for bulk paths.

        SQLAlchemy's asyncpg adapter sends BEGIN only with its first statement; a statement
        sent to the driver before that would run, and commit, on its own. So make sure the
        transaction has begun before handing the driver out."""
        if not self._begun_on_driver:
            await self.conn.execute(text("SELECT 1"))
            self._begun_on_driver = True
        raw = await self.conn.get_raw_connection()
        return raw.driver_connection

    async def commit_asynchronously(self) -> None:
        """Let this transaction's commit return before its log record is flushed to disk
        (synchronous_commit off): for writes that a later, synchronous commit makes durable.
        It begins the transaction, so raw_connection needs no statement of its own after it."""
        await self.conn.execute(text("SET LOCAL synchronous_commit = off"))
        self._begun_on_driver = True

    def publish(self, aggregate_id: str, message: Message) -> None:
        self._events.append(OutgoingEvent(aggregate_id, message))

    async def commit(self) -> None:
        if self._events:
            if self.outbox is None:
                raise RuntimeError(f"{type(self).__name__} publishes events but has no outbox")
            await append(self.conn, self.outbox, self._events)
            self._events = []
        await self._tx.commit()
