"""A payment is never read from half a timestamp: ``paidAt`` must be a full RFC 3339 time (date, time
to the second, zone). Anything else is a malformed answer: the kiosk keeps checking, never paid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from mion_helpers import CannedServer

from kiosk.errors import MionMalformed
from kiosk.mion.client import MionClient


def status_with(paid_at: str) -> dict[str, object]:
    return {"paymentSessionId": "ps_1", "status": "PAID", "paidAt": paid_at}


@pytest.mark.parametrize("paid_at", [
    "2026-11-28",                # a date alone: read as midnight by a lenient parser
    "2026-11-28T12:00:00",       # no zone
    "2026-11-28T12",             # no minutes
    "2026-11-28T12:00Z",         # no seconds
    "20261128T120000Z",          # compact form
    "2026-W48-6",                # week date
    "2026-332",                  # ordinal date
    "yesterday",
    "",
])
def test_a_paid_at_that_is_not_a_full_timestamp_is_malformed(
        canned: CannedServer, canned_client: MionClient, paid_at: str) -> None:
    canned.answer(200, status_with(paid_at))
    with pytest.raises(MionMalformed, match="paidAt must be a full timestamp"):
        canned_client.session_status("ps_1")


@pytest.mark.parametrize(("paid_at", "expected"), [
    ("2026-11-28T12:00:00Z", datetime(2026, 11, 28, 12, 0, tzinfo=UTC)),
    ("2026-11-28T12:00:00.123456Z", datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=UTC)),
    ("2026-11-28T13:00:00+01:00", datetime(2026, 11, 28, 12, 0, tzinfo=UTC)),
    ("2026-11-28 07:00:00-05:00", datetime(2026, 11, 28, 7, 0, tzinfo=timezone(timedelta(hours=-5)))),
])
def test_a_full_timestamp_is_read_in_utc(
        canned: CannedServer, canned_client: MionClient, paid_at: str, expected: datetime) -> None:
    canned.answer(200, status_with(paid_at))
    status = canned_client.session_status("ps_1")
    assert status.paid_at == expected and status.paid_at is not None and status.paid_at.tzinfo is UTC
