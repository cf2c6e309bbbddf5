from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.recommend.adapters.tables import products
from services.recommend.domain.products import Product


async def list_products(engine: AsyncEngine, max_risk_level: int | None) -> list[Product]:
    """Catalogue products up to `max_risk_level` (all when None), lowest risk first."""
    p = products.c
    query = select(
        p.product_id, p.name, p.kind, p.risk_level, p.minimum_purchase_fen, p.channel
    ).order_by(p.risk_level, p.product_id)
    if max_risk_level is not None:
        query = query.where(p.risk_level <= max_risk_level)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [Product(*row) for row in rows]
