"""Every word the customer reads, per language, and money written the way each locale writes it.

One ``Texts`` value per language holds all customer-facing strings; the display picks one with
:func:`texts` and never spells a sentence itself. Templates use ``str.format`` fields such as
``{amount}``; amounts are formatted here first, so a template never sees a number.

Number formats (money is integers only; nothing here touches a float):

====  ==============  ==============  ================
lang  EUR             big EUR         sats
====  ==============  ==============  ================
en    €12.00          €1,234.56       25,000 sats
de    12,00 €         1.234,56 €      25 000 sats
fi    12,00 €         1 234,56 €      25 000 sats
====  ==============  ==============  ================

In de and fi the space before ``€`` is a no-break space, so an amount never wraps across lines.
Sats are grouped with a narrow no-break space in de and fi: a dot would read as a decimal point to
many customers, and sats have no fraction.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core.view import EntryError, MessageKind

NBSP = "\u00a0"
"""No-break space: between amount and ``€``, and the Finnish thousands separator."""
NNBSP = "\u202f"
"""Narrow no-break space: groups sats in de and fi."""

LANGUAGES = ("en", "de", "fi")


@dataclass(frozen=True, slots=True)
class _NumberFormat:
    group: str
    decimal: str
    euro_first: bool
    sats_group: str


_FORMATS: dict[str, _NumberFormat] = {
    "en": _NumberFormat(group=",", decimal=".", euro_first=True, sats_group=","),
    "de": _NumberFormat(group=".", decimal=",", euro_first=False, sats_group=NNBSP),
    "fi": _NumberFormat(group=NBSP, decimal=",", euro_first=False, sats_group=NNBSP),
}


def _number_format(lang: str) -> _NumberFormat:
    try:
        return _FORMATS[lang]
    except KeyError:
        raise ValueError(f"unknown language {lang!r}: expected one of {', '.join(LANGUAGES)}") from None


def _group(digits: str, separator: str) -> str:
    """Insert ``separator`` between groups of three digits, counted from the right."""
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]
    return separator.join(parts)


def format_eur(cents: int, lang: str) -> str:
    """Write an amount of euro cents as the locale does: ``€1,234.56`` (en), ``1.234,56 €`` (de)."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"cents must be an int, got {type(cents).__name__}")
    fmt = _number_format(lang)
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    number = f"{_group(str(euros), fmt.group)}{fmt.decimal}{rest:02d}"
    if fmt.euro_first:
        return f"{sign}€{number}"
    return f"{sign}{number}{NBSP}€"


def format_decimal_typed(typed: str, lang: str) -> str:
    """Show what the cashier typed (``"12,5"`` or ``"12.5"``) with the locale's decimal sign and ``€``.

    The text is shown as typed (no rounding, no padding) so the cashier sees each key land.
    """
    fmt = _number_format(lang)
    number = typed.replace(",", fmt.decimal).replace(".", fmt.decimal) if typed else "0"
    if fmt.euro_first:
        return f"€{number}"
    return f"{number}{NBSP}€"


def format_sats(sat: int, lang: str) -> str:
    """Write whole satoshis with thousands grouping: ``25,000 sats`` (en), ``25 000 sats`` (de, fi)."""
    if isinstance(sat, bool) or not isinstance(sat, int):
        raise TypeError(f"sat must be an int, got {type(sat).__name__}")
    fmt = _number_format(lang)
    sign = "-" if sat < 0 else ""
    unit = "sat" if abs(sat) == 1 else "sats"
    return f"{sign}{_group(str(abs(sat)), fmt.sats_group)}{NBSP}{unit}"


def format_countdown(seconds: int) -> str:
    """Seconds left as ``m:ss`` (``125`` -> ``2:05``); nothing below ``0:00``."""
    minutes, secs = divmod(max(0, int(seconds)), 60)
    return f"{minutes}:{secs:02d}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Texts:
    """All customer-facing strings of one language. ``{amount}`` and ``{max}`` are formatted EUR."""

    lang: str
    idle_title: str
    idle_subtitle: str
    pole_total: str
    pole_press_key: str
    entry_label: str
    entry_max: str
    entry_errors: dict[EntryError, str]
    preparing: str
    preparing_hint: str
    scan_hint: str
    checking: str
    checking_hint: str
    expires_in: str
    paid_title: str
    paid_late_title: str
    paid_thanks: str
    messages: dict[MessageKind, tuple[str, str]]
    """Per kind: a short title and one sentence saying what happens next."""
    status_mion: str
    status_till: str
    status_printer: str
    status_reader: str
    status_demo: str


