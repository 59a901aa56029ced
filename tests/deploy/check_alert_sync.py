#!/usr/bin/env python3
"""The Grafana-managed alert rules behave as the Prometheus rules: checked by running the same promtool tests.

  check_alert_sync.py

Reads grafana/provisioning/alerting/leaksoak.yaml as Grafana would evaluate it and writes each rule back as
the Prometheus rule with the same behaviour:
  - the condition must be Grafana's Prometheus-compatible shape: an instant query `query`, a math expression
    `is_number($query) || is_nan($query) || is_inf($query)` and a threshold `> 0` on it, i.e. "any series the
    query returns is an alert"; anything else cannot be compared and fails;
  - noDataState: OK is Prometheus (no series, no alert); NoData or Alerting fire when the query returns
    nothing, written back as `(expr) or absent(expr)`, so a rule that fires before the first cycle fails the
    tests that say nothing fires then;
  - execErrState must be KeepLast (Prometheus keeps its alerts when an evaluation fails) and
    missing_series_evals_to_resolve 1 (Prometheus resolves an alert as soon as its series is gone);
  - for, keepFiringFor, labels and the group interval (the tests' evaluation_interval) carry over.
Then runs deploy/prometheus/leaksoak-rules.test.yaml against those rules with promtool (without the expected
annotations: Grafana's template dialect differs) and requires every test to pass. Also checks that both sets
have the same alerts, that every alert of both has a runbook_url whose anchor is a section of docs/runbooks.md,
a severity of critical, warning or info and the soak's name as its label `soak`, that every `$values.X` an annotation quotes is a query of its rule, and that the leak
alert names the pytest suite's four debugging tips.
"""
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROM = ROOT / "deploy/prometheus/leaksoak-rules.yaml"
GRAFANA = ROOT / "grafana/provisioning/alerting/leaksoak.yaml"
TESTS = ROOT / "deploy/prometheus/leaksoak-rules.test.yaml"
MATH = "is_number($query) || is_nan($query) || is_inf($query)"
RUNBOOKS = ROOT / "docs/runbooks.md"
SEVERITIES = ("critical", "warning", "info")
TIPS = ["unreleased resources", "error handling cleanup", "closures", "unbounded caches"]


def as_prometheus(rule, errors):
    """The Prometheus rule that behaves as this Grafana rule, or None when it cannot be compared."""
    title = rule["title"]
    data = {d["refId"]: d for d in rule["data"]}
    cond = data.get(rule["condition"], {}).get("model", {})
    math = data.get(cond.get("expression"), {}).get("model", {})
    query = data.get("query", {})
    shape = (cond.get("type") == "threshold"
             and cond.get("conditions") == [{"evaluator": {"type": "gt", "params": [0]}}]
             and math.get("type") == "math" and math.get("expression") == MATH
             and query.get("datasourceUid") == "prometheus" and query["model"].get("instant") is True)
    if not shape:
        errors.append(f"{title}: condition is not query -> {MATH} -> threshold > 0")
        return None
    expr = query["model"]["expr"]
    if rule.get("noDataState") in ("NoData", "Alerting"):
        expr = f"({expr}) or absent({expr})"
    elif rule.get("noDataState") != "OK":
        errors.append(f"{title}: noDataState {rule.get('noDataState')!r} is not OK, NoData or Alerting")
    if rule.get("execErrState") != "KeepLast":
        errors.append(f"{title}: execErrState {rule.get('execErrState')!r}: Prometheus keeps its alerts on an "
                      "evaluation error (KeepLast)")
    if rule.get("missing_series_evals_to_resolve") != 1:
        errors.append(f"{title}: missing_series_evals_to_resolve must be 1: Prometheus resolves at once")
    out = {"alert": title, "expr": expr, "for": rule.get("for", "0m")}
    if rule.get("keepFiringFor", "0m") not in ("0m", "0s", "0"):
        out["keep_firing_for"] = rule["keepFiringFor"]
    out["labels"] = rule.get("labels", {})
    for text in rule.get("annotations", {}).values():
        for ref in re.findall(r"\$values\.(\w+)", text):
            if ref not in data or data[ref]["datasourceUid"] == "__expr__":
                errors.append(f"{title}: an annotation quotes $values.{ref}, which is not a query of the rule")
    return out


