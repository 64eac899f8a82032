"""The register's state machine drawn from its transition table, as a Mermaid diagram in Markdown.

``python -m kiosk.core.diagram > docs/state-machine.md`` writes it; a test checks the file is current,
so the picture can never drift from the code.
"""

from __future__ import annotations

from collections import defaultdict

from kiosk.core.model import Phase
from kiosk.core.register import TRANSITIONS

HEADER = """# The sale state machine

Generated from `kiosk/core/register.py` (`TRANSITIONS`) by `python -m kiosk.core.diagram`; do not edit.
Each arrow names the events that may move the register from one phase to another. An event in a
phase that has no entry in the table is refused (`IllegalTransition`) and changes nothing. Staying
in a phase is not drawn.
"""


def mermaid() -> str:
    """The ``stateDiagram-v2`` source for every move the table allows."""
    edges: dict[tuple[Phase, Phase], set[str]] = defaultdict(set)
    for (phase, event), transition in TRANSITIONS.items():
        for target in transition.targets:
            if target is not phase:
                edges[(phase, target)].add(event.__name__)
    order = list(Phase)
    lines = ["stateDiagram-v2", "    [*] --> idle"]
    for (source, target) in sorted(edges, key=lambda pair: (order.index(pair[0]), order.index(pair[1]))):
        names = ", ".join(sorted(edges[(source, target)]))
        lines.append(f"    {source.value} --> {target.value}: {names}")
    return "\n".join(lines)


def markdown() -> str:
    return f"{HEADER}\n```mermaid\n{mermaid()}\n```\n"


if __name__ == "__main__":
    print(markdown(), end="")
