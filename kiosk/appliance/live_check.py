"""``kiosk doctor --live``: the kiosk's whole conversation with Mion once, checked line by line.

With the configured key it creates a payment session of the smallest amount (its reference says it
is a check, ``retailPos`` true), asks for one payment attempt, checks the invoice (network, amount
against ``amountMsat``, expiry), then reads the session's status by id, the full session, and the
session by reference. It never pays, and leaves the session to expire.

Each endpoint and each field the kiosk relies on gets one :class:`Line`: found, missing, different
type, unexpected value (or no answer), with what was seen. A 404 is read with
:func:`kiosk.mion.refusal.not_found_kind`: a wrong path makes the check try the paths Mion's API is
likely to have, and a path that answers, like an expiry field found under another name, becomes a
line of ``kiosk.toml`` to paste (:func:`fixes`). The exchanges are kept for ``--record``.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk.appliance import live_fields as lf
from kiosk.appliance.live_fields import Line
from kiosk.config import MionSettings
from kiosk.mion.probe import NOT_JSON, Exchange, Probe, json_type
from kiosk.mion.refusal import refusal_detail

CHECK_AMOUNT_CENTS = 1
"""The check session's amount: the smallest the kiosk can ask for."""
CHECK_SESSION_LIFETIME_S = 600
"""The check session expires by itself this long after the check."""

_LIKELY_PATHS: dict[str, tuple[str, ...]] = {
    "create_session": ("POST /payment-sessions", "POST /payment-session"),
    "create_attempt": ("POST /payment-sessions/{id}/payment-attempts", "POST /payment-attempts",
                       "POST /payment-sessions/{id}/attempts", "POST /payment-sessions/{id}/payment-attempt"),
    "session_status": ("GET /payment-sessions/{id}/status", "GET /payment-sessions/status/{id}",
                       "GET /payment-session-status/{id}"),
    "session_by_id": ("GET /payment-sessions/{id}",),
    "session_by_reference": ("GET /payment-sessions?reference={reference}", "GET /payment-sessions/reference/{reference}",
                             "GET /payment-sessions/by-reference/{reference}"),
}
"""Where each endpoint may be, after the guesses the settings start from; each is also tried under /v1."""


@dataclass(slots=True)
class LiveReport:
    """What the live check saw."""

    base_url: str
    reference: str
    lines: list[Line] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    paths: dict[str, str] = field(default_factory=dict)
    """The endpoint table that worked (the configured one, corrected where a likely path answered)."""
    attempt_expiry_field: str = ""
    session_expiry_field: str = ""

    @property
    def ok(self) -> bool:
        """Every endpoint answered and every field the kiosk needs was found as it reads it."""
        return bool(self.lines) and all(line.ok for line in self.lines)


def run_live_check(settings: MionSettings, api_key: str, *, now: datetime | None = None) -> LiveReport:
    """Run the check against ``settings.base_url`` with ``api_key``; never raises for what Mion answers."""
    now = now or datetime.now(UTC)
    reference = f"kiosk-check-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
    report = LiveReport(settings.base_url, reference, paths=asdict(settings.paths),
                        attempt_expiry_field=settings.attempt_expiry_field,
                        session_expiry_field=settings.session_expiry_field)
    probe = Probe(settings, api_key)
    try:
        _Check(settings, api_key, probe, report, now).run()
    finally:
        probe.close()
        report.exchanges = list(probe.exchanges)
    return report


