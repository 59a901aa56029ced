#!/usr/bin/env python3
"""Kubernetes manifests under deploy/kubernetes: layout, rendering, labels, and what kubernetes-validate cannot see.

  check_manifests.py OUTDIR
Renders every directory holding a kustomization.yaml (kubectl kustomize, else kustomize; without either only the
layout checks run), writes OUTDIR/<dir>-core.yaml with the core kinds for kubernetes-validate, and checks:
  - every kustomization.yaml names files (resources, patches, configurations, generator files) that exist, and
    every file beside it is used;
  - the Prometheus Operator kinds against tests/deploy/crd-schemas.yaml;
  - three kinds of rendering:
    * one soak (base, overlays/*, examples/*/<soak>): exactly one Deployment, no shared monitoring object
      (PrometheusRule, dashboard or alert ConfigMap); overlays keep exactly one ServiceMonitor/PodMonitor and
      set their own app.kubernetes.io/instance. The sidecar's Deployment is the application's: the soak is
      named by the label leaksoak.io/soak on its pod template (a part of an overlay, overlays/*/<dir>, is
      rendered and schema-checked but judged within its overlay);
    * the shared monitoring component (monitoring/): exactly the PrometheusRule (groups of
      deploy/prometheus/leaksoak-rules.yaml) and two ConfigMaps with stable names, labelled for Grafana's sidecars
      (grafana_dashboard / grafana_alert: "1"), holding the dashboard JSON and the Grafana alert provisioning
      file unchanged; no workload, Service or monitor;
    * an example of several soaks (examples/<name>): every soak as above, all in one namespace, each shared
      object exactly once, names unique;
  - labels: every Deployment (and its pod template; not the sidecar's), Service, ServiceMonitor, PodMonitor,
    NetworkPolicy and config ConfigMap carries app.kubernetes.io/name, instance, version (= Cargo.toml's version
    = the image tag), component (soak), managed-by and part-of; the shared objects the same with component
    monitoring and no instance;
  - selectors: the Deployment's, the Service's, every monitor's and the NetworkPolicy's selector holds name and
    instance (the sidecar's: leaksoak.io/soak alone) and none of the mutable labels (version, component,
    managed-by, part-of); each selects its own soak (Deployment, Service, PodMonitor, NetworkPolicy: its pod
    template; ServiceMonitor: its Service) and, where several soaks share a namespace, never another soak's
    pods or Service;
  - monitors: the port is leaksoak's, the instance reaches Prometheus (targetLabels / podTargetLabels; the
    sidecar's by relabeling leaksoak.io/soak), and the job label Prometheus will give the target matches the
    alert rules' job=~".*leaksoak.*";
  - across the overlays: no two share an instance, nor a name in one namespace;
  - the standalone overlay: its record on a PersistentVolumeClaim of its own, strategy Recreate, one replica;
  - the leaksoak container and its pod: soak_pod.py (args, probes, resources, its own user, the record volume,
    the API key from a Secret, the NetworkPolicy, the sidecar's isolation); the sidecar shares the process
    namespace and uses the process source; promql uses the promql source on container_memory_working_set_bytes;
    standalone uses the fake endpoint and the self source.
"""
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tomllib

import jsonschema
import yaml

import soak_pod
from soak_pod import SOAK_LABEL

ROOT = pathlib.Path(__file__).resolve().parents[2]
KDIR = ROOT / "deploy/kubernetes"
CRD_KINDS = {"ServiceMonitor", "PodMonitor", "PrometheusRule"}
NAME, INSTANCE = "app.kubernetes.io/name", "app.kubernetes.io/instance"
VERSION, COMPONENT = "app.kubernetes.io/version", "app.kubernetes.io/component"
MANAGED_BY, PART_OF = "app.kubernetes.io/managed-by", "app.kubernetes.io/part-of"
MUTABLE = (VERSION, COMPONENT, MANAGED_BY, PART_OF)  # never in a selector: selectors are immutable
JOB_RE = re.compile(r".*leaksoak.*")  # the alert rules' job matcher
DASHBOARD_CM, ALERTS_CM = "leaksoak-dashboard", "leaksoak-grafana-alerts"
# The tool that renders the manifests, as app.kubernetes.io/managed-by says (check_helm.py sets "Helm").
MANAGED_BY_TOOL = "kustomize"
errors = []


def fail(msg):
    errors.append(msg)


def kustomizations():
    return sorted(KDIR.rglob("kustomization.yaml"), key=lambda k: k.parent.parts)


