"""Loads ``requests`` without its character-set guessing (see :mod:`kiosk.lean`).

Imported before ``requests`` by every module of the kiosk that uses it, so that whichever is first
imports it this way.
"""

from kiosk.lean import HTTP_OPTIONAL, import_without

import_without("requests", HTTP_OPTIONAL)
