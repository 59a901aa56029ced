#!/usr/bin/env python3
"""Extract every PromQL expression that ships in the repository.

Sources: the Grafana dashboard (panel targets, annotations, the selector of each label_values variable), the
Grafana-managed alert rules (every query of every rule whose datasource is Prometheus; server-side expressions
such as reduce, math and threshold are skipped) and the Prometheus rule file. Grafana variables are substituted
so the text is plain PromQL: the dashboard's $job, $instance and $scenario (and ${...}, ${...:regex},
${...:pipe}) by regexes, ".*" each unless given, and Grafana's built-in $__rate_interval and friends by what a
1 s-scrape Prometheus sees in the e2e test.

  queries.py --json FILE        the list as JSON: [{"source", "name", "kind", "expr"}]
  queries.py --rule-file FILE   a Prometheus rule file with one recording rule per query, for promtool check rules
  queries.py --check-names      fail when a query uses a metric name not in docs/metrics.md
  queries.py --job RE --instance RE --scenario RE   the values substituted for $job, $instance, $scenario

From Python: all_queries({"job": ..., "instance": ..., "scenario": ...}) (missing keys are ".*").
"""
import argparse
import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "grafana/dashboards/leaksoak.json"
GRAFANA_ALERTS = ROOT / "grafana/provisioning/alerting/leaksoak.yaml"
PROM_RULES = ROOT / "deploy/prometheus/leaksoak-rules.yaml"

# The metric names dashboards and rules may use: those of docs/metrics.md, which is generated from the code
# (histograms add _bucket/_sum/_count).
METRICS_DOC = ROOT / "docs/metrics.md"


def documented_metrics():
    rows = re.findall(r"^\| `([a-z_]+)` \| ([a-z]+) \|", METRICS_DOC.read_text(), re.M)
    return {name for name, _ in rows}, {name for name, kind in rows if kind == "histogram"}


# Grafana's built-in variables, as a 1 s-scrape Prometheus sees them in the e2e test.
GRAFANA_VARS = {
    "$__rate_interval": "1m", "$__interval": "15s", "$__range": "5m", "${__range}": "5m",
    "$__range_s": "300", "$__interval_ms": "15000",
}
# The dashboard's own variables, in the order they chain (docs/dashboard.md).
DASHBOARD_VARS = ("job", "instance", "scenario")


def dashboard_vars(values=None) -> dict:
    """{"job", "instance", "scenario"} -> regex, ".*" for each one not given."""
    values = dict(values or {})
    unknown = set(values) - set(DASHBOARD_VARS)
    assert not unknown, f"unknown dashboard variables {sorted(unknown)}; they are {DASHBOARD_VARS}"
    return {name: values.get(name) or ".*" for name in DASHBOARD_VARS}


def substitute(expr: str, values: dict) -> str:
    # longest names first, so that $__interval_ms is not read as $__interval followed by "_ms"
    for var in sorted(GRAFANA_VARS, key=len, reverse=True):
        expr = expr.replace(var, GRAFANA_VARS[var])
    for name, regex in dashboard_vars(values).items():
        value = regex.replace("\\", "\\\\").replace('"', '\\"')  # inside a PromQL "..." string, as Grafana does
        expr = re.sub(r"\$\{" + name + r"(?::(?:regex|pipe))?\}", lambda _: value, expr)
        expr = re.sub(r"\$" + name + r"\b", lambda _: value, expr)
    return expr


def label_values_metric(query: str) -> str:
    m = re.fullmatch(r"\s*label_values\(\s*(.+?)\s*,\s*\w+\s*\)\s*", query)
    return m.group(1) if m else query


def dashboard_queries(values: dict):
    dash = json.loads(DASHBOARD.read_text())
    out = []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                if t.get("expr"):
                    out.append({"source": "dashboard", "name": f"panel {p['id']} {p.get('title', '')} [{t['refId']}]",
                                "kind": "panel", "expr": substitute(t["expr"], values)})
            walk(p.get("panels", []))

    walk(dash.get("panels", []))
    for a in dash.get("annotations", {}).get("list", []):
        expr = a.get("expr") or (a.get("target") or {}).get("expr")
        if expr:
            out.append({"source": "dashboard", "name": f"annotation {a['name']}", "kind": "annotation",
                        "expr": substitute(expr, values)})
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
            out.append({"source": "dashboard", "name": f"variable {v['name']}", "kind": "variable",
                        "expr": label_values_metric(substitute(q, values))})
    return out


def grafana_alert_queries():
    out = []
    for g in yaml.safe_load(GRAFANA_ALERTS.read_text())["groups"]:
        for r in g["rules"]:
            for d in r["data"]:
                if d["datasourceUid"] == "__expr__":
                    continue
                out.append({"source": "grafana-alert", "name": f"{r['title']} [{d['refId']}]", "kind": "alert",
                            "expr": d["model"]["expr"]})
    return out


def prometheus_rule_queries():
    out = []
    for g in yaml.safe_load(PROM_RULES.read_text())["groups"]:
        for r in g["rules"]:
            out.append({"source": "prometheus-rule", "name": r.get("alert") or r.get("record"), "kind": "alert",
                        "expr": r["expr"]})
    return out


def all_queries(values: dict = None):
    """Every shipped expression; values: the regexes for $job, $instance and $scenario (".*" when missing)."""
    return dashboard_queries(dashboard_vars(values)) + grafana_alert_queries() + prometheus_rule_queries()


def metric_names(expr: str):
    # identifiers followed by { or [ or ) or whitespace that look like metric names (ours all have a prefix)
    return set(re.findall(r"\b((?:leaksoak|process)_[a-z0-9_]+)", expr))


def check_names(queries) -> int:
    known, histograms = documented_metrics()
    assert "leaksoak_leak_detected" in known and histograms, f"cannot read the metric names of {METRICS_DOC}"
    bad = 0
    for q in queries:
        for name in metric_names(q["expr"]):
            base = re.sub(r"_(bucket|sum|count)$", "", name) if name.endswith(("_bucket", "_sum", "_count")) else name
            if name in known or base in histograms:
                continue
            print(f"NOT IN docs/metrics.md: {name} in {q['source']}: {q['name']}")
            bad += 1
    return bad


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json")
    ap.add_argument("--rule-file")
    ap.add_argument("--check-names", action="store_true")
    for name in DASHBOARD_VARS:
        ap.add_argument(f"--{name}", default=".*", help=f"value substituted for ${name} (a regex)")
    args = ap.parse_args()
    queries = all_queries({name: getattr(args, name) for name in DASHBOARD_VARS})
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(queries, indent=1))
    if args.rule_file:
        rules = [{"record": f"leaksoak_query_check:{i}", "expr": q["expr"]} for i, q in enumerate(queries)]
        pathlib.Path(args.rule_file).write_text(yaml.safe_dump({"groups": [{"name": "queries", "rules": rules}]}))
    counts = {}
    for q in queries:
        counts[q["source"]] = counts.get(q["source"], 0) + 1
    print(f"{len(queries)} PromQL expressions: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if args.check_names and check_names(queries):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
