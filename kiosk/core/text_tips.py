"""The words of the tip step, the rate line and the spoken prompts, per language (en, de, fi).

Kept apart from :mod:`kiosk.core.text` (the sale's screens) so each can grow on its own; amounts are
formatted with the same functions, so a tip reads exactly like any other amount.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core.text import LANGUAGES, format_eur, format_sats


@dataclass(frozen=True, slots=True, kw_only=True)
class TipTexts:
    lang: str
    tip_title: str
    """Above the options: the amount before the tip is ``{amount}``."""
    tip_option: str
    """One preset: ``{pct}`` percent, ``{tip}`` and ``{total}`` formatted EUR."""
    no_tip: str
    """Key 0: ``{total}`` is the amount unchanged."""
    custom_option: str
    custom_title: str
    custom_total: str
    custom_help: str
    incl_tip: str
    rate: str
    """One euro in sats, the sats formatted: ``€1 = {sats}`` (en, euro sign first), ``1 € = {sats}`` (de, fi)."""
    more_time: str
    """The hint on the invoice screen: which key gives a fresh invoice."""
    say_amount: str
    """Spoken when the invoice is shown."""
    say_paid: str
    say_expired: str
    say_cancelled: str
    say_error: str
    say_tip: str
    """Spoken on the tip screen: ``{amount}``, then one ``say_tip_option`` per preset and ``say_no_tip``."""
    say_tip_option: str
    say_no_tip: str
    say_custom: str
    """Spoken on the typed-tip screen before a digit: ``{amount}`` is the amount before the tip."""
    say_custom_total: str
    """Spoken as the customer types: ``{tip}`` typed so far and the ``{total}`` it makes."""


EN = TipTexts(
    lang="en", tip_title="Add a tip? Amount {amount}", tip_option="{pct} %  +{tip}  =  {total}",
    no_tip="No tip  =  {total}", custom_option="Other amount", custom_title="Type your tip",
    custom_total="Total {total}", custom_help="Enter to confirm · Cancel to go back",
    incl_tip="incl. tip {tip}", rate="€1 = {sats}", more_time="Press Enter for more time",
    say_amount="Please pay {amount}.", say_paid="Paid. Thank you!", say_expired="The payment has expired.",
    say_cancelled="The payment was cancelled.", say_error="The payment is not possible.",
    say_tip="Amount {amount}. Would you like to add a tip?", say_tip_option="Key {key}: {pct} percent, total {total}.",
    say_no_tip="Key 0: no tip.", say_custom="Type your tip, then press Enter. Amount {amount}.",
    say_custom_total="Tip {tip}. Total {total}.",
)
DE = TipTexts(
    lang="de", tip_title="Trinkgeld geben? Betrag {amount}", tip_option="{pct} %  +{tip}  =  {total}",
    no_tip="Kein Trinkgeld  =  {total}", custom_option="Anderer Betrag", custom_title="Trinkgeld eingeben",
    custom_total="Gesamt {total}", custom_help="Enter bestätigt · Abbruch geht zurück",
    incl_tip="inkl. Trinkgeld {tip}", rate="1\u00a0€ = {sats}", more_time="Enter drücken für mehr Zeit",
    say_amount="Bitte {amount} bezahlen.", say_paid="Bezahlt. Vielen Dank!", say_expired="Die Zahlung ist abgelaufen.",
    say_cancelled="Die Zahlung wurde abgebrochen.", say_error="Die Zahlung ist nicht möglich.",
    say_tip="Betrag {amount}. Möchten Sie Trinkgeld geben?", say_tip_option="Taste {key}: {pct} Prozent, gesamt {total}.",
    say_no_tip="Taste 0: kein Trinkgeld.", say_custom="Trinkgeld eingeben, dann Enter drücken. Betrag {amount}.",
    say_custom_total="Trinkgeld {tip}. Gesamt {total}.",
)
FI = TipTexts(
    lang="fi", tip_title="Lisätäänkö tippi? Summa {amount}", tip_option="{pct} %  +{tip}  =  {total}",
    no_tip="Ei tippiä  =  {total}", custom_option="Muu summa", custom_title="Kirjoita tippi",
    custom_total="Yhteensä {total}", custom_help="Enter vahvistaa · Peruuta palaa",
    incl_tip="sis. tippi {tip}", rate="1\u00a0€ = {sats}", more_time="Paina Enter saadaksesi lisäaikaa",
    say_amount="Maksa {amount}.", say_paid="Maksettu. Kiitos!", say_expired="Maksu vanheni.",
    say_cancelled="Maksu peruttiin.", say_error="Maksu ei ole mahdollinen.",
    say_tip="Summa {amount}. Haluatko lisätä tipin?", say_tip_option="Näppäin {key}: {pct} prosenttia, yhteensä {total}.",
    say_no_tip="Näppäin 0: ei tippiä.", say_custom="Kirjoita tippi ja paina Enter. Summa {amount}.",
    say_custom_total="Tippi {tip}. Yhteensä {total}.",
)

_BY_LANG = {t.lang: t for t in (EN, DE, FI)}
assert set(_BY_LANG) == set(LANGUAGES)


def tip_texts(lang: str) -> TipTexts:
    """The tip step's words in ``lang``; ValueError for a language the kiosk does not speak."""
    try:
        return _BY_LANG[lang]
    except KeyError:
        raise ValueError(f"unknown language {lang!r}: expected one of {', '.join(LANGUAGES)}") from None


def rate_line(amount_cents: int, amount_msat: int, lang: str) -> str | None:
    """``€1 = 1,111 sats`` (en), ``1 € = 1 111 sats`` (de, fi): Mion's ``amountMsat`` for the invoice over its amount, whole sats per euro.

    Integers only: ``amount_msat * 100 // amount_cents`` msat per euro, shown in whole sats rounded half
    up. None when there is nothing to divide by.
    """
    if amount_cents <= 0 or amount_msat <= 0:
        return None
    msat_per_euro = amount_msat * 100 // amount_cents
    return tip_texts(lang).rate.format(sats=format_sats((msat_per_euro + 500) // 1000, lang))


def format_tip_option(t: TipTexts, pct: int, tip_cents: int, total_cents: int) -> str:
    """One line of the tip screen, in the customer's language."""
    total = format_eur(total_cents, t.lang)
    if pct == 0 and tip_cents == 0:
        return t.no_tip.format(total=total)
    return t.tip_option.format(pct=pct, tip=format_eur(tip_cents, t.lang), total=total)
