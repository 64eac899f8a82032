"""The words of the till notice (:class:`~kiosk.core.till_notice.TillNotice`) in each language."""

from __future__ import annotations

from kiosk.core.text import format_eur
from kiosk.core.till_notice import TillNotice

NOTICE_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Paid, not booked by the till",
        "body": "{what}: book it at the till by hand or refund it (merchant slip printed). Enter: dismiss",
        "more": "{count} payments, the last {what}",
        "footer": "Till did not book {what}: see the merchant slip",
    },
    "de": {
        "title": "Bezahlt, nicht von der Kasse gebucht",
        "body": "{what}: an der Kasse von Hand buchen oder erstatten (Händlerbeleg gedruckt). Enter: ausblenden",
        "more": "{count} Zahlungen, zuletzt {what}",
        "footer": "Kasse hat {what} nicht gebucht: siehe Händlerbeleg",
    },
    "fi": {
        "title": "Maksettu, kassa ei kirjannut",
        "body": "{what}: kirjaa kassalle käsin tai hyvitä (kauppiaan kuitti tulostettu). Enter: kuittaa",
        "more": "{count} maksua, viimeisin {what}",
        "footer": "Kassa ei kirjannut maksua {what}: katso kauppiaan kuitti",
    },
}


def notice_lines(notice: TillNotice, lang: str) -> tuple[str, str, str]:
    """(title, body, footer line) of ``notice`` in ``lang``."""
    t = NOTICE_TEXTS.get(lang, NOTICE_TEXTS["en"])
    what = notice.reference if notice.amount_cents is None else \
        f"{format_eur(notice.amount_cents, lang)} ({notice.reference})"
    if notice.count > 1:
        what = t["more"].format(count=notice.count, what=what)
    return t["title"], t["body"].format(what=what), t["footer"].format(what=what)
