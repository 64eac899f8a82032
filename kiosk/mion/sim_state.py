"""The simulator's memory of payment sessions: what Mion would know, behind one lock.

Everything here speaks JSON-ready dicts in Mion's field names, so the HTTP layer only routes.
Time comes from an injected clock, so tests can age sessions and attempts without sleeping.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.mion.sim_invoice import build_invoice

log = logging.getLogger(__name__)

DEMO_EUR_PER_BTC = 90_000
"""The simulator's fixed exchange rate."""
SESSION_LIFETIME_S = 300
"""A session's lifetime when the request names no expiry."""
FUNDED_AFTER_S = 5.0
"""A paid session reports funding-received for this long, then funded."""
MAX_REFERENCE_CHARS = 200

JsonDict = dict[str, Any]


class SimRefusal(Exception):
    """The simulated Mion refuses a request: becomes an HTTP error with a JSON message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def msat_for_cents(amount_cents: int) -> int:
    """Millisatoshi for ``amount_cents`` at :data:`DEMO_EUR_PER_BTC`, rounded down (integer maths)."""
    return amount_cents * 10**11 // (DEMO_EUR_PER_BTC * 100)


def iso(moment: datetime) -> str:
    """``2026-11-28T17:05:00Z``: UTC, whole seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class _Attempt:
    created_at: datetime
    expires_at: datetime
    amount_msat: int
    invoice: str | None
    blocked: bool


@dataclass(slots=True)
class _Session:
    session_id: str
    reference: str | None
    amount_cents: int
    created_at: datetime
    expires_at: datetime
    paid_at: datetime | None = None
    attempts: list[_Attempt] = field(default_factory=list)


