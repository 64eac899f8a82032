"""What the customer hears as the screen changes: a distinct cue per moment and, with speech on, the words.

The loop hands every frame's view to :meth:`Announcer.observe`; a cue sounds when the screen moves to
a new moment, never again for the same one (a swapped-in fresh invoice of the same sale is the same
moment). Paid is cued by the ledger, right after the payment is journaled (``kiosk.shell.ledger``),
so here it is only spoken. All of it returns at once: buzzer and chime play in the background, words
go to the speech thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from kiosk.core.text import format_eur, texts
from kiosk.core.text_tips import tip_texts
from kiosk.core.view import InvoiceView, MessageKind, MessageView, PaidView, TipCustomView, TipView, View
from kiosk.outputs.cues import Cue

ENDED_KINDS = {MessageKind.EXPIRED: Cue.ENDED, MessageKind.CANCELLED: Cue.ENDED,
               MessageKind.ERROR: Cue.ERROR, MessageKind.BLOCKED: Cue.ERROR,
               MessageKind.INVOICE_INVALID: Cue.ERROR, MessageKind.UNCONFIRMED: Cue.ERROR}


class Voice(Protocol):
    def say(self, text: str) -> None: ...


class Announcer:
    """Turns screen changes into cues and words (see the module docstring)."""

    def __init__(self, language: str, *, players: list[Callable[[Cue], None]], voice: Voice | None) -> None:
        self._lang = language
        self._players = players
        self._voice = voice
        self._moment: tuple[object, ...] | None = None
        self._invoice_of: str | None = None
        """The sale whose invoice was last announced: its fresh invoices are not announced again."""

    def observe(self, view: View) -> None:
        """Sound and say what ``view`` shows, if it is a new moment."""
        moment, cue, words = self._read(view)
        if moment == self._moment:
            return
        self._moment = moment
        if isinstance(view, InvoiceView):
            if view.reference == self._invoice_of:
                return
            self._invoice_of = view.reference
        if cue is not None and cue is not Cue.PAID:
            for play in self._players:
                play(cue)
        if words and self._voice is not None:
            self._voice.say(words)

    def _read(self, view: View) -> tuple[tuple[object, ...] | None, Cue | None, str]:
        t = tip_texts(self._lang)
        if isinstance(view, InvoiceView):
            return ("invoice", view.reference), Cue.INVOICE, t.say_amount.format(
                amount=format_eur(view.amount_cents, self._lang))
        if isinstance(view, TipView):
            choices = [t.say_tip.format(amount=format_eur(view.amount_cents, self._lang))]
            choices += [t.say_tip_option.format(key=o.key, pct=o.pct, total=format_eur(o.total_cents, self._lang))
                        for o in view.options if o.key != "0"]
            return ("tip", view.amount_cents), None, " ".join([*choices, t.say_no_tip])
        if isinstance(view, TipCustomView):
            return ("tip-custom", view.amount_cents, view.typed, view.error), None, self._custom_words(view)
        if isinstance(view, PaidView):
            return ("paid",), Cue.PAID, t.say_paid
        if isinstance(view, MessageView) and view.kind in ENDED_KINDS:
            cue = ENDED_KINDS[view.kind]
            words = {MessageKind.EXPIRED: t.say_expired, MessageKind.CANCELLED: t.say_cancelled}.get(view.kind,
                                                                                                 t.say_error)
            return ("message", view.kind), cue, words
        return None, None, ""

    def _custom_words(self, view: TipCustomView) -> str:
        """The typed-tip screen: the prompt before a digit, then the tip and the total after each key."""
        lang = self._lang
        t = tip_texts(lang)
        if view.error is not None:
            return texts(lang).entry_errors[view.error].format(max=format_eur(view.max_tip_cents, lang))
        if not view.typed or view.tip_cents is None:
            return t.say_custom.format(amount=format_eur(view.amount_cents, lang))
        return t.say_custom_total.format(tip=format_eur(view.tip_cents, lang),
                                         total=format_eur(view.amount_cents + view.tip_cents, lang))
