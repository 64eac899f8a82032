"""What the kiosk relies on in each of Mion's answers, field by field, for ``kiosk doctor --live``.

Each rule names a field, the JSON type the kiosk reads it as, whether the kiosk cannot do without
it, and what its value must be on a fresh, unpaid check session. :func:`check_fields` turns one
answer into one :class:`Line` per field: found, missing, different type or unexpected value, always
with the raw JSON type seen. When a field the kiosk needs is missing but the answer has one that
can only be it (an ISO time whose name speaks of expiry, for the attempt's expiry), the line carries
the setting that fixes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from kiosk.core.invoice import check_invoice
from kiosk.errors import InvoiceRejected
from kiosk.mion.invoice_read import invoice_times
from kiosk.mion.probe import json_type

Verdict = Literal["found", "missing", "different type", "unexpected value", "no answer"]

PAID_WORDS = ("funding-received", "funding-collected", "exchanged", "funded")
"""Status words Mion documents for a paid session; a check session must never show one."""
INVOICE_EXPIRY_SLACK_S = 60
"""How far the invoice's own expiry may be from the attempt's expiry field and still count as the same."""


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the live check: an endpoint or a field, what was seen, and the verdict."""

    subject: str
    verdict: Verdict
    seen: str
    """The raw JSON type of the field, or the HTTP answer of an endpoint."""
    detail: str = ""
    required: bool = True
    """False for what the kiosk copes without; such a line is reported but fails nothing."""
    fix: tuple[str, str, str] | None = None
    """(section, setting, value) for kiosk.toml, when the right value could be inferred."""

    @property
    def ok(self) -> bool:
        """Whether this line leaves the kiosk able to sell."""
        return self.verdict == "found" or not self.required


@dataclass(frozen=True, slots=True)
class Rule:
    """A field of an answer as the kiosk reads it."""

    name: str
    types: tuple[str, ...]
    required: bool = True
    value: Callable[[Any], str] | None = None
    """Returns what is wrong with the value (empty when it is fine)."""
    show: bool = False
    """Say the value seen (for words such as the status, whose full list is not known)."""


def check_fields(what: str, obj: dict[str, Any], rules: list[Rule]) -> list[Line]:
    """One line per rule for the answer ``obj``, named ``what.field``."""
    lines = []
    for rule in rules:
        subject = f"{what}.{rule.name}"
        if rule.name not in obj:
            lines.append(Line(subject, "missing", "absent", required=rule.required,
                              detail="" if rule.required else "the kiosk copes without it"))
            continue
        value = obj[rule.name]
        seen = json_type(value)
        if seen not in rule.types:
            lines.append(Line(subject, "different type", seen, f"the kiosk reads it as {' or '.join(rule.types)}",
                              required=rule.required))
            continue
        problem = rule.value(value) if rule.value is not None and value is not None else ""
        shown = problem or (repr(value) if rule.show else "")
        lines.append(Line(subject, "unexpected value" if problem else "found", seen, shown, required=rule.required))
    return lines


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time as the kiosk reads it (no zone: UTC), or None when ``value`` is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def session_rules() -> list[Rule]:
    """The created session: only its id is read."""
    return [Rule("paymentSessionId", ("string",), value=lambda v: "" if v.strip() else "empty")]


def attempt_rules(session_id: str, expiry_field: str, now: datetime) -> list[Rule]:
    """The payment attempt: the invoice, its amount and expiry, and the compliance flags."""
    def future(value: Any) -> str:
        moment = parse_time(value)
        if moment is None:
            return f"{value!r} is not an ISO 8601 time"
        return "" if moment > now else f"{value} is already past"

    return [
        Rule("amountMsat", ("integer",), value=lambda v: "" if v > 0 else f"{v} is not a positive amount"),
        Rule("lnInvoice", ("string",)),
        Rule(expiry_field, ("string",), value=future),
        Rule("blockedByCompliance", ("boolean",), required=False,
             value=lambda v: "blocked: the key lacks the point-of-sale permission, or Mion wants customer details"
             if v else ""),
        Rule("missingComplianceCustomerFields", ("array",), required=False),
        Rule("paymentMethod", ("string",), required=False,
             value=lambda v: "" if v == "lightning" else f"{v!r}, the kiosk asked for lightning"),
        Rule("paymentSessionId", ("string",), required=False,
             value=lambda v: "" if v == session_id else f"{v!r} is not the session asked for"),
    ]


def status_rules(session_id: str) -> list[Rule]:
    """A status or full session of the unpaid check session."""
    return [
        Rule("paymentSessionId", ("string",),
             value=lambda v: "" if v == session_id else f"{v!r} is not the session asked for"),
        Rule("status", ("string",), show=True,
             value=lambda v: f"{v!r} is a paid status, but nobody paid" if v in PAID_WORDS else ""),
        Rule("paidAt", ("null", "string"), value=lambda v: f"{v!r}, but nobody paid this session"),
        Rule("expiresAt", ("string", "null"), required=False,
             value=lambda v: "" if parse_time(v) else f"{v!r} is not an ISO 8601 time"),
    ]


def infer_expiry_field(obj: dict[str, Any], known: set[str]) -> str | None:
    """The one field of ``obj`` that can be the attempt's expiry: an ISO time, its name about expiry."""
    candidates = [name for name, value in obj.items()
                  if name not in known and parse_time(value) is not None and "expir" in name.lower()]
    if len(candidates) == 1:
        return candidates[0]
    times = [name for name, value in obj.items() if name not in known and parse_time(value) is not None]
    return times[0] if len(times) == 1 else None


def invoice_lines(invoice: str, *, network: str, amount_msat: Any, expires_at: datetime | None) -> list[Line]:
    """The invoice against the attempt: network and amount (as the kiosk checks them), and its expiry."""
    lines = []
    if not isinstance(amount_msat, int) or isinstance(amount_msat, bool) or amount_msat <= 0:
        lines.append(Line("invoice.amount", "unexpected value", "string", "no usable amountMsat to compare with"))
    else:
        try:
            check_invoice(invoice, network=network, amount_msat=amount_msat)
        except InvoiceRejected as exc:
            lines.append(Line("invoice.network+amount", "unexpected value", "string", str(exc)))
        else:
            lines.append(Line("invoice.network+amount", "found", "string",
                              f"{network}, {amount_msat} msat as amountMsat says"))
    try:
        times = invoice_times(invoice)
    except InvoiceRejected as exc:
        lines.append(Line("invoice.expiry", "unexpected value", "string", f"cannot read it: {exc}", required=False))
        return lines
    own = datetime.fromtimestamp(times.expires_at, UTC)
    if expires_at is None:
        lines.append(Line("invoice.expiry", "found", "string", f"{own:%H:%M:%S} UTC (no attempt expiry to compare)",
                          required=False))
    elif abs((own - expires_at).total_seconds()) <= INVOICE_EXPIRY_SLACK_S:
        lines.append(Line("invoice.expiry", "found", "string", f"{own:%H:%M:%S} UTC, as the attempt says",
                          required=False))
    else:
        lines.append(Line("invoice.expiry", "unexpected value", "string",
                          f"the invoice expires {own:%H:%M:%S} UTC, the attempt says {expires_at:%H:%M:%S} UTC "
                          "(the kiosk counts down to the attempt's)", required=False))
    return lines