def github_anchor(heading):
    """The anchor GitHub (and most Markdown renderers) give a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def check_conventions(name, rule, anchors, errors):
    """On-call conventions every alert follows, in either dialect."""
    url = rule.get("annotations", {}).get("runbook_url", "")
    page, _, anchor = url.partition("#")
    if not page.startswith("http") or not page.endswith("docs/runbooks.md") or anchor not in anchors:
        errors.append(f"{name}: runbook_url {url!r} is not an absolute link to a section of docs/runbooks.md")
    labels = rule.get("labels", {})
    if labels.get("severity") not in SEVERITIES:
        errors.append(f"{name}: severity {labels.get('severity')!r} is not one of {SEVERITIES}")
    if "app_kubernetes_io_instance" not in labels.get("soak", ""):
        errors.append(f"{name}: no label soak naming the soak (its app_kubernetes_io_instance)")


def promtool_test(tmp, rules):
    """Runs the shared tests against `rules` (Prometheus groups); annotations are not compared."""
    (tmp / "rules.yaml").write_text(yaml.safe_dump({"groups": rules}, sort_keys=False))
    tests = yaml.safe_load(TESTS.read_text())
    tests["rule_files"] = ["rules.yaml"]
    for t in tests["tests"]:
        for case in t.get("alert_rule_test", []):
            for alert in case.get("exp_alerts", []):
                alert.pop("exp_annotations", None)
    (tmp / "tests.yaml").write_text(yaml.safe_dump(tests, sort_keys=False))
    return subprocess.run(["promtool", "test", "rules", str(tmp / "tests.yaml")], capture_output=True, text=True)


def main() -> int:
    errors = []
    prom_groups = yaml.safe_load(PROM.read_text())["groups"]
    graf_groups = yaml.safe_load(GRAFANA.read_text())["groups"]
    prom = {r["alert"]: r for g in prom_groups for r in g["rules"]}
    rules = []
    tested_interval = yaml.safe_load(TESTS.read_text())["evaluation_interval"]
    for g in graf_groups:
        pg = next((p for p in prom_groups if p["name"] == g["name"]), None)
        # A Prometheus group without interval is evaluated every evaluation_interval (1m by default, and in
        # the tests); Grafana's group must say the same.
        if pg is None or pg.get("interval", tested_interval) != g["interval"]:
            errors.append(f"Grafana group {g['name']}: no Prometheus group with the same name and interval")
        back = [r for r in (as_prometheus(rule, errors) for rule in g["rules"]) if r]
        rules.append({"name": g["name"], "interval": g["interval"], "rules": back})
    graf = {r["alert"] for g in rules for r in g["rules"]}
    if graf != set(prom):
        errors.append(f"alerts differ: Prometheus {sorted(prom)}, Grafana {sorted(graf)}")
    anchors = {github_anchor(h) for h in re.findall(r"^#+ (.+)$", RUNBOOKS.read_text(), re.M)}
    for name, rule in prom.items():
        check_conventions(name, rule, anchors, errors)
    for rule in (r for g in graf_groups for r in g["rules"]):
        check_conventions(f"Grafana {rule['title']}", rule, anchors, errors)
    for name, rule in prom.items():
        if not rule.get("labels", {}).get("severity") or not all(rule["annotations"].get(k) for k in ("summary", "description")):
            errors.append(f"{name}: needs severity, summary and description")
    desc = prom.get("LeaksoakLeakDetected", {}).get("annotations", {}).get("description", "").lower()
    errors += [f"LeaksoakLeakDetected description lacks the debugging tip '{t}'" for t in TIPS if t not in desc]
    if shutil.which("promtool") is None:
        errors.append("promtool is not installed")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run = promtool_test(pathlib.Path(tmp), rules)
            if run.returncode != 0:
                errors.append("the Grafana rules fail the Prometheus rules' tests:\n" + run.stdout + run.stderr)
    for e in errors:
        print("FAIL:", e)
    print(f"alerts: {len(prom)} Grafana-managed rules behave as the Prometheus rules in "
          f"{len(yaml.safe_load(TESTS.read_text())['tests'])} promtool tests: {'FAILED' if errors else 'ok'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
