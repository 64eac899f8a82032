"""The state machine's picture in docs/ is generated from the transition table, and current."""

from __future__ import annotations

from pathlib import Path

from kiosk.core import diagram

DOCS = Path(__file__).resolve().parents[2] / "docs" / "state-machine.md"


def test_the_state_machine_picture_is_generated_from_the_table() -> None:
    drawn = DOCS.read_text()
    assert drawn == diagram.markdown(), "run: python -m kiosk.core.diagram > docs/state-machine.md"


def test_the_picture_lists_moves_in_phase_order_with_their_events() -> None:
    lines = diagram.mermaid().splitlines()
    assert lines[:3] == ["stateDiagram-v2", "    [*] --> idle", "    idle --> entering_amount: KeyPressed"]
    assert "    awaiting_payment --> paid: AttemptCreated, RequestFailed, SessionCreated, SessionLookedUp, " \
           "StatusReceived" in lines
    assert not any(line.split(":")[0].strip().split(" --> ")[0] == line.split(":")[0].strip().split(" --> ")[-1]
                   for line in lines[2:]), "staying in a phase is not drawn"
