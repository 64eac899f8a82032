"""The card-tap lines of the invoice screen, in each language (beside ``kiosk.core.text``).

A failure reason is a code below, or the card service's own words, shown after ``service_says``
in the customer's language (services answer in English).
"""

from __future__ import annotations

from kiosk.core.tap_view import TapStage, TapView

TAP_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "offered": "Scan the code, or tap your card",
        "processing": "Processing…",
        "pin": "Enter your card PIN, then press Enter:",
        "initiated": "Payment sent. Waiting for confirmation…",
        "failed": "Card payment failed: {reason}. Scan the code or tap again.",
        "ignored": "A card payment is already under way",
        "service_says": "the card service says",
        "no_invoice": "this code cannot take a card right now",
        "refreshing": "a new code is on its way, tap again in a moment",
        "too_late": "this code is about to be renewed, tap again in a moment",
        "pin_cancelled": "PIN entry cancelled",
        "pin_timeout": "no PIN entered in time",
        "too_much": "the amount is above the limit for card taps",
        "unreadable": "the card could not be read, hold it still",
        "not_a_card": "this card holds no payment link",
        "bad_link": "this card holds no payment link the kiosk can use",
        "onion": "the card's service is only reachable over Tor",
        "not_https": "the card's service is not secure (no https)",
        "local_host": "the card's service address is not allowed",
        "service_broken": "the card service sent an answer the kiosk cannot read",
        "redirect": "the card service sent the kiosk elsewhere",
        "timeout": "the card service did not answer in time",
        "unreachable": "the card service cannot be reached",
        "above_max": "the card allows at most {sat} sat",
        "below_min": "the card needs at least {sat} sat",
    },
    "de": {
        "offered": "Code scannen oder Karte auflegen",
        "processing": "Wird verarbeitet…",
        "pin": "Karten-PIN eingeben, dann Enter drücken:",
        "initiated": "Zahlung gesendet. Warte auf Bestätigung…",
        "failed": "Kartenzahlung fehlgeschlagen: {reason}. Code scannen oder Karte erneut auflegen.",
        "ignored": "Eine Kartenzahlung läuft bereits",
        "service_says": "der Kartendienst meldet",
        "no_invoice": "dieser Code nimmt gerade keine Karte an",
        "refreshing": "ein neuer Code kommt gleich, bitte gleich noch einmal auflegen",
        "too_late": "dieser Code wird gleich erneuert, bitte gleich noch einmal auflegen",
        "pin_cancelled": "PIN-Eingabe abgebrochen",
        "pin_timeout": "keine PIN rechtzeitig eingegeben",
        "too_much": "der Betrag liegt über der Grenze für Kartenzahlungen",
        "unreadable": "die Karte konnte nicht gelesen werden, bitte ruhig halten",
        "not_a_card": "diese Karte enthält keinen Zahlungslink",
        "bad_link": "diese Karte enthält keinen nutzbaren Zahlungslink",
        "onion": "der Kartendienst ist nur über Tor erreichbar",
        "not_https": "der Kartendienst ist nicht sicher (kein https)",
        "local_host": "die Adresse des Kartendienstes ist nicht erlaubt",
        "service_broken": "der Kartendienst sendete eine unlesbare Antwort",
        "redirect": "der Kartendienst leitete woandershin um",
        "timeout": "der Kartendienst antwortete nicht rechtzeitig",
        "unreachable": "der Kartendienst ist nicht erreichbar",
        "above_max": "die Karte erlaubt höchstens {sat} sat",
        "below_min": "die Karte braucht mindestens {sat} sat",
    },
    "fi": {
        "offered": "Skannaa koodi tai näytä korttia",
        "processing": "Käsitellään…",
        "pin": "Anna kortin PIN ja paina Enter:",
        "initiated": "Maksu lähetetty. Odotetaan vahvistusta…",
        "failed": "Korttimaksu epäonnistui: {reason}. Skannaa koodi tai näytä korttia uudelleen.",
        "ignored": "Korttimaksu on jo käynnissä",
        "service_says": "korttipalvelu ilmoittaa",
        "no_invoice": "tämä koodi ei juuri nyt ota korttia",
        "refreshing": "uusi koodi on tulossa, näytä korttia hetken kuluttua",
        "too_late": "koodi uusitaan pian, näytä korttia hetken kuluttua",
        "pin_cancelled": "PIN-koodin syöttö peruttu",
        "pin_timeout": "PIN-koodia ei annettu ajoissa",
        "too_much": "summa ylittää korttimaksujen rajan",
        "unreadable": "korttia ei voitu lukea, pidä se paikallaan",
        "not_a_card": "kortilla ei ole maksulinkkiä",
        "bad_link": "kortilla ei ole käyttökelpoista maksulinkkiä",
        "onion": "korttipalveluun pääsee vain Torin kautta",
        "not_https": "korttipalvelu ei ole suojattu (ei https)",
        "local_host": "korttipalvelun osoite ei ole sallittu",
        "service_broken": "korttipalvelun vastausta ei voitu lukea",
        "redirect": "korttipalvelu ohjasi muualle",
        "timeout": "korttipalvelu ei vastannut ajoissa",
        "unreachable": "korttipalveluun ei saada yhteyttä",
        "above_max": "kortti sallii enintään {sat} sat",
        "below_min": "kortti vaatii vähintään {sat} sat",
    },
}


def reason_text(tap: TapView, lang: str) -> str:
    """The reason of a failed or ignored tap in ``lang``: a known code translated, a service's words prefixed."""
    words = TAP_TEXTS.get(lang, TAP_TEXTS["en"])
    reason = tap.reason or ""
    if tap.from_service:
        return f"{words['service_says']}: “{reason}”"
    text = words.get(reason, reason)
    return text.format(sat=tap.sat) if tap.sat is not None and "{sat}" in text else text


def tap_line(tap: TapView, lang: str) -> str:
    """The line the invoice screen shows for ``tap`` in ``lang``."""
    words = TAP_TEXTS.get(lang, TAP_TEXTS["en"])
    if tap.stage is TapStage.FAILED:
        return words["failed"].format(reason=reason_text(tap, lang))
    if tap.stage is TapStage.PIN:
        entry = f"{words['pin']} {'●' * tap.pin_digits}".rstrip()
        return f"{reason_text(tap, lang)}. {entry}" if tap.reason else entry
    if tap.stage is TapStage.IGNORED and tap.reason and tap.reason != "busy":
        return reason_text(tap, lang)
    return words[tap.stage.value]