def check_layout():
    for k in kustomizations():
        doc = yaml.safe_load(k.read_text())
        refs = list(doc.get("resources", [])) + list(doc.get("components", [])) + list(doc.get("configurations", []))
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


# ---------------------------------------------------------------- helpers

def labels(obj):
    return obj.get("metadata", {}).get("labels") or {}


def pod_labels(deploy):
    return deploy["spec"]["template"]["metadata"].get("labels") or {}


def selector_of(obj):
    """The label selector of a Deployment, Service, ServiceMonitor, PodMonitor or NetworkPolicy, as
    {matchLabels, matchExpressions}."""
    sel = obj.get("spec", {}).get("podSelector" if obj["kind"] == "NetworkPolicy" else "selector") or {}
    if obj["kind"] == "Service":
        return {"matchLabels": sel, "matchExpressions": []}
    return {"matchLabels": sel.get("matchLabels") or {}, "matchExpressions": sel.get("matchExpressions") or []}


def matches(sel, lbls):
    """Kubernetes label-selector semantics; an empty selector matches nothing here (leaksoak never wants it)."""
    if not sel["matchLabels"] and not sel["matchExpressions"]:
        return False
    if any(lbls.get(k) != v for k, v in sel["matchLabels"].items()):
        return False
    for e in sel["matchExpressions"]:
        key, op, values = e["key"], e["operator"], e.get("values", [])
        ok = {"In": key in lbls and lbls[key] in values, "NotIn": lbls.get(key) not in values,
              "Exists": key in lbls, "DoesNotExist": key not in lbls}[op]
        if not ok:
            return False
    return True


def ident(obj):
    return f"{obj['kind']}/{obj['metadata']['name']}"


def ns(obj):
    return obj["metadata"].get("namespace", "default")


def leaksoak_container(deploy):
    cs = [c for c in deploy["spec"]["template"]["spec"]["containers"] if c["name"] == "leaksoak"]
    return cs[0] if cs else None


def is_shared(obj):
    """An object of the monitoring component, to be installed once, never per soak."""
    if obj["kind"] == "PrometheusRule":
        return True
    return obj["kind"] == "ConfigMap" and ("grafana_dashboard" in labels(obj) or "grafana_alert" in labels(obj))


class Soak:
    """One soak inside a rendering: its Deployment and the objects carrying the same instance.

    A sidecar soak's Deployment is the application's, labelled as the application's: the soak's instance is
    then the value of the label leaksoak.io/soak on its pod template, which leaksoak's objects select."""

    def __init__(self, deploy, docs):
        self.deploy = deploy
        self.sidecar = labels(deploy).get(NAME) != "leaksoak"
        self.instance = pod_labels(deploy).get(SOAK_LABEL) if self.sidecar else labels(deploy).get(INSTANCE)
        mine = [d for d in docs if d is not deploy and not is_shared(d) and d["kind"] != "Namespace"
                and labels(d).get(INSTANCE) == self.instance and ns(d) == ns(deploy)]
        self.services = [d for d in mine if d["kind"] == "Service"]
        self.monitors = [d for d in mine if d["kind"] in ("ServiceMonitor", "PodMonitor")]
        self.configmaps = [d for d in mine if d["kind"] == "ConfigMap"]
        self.networkpolicies = [d for d in mine if d["kind"] == "NetworkPolicy"]
        self.secrets = {d["metadata"]["name"]: d for d in mine if d["kind"] == "Secret"}

    def selecting(self):
        """(object, selector) for every selector this soak owns (a sidecar's Deployment is not leaksoak's)."""
        own = [] if self.sidecar else [self.deploy]
        return [(o, selector_of(o)) for o in own + self.services + self.monitors + self.networkpolicies]

    def targets(self, obj):
        """The label sets the selector of obj must pick up in this soak: pods, or Services for a ServiceMonitor."""
        if obj["kind"] == "ServiceMonitor":
            return [labels(s) for s in self.services]
        return [pod_labels(self.deploy)]


# ---------------------------------------------------------------- checks

def check_crds(name, docs, schemas):
    for d in docs:
        if d["kind"] in CRD_KINDS:
            try:
                jsonschema.validate(d, schemas[d["kind"]])
            except jsonschema.ValidationError as e:
                fail(f"{name}: {ident(d)}: {e.message} at {list(e.absolute_path)}")


