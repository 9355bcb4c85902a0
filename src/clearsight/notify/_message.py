"""The message a confirmed alert becomes: what every sink sends, in its own form."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from clearsight.review import AlertStatus
from clearsight.store import AlertRecord


@dataclass(frozen=True)
class ConfirmedAlertMessage:
    """What is sent onward: no face images, only what the people who act need."""

    alert_id: str
    subject_id: str
    subject_name: str
    source: str
    camera_id: str | None
    capture_time: str
    confirmed_at: str
    score: float
    estimated_fmr: float

    @classmethod
    def of(cls, record: AlertRecord) -> ConfirmedAlertMessage:
        if record.status != AlertStatus.CONFIRMED.value or record.settled_at is None:
            raise ValueError(
                f"alert {record.id} is {record.status}; only confirmed alerts are sent"
            )
        return cls(
            alert_id=record.id,
            subject_id=record.subject_id,
            subject_name=record.subject_name,
            source=record.source,
            camera_id=record.camera_id,
            capture_time=record.capture_time.isoformat(),
            confirmed_at=record.settled_at.isoformat(),
            score=record.score,
            estimated_fmr=record.estimated_fmr,
        )

    def to_json(self) -> str:
        return json.dumps({"event": "alert.confirmed", **asdict(self)}, sort_keys=True)
