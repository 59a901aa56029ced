"""What check_manifests.py checks in a soak's pod beyond labels and selectors: how leaksoak runs in it.

  - the container: its args start with the command (the image's entrypoint is leaksoak, its default command
    run), a startupProbe and a liveness probe on /healthz and a readiness probe on /readyz, except as a
    sidecar: no probe at all (the pod's readiness is the application's) and limits of at most 500m CPU and
    256Mi memory; requests and limits, and its own non-root user with a read-only root filesystem, set on
    the container;
  - the record: run --record PATH, PATH on a writable emptyDir or PersistentVolumeClaim of the container;
  - the API key (overlays; the base and the examples soak the fake endpoint and send none): every scenario's api_key_file is a file of a Secret mounted in the container, or
    its api_key_env a variable from a Secret; the Secret optional (a missing one is leaksoak's own clear
    error, and never keeps a pod from starting), and either rendered with the key or named in
    docs/kubernetes.md;
  - the NetworkPolicy: one per soak; leaksoak's port reachable from the monitoring namespace only; for a pod
    of its own, egress to DNS and to every in-cluster address its config names (a Service's
    NAME.NAMESPACE.svc), by namespace and port; as a sidecar, ingress only (the application's egress is its
    own), and every port of the application still allowed;
  - as a sidecar: nothing of leaksoak's at pod level (no runAsUser the application would inherit), a user of
    its own different from the application's, and the application's Deployment as its source file wrote it
    but for the one label leaksoak.io/soak on the pod template.
"""
import pathlib
import urllib.parse

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOAK_LABEL = "leaksoak.io/soak"
MONITORING_NS = "monitoring"
NS_LABEL = "kubernetes.io/metadata.name"
# Pod-level settings every container of the pod inherits: leaksoak must not set them in someone else's pod.
INHERITED = ("runAsUser", "runAsGroup", "runAsNonRoot", "fsGroup", "supplementalGroups")


def pod_spec(deploy):
    return deploy["spec"]["template"]["spec"]


def leaksoak_port(c):
    ports = c.get("ports") or [{}]
    return ports[0].get("containerPort"), ports[0].get("name")


# ---------------------------------------------------------------- the container

def check_container(fail, name, c, sidecar):
    args = c.get("args") or []
    if not args or args[0] != "run":
        fail(f"{name}: leaksoak's args {args} must start with the command (run): the image's entrypoint is "
             "leaksoak, and args replace its default command")
    probe = lambda kind: (c.get(kind) or {}).get("httpGet", {}).get("path")
    if sidecar:
        check_sidecar_container(fail, name, c)
    else:
        if probe("startupProbe") != "/healthz":
            fail(f"{name}: no startupProbe on GET /healthz")
        if probe("livenessProbe") != "/healthz":
            fail(f"{name}: liveness probe is not GET /healthz")
        if probe("readinessProbe") != "/readyz":
            fail(f"{name}: readiness probe is not GET /readyz")
    if not c.get("resources", {}).get("requests") or not c.get("resources", {}).get("limits"):
        fail(f"{name}: leaksoak container without requests and limits")
    sc = c.get("securityContext", {})
    if not (sc.get("readOnlyRootFilesystem") and sc.get("runAsNonRoot") and sc.get("allowPrivilegeEscalation") is False):
        fail(f"{name}: leaksoak container must be non-root with a read-only root filesystem")
    if not isinstance(sc.get("runAsUser"), int) or not isinstance(sc.get("runAsGroup"), int) or sc["runAsUser"] == 0:
        fail(f"{name}: leaksoak's container must set its own runAsUser and runAsGroup (not root)")


def check_record(fail, name, c, spec):
    args = c.get("args") or []
    if "--record" not in args[:-1]:
        fail(f"{name}: leaksoak runs without --record FILE")
        return
    path = pathlib.PurePosixPath(args[args.index("--record") + 1])
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for m in c.get("volumeMounts", []):
        if path.parent == pathlib.PurePosixPath(m["mountPath"]) and not m.get("readOnly"):
            v = volumes.get(m["name"], {})
            if "emptyDir" in v or "persistentVolumeClaim" in v:
                return
            fail(f"{name}: the record's volume {m['name']} is neither an emptyDir nor a PersistentVolumeClaim")
            return
    fail(f"{name}: --record {path}: no writable volume mounted at {path.parent}")


