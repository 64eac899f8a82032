"""Reply before events: every reply to a till command reaches the till before the events it causes,
also when several commands arrive in one write (docs/pos-protocol.md, "Order")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.core.view import InvoiceView
from kiosk.mion.simulator import MionSimulator
from tests.helpers import API_KEY, running_kiosk, settings_for
from tests.pty_till_driver import PtyTill


@pytest.fixture
def simulator() -> Iterator[MionSimulator]:
    with MionSimulator(api_key=API_KEY, network="regtest") as sim:
        yield sim


@pytest.fixture
def till(tmp_path: Path) -> Iterator[PtyTill]:
    till = PtyTill(tmp_path / "usb-till-if00-port0")
    till.plug()
    yield till
    till.close()


def lines(till: PtyTill) -> list[str]:
    """Everything the kiosk wrote, in the order it wrote it."""
    return [line.decode("ascii") for line in b"".join(till.raw).split(b"\r\n") if line]


def test_sale_and_cancel_in_one_write_get_both_replies_before_the_cancelled_event(
        simulator: MionSimulator, till: PtyTill, tmp_path: Path) -> None:
    settings = settings_for(simulator, tmp_path, pos={"enabled": True, "port": str(till.link)})
    with running_kiosk(settings, tmp_path) as app:
        till.wait_connected(app)
        till.write(b"SALE 500 A-1\r\nCANCEL\r\nPING\r\n")
        till.wait(app, lambda: any(line.startswith("EVENT CANCELLED") for line in lines(till))
                  and "OK PONG" in lines(till))
    written = lines(till)
    assert written[:4] == ["OK SALE ref=A-1 amount=500", "OK CANCEL ref=A-1", "EVENT CANCELLED ref=A-1",
                           "OK PONG"], written


def test_cancel_of_a_shown_invoice_is_answered_before_the_event(
        simulator: MionSimulator, till: PtyTill, tmp_path: Path) -> None:
    settings = settings_for(simulator, tmp_path, pos={"enabled": True, "port": str(till.link)})
    with running_kiosk(settings, tmp_path) as app:
        till.wait_connected(app)
        till.send("SALE 700 B-1")
        till.wait(app, lambda: any(line.startswith("EVENT INVOICE ref=B-1") for line in lines(till))
                  and isinstance(app.register.view(app.now()), InvoiceView))
        till.send("CANCEL B-1")
        till.wait(app, lambda: any(line.startswith("EVENT CANCELLED ref=B-1") for line in lines(till)))
    written = lines(till)
    assert written.index("OK CANCEL ref=B-1") < written.index("EVENT CANCELLED ref=B-1")
    assert written.index("OK SALE ref=B-1 amount=700") < next(
        i for i, line in enumerate(written) if line.startswith("EVENT INVOICE ref=B-1"))
