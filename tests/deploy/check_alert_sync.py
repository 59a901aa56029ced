#!/usr/bin/env python3
"""The Grafana-managed alert rules and the Prometheus rules describe the same four alerts.

Same titles, for, severity, summary and description; every description names the pytest suite's debugging tips
somewhere in the set (leak alert: all four); the PrometheusRule copy is generated (scripts/deploy-sync --check).
"""
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
WANT = {"LeaksoakLeakDetected", "LeaksoakSoakStalled", "LeaksoakMemorySourceDown", "LeaksoakErrorRateHigh"}
TIPS = ["unreleased resources", "error handling cleanup", "closures", "unbounded caches"]


def main() -> int:
    errors = []
    prom = {r["alert"]: r for g in yaml.safe_load((ROOT / "deploy/prometheus/leaksoak-rules.yaml").read_text())["groups"]
            for r in g["rules"]}
    graf = {r["title"]: r for g in yaml.safe_load((ROOT / "grafana/provisioning/alerting/leaksoak.yaml").read_text())["groups"]
            for r in g["rules"]}
    for name, rules in (("prometheus", prom), ("grafana", graf)):
        if set(rules) != WANT:
            errors.append(f"{name} alerts {sorted(rules)} != {sorted(WANT)}")
    for name in WANT & set(prom) & set(graf):
        p, g = prom[name], graf[name]
        for key in ("for", "labels", "annotations"):
            if p.get(key) != g.get(key):
                errors.append(f"{name}: {key} differs between Prometheus and Grafana rules")
        if "severity" not in p["labels"] or not p["annotations"].get("summary") or not p["annotations"].get("description"):
            errors.append(f"{name}: needs severity, summary and description")
        uids = {d["datasourceUid"] for d in g["data"]}
        if uids != {"prometheus", "__expr__"} or g["condition"] not in {d["refId"] for d in g["data"]}:
            errors.append(f"{name}: Grafana rule must query datasource uid prometheus and have its condition among its data")
    desc = prom.get("LeaksoakLeakDetected", {}).get("annotations", {}).get("description", "").lower()
    for tip in TIPS:
        if tip not in desc:
            errors.append(f"LeaksoakLeakDetected description lacks the debugging tip '{tip}'")
    for e in errors:
        print("FAIL:", e)
    print(f"alerts: {len(WANT)} alerts identical in Prometheus and Grafana rules: {'FAILED' if errors else 'ok'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