class _Check:
    def __init__(self, settings: MionSettings, key: str, probe: Probe, report: LiveReport, now: datetime) -> None:
        self.settings, self.key, self.probe, self.report, self.now = settings, key, probe, report, now

    def run(self) -> None:
        body = {"amount": CHECK_AMOUNT_CENTS, "currencyIso3": "EUR",
                self.settings.session_expiry_field: _iso(self.now + timedelta(seconds=CHECK_SESSION_LIFETIME_S)),
                "reference": self.report.reference, "retailPos": True}
        created = self.endpoint("create_session", body=body)
        if created is None:
            return
        self.add(lf.check_fields("session", created, lf.session_rules()))
        self.check_expiry_taken(created)
        session_id = created.get("paymentSessionId")
        if not isinstance(session_id, str) or not session_id.strip():
            return
        attempt = self.endpoint("create_attempt", session_id=session_id,
                                body={"paymentSessionId": session_id, "paymentMethod": "lightning", "retailPos": True})
        if attempt is not None:
            self.check_attempt(attempt, session_id)
        for name, what in (("session_status", "status"), ("session_by_id", "session")):
            answer = self.endpoint(name, session_id=session_id)
            if answer is not None:
                self.add(lf.check_fields(what, answer, lf.status_rules(session_id)))
        self.check_by_reference(session_id)

    def add(self, lines: list[Line]) -> None:
        self.report.lines.extend(lines)

    # --- endpoints ---------------------------------------------------------------------------------

    def endpoint(self, name: str, **request: Any) -> dict[str, Any] | None:
        """Call endpoint ``name``, add its line, and return its JSON object (None when it gave none)."""
        spec = self.report.paths[name]
        exchange = self.probe.call(name, spec=spec, **request)
        subject = f"{name} ({spec})"
        if exchange.ok:
            seen = f"HTTP {exchange.status}, {json_type(exchange.data)}"
            accepted = isinstance(exchange.data, dict) or name == "session_by_reference"
            self.add([Line(subject, "found" if accepted else "different type", seen,
                           "" if accepted else "the kiosk reads an object")])
            return _object(exchange.data) if accepted else None
        if exchange.not_found() == "wrong path":
            found = self.try_likely_paths(name, spec, request)
            if found is not None:
                return found
        self.add([self.refusal_line(subject, exchange)])
        return None

    def try_likely_paths(self, name: str, spec: str, request: dict[str, Any]) -> dict[str, Any] | None:
        for candidate in _candidates(name, spec):
            exchange = self.probe.call(name, spec=candidate, **request)
            if exchange.ok and (isinstance(exchange.data, dict) or name == "session_by_reference"):
                self.report.paths[name] = candidate
                self.add([Line(f"{name} ({spec})", "missing", "HTTP 404, no such path",
                               f"Mion answers at {candidate} (HTTP {exchange.status})",
                               fix=("mion.paths", name, candidate))])
                return _object(exchange.data)
        return None

    def refusal_line(self, subject: str, exchange: Exchange) -> Line:
        if exchange.status == 0:
            return Line(subject, "no answer", exchange.problem, "check [mion] base_url, the network and the clock")
        kind = exchange.not_found()
        message = refusal_detail(exchange.status, exchange.text.encode("utf-8"), True, self.key)
        seen = f"HTTP {exchange.status}, {exchange.content_type or 'no content type'}"
        if kind == "wrong path":
            return Line(subject, "missing", seen, "no such path, and none of the likely paths answered: take it from "
                        f"Mion's API reference into [mion.paths] {exchange.name}")
        if kind is not None:
            return Line(subject, "unexpected value", seen, f"Mion says the session is not there ({kind}): {message}")
        if exchange.status in (401, 403):
            return Line(subject, "unexpected value", seen, f"{message}: check the key, its permissions (Payments "
                        "Read & Write, Retail Point-of-sale Payments Create) and [mion] auth_header, auth_scheme")
        if 200 <= exchange.status < 300:
            return Line(subject, "different type", seen, "the answer is not JSON")
        return Line(subject, "unexpected value", seen, message)

    # --- answers -------------------------------------------------------------------------------------

    def check_attempt(self, attempt: dict[str, Any], session_id: str) -> None:
        configured = self.settings.attempt_expiry_field
        lines = lf.check_fields("attempt", attempt, lf.attempt_rules(session_id, configured, self.now))
        expiry_name = configured
        if configured not in attempt:
            known = {rule.name for rule in lf.attempt_rules(session_id, configured, self.now)}
            inferred = lf.infer_expiry_field(attempt, known)
            if inferred is not None:
                expiry_name = self.report.attempt_expiry_field = inferred
                lines = [_with_fix(line, f"Mion names it {inferred!r} ({json_type(attempt[inferred])}: "
                                         f"{attempt[inferred]})", ("mion", "attempt_expiry_field", inferred))
                         if line.subject == f"attempt.{configured}" else line for line in lines]
        self.add(lines)
        invoice = attempt.get("lnInvoice")
        if isinstance(invoice, str) and invoice:
            self.add(lf.invoice_lines(invoice, network=self.settings.invoice_network,
                                      amount_msat=attempt.get("amountMsat"),
                                      expires_at=lf.parse_time(attempt.get(expiry_name))))

    def check_expiry_taken(self, created: dict[str, Any]) -> None:
        """Whether Mion kept the expiry the kiosk asks for (a wrong request field name is silently ignored)."""
        given = lf.parse_time(created.get("expiresAt"))
        if given is None:
            return
        asked = self.now.replace(microsecond=0) + timedelta(seconds=CHECK_SESSION_LIFETIME_S)
        name = self.settings.session_expiry_field
        if abs((given - asked).total_seconds()) <= lf.INVOICE_EXPIRY_SLACK_S:
            self.add([Line(f"session expiry as asked ({name})", "found", "string", "", required=False)])
            return
        self.add([Line(f"session expiry as asked ({name})", "unexpected value", "string",
                       f"asked for {asked:%H:%M:%S} UTC in {name!r}, Mion set {given:%H:%M:%S} UTC: [mion] "
                       "session_expiry_field may not be the name Mion reads", required=False)])

    def check_by_reference(self, session_id: str) -> None:
        answer = self.endpoint("session_by_reference", reference=self.report.reference)
        if answer is None:
            return
        items = answer.get("items", answer.get("_list", [answer]))
        mine = [item for item in items if isinstance(item, dict) and item.get("reference") == self.report.reference]
        if not mine:
            ids = [item.get("paymentSessionId") for item in items if isinstance(item, dict)]
            self.add([Line("by reference.session", "missing", f"{len(items)} session(s)",
                           "our check session is not among them" if ids else "no session for our reference")])
            return
        same = mine[-1].get("paymentSessionId") == session_id
        self.add([Line("by reference.session", "found" if same else "unexpected value", "object",
                       "" if same else "a session with our reference but another id")])
        self.add(lf.check_fields("by reference", mine[-1], lf.status_rules(session_id)))