def check_recommended_labels(name, obj, lbls, version, component, instance=True):
    want = {NAME: "leaksoak", VERSION: version, COMPONENT: component, MANAGED_BY: MANAGED_BY_TOOL, PART_OF: "leaksoak"}
    for key, value in want.items():
        if lbls.get(key) != value:
            fail(f"{name}: {obj}: label {key} is {lbls.get(key)!r}, want {value!r}")
    if instance and not lbls.get(INSTANCE):
        fail(f"{name}: {obj}: no {INSTANCE} label")
    if not instance and INSTANCE in lbls:
        fail(f"{name}: {obj}: shared by every soak, must not carry {INSTANCE}")


def check_soak(name, soak, version, overlay, overlay_dir=None):
    d = soak.deploy
    inst = soak.instance
    if soak.sidecar and not inst:
        fail(f"{name}: {ident(d)} is not leaksoak's, and its pod template has no {SOAK_LABEL} label")
    own = [] if soak.sidecar else [d]  # a sidecar's Deployment keeps the application's labels (soak_pod.py)
    for obj in own + soak.services + soak.monitors + soak.configmaps + soak.networkpolicies:
        check_recommended_labels(name, ident(obj), labels(obj), version, "soak")
    if not soak.sidecar:
        check_recommended_labels(name, f"{ident(d)} pod template", pod_labels(d), version, "soak")
    if overlay and inst == "leaksoak":
        fail(f"{name}: instance is still the base's placeholder 'leaksoak': set app.kubernetes.io/instance")
    # Selectors: name and instance (a sidecar's: leaksoak.io/soak alone), nothing mutable, and they pick up
    # their own soak.
    for obj, sel in soak.selecting():
        ml = sel["matchLabels"]
        if soak.sidecar and ml != {SOAK_LABEL: inst}:
            fail(f"{name}: {ident(obj)}: selector {ml} must be {SOAK_LABEL}: {inst} alone (the pod is the application's)")
        if not soak.sidecar and (ml.get(NAME) != "leaksoak" or ml.get(INSTANCE) != inst):
            fail(f"{name}: {ident(obj)}: selector {ml} must hold {NAME}: leaksoak and {INSTANCE}: {inst}")
        for key in MUTABLE:
            if key in ml or any(e["key"] == key for e in sel["matchExpressions"]):
                fail(f"{name}: {ident(obj)}: {key} in a selector (selectors are immutable: upgrades would fail)")
        targets = soak.targets(obj)
        if not targets or not all(matches(sel, t) for t in targets):
            fail(f"{name}: {ident(obj)}: its selector does not select its own soak {inst!r}")
    # Monitors: port, instance as a target label, job name.
    c = leaksoak_container(d) or {}
    pod_ports = {p.get("name") for p in c.get("ports", [])}
    for m in soak.monitors:
        if m["kind"] == "ServiceMonitor":
            svc_ports = {p.get("name") for s in soak.services for p in s["spec"].get("ports", [])}
            for ep in m["spec"]["endpoints"]:
                if ep["port"] not in svc_ports:
                    fail(f"{name}: {ident(m)}: port {ep['port']} is not a port of its Service")
            if INSTANCE not in m["spec"].get("targetLabels", []) + m["spec"].get("podTargetLabels", []):
                fail(f"{name}: {ident(m)}: targetLabels must carry {INSTANCE} to Prometheus")
            job_label = m["spec"].get("jobLabel")
            jobs = [labels(s).get(job_label, "") if job_label else s["metadata"]["name"] for s in soak.services]
        else:
            for ep in m["spec"]["podMetricsEndpoints"]:
                if ep["port"] not in pod_ports:
                    fail(f"{name}: {ident(m)}: port {ep['port']} is not a port of the leaksoak container")
            # A sidecar's pod carries the application's instance: the soak's comes from leaksoak.io/soak.
            from_soak = {"sourceLabels": ["__meta_kubernetes_pod_label_leaksoak_io_soak"],
                         "targetLabel": "app_kubernetes_io_instance"}
            relabeled = all(from_soak in ep.get("relabelings", []) for ep in m["spec"]["podMetricsEndpoints"])
            if soak.sidecar and (not relabeled or INSTANCE in m["spec"].get("podTargetLabels", [])):
                fail(f"{name}: {ident(m)}: must relabel {SOAK_LABEL} to app_kubernetes_io_instance, and not copy "
                     f"the application's {INSTANCE}")
            if not soak.sidecar and INSTANCE not in m["spec"].get("podTargetLabels", []):
                fail(f"{name}: {ident(m)}: podTargetLabels must carry {INSTANCE} to Prometheus")
            job_label = m["spec"].get("jobLabel")
            jobs = [pod_labels(d).get(job_label, "") if job_label else f"{ns(m)}/{m['metadata']['name']}"]
        for job in jobs:
            if not JOB_RE.fullmatch(job):
                fail(f"{name}: {ident(m)}: Prometheus job {job!r} does not match the alert rules' job=~\".*leaksoak.*\"")
    # The leaksoak container and its pod (soak_pod.py).
    spec = d["spec"]["template"]["spec"]
    c = leaksoak_container(d)
    if c is None:
        fail(f"{name}: {ident(d)}: no leaksoak container")
        return {}
    image = c.get("image", "")
    if image.rsplit(":", 1)[-1] != version:
        fail(f"{name}: image {image} is not tagged {version} (Cargo.toml; app.kubernetes.io/version says {version})")
    mounted = {v["configMap"]["name"] for v in spec.get("volumes", []) if "configMap" in v}
    cfg_cm = [cm for cm in soak.configmaps if cm["metadata"]["name"] in mounted and "leaksoak.toml" in cm.get("data", {})]
    if len(cfg_cm) != 1:
        fail(f"{name}: {ident(d)}: mounts no config ConfigMap of its own instance")
        return {}
    cfg = tomllib.loads(cfg_cm[0]["data"]["leaksoak.toml"])
    wires_key = overlay_dir is not None and overlay_dir.parent.name == "overlays"
    soak_pod.check_pod(fail, name, soak, c, cfg, wires_key, overlay_dir, soak.secrets)
    return cfg


