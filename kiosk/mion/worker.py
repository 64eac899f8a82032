"""Carries out the register's Mion effects on worker threads and hands the answers back as events.

The register makes sure at most one request of each kind is in flight per sale, so a few threads
suffice. Every answer is posted to the main loop (which wakes); the worker never touches the
register or pygame.

Stopping never waits on Mion: :meth:`MionWorker.close` drops queued work, has the client cut the
requests in flight (each then ends at once as an outage, whose answer is no longer handed on) and
waits only briefly for the threads. They are daemon threads, so even one stuck where nothing can
interrupt it (a name lookup) does not hold the process's exit back.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, assert_never

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.events import Failure, Request
from kiosk.core.invoice import check_invoice
from kiosk.core.model import Attempt
from kiosk.errors import InvoiceRejected, MionRejected, MionUnavailable

if TYPE_CHECKING:
    from kiosk.mion.client import MionClient

log = logging.getLogger(__name__)

MionEffect = fx.CreateSession | fx.FindSession | fx.CreateAttempt | fx.PollStatus
Observe = Callable[[Request, float, Failure | None], None]
"""Told of each request as it ends, on the worker thread: its kind, seconds taken and failure (the metrics)."""

CLOSE_WAIT_S = 1.0
"""How long :meth:`MionWorker.close` waits for its threads after cutting their requests."""


class MionWorker:
    """Runs Mion calls off the main thread.

    Args:
        client: the Mion client (its deadline bounds every call), or a function that builds it: then
            it is built on first use, or by :meth:`connect`, so that a kiosk starting up does not
            wait for the HTTP stack to load.
        network: the invoice network the kiosk accepts (see ``kiosk.config.INVOICE_NETWORKS``).
        post: hands each answer to the main loop and wakes it (thread-safe).
        threads: how many requests may run at once.
        prepare: called on the worker thread with each usable attempt before it is handed on (the app
            encodes the QR code there); raising ``InvoiceRejected`` refuses the invoice.
        observe: told of each request's kind, duration and failure (must return at once).
    """

    def __init__(self, client: MionClient | Callable[[], MionClient], *, network: str,
                 post: Callable[[ev.Event], None], threads: int = 4,
                 prepare: Callable[[Attempt], object] | None = None, observe: Observe | None = None) -> None:
        self._prepare = prepare
        self._observe = observe
        self._built: MionClient | None = None if callable(client) else client
        self._build: Callable[[], MionClient] | None = client if callable(client) else None
        self._build_lock = threading.Lock()
        self._network = network
        self._post = post
        self._work: queue.Queue[MionEffect | None] = queue.Queue()
        self._closed = False
        self._threads = [threading.Thread(target=self._serve, name=f"mion-worker-{n}", daemon=True)
                         for n in range(threads)]
        for thread in self._threads:
            thread.start()

    @property
    def _client(self) -> MionClient:
        return self.connect()

    def connect(self) -> MionClient:
        """The client, built now if it was not yet (thread-safe)."""
        built = self._built
        if built is None:
            with self._build_lock:
                if self._built is None:
                    assert self._build is not None
                    self._built = self._build()
                built = self._built
        return built

    def submit(self, effect: MionEffect) -> None:
        """Run ``effect`` on a worker thread; its answer comes back as an event. Ignored once closed."""
        if self._closed:
            return
        self._work.put(effect)

    def close(self) -> None:
        """Stop at once: drop queued work, cut the requests in flight, wait at most :data:`CLOSE_WAIT_S`."""
        if self._closed:
            return
        self._closed = True
        for _ in self._threads:
            self._work.put(None)  # behind the queued work, which each thread now skips
        with self._build_lock:
            built = self._built
        cut = built.cancel_requests() if built is not None else 0
        give_up = time.monotonic() + CLOSE_WAIT_S
        for thread in self._threads:
            thread.join(max(0.0, give_up - time.monotonic()))
        stuck = [thread.name for thread in self._threads if thread.is_alive()]
        if stuck:
            log.warning("Mion worker threads %s still busy after closing; left to end with the process",
                        ", ".join(stuck))
        elif cut:
            log.info("Mion worker closed; %d request(s) in flight were cut", cut)

    def _serve(self) -> None:
        while (effect := self._work.get()) is not None:
            if not self._closed:
                self._run(effect)

    def _run(self, effect: MionEffect) -> None:
        started = time.monotonic()
        try:
            event = self._call(effect)
        except Exception:  # a bug must not kill the worker thread silently
            log.exception("Mion request %s failed unexpectedly", type(effect).__name__)
            event = ev.RequestFailed(reference=effect.reference, request=_request_of(effect),
                                     failure=Failure.UNAVAILABLE, message="internal error")
        if self._observe is not None:
            self._observe(_request_of(effect), time.monotonic() - started,
                          event.failure if isinstance(event, ev.RequestFailed) else None)
        if self._closed:
            return  # the loop is ending; the journal already holds what a restart needs
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
            log.warning("sale %s: invoice refused: %s", effect.reference, exc, extra={"kiosk_sale": effect.reference})
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
