"""Render deploy/alerts/leaksoak-alerts.yaml, the one source of the leaksoak alerts, to the Prometheus rule
file and to Grafana-managed rules (file provisioning). scripts/deploy-sync writes the results;
tests/deploy/check_alert_sync.py reads the Grafana rules back and checks they behave as the Prometheus ones.

Both dialects get the same expressions, `for`, `keep_firing_for`, labels and thresholds. Only the annotation
templates differ: Prometheus quotes other numbers with its `query` template function, Grafana with `$values`
of extra instant queries (Grafana templates have no `query`). The Grafana rules follow the shape Grafana's
own Prometheus-rule converter uses: query -> math `is_number || is_nan || is_inf` -> threshold > 0, so any
series the expression returns is an alert, as in Prometheus.
"""
import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCE = ROOT / "deploy/alerts/leaksoak-alerts.yaml"
RULES = ("error_spike", "growth", "slope", "tail", "trend")
MATH = "is_number($query) || is_nan($query) || is_inf($query)"
MACRO = re.compile(r"\[\[\s*(\w+)\s*(?:\|\s*(.*?))?\s*\]\]")


def load(path=SOURCE):
    return yaml.safe_load(path.read_text())


def expr(src, alert):
    return alert["expr"].replace("JOB_SELECTOR", src["job_selector"])


def _pipe(fn):
    return f" | {fn}" if fn else ""


def _dashboard(src, prefix):
    base = f"{prefix}/d/{src['dashboard_uid']}/leaksoak?var-job={{{{ $labels.job | urlquery }}}}"
    return base + "".join(f"{{{{ with $labels.{n} }}}}&var-{n}={{{{ . | urlquery }}}}{{{{ end }}}}"
                          for n in ("instance", "scenario"))


def _matchers(src):
    """A printf format selecting this alert's identity labels, and its arguments."""
    names = src["identity"]
    fmt = ",".join(f"{n}=%q" for n in names)
    args = " ".join(f"$labels.{n}" for n in names)
    return fmt, args


def _prometheus_macro(src, alert, name, fn):
    fmt, args = _matchers(src)
    if name == "value":
        return f"{{{{ $value{_pipe(fn)} }}}}"
    if name == "dashboard":
        return _dashboard(src, src.get("grafana_url") or "")
    if name == "rules":
        q = f"leaksoak_leak_detected{{{fmt}}} == 1"
        return (f'{{{{ range $i, $s := printf "{q}" {args} | query | sortByLabel \"rule\" }}}}'
                '{{ if $i }} {{ end }}{{ $s.Labels.rule }}{{ end }}')
    q = re.sub(r"\b(leaksoak_[a-z_]+)\b", lambda m: f"{m.group(1)}{{{fmt}}}", alert["values"][name])
    return f'{{{{ with printf "{q}" {args} | query }}}}{{{{ . | first | value{_pipe(fn)} }}}}{{{{ end }}}}'


def _grafana_macro(src, alert, name, fn):
    if name == "value":
        return f"{{{{ $values.query.Value{_pipe(fn)} }}}}"
    if name == "dashboard":
        return _dashboard(src, "{{ externalURL }}")
    if name == "rules":
        parts = [f'{{{{ if $values.rule_{r} }}}}{{{{ if gt $values.rule_{r}.Value 0.0 }}}}'
                 f'{{{{ $sep }}}}{r}{{{{ $sep = " " }}}}{{{{ end }}}}{{{{ end }}}}' for r in RULES]
        return '{{ $sep := "" }}' + "".join(parts)
    return f"{{{{ with $values.{name} }}}}{{{{ .Value{_pipe(fn)} }}}}{{{{ end }}}}"


SEVERITIES = ("critical", "warning", "info")
# The alert label naming the soak: its app.kubernetes.io/instance, which the shipped monitors put on every
# series as app_kubernetes_io_instance. Empty (compose, a scrape config of your own): no label.
SOAK_LABEL = {"soak": "{{ $labels.app_kubernetes_io_instance }}"}


def runbook_url(src, alert):
    """The alert's runbook: its section of docs/runbooks.md, whose heading is the alert's name."""
    return f"{src['runbook_url']}#{alert['name'].lower()}"


def labels(alert):
    if alert["severity"] not in SEVERITIES:
        raise ValueError(f"{alert['name']}: severity {alert['severity']!r} is not one of {SEVERITIES}")
    return {"severity": alert["severity"], **SOAK_LABEL}


def annotations(src, alert, dialect):
    render = _prometheus_macro if dialect == "prometheus" else _grafana_macro
    out = {}
    for key in ("summary", "description"):
        text = " ".join(alert[key].split())
        out[key] = MACRO.sub(lambda m: render(src, alert, m.group(1), m.group(2)), text)
    out["runbook_url"] = runbook_url(src, alert)
    return out


def prometheus_groups(src):
    rules = []
    for a in src["alerts"]:
        rule = {"alert": a["name"], "expr": expr(src, a), "for": a["for"]}
        if a.get("keep_firing_for", "0m") != "0m":
            rule["keep_firing_for"] = a["keep_firing_for"]
        rule["labels"] = labels(a)
        rule["annotations"] = annotations(src, a, "prometheus")
        rules.append(rule)
    # No group interval: the Prometheus server's evaluation_interval applies (1m by default, like Grafana's
    # group below), so a test server can evaluate faster.
    return [{"name": src["group"], "rules": rules}]


def _query(ref, promql):
    return {"refId": ref, "relativeTimeRange": {"from": 600, "to": 0}, "datasourceUid": "prometheus",
            "model": {"refId": ref, "expr": promql, "instant": True, "range": False}}


def _uses(alert, name):
    return any(m.group(1) == name for k in ("summary", "description") for m in MACRO.finditer(alert[k]))


def grafana_rule(src, a):
    data = [_query("query", expr(src, a))]
    data += [_query(name, promql) for name, promql in (a.get("values") or {}).items()]
    if _uses(a, "rules"):
        data += [_query(f"rule_{r}", f'max by (job, namespace, app_kubernetes_io_instance, instance, scenario) (leaksoak_leak_detected{{rule="{r}"}})')
                 for r in RULES]
    data += [
        {"refId": "prometheus_math", "datasourceUid": "__expr__",
         "model": {"refId": "prometheus_math", "type": "math", "expression": MATH}},
        {"refId": "threshold", "datasourceUid": "__expr__",
         "model": {"refId": "threshold", "type": "threshold", "expression": "prometheus_math",
                   "conditions": [{"evaluator": {"type": "gt", "params": [0]}}]}},
    ]
    uid = "leaksoak-" + re.sub(r"(?<!^)(?=[A-Z])", "-", a["name"].removeprefix("Leaksoak")).lower()
    return {
        "uid": uid, "title": a["name"], "condition": "threshold", "data": data,
        "noDataState": "OK", "execErrState": "KeepLast",
        "for": a["for"], "keepFiringFor": a.get("keep_firing_for", "0m"),
        "missing_series_evals_to_resolve": 1,
        "labels": labels(a),
        "annotations": annotations(src, a, "grafana"),
        "isPaused": False,
    }


def grafana_provisioning(src):
    return {"apiVersion": 1, "groups": [{
        "orgId": 1, "name": src["group"], "folder": "leaksoak", "interval": src["interval"],
        "rules": [grafana_rule(src, a) for a in src["alerts"]],
    }]}
