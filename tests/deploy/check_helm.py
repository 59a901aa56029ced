#!/usr/bin/env python3
"""The Helm chart deploy/helm/leaksoak held to the kustomize overlays' invariants.

  check_helm.py HELM OUTDIR

For every example values file under deploy/helm/leaksoak/examples: `helm lint`, `helm template`, the
Prometheus Operator kinds against tests/deploy/crd-schemas.yaml, the core kinds written to
OUTDIR/helm-<example>-core.yaml for kubernetes-validate --strict, and the very checks check_manifests.py runs
on the overlays (labels, selectors, monitors' ports and job names, probes, resources, user, record, API key
Secret, NetworkPolicy, config), with app.kubernetes.io/managed-by Helm:
  - standalone, promql: one soak of its mode, as its overlay (standalone: the record on a claim);
  - sidecar: the patch in ConfigMap leaksoak-sidecar-patch-<instance> applied to the overlay's stand-in
    application (overlays/sidecar/app.yaml) gives a pod that passes the sidecar overlay's checks: no probe,
    small limits, the application's Deployment untouched but for the label leaksoak.io/soak;
  - the shared monitoring objects exactly as the kustomize monitoring component ships them with the default
    values; with the kube-prometheus-stack example, the values reach them (selector label, Grafana URL in the
    dashboard links, runbook URL, severity per alert) and the image, the monitoring namespace and the
    Operator's label reach the soak.
The chart's files/ (config, rules, dashboard) are copies scripts/deploy-sync keeps equal to their sources.
"""
import base64
import copy
import pathlib
import subprocess
import sys
import tomllib

import yaml

import check_manifests as cm

ROOT = cm.ROOT
CHART = ROOT / "deploy/helm/leaksoak"


def helm(binary, *args):
    run = subprocess.run([binary, *args], capture_output=True, text=True)
    if run.returncode != 0:
        cm.fail(f"helm {' '.join(args)}: {run.stderr.strip()}")
        return None
    return run.stdout


def sidecar_pod(docs, instance):
    """The overlay's stand-in application with the chart's sidecar patch applied (a strategic merge of
    labels, shareProcessNamespace, containers and volumes, as kubectl patch does)."""
    patch_cm = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == f"leaksoak-sidecar-patch-{instance}"]
    if len(patch_cm) != 1:
        cm.fail(f"helm sidecar: no ConfigMap leaksoak-sidecar-patch-{instance}")
        return None
    patch = yaml.safe_load(patch_cm[0]["data"]["patch.yaml"])["spec"]["template"]
    app = yaml.safe_load((cm.KDIR / "overlays/sidecar/app.yaml").read_text())
    app["metadata"]["namespace"] = "default"
    merged = copy.deepcopy(app)
    tmpl = merged["spec"]["template"]
    tmpl["metadata"]["labels"].update(patch["metadata"]["labels"])
    tmpl["spec"]["shareProcessNamespace"] = patch["spec"]["shareProcessNamespace"]
    tmpl["spec"]["containers"] = patch["spec"]["containers"] + tmpl["spec"]["containers"]
    tmpl["spec"]["volumes"] = patch["spec"]["volumes"] + tmpl["spec"].get("volumes", [])
    return merged


