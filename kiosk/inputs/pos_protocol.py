"""The till's line protocol: a sans-IO decoder, the command types and the reply/event encoders.

Theory of operation
-------------------
The till and the kiosk exchange short ASCII text lines (the full specification, written for till
vendors, is ``docs/pos-protocol.md``). Bytes go into :meth:`PosDecoder.feed`; complete lines come
out as typed commands (:class:`StartSale`, :class:`CancelSale`, ...) or as a :class:`PosLineError`
that says exactly what was wrong with the line. The decoder keeps the unfinished tail of the input
between calls, so the result never depends on how the bytes were split into reads.

Framing rules the decoder enforces:

* a line ends with LF, CR LF or a lone CR (serial terminals often send only CR on Enter);
* a line holds at most :data:`MAX_LINE_CHARS` characters before its ending, so a line with CR LF
  is at most 256 bytes. A longer line gets one ``LINE_TOO_LONG`` error when its 255th character
  arrives, and everything up to the next line ending is dropped (resynchronisation), in the spirit
  of h11's ``max_incomplete_event_size``;
* a line may only hold printable ASCII and tabs; anything else (binary garbage, UTF-8) is
  ``NOT_TEXT``;
* blank lines are ignored: they are not commands and get no reply.

Which line gets which command is a table (:data:`_PARSERS`), not an if-ladder. Nothing here does
I/O, threads or time; the decoder never raises.
"""

from __future__ import annotations

import enum
import logging
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from kiosk.core.model import Phase, sats_for
from kiosk.inputs.till_protocol import PaidSale

log = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
MAX_LINE_CHARS = 254
"""Characters before the line ending; with CR LF a line is at most 256 bytes."""
MAX_REFERENCE_CHARS = 32
REFERENCE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
"""A till reference: 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit."""
_CR, _LF = 0x0D, 0x0A


class ErrorCode(enum.StrEnum):
    """The codes an ``ERR`` reply can carry. The till may rely on these names; they never change."""

    SYNTAX = "SYNTAX"
    UNKNOWN_COMMAND = "UNKNOWN_COMMAND"
    BAD_AMOUNT = "BAD_AMOUNT"
    AMOUNT_RANGE = "AMOUNT_RANGE"
    BAD_REFERENCE = "BAD_REFERENCE"
    LINE_TOO_LONG = "LINE_TOO_LONG"
    NOT_TEXT = "NOT_TEXT"
    BUSY = "BUSY"
    NO_SALE = "NO_SALE"
    UNKNOWN_REFERENCE = "UNKNOWN_REFERENCE"
    DUPLICATE_REFERENCE = "DUPLICATE_REFERENCE"
    FINISHED = "FINISHED"
    UNAVAILABLE = "UNAVAILABLE"
    REFUSED = "REFUSED"
    INTERNAL = "INTERNAL"


# --- what the decoder hands out ------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StartSale:
    """``SALE <cents> [<reference>]``: charge this amount; the reference is the till's own id."""

    amount_cents: int
    reference: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelSale:
    """``CANCEL [<reference>]``: cancel the open sale (or the one with this reference)."""

    reference: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryStatus:
    """``STATUS [<reference>]``: report the current sale, or the sale with this reference."""

    reference: str | None = None


@dataclass(frozen=True, slots=True)
class Ping:
    """``PING``: is the kiosk there?"""


@dataclass(frozen=True, slots=True)
class Version:
    """``VERSION``: the kiosk's software and protocol version."""


@dataclass(frozen=True, slots=True)
class Help:
    """``HELP``: list the commands (for a technician at a serial terminal)."""


PosCommand = StartSale | CancelSale | QueryStatus | Ping | Version | Help


@dataclass(frozen=True, slots=True, kw_only=True)
class PosLineError:
    """A complete line (or an overlong one) that is not a valid command; it gets one ``ERR`` reply."""

    code: ErrorCode
    reason: str


PosMessage = PosCommand | PosLineError


# --- the decoder ---------------------------------------------------------------------------------


