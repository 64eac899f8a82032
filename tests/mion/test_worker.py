"""The Mion worker: answers become events; a prepared invoice is checked and encoded off the main thread."""

from __future__ import annotations

import dataclasses
import queue
import threading
from datetime import UTC, datetime, timedelta

from kiosk.config import MionSettings
from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.model import Attempt
from kiosk.display import qr
from kiosk.errors import InvoiceRejected
from kiosk.mion.client import MionClient
from kiosk.mion.simulator import MionSimulator
from kiosk.mion.worker import MionWorker

KEY = "worker-test-key"


def _run(prepare) -> tuple[ev.Event, list[str]]:  # type: ignore[no-untyped-def]
    threads: list[str] = []
    events: queue.Queue[ev.Event] = queue.Queue()
    with MionSimulator(api_key=KEY) as sim:
        settings = dataclasses.replace(MionSettings(), base_url=sim.base_url, invoice_network="regtest")
        with MionClient(settings, KEY) as client:
            session = client.create_session(amount_cents=500, reference="W-1",
                                            expires_at=datetime.now(UTC) + timedelta(minutes=5))

            def recording(attempt: Attempt) -> object:
                threads.append(threading.current_thread().name)
                return prepare(attempt)

            worker = MionWorker(client, network="regtest", post=events.put, prepare=recording)
            try:
                worker.submit(fx.CreateAttempt(reference="W-1", session_id=session.session_id, amount_cents=500))
                return events.get(timeout=5), threads
            finally:
                worker.close()


def test_the_qr_code_is_encoded_on_the_worker_thread_before_the_invoice_is_handed_on() -> None:
    event, threads = _run(lambda attempt: qr.encode(qr.qr_payload(attempt.invoice)))
    assert isinstance(event, ev.AttemptCreated)
    assert threads and all(name.startswith("mion") for name in threads)
    hits_before = qr.encode.cache_info().hits
    qr.encode(qr.qr_payload(event.attempt.invoice))
    assert qr.encode.cache_info().hits == hits_before + 1, "the main thread finds it encoded"


def test_an_invoice_that_cannot_be_prepared_is_refused_not_shown() -> None:
    def refuse(attempt: Attempt) -> None:
        raise InvoiceRejected("invoice too long for a QR code (9999 characters)")

    event, _ = _run(refuse)
    assert isinstance(event, ev.RequestFailed) and event.failure is ev.Failure.INVOICE_INVALID
    assert "too long" in event.message
