from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.alerts.adapters.tables import alerts
from services.alerts.domain.alerts import Alert, AlertState


async def list_open_alerts(engine: AsyncEngine, customer_id: str) -> list[Alert]:
    """A customer's alerts not yet resolved, newest first."""
    a = alerts.c
    query = (
        select(a.alert_id, a.customer_id, a.kind, a.state, a.reason, a.raised_at)
        .where((a.customer_id == customer_id) & (a.state != AlertState.RESOLVED.value))
        .order_by(a.raised_at.desc())
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        Alert(str(r.alert_id), r.customer_id, r.kind, AlertState(r.state), r.reason, r.raised_at)
        for r in rows
    ]
