"""The shape of the register's transition table: which handler takes which event in which phase, and
where the register may be afterwards. The table itself is ``kiosk.core.register.TRANSITIONS``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.core import effects as fx
from kiosk.core import events as ev
from kiosk.core.model import Phase

P = Phase
ANY_FINAL = (P.PAID, P.EXPIRED, P.CANCELLED, P.BLOCKED, P.ERROR)
IDLE_LIKE = (P.IDLE, P.ENTERING_AMOUNT) + ANY_FINAL
OPENED = (P.CREATING_SESSION, P.CREATING_ATTEMPT, P.AWAITING_PAYMENT)
EVERYWHERE = IDLE_LIKE + OPENED
ANSWERS = (ev.SessionCreated, ev.SessionLookedUp, ev.AttemptCreated, ev.StatusReceived, ev.RequestFailed)

Handler = Callable[[Any, Any, datetime], list[fx.Effect]]
"""``Register.<handler>(register, event, now)``: an unbound method of ``Register``."""


@dataclass(frozen=True, slots=True)
class Transition:
    handler: Handler
    """The Register method that handles the event (unbound)."""
    targets: frozenset[Phase]
    """The phases the register may be in afterwards."""


class Table(dict[tuple[Phase, type], Transition]):
    """(phase, event type) -> transition, built with :meth:`allow`."""

    def allow(self, phases: tuple[Phase, ...], event: type, handler: Handler, *targets: Phase,
              stay: bool = True) -> None:
        """In each of ``phases``, ``event`` goes to ``handler``, which leaves the register in one of
        ``targets`` (or, with ``stay``, where it was)."""
        for phase in phases:
            self[(phase, event)] = Transition(handler, frozenset(targets + ((phase,) if stay else ())))