# ---------------------------------------------------------------- the API key

def secret_files(c, spec):
    """{file path: the volume's secret source} for every Secret mounted in the container; a mount without
    items gives every key of the Secret, as a path ending in '/*'."""
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    out = {}
    for m in c.get("volumeMounts", []):
        sec = volumes.get(m["name"], {}).get("secret")
        if sec is None:
            continue
        items = sec.get("items")
        if m.get("subPath"):
            out[m["mountPath"]] = sec
        elif items:
            for i in items:
                out[f"{m['mountPath'].rstrip('/')}/{i['path']}"] = sec
        else:
            out[f"{m['mountPath'].rstrip('/')}/*"] = sec
    return out


def secret_of_file(files, path):
    if path in files:
        return files[path]
    parent = str(pathlib.PurePosixPath(path).parent)
    return files.get(f"{parent}/*")


def secret_vars(c):
    """{variable: {name, key, optional}} for every variable of the container taken from a Secret."""
    out = {}
    for e in c.get("env", []):
        ref = (e.get("valueFrom") or {}).get("secretKeyRef")
        if ref:
            out[e["name"]] = ref
    return out


def check_api_key(fail, name, c, spec, cfg, rendered_secrets, docs_text):
    files, variables = secret_files(c, spec), secret_vars(c)
    scenarios = cfg.get("scenario", [])
    if not scenarios:
        fail(f"{name}: the config lists no [[scenario]], so no API key is wired")
    for i, s in enumerate(scenarios):
        at = f"{name}: scenario[{i}] ({s.get('name')})"
        if s.get("api_key_file"):
            sec = secret_of_file(files, s["api_key_file"])
            if sec is None:
                fail(f"{at}: api_key_file {s['api_key_file']} is not a file of a Secret mounted in leaksoak's container")
                continue
            items = [item for item in sec.get("items", []) if s["api_key_file"].endswith("/" + item["path"])]
            secret, key = sec.get("secretName"), (items[0]["key"] if items else None)
        elif s.get("api_key_env"):
            sec = variables.get(s["api_key_env"])
            if sec is None:
                fail(f"{at}: api_key_env {s['api_key_env']} is not a variable from a Secret (valueFrom.secretKeyRef)")
                continue
            secret, key = sec.get("name"), sec.get("key")
        else:
            fail(f"{at}: no API key: set api_key_file (a mounted Secret) or api_key_env (from a Secret)")
            continue
        if sec.get("optional") is not True:
            fail(f"{at}: the Secret {secret} must be optional: leaksoak waits for a missing one "
                 "(leaksoak_configured 0) instead of a pod that never starts")
        if secret in rendered_secrets:
            if key is not None and key not in (rendered_secrets[secret].get("data") or {}):
                fail(f"{at}: the rendered Secret {secret} has no key {key}")
        elif f"`{secret}`" not in docs_text:
            fail(f"{at}: the Secret {secret} is neither rendered nor named in docs/kubernetes.md")


# ---------------------------------------------------------------- the NetworkPolicy

def peers_in_namespace(rule_peers, namespace):
    """Whether every peer is (pods of) one namespace, chosen by its name label."""
    return bool(rule_peers) and all(
        "ipBlock" not in p and (p.get("namespaceSelector") or {}).get("matchLabels") == {NS_LABEL: namespace}
        for p in rule_peers)


def allows_port(rule, port, port_name, protocol="TCP"):
    ports = rule.get("ports")
    if not ports:
        return True
    return any(p.get("port") in (port, port_name) and p.get("protocol", "TCP") == protocol for p in ports)


