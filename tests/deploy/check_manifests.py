#!/usr/bin/env python3
"""Kubernetes manifests under deploy/kubernetes: layout, rendering, and what kubernetes-validate cannot see.

  check_manifests.py OUTDIR
Renders base and every overlay (kubectl kustomize, else kustomize; without either only the layout checks run),
writes OUTDIR/<name>-core.yaml with the core kinds for kubernetes-validate, and checks:
  - every kustomization.yaml names files (resources, patches, generator files) that exist;
  - the Prometheus Operator kinds against tests/deploy/crd-schemas.yaml;
  - the PrometheusRule's groups are those of deploy/prometheus/leaksoak-rules.yaml;
  - the dashboard ConfigMap has grafana_dashboard: "1" and the dashboard JSON;
  - the leaksoak container: /healthz liveness, /readyz readiness, resources, non-root read-only securityContext;
  - each overlay keeps exactly one of ServiceMonitor / PodMonitor (no double scrape); sidecar shares the
    process namespace and uses the process source; promql uses the promql source on
    container_memory_working_set_bytes.
"""
import json
import pathlib
import shutil
import subprocess
import sys
import tomllib

import jsonschema
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
KDIR = ROOT / "deploy/kubernetes"
CRD_KINDS = {"ServiceMonitor", "PodMonitor", "PrometheusRule"}
errors = []


def fail(msg):
    errors.append(msg)


def kustomizations():
    return sorted(KDIR.rglob("kustomization.yaml"))


def check_layout():
    for k in kustomizations():
        doc = yaml.safe_load(k.read_text())
        refs = list(doc.get("resources", []))
        refs += [p["path"] for p in doc.get("patches", []) if "path" in p]
        for gen in doc.get("configMapGenerator", []) + doc.get("secretGenerator", []):
            refs += [f.split("=", 1)[-1] for f in gen.get("files", [])]
        for ref in refs:
            if not (k.parent / ref).exists():
                fail(f"{k.relative_to(ROOT)}: {ref} does not exist")
        listed = {(k.parent / r).resolve() for r in refs}
        for f in k.parent.iterdir():
            if f.is_file() and f.name != "kustomization.yaml" and f.resolve() not in listed:
                fail(f"{k.relative_to(ROOT)}: {f.name} is in the directory but not used")


def render(path):
    for cmd in (["kubectl", "kustomize", str(path)], ["kustomize", "build", str(path)]):
        if shutil.which(cmd[0]):
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode != 0:
                fail(f"{' '.join(cmd)}: {out.stderr.strip()}")
                return None
            return [d for d in yaml.safe_load_all(out.stdout) if d]
    return None


def leaksoak_container(deploy):
    cs = [c for c in deploy["spec"]["template"]["spec"]["containers"] if c["name"] == "leaksoak"]
    return cs[0] if cs else None


def check_rendered(name, docs, schemas, rule_groups, base_dashboard):
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    for d in docs:
        if d["kind"] in CRD_KINDS:
            try:
                jsonschema.validate(d, schemas[d["kind"]])
            except jsonschema.ValidationError as e:
                fail(f"{name}: {d['kind']}/{d['metadata']['name']}: {e.message} at {list(e.absolute_path)}")
    for pr in by_kind.get("PrometheusRule", []):
        if pr["spec"]["groups"] != rule_groups:
            fail(f"{name}: PrometheusRule groups differ from deploy/prometheus/leaksoak-rules.yaml (scripts/deploy-sync)")
    monitors = len(by_kind.get("ServiceMonitor", [])) + len(by_kind.get("PodMonitor", []))
    if name != "base" and monitors != 1:
        fail(f"{name}: {monitors} ServiceMonitor/PodMonitor objects: want exactly one (no double scrape)")
    dash_cms = [c for c in by_kind.get("ConfigMap", []) if c["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
    if len(dash_cms) != 1 or json.loads(dash_cms[0]["data"]["leaksoak.json"]) != base_dashboard:
        fail(f"{name}: want one ConfigMap labelled grafana_dashboard: \"1\" holding grafana/dashboards/leaksoak.json")
    deploys = by_kind.get("Deployment", [])
    if len(deploys) != 1:
        fail(f"{name}: want one Deployment")
        return
    spec = deploys[0]["spec"]["template"]["spec"]
    c = leaksoak_container(deploys[0])
    if c is None:
        fail(f"{name}: no leaksoak container")
        return
    if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
        fail(f"{name}: liveness probe is not GET /healthz")
    if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
        fail(f"{name}: readiness probe is not GET /readyz")
    if not c.get("resources", {}).get("requests") or not c.get("resources", {}).get("limits"):
        fail(f"{name}: leaksoak container without requests and limits")
    sc = c.get("securityContext", {})
    if not (sc.get("readOnlyRootFilesystem") and sc.get("runAsNonRoot") and sc.get("allowPrivilegeEscalation") is False):
        fail(f"{name}: leaksoak container must be non-root with a read-only root filesystem")
    cfg_cm = [cm for cm in by_kind.get("ConfigMap", []) if cm["metadata"]["name"].startswith("leaksoak-config")]
    cfg = tomllib.loads(cfg_cm[0]["data"]["leaksoak.toml"]) if cfg_cm else {}
    mounted = {v["configMap"]["name"] for v in spec.get("volumes", []) if "configMap" in v}
    if not cfg_cm or cfg_cm[0]["metadata"]["name"] not in mounted:
        fail(f"{name}: the config ConfigMap is not mounted")
    source = cfg.get("memory", {}).get("source", "self")
    if name == "sidecar":
        if not spec.get("shareProcessNamespace") or source != "process" or len(spec["containers"]) < 2:
            fail("sidecar: needs shareProcessNamespace: true, a target container and memory source process")
    if name == "promql":
        if source != "promql" or "container_memory_working_set_bytes" not in cfg["memory"].get("query", ""):
            fail("promql: needs memory source promql on container_memory_working_set_bytes")
    if name == "standalone" and (source != "self" or not cfg.get("fake_llm", {}).get("enabled", True)):
        fail("standalone: needs the built-in fake endpoint and memory source self")


def main() -> int:
    outdir = pathlib.Path(sys.argv[1])
    outdir.mkdir(parents=True, exist_ok=True)
    check_layout()
    schemas = yaml.safe_load((ROOT / "tests/deploy/crd-schemas.yaml").read_text())
    rule_groups = yaml.safe_load((ROOT / "deploy/prometheus/leaksoak-rules.yaml").read_text())["groups"]
    dashboard = json.loads((ROOT / "grafana/dashboards/leaksoak.json").read_text())
    targets = [KDIR / "base"] + sorted((KDIR / "overlays").iterdir())
    rendered = 0
    for t in targets:
        docs = render(t)
        if docs is None:
            continue
        rendered += 1
        check_rendered(t.name, docs, schemas, rule_groups, dashboard)
        core = [d for d in docs if d["kind"] not in CRD_KINDS]
        (outdir / f"{t.name}-core.yaml").write_text(yaml.safe_dump_all(core, sort_keys=False))
        print(f"{t.name}: {len(docs)} objects ({', '.join(sorted(d['kind'] for d in docs))})")
    if rendered == 0:
        print("NOTE: neither kubectl nor kustomize found: only the kustomization layout was checked")
    for e in errors:
        print("FAIL:", e)
    print(f"manifests: {len(kustomizations())} kustomizations, {rendered} rendered: {'FAILED' if errors else 'ok'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
