"""A recorded contract: Mion's answers as ``kiosk doctor --live --record`` saw them, for the simulator.

The file is JSON: the endpoint table and field names that worked (``settings``), and every exchange
of the check (``exchanges``: the request's method, path and body; the answer's status, content type
and body). It never holds a request header, so neither the key nor the auth header; every text is
scrubbed of the key and of key-like settings, and every invoice loses its payment secret (the ``s``
field is zeroed, so its signature no longer fits).

``kiosk simulator --contract FILE`` loads it (:func:`load_contract`): the simulator then serves the
recorded endpoint table and expects the recorded session expiry field, and :meth:`Contract.reshape`
gives each answer the recorded shape: the recorded field names (the attempt's expiry under its
recorded name), the fields the recording has and the simulator does not (with their recorded
values), the recorded status word of an unpaid session, and the by-reference answer's form (a list,
``{"items": [...]}`` or one session).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from kiosk.config import MionPaths
from kiosk.config_check import scrub
from kiosk.errors import InvoiceRejected
from kiosk.mion import refusal
from kiosk.mion.invoice_read import without_payment_secret

log = logging.getLogger(__name__)

FORMAT = "kiosk-mion-contract/1"
UNPAID_WORDS = ("open", "pending")
"""The simulator's own status words for an unpaid session, replaced by the recorded one."""
NATIVE_ATTEMPT_EXPIRY = "expiry"
"""The simulator's own name for the attempt's expiry."""


def write_record(path: Path, *, base_url: str, settings: dict[str, Any], exchanges: list[dict[str, Any]],
                 secrets: set[str]) -> None:
    """Write the exchanges of a live check to ``path``, redacted (see the module's docstring)."""
    document = {"format": FORMAT, "base_url": base_url,
                "redacted": "no request headers (so no API key, no auth header); key-like texts as ***; "
                            "payment secrets of invoices zeroed",
                "settings": settings, "exchanges": exchanges}
    text = json.dumps(redact(document, secrets), indent=2, ensure_ascii=False) + "\n"
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def redact(value: Any, secrets: set[str]) -> Any:
    """``value`` (JSON) with every text scrubbed of ``secrets`` and every invoice without its payment secret."""
    if isinstance(value, dict):
        return {redact(key, secrets): redact(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, secrets) for item in value]
    if not isinstance(value, str):
        return value
    text = scrub(value, secrets)
    for secret in secrets:
        text = refusal.scrub(text, secret)  # runs of the key's characters too, as in refusals
    if text.lower().startswith("ln"):
        try:
            return without_payment_secret(text)
        except InvoiceRejected:
            return text
    return text


@dataclass(frozen=True, slots=True)
class Contract:
    """What a recording says of Mion's API, as the simulator uses it."""

    paths: MionPaths
    session_expiry_field: str = "expiresAt"
    attempt_expiry_field: str = NATIVE_ATTEMPT_EXPIRY
    answers: dict[str, Any] = field(default_factory=dict)
    """Endpoint name -> the body of its first successful recorded answer."""

    def reshape(self, endpoint: str, native: Any) -> Any:
        """The simulator's answer ``native`` to ``endpoint`` in the recorded shape; None: answer 404 instead."""
        recorded = self.answers.get(endpoint)
        if endpoint != "session_by_reference":
            return self._object(endpoint, native, recorded) if isinstance(native, dict) else native
        sessions = native if isinstance(native, list) else [native]
        if isinstance(recorded, dict) and isinstance(recorded.get("items"), list):
            sample = recorded["items"][0] if recorded["items"] else None
            shaped = [self._object(endpoint, item, sample) for item in sessions]
            return {**{k: v for k, v in recorded.items() if k != "items"}, "items": shaped}
        if isinstance(recorded, dict):
            return self._object(endpoint, sessions[-1], recorded) if sessions else None
        sample = recorded[0] if isinstance(recorded, list) and recorded else None
        return [self._object(endpoint, item, sample) for item in sessions]

    def _object(self, endpoint: str, native: dict[str, Any], recorded: Any) -> dict[str, Any]:
        answer = dict(native)
        if endpoint == "create_attempt" and NATIVE_ATTEMPT_EXPIRY in answer:
            answer[self.attempt_expiry_field] = answer.pop(NATIVE_ATTEMPT_EXPIRY)
        if not isinstance(recorded, dict):
            return answer
        shaped = {name: value for name, value in answer.items() if name in recorded}
        shaped.update({name: value for name, value in recorded.items() if name not in shaped})
        word = recorded.get("status")
        if shaped.get("status") in UNPAID_WORDS and isinstance(word, str):
            shaped["status"] = word
        return shaped


def load_contract(path: Path) -> Contract:
    """Read a recorded contract. Raises ValueError naming what is wrong with the file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read a contract: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{path}: not a recorded contract (format {FORMAT} expected)")
    settings = document.get("settings") or {}
    table = settings.get("paths") or {}
    known = {f.name for f in fields(MionPaths)}
    paths = MionPaths(**{name: spec for name, spec in table.items() if name in known and isinstance(spec, str)})
    paths.check()
    answers: dict[str, Any] = {}
    for exchange in document.get("exchanges") or []:
        response = exchange.get("response") or {}
        name = exchange.get("endpoint")
        if isinstance(name, str) and name not in answers and 200 <= int(response.get("status") or 0) < 300:
            answers[name] = response.get("body")
    return Contract(paths=paths, session_expiry_field=str(settings.get("session_expiry_field") or "expiresAt"),
                    attempt_expiry_field=str(settings.get("attempt_expiry_field") or NATIVE_ATTEMPT_EXPIRY),
                    answers=answers)
