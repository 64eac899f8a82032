"""Build the tap-to-pay reader from ``[nfc]``: the card source named by ``reader``, and the client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from kiosk.config_nfc import NfcSettings
from kiosk.inputs.boltcard.lnurlw import WithdrawClient
from kiosk.inputs.boltcard.reader import BoltCardReader, TapRecord
from kiosk.inputs.boltcard.source import CardSource, FakeCardSource
from kiosk.store.journal import Journal
from kiosk.store.taps import TapRow, record_tap


def card_source(settings: NfcSettings) -> CardSource:
    """The adapter for ``[nfc] reader`` (its driver is imported when it opens)."""
    if settings.reader == "pcsc":
        from kiosk.inputs.boltcard.card_pcsc import PcscCardSource

        source: CardSource = PcscCardSource(settings.device)
        return source
    if settings.reader in ("pn532-uart", "pn532-i2c"):
        from kiosk.inputs.boltcard.card_pn532 import Pn532CardSource

        pn532: CardSource = Pn532CardSource(settings.reader, settings.device)
        return pn532
    return FakeCardSource()


def build_reader(settings: NfcSettings, post: Callable[[Any], None], *, source: CardSource | None = None,
                 allow_local_http: bool = False,
                 record: Callable[[TapRecord], None] | None = None) -> BoltCardReader:
    client = WithdrawClient(request_deadline_s=settings.request_timeout_s,
                            callback_deadline_s=settings.callback_timeout_s, allow_local_http=allow_local_http)
    return BoltCardReader(post, settings, source or card_source(settings), client, record=record)


def journaling(journal: Journal, clock: Callable[[], datetime]) -> Callable[[TapRecord], None]:
    """A ``record`` for the reader that writes each tap to the journal's card-tap table."""
    def record(tap: TapRecord) -> None:
        record_tap(journal, TapRow(reference=tap.reference, at=clock(), outcome=tap.outcome, host=tap.host,
                                   reason=tap.reason, amount_msat=tap.amount_msat,
                                   pinned_until=tap.pinned_until, settles=tap.settles))

    return record
