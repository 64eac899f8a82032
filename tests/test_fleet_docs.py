"""docs/fleet: the scrape config, alert rules and dashboard parse, and name only metrics the kiosk exports.

promtool (Prometheus' own checker) runs too where it is installed; .ci/run installs it when it can. It
also runs the alert rules' unit tests (kiosk-alerts.test.yml): which alert fires, when, with what labels.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from kiosk.shell.metrics import KioskMetrics

FLEET = Path(__file__).parent.parent / "docs" / "fleet"
FOREIGN = {"up", "node_timex_sync_status"}
"""Metrics the rules use that Prometheus itself or node_exporter provide."""
SUFFIXES = ("", "_total", "_created", "_bucket", "_count", "_sum", "_info")
PROMQL_WORDS = {"sum", "by", "rate", "increase", "and", "unless", "on", "time", "min_over_time", "le",
                "histogram_quantile", "instance", "outcome", "endpoint", "kind", "problem", "job"}


def exported(tmp_path: Path) -> set[str]:
    metrics = KioskMetrics(tmp_path / "journal.sqlite3", stale_after_s=10)
    return {family.name + suffix for family in metrics.registry.collect() for suffix in SUFFIXES}


def metric_names(expr: str) -> set[str]:
    """The metric names in a PromQL expression (label matchers, strings and ranges taken out first)."""
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\"[^\"]*\"", " ", expr)
    bare = re.sub(r"\b(by|on|without)\s*\([^)]*\)", " ", bare)
    return {word for word in re.findall(r"\b[a-zA-Z_][a-zA-Z0-9_]*\b", bare)
            if word not in PROMQL_WORDS and not word.startswith("_")}


def alert_rules() -> list[dict[str, object]]:
    groups = yaml.safe_load((FLEET / "kiosk-alerts.yml").read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_the_expression_reader_finds_metric_names() -> None:
    assert metric_names('sum by (le, endpoint) (rate(kiosk_x_bucket{a="b"}[5m])) / kiosk_y') == {"kiosk_x_bucket",
                                                                                                   "kiosk_y"}


def test_every_alert_names_metrics_the_kiosk_exports(tmp_path: Path) -> None:
    known = exported(tmp_path) | FOREIGN
    rules = alert_rules()
    names = {str(rule["alert"]) for rule in rules}
    assert {"KioskDown", "MionUnreachable", "PrinterPaperOut", "TillLinkDown", "JournalDiskNearlyFull",
            "UnpaidSaleRatioSpike", "ClockUnsynchronised"} <= names
    for rule in rules:
        used = metric_names(str(rule["expr"]))
        assert used, rule["alert"]
        assert used <= known, f"{rule['alert']} names metrics the kiosk does not export: {used - known}"
        assert "summary" in rule["annotations"]  # type: ignore[operator]


def test_a_misspelt_metric_is_caught(tmp_path: Path) -> None:
    assert not metric_names("kiosk_sale_total == 0") <= exported(tmp_path)


def test_the_scrape_config_loads_the_alert_rules_and_scrapes_the_kiosks() -> None:
    config = yaml.safe_load((FLEET / "prometheus.yml").read_text(encoding="utf-8"))
    assert config["rule_files"] == ["kiosk-alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["kiosk"]["scheme"] == "https" and "password_file" in jobs["kiosk"]["basic_auth"]
    assert "kiosk-node" in jobs  # node_timex_sync_status for ClockUnsynchronised


def test_every_dashboard_panel_queries_metrics_the_kiosk_exports(tmp_path: Path) -> None:
    known = exported(tmp_path)
    dashboard = json.loads((FLEET / "grafana-dashboard.json").read_text(encoding="utf-8"))
    panels = dashboard["panels"]
    assert len(panels) >= 10 and len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            used = metric_names(target["expr"])
            assert used and used <= known, f"panel {panel['title']!r}: {used - known}"


@pytest.mark.parametrize("check", [["check", "rules", "kiosk-alerts.yml"],
                                   ["check", "config", "--syntax-only", "prometheus.yml"],
                                   ["test", "rules", "kiosk-alerts.test.yml"]])
def test_promtool_accepts_the_files(check: list[str]) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian: apt-get install prometheus)")
    done = subprocess.run([promtool, *check], cwd=FLEET, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
