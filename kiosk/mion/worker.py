"""Carries out the register's Mion effects on worker threads and hands the answers back as events.

The register makes sure at most one request of each kind is in flight per sale, so a small pool
suffices. Every answer is posted to the main loop (which wakes); the worker never touches the
register or pygame.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import assert_never

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.events import Failure, Request
from kiosk.core.invoice import check_invoice
from kiosk.core.model import Attempt
from kiosk.errors import InvoiceRejected, MionRejected, MionUnavailable
from kiosk.mion.client import MionClient

log = logging.getLogger(__name__)

MionEffect = fx.CreateSession | fx.FindSession | fx.CreateAttempt | fx.PollStatus


class MionWorker:
    """Runs Mion calls off the main thread.

    Args:
        client: the Mion client (its own timeouts bound every call).
        network: the invoice network the kiosk accepts (see ``kiosk.config.INVOICE_NETWORKS``).
        post: hands each answer to the main loop and wakes it (thread-safe).
        prepare: called on the worker thread with each usable attempt before it is handed on (the app
            encodes the QR code there); raising ``InvoiceRejected`` refuses the invoice.
    """

    def __init__(self, client: MionClient, *, network: str, post: Callable[[ev.Event], None], threads: int = 4,
                 prepare: Callable[[Attempt], object] | None = None) -> None:
        self._prepare = prepare
        self._client = client
        self._network = network
        self._post = post
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="mion")
        self._closed = False

    def submit(self, effect: MionEffect) -> None:
        if self._closed:
            return
        self._pool.submit(self._run, effect)

    def close(self) -> None:
        """Stop taking work; requests in flight finish within the client's timeouts."""
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, effect: MionEffect) -> None:
        try:
            event = self._call(effect)
        except Exception:  # a bug must not kill the worker thread silently
            log.exception("Mion request %s failed unexpectedly", type(effect).__name__)
            event = ev.RequestFailed(reference=effect.reference, request=_request_of(effect),
                                     failure=Failure.UNAVAILABLE, message="internal error")
        self._post(event)

    def _call(self, effect: MionEffect) -> ev.Event:
        request = _request_of(effect)
        try:
            match effect:
                case fx.CreateSession():
                    session = self._client.create_session(amount_cents=effect.amount_cents,
                                                          reference=effect.reference, expires_at=effect.expires_at)
                    return ev.SessionCreated(reference=effect.reference, session=session)
                case fx.FindSession():
                    return ev.SessionLookedUp(reference=effect.reference,
                                              session=self._client.session_by_reference(effect.reference))
                case fx.CreateAttempt():
                    attempt = self._client.create_attempt(effect.session_id)
                    if not (attempt.blocked_by_compliance or attempt.missing_compliance_fields):
                        check_invoice(attempt.invoice, network=self._network, amount_msat=attempt.amount_msat)
                        if self._prepare is not None:
                            self._prepare(attempt)
                    return ev.AttemptCreated(reference=effect.reference, attempt=attempt)
                case fx.PollStatus():
                    status = self._client.session_status(effect.session_id)
                    return ev.StatusReceived(reference=effect.reference, status=status)
                case _:
                    assert_never(effect)
        except MionUnavailable as exc:
            return ev.RequestFailed(reference=effect.reference, request=request, failure=Failure.UNAVAILABLE,
                                    message=str(exc), retry_after_s=exc.retry_after_s)
        except MionRejected as exc:
            return ev.RequestFailed(reference=effect.reference, request=request, failure=Failure.REJECTED,
                                    message=str(exc))
        except InvoiceRejected as exc:
            log.warning("sale %s: invoice refused: %s", effect.reference, exc)
            return ev.RequestFailed(reference=effect.reference, request=request, failure=Failure.INVOICE_INVALID,
                                    message=str(exc))


def _request_of(effect: MionEffect) -> Request:
    match effect:
        case fx.CreateSession():
            return Request.CREATE_SESSION
        case fx.FindSession():
            return Request.FIND_SESSION
        case fx.CreateAttempt():
            return Request.CREATE_ATTEMPT
        case fx.PollStatus():
            return Request.POLL
        case _:
            assert_never(effect)
