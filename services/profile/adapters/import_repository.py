"""Creating many customers in one statement."""

from collections.abc import Sequence

import asyncpg

from services.profile.domain.customer import Customer

_COLUMNS = (
    "customer_id", "kind", "name", "birth_date", "occupation", "phone", "id_number",
    "id_expiry_date", "branch_id", "open_date", "status",
)  # fmt: skip
_TYPES = ("text", "text", "text", "date", "text", "text", "text", "date", "text", "date", "text")

# New customers at version 1, each with its first status-history row (as CreateCustomer does).
INSERT_NEW = f"""
WITH created AS (
  INSERT INTO profile.customers ({", ".join(_COLUMNS)}, status_since, status_reason, version)
  SELECT {", ".join(_COLUMNS)}, open_date, 'imported', 1
  FROM unnest({", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(_TYPES))})
    AS t({", ".join(_COLUMNS)})
  ON CONFLICT (customer_id) DO NOTHING
  RETURNING customer_id, status, open_date
), history AS (
  INSERT INTO profile.customer_status_changes
    (customer_id, version, from_status, to_status, effective_date, reason)
  SELECT customer_id, 1, NULL, status, open_date, 'imported' FROM created
)
SELECT customer_id FROM created"""


async def insert_new(conn: asyncpg.Connection, customers: Sequence[Customer]) -> set[str]:
    """Insert at version 1 the customers whose id is free; return the ids inserted."""
    columns = [[getattr(c, name) for c in customers] for name in _COLUMNS]
    columns[1] = [c.kind.value for c in customers]
    columns[10] = [c.status.value for c in customers]
    rows = await conn.fetch(INSERT_NEW, *columns)
    return {r[0] for r in rows}
