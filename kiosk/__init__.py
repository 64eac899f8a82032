"""Lightning customer display: takes Bitcoin Lightning payments through Mion next to a shop's till."""

__version__ = "0.1.0"
