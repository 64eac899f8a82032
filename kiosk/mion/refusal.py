"""What a refusal from Mion may keep of its answer: a short message, and never any part of the API key.

A refusal's detail travels far: the log, the journal, ``kiosk show``, ``reconcile --json`` and the
till's ``EVENT ERROR``. Mion, or a proxy before it, may echo the request's headers in an error
body, whole or cut. So the body is scrubbed of the key, and of every run of
:data:`SECRET_RUN_CHARS` of its characters, before the message is flattened and shortened to
:data:`DETAIL_CHARS`: a cut made after the scrub cannot leave half a key behind. A 401 or 403 is
about the key itself, so nothing of its body is kept but Mion's error code.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

DETAIL_CHARS = 200
"""A refusal's detail is shortened to this many characters (after the key is scrubbed out)."""
SECRET_RUN_CHARS = 8
"""Any run of this many characters of the API key in an error answer is scrubbed as if it were the key."""
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,39}")


def refusal_detail(status: int, body: bytes, complete: bool, secret: str) -> str:
    """What a refusal may keep of its answer, with no trace of ``secret`` (the API key).

    A 401 or 403 keeps nothing of the body but Mion's error code: that body is about the key, and a
    proxy may echo the request's headers in it. Any other refusal keeps Mion's message (its
    message/error field, else the text), scrubbed in full before it is shortened, so no cut can
    leave part of the key behind. ``complete`` is False when only the start of the body was read.
    """
    try:
        data = json.loads(body) if complete else None
    except ValueError:
        data = None
    if status in (401, 403):
        code = _error_code(data, secret)
        words = "the API key was not accepted" if status == 401 else "access denied"
        return f"{words} (code: {code})" if code else words
    if isinstance(data, dict):
        for key in ("message", "error", "detail", "title"):
            value = data.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if isinstance(value, str) and value.strip():
                return _shorten(scrub(value, secret))
    text = body.decode("utf-8", errors="replace")
    if not complete:  # the read stopped where it did: a key may begin right there
        text = _without_key_start(text, secret)
    return _shorten(scrub(text, secret)) or f"HTTP {status} without a message"


def _error_code(body: Any, secret: str) -> str | None:
    """A short code-like field of an error answer (``code``, ``error``, ``error.code``), if it has one."""
    if not isinstance(body, dict):
        return None
    nested = body.get("error")
    candidates = [body.get("code"), body.get("errorCode"), body.get("error_code"), nested]
    if isinstance(nested, dict):
        candidates.insert(0, nested.get("code"))
    for value in candidates:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and _CODE.fullmatch(value) and scrub(value, secret) == value:
            return value
    return None


def scrub(text: str, secret: str) -> str:
    """``text`` with ``secret``, and every run of :data:`SECRET_RUN_CHARS` or more of its characters, as ``***``.

    A run counts because a server or a proxy may have cut the key before echoing it. A secret
    shorter than a run is replaced only whole.
    """
    size = min(len(secret), SECRET_RUN_CHARS)
    if size == 0:
        return text
    hits: list[tuple[int, int]] = []
    for start in range(len(secret) - size + 1):
        piece = secret[start:start + size]
        at = text.find(piece)
        while at >= 0:
            hits.append((at, at + size))
            at = text.find(piece, at + 1)
    if not hits:
        return text
    runs: list[list[int]] = []
    for begin, end in sorted(hits):
        if runs and begin <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], end)
        else:
            runs.append([begin, end])
    kept: list[str] = []
    done = 0
    for begin, end in runs:
        kept += [text[done:begin], "***"]
        done = end
    return "".join(kept) + text[done:]


def _without_key_start(text: str, secret: str) -> str:
    """``text`` less any end that is the start of ``secret`` (a key cut off where the text was cut)."""
    for size in range(min(len(secret), len(text)), 0, -1):
        if text.endswith(secret[:size]):
            return text[:-size]
    return text


def _shorten(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= DETAIL_CHARS else flat[:DETAIL_CHARS - 1] + "…"


# --- a 404: no such session, or no such path? -----------------------------------------------------------

NotFoundKind = Literal["no such session", "wrong path", "unclear"]

_PATH_WORDS = ("no endpoint", "cannot get", "cannot post", "cannot put", "cannot patch", "no route", "route not",
               "unknown path", "unknown endpoint", "no handler", "not a valid path", "no such path",
               "resource not found", "no static resource", "page not found", "<html")
_SESSION_WORDS = ("session", "reference", "payment")


def not_found_kind(content_type: str, body: bytes) -> NotFoundKind:
    """What a 404 from Mion means: the thing asked for does not exist, or the path itself does not.

    An API that knows the path answers "no such session" in JSON that says so. A wrong path is
    answered by whatever stands before the API (a gateway, the web framework): not JSON (an HTML
    page, plain "Not Found", nothing), or JSON about a route ("Cannot GET /...", "no endpoint ...").
    JSON that says neither is "unclear": it is reported as seen, and a lookup treats it as no session.
    """
    text = body.decode("utf-8", errors="replace").strip()
    lowered = text.lower()
    if "json" not in content_type.lower() or not text:
        return "wrong path"
    try:
        data = json.loads(text)
    except ValueError:
        return "wrong path"
    if any(word in lowered for word in _PATH_WORDS):
        return "wrong path"
    words = " ".join(str(value) for value in (data.values() if isinstance(data, dict) else [data])).lower()
    if any(word in words for word in _SESSION_WORDS):
        return "no such session"
    return "unclear"