def cluster_addresses(cfg):
    """(namespace, port, key) of every address of a Service (NAME.NAMESPACE.svc[...]) the config names."""
    urls = []
    for i, s in enumerate(cfg.get("scenario", [])):
        urls += [(f"scenario[{i}].url", u) for u in ([s["url"]] if s.get("url") else []) + s.get("urls", [])]
    mem = cfg.get("memory", {})
    if mem.get("url"):
        urls.append(("memory.url", mem["url"]))
    out = []
    for key, u in urls:
        parsed = urllib.parse.urlsplit(u)
        parts = (parsed.hostname or "").split(".")
        if len(parts) >= 3 and parts[2] == "svc":
            out.append((parts[1], parsed.port or {"http": 80, "https": 443}[parsed.scheme], key))
    return out


def check_network_policy(fail, name, soak, c, cfg):
    pols = soak.networkpolicies
    if len(pols) != 1:
        fail(f"{name}: want one NetworkPolicy of the soak, got {len(pols)}")
        return
    pol = pols[0]["spec"]
    types = pol.get("policyTypes", [])
    port, port_name = leaksoak_port(c)
    ingress = pol.get("ingress", [])
    if "Ingress" not in types:
        fail(f"{name}: the NetworkPolicy does not govern ingress")
    if not any(allows_port(r, port, port_name) and peers_in_namespace(r.get("from"), MONITORING_NS) for r in ingress):
        fail(f"{name}: the NetworkPolicy does not let namespace {MONITORING_NS} reach leaksoak's port {port}")
    for r in ingress:
        if allows_port(r, port, port_name) and not peers_in_namespace(r.get("from"), MONITORING_NS):
            fail(f"{name}: the NetworkPolicy lets more than namespace {MONITORING_NS} reach leaksoak's port {port}")
    if soak.sidecar:
        if "Egress" in types:
            fail(f"{name}: a sidecar's NetworkPolicy must not restrict egress: the application's egress is its own")
        others = [c2 for c2 in pod_spec(soak.deploy)["containers"] if c2 is not c]
        for other in others:
            for p in other.get("ports", []):
                if not any(allows_port(r, p["containerPort"], p.get("name"), p.get("protocol", "TCP")) for r in ingress):
                    fail(f"{name}: the NetworkPolicy cuts the application off: {other['name']}'s port "
                         f"{p['containerPort']} is allowed by no ingress rule")
        return
    egress = pol.get("egress", [])
    if "Egress" not in types:
        fail(f"{name}: the NetworkPolicy does not govern egress")
    for proto in ("UDP", "TCP"):
        if not any(allows_port(r, 53, None, proto) for r in egress):
            fail(f"{name}: the NetworkPolicy allows no DNS ({proto} 53)")
    for namespace, p, key in cluster_addresses(cfg):
        if not any(allows_port(r, p, None) and any((peer.get("namespaceSelector") or {}).get("matchLabels")
                                                   == {NS_LABEL: namespace} for peer in r.get("to", []))
                   for r in egress):
            fail(f"{name}: the NetworkPolicy lets leaksoak reach no port {p} in namespace {namespace} ({key} of the config)")


# ---------------------------------------------------------------- the sidecar

def source_deployment(overlay_dir, deploy_name):
    """The application's Deployment as the overlay's own resource file writes it."""
    k = yaml.safe_load((overlay_dir / "kustomization.yaml").read_text())
    for ref in k.get("resources", []):
        f = overlay_dir / ref
        if f.is_file():
            for d in yaml.safe_load_all(f.read_text()):
                if d and d.get("kind") == "Deployment" and d["metadata"]["name"] == deploy_name:
                    return d
    return None


# The most a sidecar leaksoak may take from the application's pod (its RSS stays near 10 MiB).
SIDECAR_MAX_CPU_MILLI = 500
SIDECAR_MAX_MEMORY_MI = 256


