"""Starting the scheduled gradings: on a working day inside the annual window (first 10
working days of the year) or a quarterly window (first 3 of a quarter), once per window."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date

from sqlalchemy import text

from mesh.errors import FailedPrecondition
from services.grading.domain.schedule import RunKind, annual_window, quarterly_window, run_kind_on
from services.grading.domain.workdays import CalendarError
from services.grading.service.runs import RunManager

log = logging.getLogger(__name__)


async def due_run(manager: RunManager, today: date) -> RunKind | None:
    """The scheduled kind due today, or None (not a window day, or the window's run done)."""
    rules, _ = await manager.library.effective_on(today)
    calendar = manager.library.calendar
    try:
        kind = run_kind_on(rules, calendar, today).kind
    except CalendarError:
        return None
    if kind is RunKind.AD_HOC:
        return None
    if kind is RunKind.ANNUAL:
        window = annual_window(rules, calendar, today.year)
    else:
        window = quarterly_window(rules, calendar, today.year, (today.month - 1) // 3 + 1)
    async with manager.engine.connect() as conn:
        done = await conn.scalar(
            text(
                "SELECT count(*) FROM grading.runs WHERE kind = :k AND NOT dry_run "
                "AND branch_id = '' AND state <> 'FAILED' AND as_of BETWEEN :a AND :b"
            ),
            {"k": kind.value, "a": window[0], "b": window[-1]},
        )
    return None if done else kind


async def schedule_forever(
    manager: RunManager, today: Callable[[], date] = date.today, every_seconds: float = 600.0
) -> None:
    while True:
        try:
            day = today()
            kind = await due_run(manager, day)
            if kind is not None:
                run_id = await manager.start(day, scheduled=True)
                log.info("scheduled grading started", extra={"fields": {"run": run_id}})
        except FailedPrecondition:
            pass  # a run is going on; look again later
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scheduled grading check failed")
        await asyncio.sleep(every_seconds)