def check_single_soak(name, docs, version, overlay, overlay_dir=None):
    """base, an overlay, or one soak of an example: exactly one soak, nothing shared."""
    for d in docs:
        if is_shared(d):
            fail(f"{name}: {ident(d)} belongs to the shared monitoring component, not to a soak")
    deploys = [d for d in docs if d["kind"] == "Deployment"]
    if len(deploys) != 1:
        fail(f"{name}: want one Deployment, got {len(deploys)}")
        return None, {}
    soak = Soak(deploys[0], docs)
    monitors = [d for d in docs if d["kind"] in ("ServiceMonitor", "PodMonitor")]
    if overlay and len(monitors) != 1:
        fail(f"{name}: {len(monitors)} ServiceMonitor/PodMonitor objects: want exactly one (no double scrape)")
    if len(soak.monitors) != len(monitors):
        fail(f"{name}: a monitor does not carry the soak's instance {soak.instance!r}")
    return soak, check_soak(name, soak, version, overlay, overlay_dir)


def check_shared(name, docs, version, rule_groups, dashboard, grafana_alerts):
    """The monitoring component, alone or inside an example: each shared object exactly once, as generated."""
    shared = [d for d in docs if is_shared(d)]
    kinds = sorted(ident(d) for d in shared)
    want = sorted(["PrometheusRule/leaksoak", f"ConfigMap/{DASHBOARD_CM}", f"ConfigMap/{ALERTS_CM}"])
    if kinds != want:
        fail(f"{name}: shared objects {kinds}, want each of {want} exactly once")
    for d in shared:
        check_recommended_labels(name, ident(d), labels(d), version, "monitoring", instance=False)
    for pr in [d for d in shared if d["kind"] == "PrometheusRule"]:
        if pr["spec"]["groups"] != rule_groups:
            fail(f"{name}: PrometheusRule groups differ from deploy/prometheus/leaksoak-rules.yaml (scripts/deploy-sync)")
    copy = KDIR / "monitoring"
    for cm in [d for d in shared if d["kind"] == "ConfigMap"]:
        lbls, data = labels(cm), cm.get("data", {})
        if cm["metadata"]["name"] == DASHBOARD_CM:
            if lbls.get("grafana_dashboard") != "1" or list(data) != ["leaksoak.json"]:
                fail(f"{name}: {ident(cm)}: want label grafana_dashboard: \"1\" and one key leaksoak.json")
            elif data["leaksoak.json"] != (copy / "dashboards/leaksoak.json").read_text():
                fail(f"{name}: {ident(cm)}: leaksoak.json is not deploy/kubernetes/monitoring/dashboards/leaksoak.json verbatim")
            elif json.loads(data["leaksoak.json"]) != dashboard:
                fail(f"{name}: {ident(cm)}: leaksoak.json differs from grafana/dashboards/leaksoak.json (run scripts/deploy-sync)")
        elif cm["metadata"]["name"] == ALERTS_CM:
            if lbls.get("grafana_alert") != "1" or list(data) != ["leaksoak.yaml"]:
                fail(f"{name}: {ident(cm)}: want label grafana_alert: \"1\" and one key leaksoak.yaml")
            elif data["leaksoak.yaml"] != (copy / "grafana-alerting/leaksoak.yaml").read_text():
                fail(f"{name}: {ident(cm)}: leaksoak.yaml is not deploy/kubernetes/monitoring/grafana-alerting/leaksoak.yaml verbatim")
            elif yaml.safe_load(data["leaksoak.yaml"]) != grafana_alerts:
                fail(f"{name}: {ident(cm)}: leaksoak.yaml differs from grafana/provisioning/alerting/leaksoak.yaml (run scripts/deploy-sync)")
        if "grafana_dashboard" in lbls and "grafana_alert" in lbls:
            fail(f"{name}: {ident(cm)}: labelled for both Grafana sidecars")


