"""The Mion client's seam to the wire: reading an answer's body within a limit.

The client asks ``requests`` for streamed responses and reads each body here, a chunk at a time,
so no answer costs more memory than its limit and a chunk, however long the server goes on.
"""

from __future__ import annotations

import logging

import requests

log = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024


def read_body(response: requests.Response, limit_bytes: int) -> tuple[bytes, bool]:
    """Up to ``limit_bytes`` of a streamed response's body, and whether that was all of it.

    The rest is left unread: closing the response then closes its connection rather than drain it.

    Raises:
        requests.RequestException: the body broke off or could not be decoded.
    """
    data = bytearray()
    for chunk in response.iter_content(CHUNK_BYTES):
        data += chunk
        if len(data) > limit_bytes:
            return bytes(data[:limit_bytes]), False
    return bytes(data), True
