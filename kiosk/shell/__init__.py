"""The running kiosk: the loop and the parts it drives (till, devices, journal-first effects, recovery).

See ``docs/architecture.md`` for the layers, the threads and what crosses between them.
"""

from kiosk.lean import import_pygame

import_pygame()  # before the loop and the app import pygame: without its mixer (see kiosk.lean)
