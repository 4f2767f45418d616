"""deploy/monitoring stays in step with the code: the scrape configuration finds the pods, and
every alert rule and dashboard panel is valid PromQL (parsed by promql-parser, the Prometheus
grammar; promtool is not needed) that queries metrics the code defines, by labels they have."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from shared.observability import metrics
from shared.settings import DEFAULT_PORTS
from tests.unit.test_deploy_config import compose, k8s_kind

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
PROMETHEUS = MONITORING / "prometheus.yml"
ALERTS = MONITORING / "alerts.yml"
DASHBOARD = MONITORING / "grafana-dashboard.json"
DOCS = ROOT / "docs" / "operations.md"

#: Labels Prometheus adds when scraping (deploy/monitoring/prometheus.yml) and histograms' le.
SCRAPE_LABELS = {"job", "instance", "pod", "app", "le"}
REQUIRED_ALERTS = {
    "WaymarkConsumerLagGrowing",
    "WaymarkDeadLetters",
    "WaymarkRelayStalled",
    "WaymarkLeaseFlapping",
    "WaymarkNotificationGivenUp",
}
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$service": "visits", "${service}": "visits"}


def defined_labels() -> dict[str, set[str]]:
    """Each sample name the code can export, with the labels it carries."""
    return {name: set(labels) for name, labels in metrics.metric_labels().items()}


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def recorded() -> dict[str, set[str]]:
    """Recording rules' names, with the labels their aggregation keeps."""
    names: dict[str, set[str]] = {}
    for rule in alert_rules():
        if "record" in rule:
            expression = promql_parser.parse(rule["expr"])
            names[rule["record"]] = set().union(*(by for by in _by_labels(expression))) or set()
    return names


def dashboard_queries() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    queries = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            queries.append((panel["title"], expr))
    return queries


def _children(node: Any) -> Iterator[Any]:
    for attribute in ("lhs", "rhs", "expr", "param", "vector_selector"):
        child = getattr(node, attribute, None)
        if child is not None and not isinstance(child, (str, int, float)):
            yield child
    yield from getattr(node, "args", None) or ()


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for child in _children(node):
        yield from _walk(child)


def _selectors(expression: Any) -> list[Any]:
    return [node for node in _walk(expression) if type(node).__name__ == "VectorSelector"]


def _by_labels(expression: Any) -> Iterator[set[str]]:
    for node in _walk(expression):
        modifier = getattr(node, "modifier", None)
        if type(node).__name__ == "AggregateExpr" and modifier is not None:
            yield set(modifier.labels)
        matching = getattr(modifier, "matching", None) if modifier is not None else None
        if matching is not None:
            yield set(matching.labels)


def check_query(expr: str, where: str) -> None:
    """Parse ``expr`` and check each metric it reads exists and each label it names is one
    that a metric it reads carries."""
    expression = promql_parser.parse(expr)  # raises on any syntax error
    known = {**defined_labels(), **recorded()}
    selectors = _selectors(expression)
    assert selectors, f"{where}: reads no metric"
    available = set(SCRAPE_LABELS)
    for selector in selectors:
        assert selector.name in known, f"{where}: {selector.name} is not a Waymark metric"
        available |= known[selector.name]
    for selector in selectors:
        for matcher in selector.matchers.matchers:
            assert matcher.name in available, f"{where}: no label {matcher.name}"
    for labels in _by_labels(expression):
        assert labels <= available, f"{where}: labels {labels - available} do not exist"


# --- Prometheus ------------------------------------------------------------------------------


def test_scrape_configuration_finds_every_waymark_pod_and_compose_service() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text())
    for rule_file in config["rule_files"]:
        assert (MONITORING / rule_file).is_file(), rule_file
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    k8s = jobs["waymark"]
    assert k8s["metrics_path"] == "/metrics"
    (discovery,) = k8s["kubernetes_sd_configs"]
    assert discovery["role"] == "pod" and discovery["namespaces"]["names"] == ["waymark"]
    keeps = {
        rule["source_labels"][0]: rule["regex"]
        for rule in k8s["relabel_configs"]
        if rule.get("action", "replace") == "keep"
    }
    part_of = keeps["__meta_kubernetes_pod_label_app_kubernetes_io_part_of"]
    port_name = keeps["__meta_kubernetes_pod_container_port_name"]
    deployments = k8s_kind("Deployment")
    assert len(deployments) == 4  # the three services and the web app
    for deployment in deployments:
        template = deployment["spec"]["template"]
        assert template["metadata"]["labels"]["app.kubernetes.io/part-of"] == part_of
        (container,) = template["spec"]["containers"]
        assert [port["name"] for port in container["ports"]] == [port_name]
    (static,) = jobs["waymark-compose"]["static_configs"]
    services = compose()["services"]
    expected = {f"{service.value}:{port}" for service, port in DEFAULT_PORTS.items()}
    assert set(static["targets"]) == expected
    assert {target.split(":")[0] for target in static["targets"]} <= set(services)


# --- alert and recording rules ---------------------------------------------------------------


def test_the_alerts_asked_for_exist_with_a_severity_and_a_summary() -> None:
    alerts = {rule["alert"]: rule for rule in alert_rules() if "alert" in rule}
    assert set(alerts) >= REQUIRED_ALERTS
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert rule["annotations"]["summary"], name
        if "for" in rule:
            assert re.fullmatch(r"\d+[smh]", rule["for"]), name
        assert f"`{name}`" in DOCS.read_text(), f"docs/operations.md does not explain {name}"


@pytest.mark.parametrize(
    "rule", alert_rules(), ids=lambda rule: rule.get("alert") or rule.get("record")
)
def test_every_rule_is_valid_promql_over_metrics_that_exist(rule: dict[str, Any]) -> None:
    check_query(rule["expr"], rule.get("alert") or rule["record"])


def test_a_query_of_a_metric_or_label_that_does_not_exist_is_caught() -> None:
    with pytest.raises(AssertionError, match="not a Waymark metric"):
        check_query("sum(rate(waymark_dead_letter_total[5m]))", "typo")
    with pytest.raises(AssertionError, match="do not exist"):
        check_query("sum by (path) (rate(waymark_http_request_duration_seconds_count[5m]))", "x")
    with pytest.raises(ValueError):
        check_query("sum(rate(waymark_dead_letters_total[5m])", "unbalanced")


# --- Grafana ---------------------------------------------------------------------------------


@pytest.mark.parametrize("query", dashboard_queries(), ids=lambda query: query[0])
def test_every_dashboard_panel_queries_metrics_that_exist(query: tuple[str, str]) -> None:
    title, expr = query
    check_query(expr, title)


def test_the_dashboard_covers_every_metric_and_every_panel_is_explained() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["title"]
    queried = {
        selector.name
        for _, expr in dashboard_queries()
        for selector in _selectors(promql_parser.parse(expr))
    }
    recorded_sources = {
        selector.name
        for rule in alert_rules()
        if "record" in rule
        for selector in _selectors(promql_parser.parse(rule["expr"]))
    }
    families = {re.sub(r"_(total|bucket|sum|count)$", "", name) for name in queried}
    families |= {re.sub(r"_(total|bucket|sum|count)$", "", n) for n in recorded_sources}
    defined = {re.sub(r"_(total|bucket|sum|count)$", "", n) for n in metrics.metric_names()}
    assert defined <= families, defined - families
    docs = DOCS.read_text()
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["description"], panel["title"]
            assert f"**{panel['title']}**" in docs, f"docs/operations.md: {panel['title']}"
    for name in defined:
        assert f"`{name}" in docs, f"docs/operations.md does not explain {name}"