class PosDecoder:
    """Bytes in, commands out. Same output however the input is split; never raises."""

    def __init__(self) -> None:
        self._line = bytearray()
        self._discarding = False  # inside an overlong line: drop bytes until its end
        self._after_cr = False  # the previous byte was CR: an LF now belongs to that line ending

    def reset(self) -> None:
        """Forget a half-received line, e.g. after the port was reopened."""
        self._line.clear()
        self._discarding = False
        self._after_cr = False

    def feed(self, data: bytes) -> list[PosMessage]:
        """Take the next bytes from the till; return what the complete lines among them say."""
        out: list[PosMessage] = []
        for byte in data:
            after_cr, self._after_cr = self._after_cr, byte == _CR
            if byte == _LF and after_cr:
                continue
            if byte in (_CR, _LF):
                self._end_line(out)
            elif self._discarding:
                continue
            elif len(self._line) >= MAX_LINE_CHARS:
                self._line.clear()
                self._discarding = True
                out.append(PosLineError(code=ErrorCode.LINE_TOO_LONG,
                                        reason=f"line longer than {MAX_LINE_CHARS} characters; ignored up to its end"))
            else:
                self._line.append(byte)
        return out

    def _end_line(self, out: list[PosMessage]) -> None:
        raw = bytes(self._line)
        discarding = self._discarding
        self._line.clear()
        self._discarding = False
        if not discarding:
            message = parse_line(raw)
            if message is not None:
                out.append(message)


def parse_line(raw: bytes) -> PosMessage | None:
    """One line without its ending -> a command, an error, or None for a blank line."""
    for position, byte in enumerate(raw):
        if not (0x20 <= byte <= 0x7E or byte == 0x09):
            return PosLineError(code=ErrorCode.NOT_TEXT,
                                reason=f"byte 0x{byte:02X} at position {position + 1}; only printable ASCII is allowed")
    words = raw.decode("ascii").split()
    if not words:
        return None
    keyword, args = words[0].upper(), words[1:]
    parser = _PARSERS.get(keyword)
    if parser is None:
        return PosLineError(code=ErrorCode.UNKNOWN_COMMAND,
                            reason=f"unknown command {_quote(words[0])}; send HELP for the list")
    return parser(args)


def _parse_sale(args: list[str]) -> PosMessage:
    if not 1 <= len(args) <= 2:
        return PosLineError(code=ErrorCode.SYNTAX, reason="usage: SALE <amount in cents> [<reference>]")
    amount_text = args[0]
    if not amount_text.isascii() or not amount_text.isdigit():
        hint = " (whole cents: 1250 means 12.50 EUR)" if re.fullmatch(r"\d+[.,]\d*", amount_text) else ""
        return PosLineError(code=ErrorCode.BAD_AMOUNT,
                            reason=f"amount {_quote(amount_text)} is not a whole number of cents{hint}")
    reference = args[1] if len(args) == 2 else None
    if reference is not None and (error := _check_reference(reference)) is not None:
        return error
    return StartSale(amount_cents=int(amount_text), reference=reference)


def _reference_only(verb: str, build: Callable[[str | None], PosCommand]) -> Callable[[list[str]], PosMessage]:
    def parse(args: list[str]) -> PosMessage:
        if len(args) > 1:
            return PosLineError(code=ErrorCode.SYNTAX, reason=f"usage: {verb} [<reference>]")
        reference = args[0] if args else None
        if reference is not None and (error := _check_reference(reference)) is not None:
            return error
        return build(reference)

    return parse


def _no_arguments(verb: str, command: PosCommand) -> Callable[[list[str]], PosMessage]:
    def parse(args: list[str]) -> PosMessage:
        if args:
            return PosLineError(code=ErrorCode.SYNTAX, reason=f"{verb} takes no arguments")
        return command

    return parse


def _check_reference(reference: str) -> PosLineError | None:
    if REFERENCE_PATTERN.fullmatch(reference):
        return None
    return PosLineError(code=ErrorCode.BAD_REFERENCE,
                        reason=f"reference {_quote(reference)} must be 1 to {MAX_REFERENCE_CHARS} letters, digits, "
                               "'.', '_' or '-', starting with a letter or digit")


def _quote(text: str, limit: int = 24) -> str:
    return '"' + (text if len(text) <= limit else text[: limit - 3] + "...") + '"'


_PARSERS: Mapping[str, Callable[[list[str]], PosMessage]] = {
    "SALE": _parse_sale,
    "CANCEL": _reference_only("CANCEL", lambda ref: CancelSale(reference=ref)),
    "STATUS": _reference_only("STATUS", lambda ref: QueryStatus(reference=ref)),
    "PING": _no_arguments("PING", Ping()),
    "VERSION": _no_arguments("VERSION", Version()),
    "HELP": _no_arguments("HELP", Help()),
}
COMMAND_NAMES: tuple[str, ...] = tuple(_PARSERS)


# --- encoders: replies and events (lines WITHOUT their ending) -----------------------------------