def check_unique_names(name, docs):
    seen = set()
    for d in docs:
        key = (d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"])
        if key in seen:
            fail(f"{name}: two objects named {ident(d)} in namespace {key[1]!r}")
        seen.add(key)


def check_example(name, docs, version, **shared):
    """Several soaks in one namespace, the monitoring component once."""
    check_unique_names(name, docs)
    check_shared(name, docs, version, **shared)
    for d in docs:
        if d["kind"] in ("Deployment", "Service", "ServiceMonitor", "PodMonitor", "ConfigMap") and not is_shared(d) \
                and not labels(d).get(INSTANCE):
            fail(f"{name}: {ident(d)} belongs to no soak (no {INSTANCE})")
    soaks = [Soak(d, docs) for d in docs if d["kind"] == "Deployment"]
    if len(soaks) < 2:
        fail(f"{name}: want at least two soaks, got {len(soaks)}")
    if len({ns(s.deploy) for s in soaks}) != 1:
        fail(f"{name}: the soaks are not in one namespace")
    if len({s.instance for s in soaks}) != len(soaks):
        fail(f"{name}: two soaks share an instance: {sorted(s.instance for s in soaks)}")
    for s in soaks:
        check_soak(f"{name} [{s.instance}]", s, version, overlay=True)
        if len(s.monitors) != 1:
            fail(f"{name} [{s.instance}]: {len(s.monitors)} monitors: want exactly one (no double scrape)")
    for a in soaks:
        for b in soaks:
            if a is b or ns(a.deploy) != ns(b.deploy):
                continue
            for obj, sel in a.selecting():
                others = b.targets(obj) + ([pod_labels(b.deploy)] if obj["kind"] == "ServiceMonitor" else [])
                if any(matches(sel, t) for t in others):
                    fail(f"{name}: {ident(obj)} (soak {a.instance!r}) selects the pods or Service of "
                         f"{ident(b.deploy)} (soak {b.instance!r})")


def check_overlays_apart(soaks):
    """Overlays may be applied side by side (standalone and promql share the namespace leaksoak)."""
    by_instance = {}
    for name, docs, soak in soaks:
        if soak is not None:
            by_instance.setdefault(soak.instance, []).append(name)
    for inst, names in by_instance.items():
        if len(names) > 1:
            fail(f"overlays {names} share the instance {inst!r}: give each soak its own")
    owner = {}
    for name, docs, _ in soaks:
        for d in docs:
            if d["kind"] == "Namespace":
                continue
            key = (d["kind"], ns(d), d["metadata"]["name"])
            if key in owner and owner[key] != name:
                fail(f"overlays {owner[key]} and {name} both create {ident(d)} in namespace {ns(d)!r}: set a name suffix")
            owner.setdefault(key, name)


def check_config(name, cfg, spec_of):
    source = cfg.get("memory", {}).get("source", "self")
    if name == "sidecar":
        spec = spec_of()
        if not spec.get("shareProcessNamespace") or source != "process" or len(spec["containers"]) < 2:
            fail("sidecar: needs shareProcessNamespace: true, a target container and memory source process")
    if name == "promql":
        if source != "promql" or "container_memory_working_set_bytes" not in cfg["memory"].get("query", ""):
            fail("promql: needs memory source promql on container_memory_working_set_bytes")
    if name == "standalone" and (source != "self" or not cfg.get("fake_llm", {}).get("enabled", True)):
        fail("standalone: needs the built-in fake endpoint and memory source self")


def check_persistent_record(name, docs, deploy):
    """standalone: the record on a claim of the overlay, so that a rollout resumes; Recreate, one replica, so
    that two pods never write one recording (and a ReadWriteOnce claim can move to the new pod)."""
    c = leaksoak_container(deploy) or {}
    args = c.get("args") or []
    path = pathlib.PurePosixPath(args[args.index("--record") + 1]) if "--record" in args[:-1] else None
    volumes = {v["name"]: v for v in deploy["spec"]["template"]["spec"].get("volumes", [])}
    mount = next((m for m in c.get("volumeMounts", []) if path and path.parent == pathlib.PurePosixPath(m["mountPath"])), {})
    volume = volumes.get(mount.get("name"), {})
    claims = {d["metadata"]["name"]: d for d in docs if d["kind"] == "PersistentVolumeClaim"}
    claim = claims.get(volume.get("persistentVolumeClaim", {}).get("claimName"))
    if claim is None or "emptyDir" in volume or mount.get("readOnly"):
        fail(f"{name}: --record {path} must be on a writable PersistentVolumeClaim of the overlay (a rollout resumes from it)")
    elif claim["spec"].get("accessModes") != ["ReadWriteOnce"] or labels(claim).get(INSTANCE) != labels(deploy).get(INSTANCE):
        fail(f"{name}: {ident(claim)}: want accessModes [ReadWriteOnce] and the soak's instance")
    if deploy["spec"].get("strategy", {}).get("type") != "Recreate" or deploy["spec"].get("replicas", 1) != 1:
        fail(f"{name}: {ident(deploy)}: one replica and strategy Recreate, so two pods never write one recording")


def main() -> int:
    outdir = pathlib.Path(sys.argv[1])
    outdir.mkdir(parents=True, exist_ok=True)
    check_layout()
    schemas = yaml.safe_load((ROOT / "tests/deploy/crd-schemas.yaml").read_text())
    shared = {
        "rule_groups": yaml.safe_load((ROOT / "deploy/prometheus/leaksoak-rules.yaml").read_text())["groups"],
        "dashboard": json.loads((ROOT / "grafana/dashboards/leaksoak.json").read_text()),
        "grafana_alerts": yaml.safe_load((ROOT / "grafana/provisioning/alerting/leaksoak.yaml").read_text()),
    }
    version = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]["version"]
    targets = [k.parent for k in kustomizations()]
    overlay_soaks = []
    rendered = 0
    for t in targets:
        rel = t.relative_to(KDIR)
        docs = render(t)
        if docs is None:
            continue
        rendered += 1
        name = str(rel)
        check_crds(name, docs, schemas)
        if rel.parts[0] == "monitoring":
            check_shared(name, docs, version, **shared)
            for d in docs:
                if not is_shared(d):
                    fail(f"{name}: {ident(d)} does not belong in the shared monitoring component")
        elif rel.parts[0] == "examples" and len(rel.parts) == 2:
            check_example(name, docs, version, **shared)
        elif rel.parts[0] == "overlays" and len(rel.parts) > 2:
            pass  # a part of an overlay (sidecar/soak): checked within the overlay's rendering
        else:
            overlay = rel.parts[0] != "base"
            soak, cfg = check_single_soak(name, docs, version, overlay, t)
            if soak is not None:
                check_config(rel.name, cfg, lambda: soak.deploy["spec"]["template"]["spec"])
            if soak is not None and rel.parts == ("overlays", "standalone"):
                check_persistent_record(name, docs, soak.deploy)
            if rel.parts[0] == "overlays":
                overlay_soaks.append((name, docs, soak))
        core = [d for d in docs if d["kind"] not in CRD_KINDS]
        (outdir / f"{'-'.join(rel.parts)}-core.yaml").write_text(yaml.safe_dump_all(core, sort_keys=False))
        print(f"{name}: {len(docs)} objects ({', '.join(sorted(d['kind'] for d in docs))})")
    check_overlays_apart(overlay_soaks)
    if rendered == 0:
        print("NOTE: neither kubectl nor kustomize found: only the kustomization layout was checked")
    for e in errors:
        print("FAIL:", e)
    print(f"manifests: {len(targets)} kustomizations, {rendered} rendered: {'FAILED' if errors else 'ok'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
