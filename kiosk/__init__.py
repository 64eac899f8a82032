"""Lightning customer display: takes Bitcoin Lightning payments through Mion next to a shop's till."""

import os

# pygame prints a banner on import unless told not to; the kiosk's output is its own log lines.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

__version__ = "0.1.0"
