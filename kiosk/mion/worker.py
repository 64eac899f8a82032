"""Carries out the register's Mion effects on worker threads and hands the answers back as events.

The register makes sure at most one request of each kind is in flight per sale, so a few threads
suffice. Every answer is posted to the main loop (which wakes); the worker never touches the
register or pygame.

A status poll of the sale on screen may be *held* (:class:`Hold`): the worker asks Mion again every
``every_s`` on its own and hands the answer on only once it says something new (paid, another state or
end), a request fails, or ``at_most_s`` has passed. Mion is asked exactly as often as before, but the
main loop, the register and the journal hear only what changed: with two polls a second, the main
thread no longer wakes twice a second for answers that say "still open". For the register a held poll
is simply a slow one. The loop lets go of the holds of a sale that ended (:meth:`MionWorker.release`).

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
from dataclasses import dataclass
from typing import TYPE_CHECKING, assert_never

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.events import Failure, Request
from kiosk.core.invoice import check_invoice
from kiosk.core.model import Attempt, SessionStatus
from kiosk.errors import InvoiceRejected, MionRejected, MionUnavailable

if TYPE_CHECKING:
    from kiosk.mion.client import MionClient

log = logging.getLogger(__name__)

MionEffect = fx.CreateSession | fx.FindSession | fx.CreateAttempt | fx.PollStatus
Observe = Callable[[Request, float, Failure | None], None]
"""Told of each request as it ends, on the worker thread: its kind, seconds taken and failure (the metrics)."""

CLOSE_WAIT_S = 1.0
"""How long :meth:`MionWorker.close` waits for its threads after cutting their requests."""


@dataclass(frozen=True, slots=True)
class Hold:
    """Ask again every ``every_s`` until the answer changes, for at most ``at_most_s`` (see the module)."""

    every_s: float
    at_most_s: float


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
        self._work: queue.Queue[tuple[MionEffect, Hold | None] | None] = queue.Queue()
        self._closed = False
        self._closing = threading.Event()
        self._released: set[str] = set()
        """References whose held polls are to end at their next turn (their sale ended)."""
        self._released_lock = threading.Lock()
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

    def submit(self, effect: MionEffect, hold: Hold | None = None) -> None:
        """Run ``effect`` on a worker thread; its answer comes back as an event. Ignored once closed.

        ``hold``: for a status poll, ask again until the answer changes (see the module).
        """
        if self._closed:
            return
        if hold is not None and isinstance(effect, fx.PollStatus):
            with self._released_lock:
                self._released.discard(effect.reference)
        self._work.put((effect, hold if isinstance(effect, fx.PollStatus) else None))

    def release(self, reference: str) -> None:
        """End the held polls of ``reference`` at their next turn, with the answer they have (thread-safe)."""
        with self._released_lock:
            self._released.add(reference)

    def close(self) -> None:
        """Stop at once: drop queued work, cut the requests in flight, wait at most :data:`CLOSE_WAIT_S`."""
        if self._closed:
            return
        self._closed = True
        self._closing.set()
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
        while (work := self._work.get()) is not None:
            if not self._closed:
                self._run(*work)

    def _run(self, effect: MionEffect, hold: Hold | None = None) -> None:
        started = time.monotonic()
        try:
            event = self._call(effect, hold)
        except Exception:  # a bug must not kill the worker thread silently
            log.exception("Mion request %s failed unexpectedly", type(effect).__name__)
            event = ev.RequestFailed(reference=effect.reference, request=_request_of(effect),
                                     failure=Failure.UNAVAILABLE, message="internal error")
        if self._observe is not None and not isinstance(effect, fx.PollStatus):  # polls: each in _status
            self._observe(_request_of(effect), time.monotonic() - started,
                          event.failure if isinstance(event, ev.RequestFailed) else None)
        if self._closed:
            return  # the loop is ending; the journal already holds what a restart needs
        self._post(event)

    def _call(self, effect: MionEffect, hold: Hold | None = None) -> ev.Event:
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
                    status = self._status(effect.session_id)
                    if hold is not None:
                        status = self._held(effect, hold, status)
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

    def _held(self, poll: fx.PollStatus, hold: Hold, first: SessionStatus) -> SessionStatus:
        """Ask again every ``hold.every_s`` while Mion's answer stays ``first``; the answer to hand on.

        Raises what the client raises: a failed request ends the hold at once.
        """
        give_up = time.monotonic() + hold.at_most_s
        status = first
        while status == first and status.paid_at is None and not self._let_go(poll.reference):
            if time.monotonic() + hold.every_s > give_up or self._closing.wait(hold.every_s):
                break
            if self._let_go(poll.reference):
                break  # the sale ended while this poll waited: its last answer will do
            status = self._status(poll.session_id)
        return status

    def _status(self, session_id: str) -> SessionStatus:
        """One status request, told to ``observe`` on its own (a held poll makes several)."""
        started = time.monotonic()
        failure: Failure | None = Failure.UNAVAILABLE
        try:
            status = self._client.session_status(session_id)
            failure = None
            return status
        except MionRejected:
            failure = Failure.REJECTED
            raise
        finally:
            if self._observe is not None:
                self._observe(Request.POLL, time.monotonic() - started, failure)

    def _let_go(self, reference: str) -> bool:
        with self._released_lock:
            return reference in self._released


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