EN = Texts(
    lang="en",
    idle_title="Pay with Bitcoin Lightning",
    idle_subtitle="Ask at the till to pay with Lightning",
    pole_total="Total {amount}",
    pole_press_key="The cashier will start your Lightning payment",
    entry_label="Amount to pay",
    entry_max="Up to {max}",
    entry_errors={
        EntryError.ZERO: "Enter an amount above zero",
        EntryError.TOO_LARGE: "That is over the maximum of {max}",
        EntryError.MALFORMED: "Use digits and one decimal separator, e.g. 12.50",
    },
    preparing="Preparing your payment",
    preparing_hint="This takes a moment",
    scan_hint="Scan with a Lightning wallet",
    checking="Checking payment…",
    checking_hint="Please wait, do not pay twice",
    expires_in="Valid for",
    paid_title="Paid",
    paid_late_title="Payment received",
    paid_thanks="Thank you!",
    messages={
        MessageKind.EXPIRED: ("Payment expired", "Nothing was charged. Ask the cashier to start again."),
        MessageKind.CANCELLED: ("Payment cancelled", "Nothing was charged. Please see the cashier."),
        MessageKind.BLOCKED: ("Payment not possible",
                              "This payment cannot be accepted. Please pay another way."),
        MessageKind.INVOICE_INVALID: ("Payment not available",
                                      "Something is wrong with this invoice. Please pay another way."),
        MessageKind.ERROR: ("Payment not available",
                            "Lightning is not working right now. Please pay another way."),
        MessageKind.UNCONFIRMED: ("Payment not confirmed",
                                  "Please ask the cashier before paying again."),
        MessageKind.RECOVERING: ("One moment, please", "Finishing the last payment, then we are ready."),
        MessageKind.CONFIG_ERROR: ("Out of service", "This terminal needs a technician. Please pay another way."),
        MessageKind.OUT_OF_SERVICE: ("Out of service", "Lightning payments are paused. Please pay another way."),
    },
    status_mion="Mion offline",
    status_till="Till offline",
    status_printer="Printer: {problem}",
    status_reader="Card reader: {problem}",
    status_demo="DEMO",
)

DE = Texts(
    lang="de",
    idle_title="Mit Bitcoin Lightning bezahlen",
    idle_subtitle="Fragen Sie an der Kasse nach Lightning",
    pole_total="Summe {amount}",
    pole_press_key="Die Kasse startet gleich Ihre Lightning-Zahlung",
    entry_label="Zu zahlender Betrag",
    entry_max="Bis {max}",
    entry_errors={
        EntryError.ZERO: "Bitte einen Betrag über null eingeben",
        EntryError.TOO_LARGE: "Das ist mehr als das Maximum von {max}",
        EntryError.MALFORMED: "Nur Ziffern und ein Komma, z. B. 12,50",
    },
    preparing="Zahlung wird vorbereitet",
    preparing_hint="Einen Moment bitte",
    scan_hint="Mit einer Lightning-Wallet scannen",
    checking="Zahlung wird geprüft…",
    checking_hint="Bitte warten, nicht doppelt zahlen",
    expires_in="Gültig für",
    paid_title="Bezahlt",
    paid_late_title="Zahlung erhalten",
    paid_thanks="Vielen Dank!",
    messages={
        MessageKind.EXPIRED: ("Zahlung abgelaufen", "Es wurde nichts abgebucht. Die Kasse startet neu."),
        MessageKind.CANCELLED: ("Zahlung abgebrochen",
                                "Es wurde nichts abgebucht. Bitte wenden Sie sich an die Kasse."),
        MessageKind.BLOCKED: ("Zahlung nicht möglich",
                              "Diese Zahlung kann nicht angenommen werden. Bitte anders bezahlen."),
        MessageKind.INVOICE_INVALID: ("Zahlung nicht verfügbar",
                                      "Mit dieser Rechnung stimmt etwas nicht. Bitte anders bezahlen."),
        MessageKind.ERROR: ("Zahlung nicht verfügbar",
                            "Lightning funktioniert gerade nicht. Bitte anders bezahlen."),
        MessageKind.UNCONFIRMED: ("Zahlung nicht bestätigt",
                                  "Bitte fragen Sie an der Kasse, bevor Sie erneut zahlen."),
        MessageKind.RECOVERING: ("Einen Moment bitte", "Die letzte Zahlung wird abgeschlossen, dann geht es los."),
        MessageKind.CONFIG_ERROR: ("Außer Betrieb", "Dieses Terminal braucht einen Techniker. Bitte anders bezahlen."),
        MessageKind.OUT_OF_SERVICE: ("Außer Betrieb", "Lightning-Zahlungen sind angehalten. Bitte anders bezahlen."),
    },
    status_mion="Mion offline",
    status_till="Kasse getrennt",
    status_printer="Drucker: {problem}",
    status_reader="Kartenleser: {problem}",
    status_demo="DEMO",
)