def _object(data: Any) -> dict[str, Any]:
    """A JSON answer as an object; a list (the by-reference answer may be one) under ``_list``."""
    return data if isinstance(data, dict) else {"_list": data if isinstance(data, list) else []}


def _with_fix(line: Line, detail: str, fix: tuple[str, str, str]) -> Line:
    return Line(line.subject, line.verdict, line.seen, detail, line.required, fix)


def _candidates(name: str, configured: str) -> list[str]:
    likely = list(_LIKELY_PATHS.get(name, ()))
    method, _, path = configured.partition(" ")
    if path.startswith("/v1/"):
        likely.append(f"{method} {path.removeprefix('/v1')}")
    likely += [f"{spec.split(' ')[0]} /v1{spec.split(' ', 1)[1]}" for spec in likely]
    return [spec for spec in dict.fromkeys(likely) if spec != configured]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- what the technician reads --------------------------------------------------------------------------


def fixes(report: LiveReport) -> list[str]:
    """The ``kiosk.toml`` lines that correct what the check could infer, grouped by section."""
    sections: dict[str, list[str]] = {}
    for line in report.lines:
        if line.fix is not None:
            section, name, value = line.fix
            sections.setdefault(section, []).append(f"{name} = {json.dumps(value)}")
    return [text for section in sorted(sections) for text in (f"[{section}]", *sections[section])]


def format_report(report: LiveReport, *, as_json: bool = False) -> str:
    """The report as lines for a person, or as JSON for tools."""
    if as_json:
        return json.dumps({"ok": report.ok, "base_url": report.base_url, "reference": report.reference,
                           "lines": [asdict(line) for line in report.lines], "settings": fixes(report)}, indent=2)
    out = [(f"Live check against {report.base_url}: one payment session of {CHECK_AMOUNT_CENTS} cent, reference "
            f"{report.reference}."),
           "Nothing is paid: the session is left to expire by itself."]
    verdicts = [line.verdict.upper() + ("" if line.required or line.verdict == "found" else " (optional)")
                for line in report.lines]
    width = max((len(line.subject) for line in report.lines), default=0)
    verdict_width = max((len(verdict) for verdict in verdicts), default=0)
    for verdict, line in zip(verdicts, report.lines, strict=True):
        text = f"{verdict:<{verdict_width}}  {line.subject:<{width}}  {line.seen}"
        out.append(text + (f"  {line.detail}" if line.detail else ""))
    settings = fixes(report)
    if report.ok:
        out.append(f"All {len(report.lines)} lines as the kiosk expects: it can sell with these settings.")
    else:
        failing = sum(1 for line in report.lines if not line.ok)
        out.append(f"{failing} line(s) would stop a sale with these settings.")
    if settings:
        out.append("Put these lines in kiosk.toml to correct what differs:")
        out += [f"  {text}" for text in settings]
    return "\n".join(out)


def record_lines(report: LiveReport) -> list[dict[str, Any]]:
    """The exchanges as JSON-ready dicts, not yet redacted (see kiosk.mion.contract)."""
    return [{"endpoint": ex.name, "request": {"method": ex.method, "path": ex.path, "body": ex.request},
             "response": {"status": ex.status, "content_type": ex.content_type,
                          "body": ex.text if ex.data is NOT_JSON else ex.data}} for ex in report.exchanges]
