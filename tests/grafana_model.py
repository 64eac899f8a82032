"""The structure Grafana's dashboard JSON model requires of a dashboard it imports, as a checker.

Grafana's own validation only runs inside a Grafana server; this checks what its import relies on,
so the test runs everywhere: the top-level fields (``title``, ``uid``, an integer ``schemaVersion``
recent enough for data sources given as ``{type, uid}`` objects, ``time``, ``templating``), and for
every panel an integer ``id`` no other panel has, a known ``type``, a ``gridPos`` inside the
24-column grid that overlaps no other panel's, a Prometheus ``datasource``, and ``targets`` each with
a ``refId`` unique in its panel and a non-empty ``expr``. Every ``$variable`` a query or a data
source names must be defined under ``templating``.
"""

from __future__ import annotations

import re
from typing import Any

GRID_COLUMNS = 24
MIN_SCHEMA_VERSION = 33
"""Grafana 8.3: data sources are ``{"type", "uid"}`` objects rather than names."""
PANEL_TYPES = {"stat", "timeseries", "bargauge", "gauge", "table", "text", "row", "piechart", "heatmap",
               "state-timeline", "status-history", "barchart", "logs"}
_UID = re.compile(r"[A-Za-z0-9_-]{1,40}")
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_BUILT_IN = {"__all", "__interval", "__rate_interval", "__range", "__interval_ms", "__range_s", "__range_ms",
             "__dashboard", "__from", "__to", "__name", "__user", "__org", "__timeFilter"}


def problems(dashboard: Any) -> list[str]:
    """Every way ``dashboard`` (parsed JSON) breaks the model; empty when Grafana can import it."""
    if not isinstance(dashboard, dict):
        return ["the dashboard is not a JSON object"]
    found: list[str] = []
    if not isinstance(dashboard.get("title"), str) or not dashboard["title"].strip():
        found.append("title: a non-empty string is required")
    if not isinstance(dashboard.get("uid"), str) or not _UID.fullmatch(dashboard["uid"]):
        found.append("uid: 1 to 40 letters, digits, '-' or '_' are required")
    version = dashboard.get("schemaVersion")
    if type(version) is not int or version < MIN_SCHEMA_VERSION:
        found.append(f"schemaVersion: an integer of at least {MIN_SCHEMA_VERSION} is required, got {version!r}")
    time = dashboard.get("time")
    if not isinstance(time, dict) or not all(isinstance(time.get(k), str) for k in ("from", "to")):
        found.append("time: {from, to} strings are required")
    variables = _variables(dashboard, found)
    panels = dashboard.get("panels")
    if not isinstance(panels, list) or not panels:
        return [*found, "panels: a non-empty list is required"]
    ids: dict[int, str] = {}
    boxes: list[tuple[str, tuple[int, int, int, int]]] = []
    for index, panel in enumerate(panels):
        if not isinstance(panel, dict):
            found.append(f"panels[{index}]: not an object")
            continue
        name = f"panel {panel.get('id')!r} ({panel.get('title')!r})"
        panel_id = panel.get("id")
        if type(panel_id) is not int:
            found.append(f"{name}: id must be an integer")
        elif panel_id in ids:
            found.append(f"{name}: id {panel_id} is also the id of {ids[panel_id]}")
        else:
            ids[panel_id] = name
        if panel.get("type") not in PANEL_TYPES:
            found.append(f"{name}: unknown type {panel.get('type')!r}")
        if not isinstance(panel.get("title"), str):
            found.append(f"{name}: title must be a string")
        box = _grid(panel.get("gridPos"), name, found)
        if box is not None:
            for other, other_box in boxes:
                if _overlap(box, other_box):
                    found.append(f"{name}: gridPos overlaps {other}")
            boxes.append((name, box))
        if panel.get("type") == "row":
            continue
        _source(panel.get("datasource"), name, variables, found)
        _targets(panel.get("targets"), name, variables, found)
    return found


def _variables(dashboard: dict[str, Any], found: list[str]) -> set[str]:
    templating = dashboard.get("templating")
    entries = templating.get("list") if isinstance(templating, dict) else None
    if not isinstance(entries, list):
        found.append("templating: {list: [...]} is required")
        return set()
    names = set()
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry.get("type"):
            found.append(f"templating: a variable needs a name and a type, got {entry!r}")
            continue
        names.add(entry["name"])
    return names


def _grid(grid: Any, name: str, found: list[str]) -> tuple[int, int, int, int] | None:
    if not isinstance(grid, dict) or not all(type(grid.get(k)) is int for k in ("x", "y", "w", "h")):
        found.append(f"{name}: gridPos needs integer x, y, w, h")
        return None
    x, y, w, h = grid["x"], grid["y"], grid["w"], grid["h"]
    if x < 0 or y < 0 or w < 1 or h < 1 or x + w > GRID_COLUMNS:
        found.append(f"{name}: gridPos {grid} is not inside the {GRID_COLUMNS}-column grid")
        return None
    return x, y, w, h


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def _source(source: Any, name: str, variables: set[str], found: list[str]) -> None:
    if not isinstance(source, dict) or source.get("type") != "prometheus" or not isinstance(source.get("uid"), str):
        found.append(f"{name}: datasource must be {{\"type\": \"prometheus\", \"uid\": ...}}, got {source!r}")
        return
    _named(source["uid"], name, variables, found)


def _targets(targets: Any, name: str, variables: set[str], found: list[str]) -> None:
    if not isinstance(targets, list) or not targets:
        found.append(f"{name}: targets must be a non-empty list")
        return
    refs: set[str] = set()
    for target in targets:
        ref = target.get("refId") if isinstance(target, dict) else None
        if not isinstance(ref, str) or not ref or ref in refs:
            found.append(f"{name}: each target needs a refId of its own, got {ref!r}")
        refs.add(str(ref))
        expr = target.get("expr") if isinstance(target, dict) else None
        if not isinstance(expr, str) or not expr.strip():
            found.append(f"{name}: target {ref!r} has no expr")
            continue
        _named(expr, name, variables, found)
        if isinstance(target, dict) and "datasource" in target:
            _source(target["datasource"], f"{name} target {ref!r}", variables, found)


def _named(text: str, name: str, variables: set[str], found: list[str]) -> None:
    for variable in _VARIABLE.findall(text):
        if variable not in variables and variable not in _BUILT_IN:
            found.append(f"{name}: ${variable} is not defined under templating")