PROTOCOL_STATES: Mapping[Phase, str] = {
    # The till sees a small, stable vocabulary rather than the kiosk's internal phases.
    Phase.IDLE: "IDLE",
    Phase.ENTERING_AMOUNT: "PREPARING",
    Phase.CREATING_SESSION: "PREPARING",
    Phase.CREATING_ATTEMPT: "PREPARING",
    Phase.AWAITING_PAYMENT: "WAITING",
    Phase.PAID: "PAID",
    Phase.EXPIRED: "EXPIRED",
    Phase.CANCELLED: "CANCELLED",
    Phase.BLOCKED: "BLOCKED",
    Phase.ERROR: "ERROR",
}


def reply_ok(verb: str, **fields: object) -> str:
    """``OK <VERB> key=value ...``; fields whose value is None are left out."""
    return _join(["OK", verb, *_fields(fields)])


def reply_error(code: ErrorCode, reason: str) -> str:
    """``ERR <CODE> <reason>``."""
    return _with_text(["ERR", code.value], reason)


def event_invoice(reference: str, sat: int, expires_at: datetime, *, tip_cents: int = 0) -> str:
    """An invoice is on the customer screen: ``EVENT INVOICE ref=.. sat=.. expires=..`` (``tip=`` if any)."""
    fields = {"ref": reference, "sat": sat, "expires": expires_at, "tip": tip_cents or None}
    return _join(["EVENT", "INVOICE", *_fields(fields)])


def event_paid(reference: str, session_id: str, paid_at: datetime, sat: int, tip_cents: int = 0) -> str:
    """Mion reported the payment: ``EVENT PAID ref=.. session=.. paid_at=.. sat=..`` (and ``tip=`` cents, if any)."""
    fields = {"ref": reference, "session": session_id, "paid_at": paid_at, "sat": sat, "tip": tip_cents or None}
    return _join(["EVENT", "PAID", *_fields(fields)])


def event_expired(reference: str) -> str:
    """The sale ended unpaid because its time ran out."""
    return _join(["EVENT", "EXPIRED", *_fields({"ref": reference})])


def event_cancelled(reference: str) -> str:
    """The sale was cancelled (by the till, the cashier or a replacing sale)."""
    return _join(["EVENT", "CANCELLED", *_fields({"ref": reference})])


def event_error(reference: str, reason: str) -> str:
    """The sale ended in an error; the rest of the line is a human-readable reason."""
    return _with_text(["EVENT", "ERROR", *_fields({"ref": reference})], reason)


def event_for_payment(paid: PaidSale) -> str:
    """``EVENT PAID`` for a payment, as the till seam asks for it."""
    return event_paid(paid.reference, paid.session_id, paid.paid_at, sats_for(paid.amount_msat or 0), paid.tip_cents)


def event_for_ending(reference: str, phase: Phase, detail: str | None) -> str:
    """The event for a sale that ended unpaid, as the till seam asks for it."""
    if phase is Phase.EXPIRED:
        return event_expired(reference)
    if phase is Phase.CANCELLED:
        return event_cancelled(reference)
    return event_error(reference, detail or phase.value)


def format_time(moment: datetime) -> str:
    """UTC, whole seconds, ``Z`` suffix: ``2026-11-28T16:50:04Z``."""
    if moment.tzinfo is None:
        raise ValueError("protocol times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fields(fields: Mapping[str, object]) -> list[str]:
    return [f"{key}={_token(value)}" for key, value in fields.items() if value is not None]


def _token(value: object) -> str:
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    # Values travel as single tokens: anything that could break the framing becomes '_'.
    return re.sub(r"[^!-~]", "_", str(value)) or "_"


def _with_text(words: list[str], text: str) -> str:
    head = _join(words)
    room = MAX_LINE_CHARS - len(head) - 1
    return f"{head} {printable_ascii(text, room)}" if room > 0 else head


def printable_ascii(text: str, limit: int = MAX_LINE_CHARS) -> str:
    """Fold ``text`` to one line of printable ASCII (accents dropped, controls to spaces), cut to ``limit``."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    single = " ".join(re.sub(r"[^ -~]", " ", folded).split()) or "-"
    return single if len(single) <= limit else single[: max(limit - 3, 0)] + "..."


def _join(words: list[str]) -> str:
    line = " ".join(words)
    if len(line) > MAX_LINE_CHARS:  # only a pathological value from the app could do this
        log.warning("till line cut to %d characters", MAX_LINE_CHARS)
        line = line[:MAX_LINE_CHARS]
    return line
