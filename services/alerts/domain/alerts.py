from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class AlertState(StrEnum):
    OPEN = "OPEN"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"


@dataclass(frozen=True)
class Alert:
    alert_id: str
    customer_id: str
    kind: str
    state: AlertState
    reason: str
    raised_at: datetime
