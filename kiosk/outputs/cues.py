"""The non-visual cues: one distinct sound for each moment of a sale, never told apart by colour alone.

=========  ==========================  ====================================
cue        buzzer (on/off seconds, n)   chime (notes, Hz)
=========  ==========================  ====================================
INVOICE    one short blip               one soft middle note
PAID       two short beeps              a rising pair (the paid chime)
ENDED      one long tone                a falling pair
ERROR      three firm beeps             two low notes
=========  ==========================  ====================================

ENDED is an expired or cancelled sale; ERROR is any sale that could not be paid (error, blocked,
an invoice that failed the kiosk's checks, a payment not confirmed).
"""

from __future__ import annotations

import enum


class Cue(enum.Enum):
    INVOICE = "invoice"
    PAID = "paid"
    ENDED = "ended"
    ERROR = "error"


BUZZER_PATTERNS: dict[Cue, tuple[float, float, int]] = {
    Cue.INVOICE: (0.05, 0.05, 1),
    Cue.PAID: (0.08, 0.08, 2),
    Cue.ENDED: (0.6, 0.1, 1),
    Cue.ERROR: (0.25, 0.15, 3),
}
"""Per cue: (on seconds, off seconds, how many beeps)."""

CHIME_NOTES: dict[Cue, tuple[tuple[float, float], ...]] = {
    Cue.INVOICE: ((660.0, 0.2),),
    Cue.PAID: ((880.0, 0.18), (1318.5, 0.32)),
    Cue.ENDED: ((660.0, 0.2), (440.0, 0.35)),
    Cue.ERROR: ((330.0, 0.2), (330.0, 0.3)),
}
"""Per cue: (frequency in Hz, duration in seconds) of each note, played one after the other."""