def quantity(text, unit):
    """A Kubernetes CPU quantity in millicores (unit "m") or a memory quantity in MiB (unit "Mi")."""
    text = str(text)
    if unit == "m":
        return int(text[:-1]) if text.endswith("m") else int(float(text) * 1000)
    factors = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "M": 1e6 / 2**20, "G": 1e9 / 2**20}
    for suffix, factor in factors.items():
        if text.endswith(suffix):
            return float(text[:-len(suffix)]) * factor
    return int(text) / 2**20


def check_sidecar_container(fail, name, c):
    """No probe that could make the application's pod unready (a startupProbe not yet passed, a failing
    readinessProbe) or restart leaksoak (a liveness probe: a restarting container is not ready either), and
    small stated limits."""
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        if kind in c:
            fail(f"{name}: a sidecar leaksoak must have no {kind}: its pod is the application's, and a leaksoak "
                 "not ready or restarting would take the application out of its Service")
    limits = c.get("resources", {}).get("limits") or {}
    if "cpu" not in limits or "memory" not in limits:
        fail(f"{name}: a sidecar leaksoak must state its cpu and memory limits")
        return
    if quantity(limits["cpu"], "m") > SIDECAR_MAX_CPU_MILLI or quantity(limits["memory"], "Mi") > SIDECAR_MAX_MEMORY_MI:
        fail(f"{name}: a sidecar leaksoak's limits {limits} exceed {SIDECAR_MAX_CPU_MILLI}m CPU and "
             f"{SIDECAR_MAX_MEMORY_MI}Mi memory")


def check_sidecar(fail, name, soak, c, overlay_dir):
    d, spec = soak.deploy, pod_spec(soak.deploy)
    pod_sc = spec.get("securityContext") or {}
    for key in INHERITED:
        if key in pod_sc:
            fail(f"{name}: pod-level securityContext.{key}: every container of the application's pod inherits it; "
                 "set it on leaksoak's container only")
    mine = c.get("securityContext", {})
    for other in spec["containers"]:
        uid = (other.get("securityContext") or {}).get("runAsUser")
        if other is not c and uid is not None and uid == mine.get("runAsUser"):
            fail(f"{name}: leaksoak runs as the application's user {uid} ({other['name']}): it could read the "
                 "application's /proc/<pid>/environ; give it a user of its own")
    app = source_deployment(overlay_dir, d["metadata"]["name"]) if overlay_dir else None
    if app is None:
        fail(f"{name}: the application's Deployment {d['metadata']['name']} is not a resource file of the overlay")
        return
    meta = lambda obj: obj.get("metadata", {}).get("labels") or {}
    if meta(d) != meta(app):
        fail(f"{name}: the application's Deployment labels changed: {meta(d)}, its file says {meta(app)}")
    if d["spec"]["selector"] != app["spec"]["selector"]:
        fail(f"{name}: the application's selector changed: {d['spec']['selector']}, its file says {app['spec']['selector']}")
    want = dict(meta(app["spec"]["template"]), **{SOAK_LABEL: soak.instance})
    if meta(d["spec"]["template"]) != want:
        fail(f"{name}: the application's pod labels are {meta(d['spec']['template'])}: want its own and "
             f"{SOAK_LABEL}: {soak.instance} only")
    app_containers = {x["name"]: x for x in app["spec"]["template"]["spec"]["containers"]}
    for other in spec["containers"]:
        if other is not c and app_containers.get(other["name"]) != other:
            fail(f"{name}: the application's container {other['name']} changed")


def check_pod(fail, name, soak, c, cfg, wires_key, overlay_dir=None, rendered_secrets=None):
    """Every check above; the API key's where the soak sends one (the overlays: soaks of real targets, or
    shaped like them)."""
    spec = pod_spec(soak.deploy)
    check_container(fail, name, c, soak.sidecar)
    check_record(fail, name, c, spec)
    check_network_policy(fail, name, soak, c, cfg)
    if wires_key:
        docs_text = (ROOT / "docs/kubernetes.md").read_text()
        check_api_key(fail, name, c, spec, cfg, rendered_secrets or {}, docs_text)
    if soak.sidecar:
        check_sidecar(fail, name, soak, c, overlay_dir)
