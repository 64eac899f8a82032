"""docs/fleet/grafana-dashboard.json has the structure Grafana's dashboard JSON model requires
(tests/grafana_model.py), and the checker catches each way a dashboard can break it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.grafana_model import problems

DASHBOARD = Path(__file__).parent.parent / "docs" / "fleet" / "grafana-dashboard.json"


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def test_the_shipped_dashboard_has_the_structure_grafana_imports() -> None:
    assert problems(dashboard()) == []


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(board: dict[str, Any]) -> None:
        where: Any = board
        for step in path[:-1]:
            where = where[step]
        if value is KeyError:
            del where[path[-1]]
        else:
            where[path[-1]] = value
    return change


def _clash(board: dict[str, Any]) -> None:
    board["panels"][1]["gridPos"] = dict(board["panels"][0]["gridPos"], x=board["panels"][0]["gridPos"]["x"] + 1)


def _second_ref_a(board: dict[str, Any]) -> None:
    targets = board["panels"][0]["targets"]
    targets.append(dict(targets[0]))


BREAKS = {
    "no schemaVersion": (_set(("schemaVersion",), KeyError), "schemaVersion"),
    "schemaVersion as text": (_set(("schemaVersion",), "39"), "schemaVersion"),
    "too old for datasource objects": (_set(("schemaVersion",), 32), "schemaVersion"),
    "uid too long": (_set(("uid",), "k" * 41), "uid"),
    "no panels": (_set(("panels",), []), "panels"),
    "two panels with one id": (_set(("panels", 1, "id"), 1), "id 1 is also the id of"),
    "overlapping panels": (_clash, "gridPos overlaps panel 1"),
    "wider than the grid": (_set(("panels", 0, "gridPos", "x"), 20), "not inside the 24-column grid"),
    "no gridPos": (_set(("panels", 0, "gridPos"), KeyError), "gridPos needs integer"),
    "no datasource": (_set(("panels", 0, "datasource"), KeyError), "datasource must be"),
    "datasource by name": (_set(("panels", 0, "datasource"), "Prometheus"), "datasource must be"),
    "no targets": (_set(("panels", 0, "targets"), []), "targets must be a non-empty list"),
    "a target without expr": (_set(("panels", 0, "targets", 0, "expr"), ""), "has no expr"),
    "two targets A": (_second_ref_a, "refId of its own"),
    "an undefined variable": (_set(("panels", 0, "targets", 0, "expr"), 'up{instance=~"$shop"}'),
                              "$shop is not defined"),
    "unknown panel type": (_set(("panels", 0, "type"), "singlestat"), "unknown type"),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_each_break_of_the_model_is_caught(name: str) -> None:
    change, expected = BREAKS[name]
    board = copy.deepcopy(dashboard())
    change(board)
    found = problems(board)
    assert any(expected in problem for problem in found), found


def test_panels_side_by_side_or_stacked_do_not_overlap() -> None:
    board = dashboard()
    first = board["panels"][0]["gridPos"]
    board["panels"] = board["panels"][:2]
    board["panels"][1]["gridPos"] = dict(first, x=first["x"] + first["w"])  # touching edges: no overlap
    assert problems(board) == []
    board["panels"][1]["gridPos"] = dict(first, y=first["y"] + first["h"])
    assert problems(board) == []
    board["panels"][1]["gridPos"] = dict(first, y=first["y"] + first["h"] - 1)
    assert problems(board) != []