FI = Texts(
    lang="fi",
    idle_title="Maksa Bitcoin Lightningilla",
    idle_subtitle="Kysy kassalta Lightning-maksua",
    pole_total="Yhteensä {amount}",
    pole_press_key="Kassa aloittaa Lightning-maksusi",
    entry_label="Maksettava summa",
    entry_max="Enintään {max}",
    entry_errors={
        EntryError.ZERO: "Syötä nollaa suurempi summa",
        EntryError.TOO_LARGE: "Summa ylittää enimmäismäärän {max}",
        EntryError.MALFORMED: "Käytä numeroita ja yhtä pilkkua, esim. 12,50",
    },
    preparing="Maksua valmistellaan",
    preparing_hint="Hetki vain",
    scan_hint="Skannaa Lightning-lompakolla",
    checking="Maksua tarkistetaan…",
    checking_hint="Odota hetki, älä maksa kahdesti",
    expires_in="Voimassa",
    paid_title="Maksettu",
    paid_late_title="Maksu vastaanotettu",
    paid_thanks="Kiitos!",
    messages={
        MessageKind.EXPIRED: ("Maksu vanhentui", "Mitään ei veloitettu. Kassa aloittaa uudelleen."),
        MessageKind.CANCELLED: ("Maksu peruttu", "Mitään ei veloitettu. Käänny kassan puoleen."),
        MessageKind.BLOCKED: ("Maksu ei onnistu", "Tätä maksua ei voida hyväksyä. Maksa toisella tavalla."),
        MessageKind.INVOICE_INVALID: ("Maksu ei käytettävissä",
                                      "Laskussa on jotain vialla. Maksa toisella tavalla."),
        MessageKind.ERROR: ("Maksu ei käytettävissä",
                            "Lightning ei juuri nyt toimi. Maksa toisella tavalla."),
        MessageKind.UNCONFIRMED: ("Maksua ei vahvistettu",
                                  "Kysy kassalta ennen kuin maksat uudelleen."),
        MessageKind.RECOVERING: ("Hetki vain", "Edellinen maksu viimeistellään, sitten olemme valmiita."),
        MessageKind.CONFIG_ERROR: ("Poissa käytöstä", "Laite tarvitsee huoltoa. Maksa toisella tavalla."),
        MessageKind.OUT_OF_SERVICE: ("Poissa käytöstä", "Lightning-maksut ovat tauolla. Maksa toisella tavalla."),
    },
    status_mion="Mion ei yhteyttä",
    status_till="Kassa irti",
    status_printer="Tulostin: {problem}",
    status_reader="Kortinlukija: {problem}",
    status_demo="DEMO",
)

_BY_LANG = {t.lang: t for t in (EN, DE, FI)}


def texts(lang: str) -> Texts:
    """The strings for ``lang`` (en, de or fi).

    Raises:
        ValueError: for any other language, naming the ones that exist.
    """
    try:
        return _BY_LANG[lang]
    except KeyError:
        raise ValueError(f"unknown language {lang!r}: expected one of {', '.join(LANGUAGES)}") from None