class SimState:
    """All simulated sessions. Every public method is thread-safe."""

    def __init__(self, *, clock: Callable[[], datetime], attempt_lifetime_s: float, network: str,
                 expiry_field: str = "expiresAt", store: Path | None = None) -> None:
        self._store = store
        self._clock = clock
        self._attempt_lifetime = timedelta(seconds=attempt_lifetime_s)
        self._network = network
        self._expiry_field = expiry_field
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}
        self._blocked_attempts = 0
        if store is not None and store.exists():
            self._sessions = _load(store)

    # --- the API ---------------------------------------------------------------------------------

    def create_session(self, body: JsonDict) -> JsonDict:
        """POST a payment session. Raises SimRefusal(400) naming the first bad field."""
        amount = body.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise SimRefusal(400, "amount must be a positive integer number of cents")
        if body.get("currencyIso3") != "EUR":
            raise SimRefusal(400, "currencyIso3 must be EUR")
        if body.get("retailPos") is not True:
            raise SimRefusal(400, "retailPos must be true for point-of-sale payments")
        reference = body.get("reference")
        if reference is not None and (not isinstance(reference, str) or not 0 < len(reference) <= MAX_REFERENCE_CHARS):
            raise SimRefusal(400, f"reference must be a text of 1 to {MAX_REFERENCE_CHARS} characters")
        now = self._clock()
        expires_at = self._requested_expiry(body.get(self._expiry_field), now)
        session = _Session(session_id=str(uuid.uuid4()), reference=reference, amount_cents=amount,
                           created_at=now, expires_at=expires_at)
        with self._lock:
            self._sessions[session.session_id] = session
            self._save()
            return self._full(session, now)

    def create_attempt(self, session_id: str, body: JsonDict) -> JsonDict:
        """POST a Lightning attempt for an open session."""
        if body.get("retailPos") is not True:
            raise SimRefusal(400, "retailPos must be true for point-of-sale payments")
        if body.get("paymentMethod", "lightning") != "lightning":
            raise SimRefusal(400, "paymentMethod must be lightning")
        if body.get("paymentSessionId", session_id) != session_id:
            raise SimRefusal(400, "paymentSessionId in the body differs from the one in the path")
        now = self._clock()
        with self._lock:
            session = self._get(session_id)
            if session.paid_at is not None:
                raise SimRefusal(409, "payment session is already paid")
            if now >= session.expires_at:
                raise SimRefusal(409, "payment session has expired")
            blocked = self._blocked_attempts > 0
            self._blocked_attempts -= int(blocked)
            amount_msat = msat_for_cents(session.amount_cents)
            expires_at = now + self._attempt_lifetime
            invoice = None if blocked else build_invoice(
                amount_msat=amount_msat, network=self._network, timestamp=int(now.timestamp()),
                expiry_s=round(self._attempt_lifetime.total_seconds()),
                description=f"Mion demo {session.reference or session.session_id[:8]}")
            session.attempts.append(_Attempt(now, expires_at, amount_msat, invoice, blocked))
            self._save()
        return {"amountMsat": amount_msat, "blockedByCompliance": blocked, "expiry": iso(expires_at),
                "lnInvoice": invoice, "missingComplianceCustomerFields": ["firstName", "lastName"] if blocked else [],
                "onChainAddress": None, "paymentMethod": "lightning", "paymentSessionId": session_id,
                "suggestedFeeRate": 0}

    def status(self, session_id: str) -> JsonDict:
        """GET the status of one session."""
        now = self._clock()
        with self._lock:
            return self._status(self._get(session_id), now)

    def full(self, session_id: str) -> JsonDict:
        """GET one session with everything the simulator knows of it."""
        now = self._clock()
        with self._lock:
            return self._full(self._get(session_id), now)

    def by_reference(self, reference: str) -> list[JsonDict]:
        """GET all sessions carrying ``reference`` (usually none or one), oldest first."""
        now = self._clock()
        with self._lock:
            return [self._full(s, now) for s in self._sessions.values() if s.reference == reference]

    # --- direct control --------------------------------------------------------------------------

    def mark_paid(self, session_id: str | None) -> str:
        """Pay a session (None: the most recent unpaid one). Paying a paid session changes nothing.

        An expired session can still be paid: that is how a late payment looks to the kiosk.

        Raises:
            KeyError: no such session, or no unpaid session at all.
        """
        now = self._clock()
        with self._lock:
            if session_id is None:
                unpaid = [s for s in self._sessions.values() if s.paid_at is None]
                if not unpaid:
                    raise KeyError("no unpaid payment session")
                session = unpaid[-1]
            elif session_id in self._sessions:
                session = self._sessions[session_id]
            else:
                raise KeyError(f"payment session {session_id} not found")
            if session.paid_at is None:
                session.paid_at = now
                self._save()
            return session.session_id

    def invoice_session(self, invoice: str) -> tuple[str, int] | None:
        """(session id, amount msat) of the attempt that issued ``invoice``; None if none did."""
        with self._lock:
            for session in self._sessions.values():
                for attempt in session.attempts:
                    if attempt.invoice == invoice and invoice:
                        return session.session_id, attempt.amount_msat
        return None

    def block_next_attempts(self, count: int) -> None:
        """The next ``count`` attempts come back blocked by compliance, without an invoice."""
        with self._lock:
            self._blocked_attempts += count

    def snapshot(self) -> list[JsonDict]:
        """Every session, oldest first: id, reference, amount, paidAt, status, attempts (count)."""
        now = self._clock()
        with self._lock:
            return [{"id": s.session_id, "reference": s.reference, "amount": s.amount_cents,
                     "paidAt": iso(s.paid_at) if s.paid_at else None, "status": self._status_word(s, now),
                     "attempts": len(s.attempts)} for s in self._sessions.values()]

    def count_for(self, reference: str) -> int:
        """How many sessions were created with ``reference``."""
        with self._lock:
            return sum(1 for s in self._sessions.values() if s.reference == reference)

    # --- internals (call with the lock held) -----------------------------------------------------

    def _requested_expiry(self, value: object, now: datetime) -> datetime:
        if value is None:
            return now + timedelta(seconds=SESSION_LIFETIME_S)
        if not isinstance(value, str):
            raise SimRefusal(400, f"{self._expiry_field} must be an ISO 8601 time such as 2026-11-28T17:05:00Z")
        try:
            expires_at = datetime.fromisoformat(value)
        except ValueError as exc:
            raise SimRefusal(400, f"{self._expiry_field} must be an ISO 8601 time such as 2026-11-28T17:05:00Z") from exc
        if expires_at.tzinfo is None:
            raise SimRefusal(400, f"{self._expiry_field} must carry a time zone (Z for UTC)")
        if expires_at <= now:
            raise SimRefusal(400, f"{self._expiry_field} is in the past")
        return expires_at

    def _save(self) -> None:
        """Keep the sessions in the store file (the demo's Mion outlives a restart of the kiosk)."""
        if self._store is None:
            return
        data = [{"id": s.session_id, "reference": s.reference, "amount": s.amount_cents,
                 "created": s.created_at.isoformat(), "expires": s.expires_at.isoformat(),
                 "paid": s.paid_at.isoformat() if s.paid_at else None,
                 "attempts": [[a.created_at.isoformat(), a.expires_at.isoformat(), a.amount_msat, a.invoice, a.blocked]
                              for a in s.attempts]} for s in self._sessions.values()]
        partial = self._store.with_suffix(".partial")
        partial.write_text(json.dumps(data), encoding="utf-8")
        partial.replace(self._store)

    def _get(self, session_id: str) -> _Session:
        session = self._sessions.get(session_id)
        if session is None:
            raise SimRefusal(404, "payment session not found")
        return session

    @staticmethod
    def _status_word(session: _Session, now: datetime) -> str:
        if session.paid_at is not None:
            funded = now >= session.paid_at + timedelta(seconds=FUNDED_AFTER_S)
            return "funded" if funded else "funding-received"
        if now >= session.expires_at:
            return "expired"
        return "pending" if session.attempts else "open"

    def _status(self, session: _Session, now: datetime) -> JsonDict:
        paid = session.paid_at is not None
        return {"expiresAt": iso(session.expires_at), "feeStatus": "correct" if paid else None,
                "fundingAmountAvailable": 0, "fundingStatus": "well-funded" if paid else None,
                "paidAt": iso(session.paid_at) if session.paid_at else None, "paymentMethod": "lightning",
                "paymentSessionId": session.session_id, "refundSessionIds": [],
                "status": self._status_word(session, now)}

    def _full(self, session: _Session, now: datetime) -> JsonDict:
        return {**self._status(session, now), "amount": session.amount_cents, "currencyIso3": "EUR",
                "reference": session.reference, "retailPos": True, "createdAt": iso(session.created_at)}


def _load(store: Path) -> dict[str, _Session]:
    """Sessions saved by an earlier run; an unreadable file starts an empty Mion (and says so)."""
    try:
        rows = json.loads(store.read_text(encoding="utf-8"))
        sessions = [
            _Session(session_id=r["id"], reference=r["reference"], amount_cents=r["amount"],
                     created_at=datetime.fromisoformat(r["created"]), expires_at=datetime.fromisoformat(r["expires"]),
                     paid_at=datetime.fromisoformat(r["paid"]) if r["paid"] else None,
                     attempts=[_Attempt(datetime.fromisoformat(a[0]), datetime.fromisoformat(a[1]), a[2], a[3], a[4])
                               for a in r["attempts"]])
            for r in rows]
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        log.warning("simulator: cannot read %s (%s); starting with no sessions", store, exc)
        return {}
    return {s.session_id: s for s in sessions}
