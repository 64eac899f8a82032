"""The kiosk's one tree of errors.

Foreign exceptions (requests, serial, escpos, sqlite3, pygame) are translated into these at the
boundary where they happen, always chained with ``raise ... from``::

    KioskError
    ├── ConfigError            a setting is missing, has the wrong type or an impossible value
    ├── IllegalTransition      an event the sale state machine does not allow in its current state
    ├── PosProtocolError       the till sent something malformed
    ├── MionError
    │   ├── MionUnavailable    could not reach Mion, or no (usable) answer: the outcome is unknown
    │   │   └── MionMalformed  Mion answered 2xx but the body is not what the API promises
    │   └── MionRejected       Mion answered and refused the request (HTTP status, message)
    ├── InvoiceRejected        an invoice failed the kiosk's own sanity checks; it is never shown
    ├── PrinterError
    │   ├── PrinterOffline
    │   └── PaperOut
    ├── DisplayError           no display could be opened
    └── StoreError             the journal cannot be read or written

No message in this tree ever contains the API key.
"""

from __future__ import annotations


class KioskError(Exception):
    """Base of every error the kiosk raises on purpose."""


class ConfigError(KioskError, ValueError):
    """A configuration value is missing, of the wrong type or out of range."""


class IllegalTransition(KioskError, RuntimeError):
    """The sale state machine received an event its current state does not allow."""


class SaleRefused(IllegalTransition):
    """A sale (or a cancel) was asked for and is refused; nothing changed.

    Attributes:
        code: a till-protocol error name, e.g. ``"AMOUNT_RANGE"``, ``"BUSY"``, ``"NO_SALE"``,
            ``"UNKNOWN_REFERENCE"``, ``"DUPLICATE_REFERENCE"``, ``"FINISHED"``, ``"UNAVAILABLE"``.
        reason: one sentence for the cashier or the till's operator; never a secret.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class PosProtocolError(KioskError, ValueError):
    """The till sent a malformed line or byte sequence."""


class MionError(KioskError):
    """Anything that went wrong talking to Mion."""


class MionUnavailable(MionError):
    """Mion could not be reached or gave no usable answer; the request's outcome is unknown.

    Attributes:
        retry_after_s: how long Mion asked us to wait (HTTP 429/503 ``Retry-After``), if it said.
    """

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class MionMalformed(MionUnavailable):
    """Mion answered with success but the body is not valid JSON or misses a field we need."""


class MionRejected(MionError):
    """Mion answered and refused the request.

    Attributes:
        status: the HTTP status code.
        detail: Mion's own message, shortened, never containing request headers.
        wrong_path: a 404 that says the path itself does not exist (not that the session does not);
            see ``kiosk.mion.refusal.not_found_kind``.
    """

    def __init__(self, status: int, detail: str, *, wrong_path: bool = False) -> None:
        super().__init__(f"Mion refused the request: HTTP {status}: {detail}")
        self.status = status
        self.detail = detail
        self.wrong_path = wrong_path


class InvoiceRejected(KioskError):
    """An invoice from Mion failed the kiosk's sanity checks (network, amount, compliance)."""


class PrinterError(KioskError):
    """The receipt printer could not print."""


class PrinterOffline(PrinterError):
    """The printer is unplugged, switched off or does not answer."""


class PaperOut(PrinterError):
    """The printer reports that it has no paper."""


class DisplayError(KioskError):
    """No display could be opened with the configured video driver."""


class StoreError(KioskError):
    """The sales journal cannot be opened, read or written."""
