"""Drawing the customer screen with pygame."""

from kiosk.lean import import_pygame

import_pygame()  # first, before any module of the kiosk imports pygame: without its mixer (see kiosk.lean)