def check_values_reach(name, docs):
    """The kube-prometheus-stack example: what it sets is what renders."""
    values = yaml.safe_load((CHART / "examples/kube-prometheus-stack.yaml").read_text())
    rule = next((d for d in docs if d["kind"] == "PrometheusRule"), None)
    if rule is None or rule["metadata"]["labels"].get("release") != values["prometheusOperator"]["selectorLabels"]["release"]:
        cm.fail(f"{name}: the PrometheusRule lacks the Operator's selector label")
        return
    rules = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}
    for alert, severity in values["monitoring"]["severity"].items():
        if rules[alert]["labels"]["severity"] != severity:
            cm.fail(f"{name}: {alert} has severity {rules[alert]['labels']['severity']}, the values say {severity}")
    if rules["LeaksoakLeakDetected"]["labels"]["severity"] == rules["LeaksoakDown"]["labels"]["severity"]:
        cm.fail(f"{name}: an alert not named in monitoring.severity changed too")
    for alert, r in rules.items():
        if not r["annotations"]["runbook_url"].startswith(values["monitoring"]["runbookUrl"] + "#"):
            cm.fail(f"{name}: {alert}: runbook_url {r['annotations']['runbook_url']} is not under monitoring.runbookUrl")
    if f"{values['monitoring']['grafanaUrl']}/d/leaksoak/" not in rules["LeaksoakLeakDetected"]["annotations"]["description"]:
        cm.fail(f"{name}: the dashboard link is not under monitoring.grafanaUrl")
    deploy = next(d for d in docs if d["kind"] == "Deployment")
    image = cm.leaksoak_container(deploy)["image"]
    if image != f"{values['image']['registry']}/leaksoak:{values['image']['tag']}":
        cm.fail(f"{name}: image {image} is not image.registry/leaksoak:image.tag")
    policy = next(d for d in docs if d["kind"] == "NetworkPolicy")
    if policy["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] != values["monitoringNamespace"]:
        cm.fail(f"{name}: port 9477 is not open to monitoringNamespace")
    monitor = next(d for d in docs if d["kind"] == "ServiceMonitor")
    if monitor["metadata"]["labels"].get("release") != "kube-prometheus-stack":
        cm.fail(f"{name}: the ServiceMonitor lacks the Operator's selector label")


def check_example(binary, path, outdir, schemas, shared, version):
    name = f"helm {path.stem}"
    values = yaml.safe_load(path.read_text())
    if helm(binary, "lint", "--strict", str(CHART), "-f", str(path)) is None:
        return
    text = helm(binary, "template", "leaksoak", str(CHART), "-f", str(path))
    if text is None:
        return
    docs = [d for d in yaml.safe_load_all(text) if d]
    cm.check_crds(name, docs, schemas)
    core = [d for d in docs if d["kind"] not in cm.CRD_KINDS]
    (outdir / f"helm-{path.stem}-core.yaml").write_text(yaml.safe_dump_all(core, sort_keys=False))
    mode, instance = values["mode"], values["instance"]
    # Port 9477 must be open to the namespace the values name, and only to it.
    cm.soak_pod.MONITORING_NS = values.get("monitoringNamespace", "monitoring")
    own = [d for d in docs if not cm.is_shared(d)]
    for d in own:
        d["metadata"].setdefault("namespace", "default")
    if mode == "sidecar":
        pod = sidecar_pod(own, instance)
        if pod is None:
            return
        own = [pod] + [d for d in own if not d["metadata"]["name"].startswith("leaksoak-sidecar-patch-")]
    soak, cfg = cm.check_single_soak(name, own, version, True, cm.KDIR / "overlays" / mode)
    if soak is not None:
        cm.check_config(mode, cfg, lambda: soak.deploy["spec"]["template"]["spec"])
        if values.get("persistence", {}).get("enabled"):
            cm.check_persistent_record(name, own, soak.deploy)
    if path.stem == "kube-prometheus-stack":
        check_values_reach(name, docs)
    elif values.get("monitoring", {}).get("enabled", True):
        cm.check_shared(name, docs, version, **shared)
    elif any(cm.is_shared(d) for d in docs):
        cm.fail(f"{name}: monitoring.enabled is false, yet shared objects are rendered")
    print(f"{name}: {len(docs)} objects ({', '.join(sorted(d['kind'] for d in docs))})")


def main() -> int:
    binary, outdir = sys.argv[1], pathlib.Path(sys.argv[2])
    outdir.mkdir(parents=True, exist_ok=True)
    cm.MANAGED_BY_TOOL = "Helm"
    version = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]["version"]
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    if chart["version"] != version or chart["appVersion"] != version:
        cm.fail(f"Chart.yaml: version {chart['version']} and appVersion {chart['appVersion']} must be {version} (Cargo.toml)")
    helm(binary, "lint", "--strict", str(CHART))
    schemas = yaml.safe_load((ROOT / "tests/deploy/crd-schemas.yaml").read_text())
    shared = {
        "rule_groups": yaml.safe_load((ROOT / "deploy/prometheus/leaksoak-rules.yaml").read_text())["groups"],
        "dashboard": cm.json.loads((ROOT / "grafana/dashboards/leaksoak.json").read_text()),
        "grafana_alerts": yaml.safe_load((ROOT / "grafana/provisioning/alerting/leaksoak.yaml").read_text()),
    }
    examples = sorted((CHART / "examples").glob("*.yaml"))
    for path in examples:
        check_example(binary, path, outdir, schemas, shared, version)
    for e in cm.errors:
        print("FAIL:", e)
    print(f"helm: {len(examples)} example values files linted, rendered and checked: {'FAILED' if cm.errors else 'ok'}")
    return 1 if cm.errors else 0


if __name__ == "__main__":
    sys.exit(main())
