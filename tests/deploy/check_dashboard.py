#!/usr/bin/env python3
"""Structure checks of grafana/dashboards/leaksoak.json that a JSON schema cannot express.

Layout: panel ids unique; grid positions inside the 24-column grid and not overlapping; no __inputs; the
DS_PROMETHEUS datasource variable; every query panel uses ${DS_PROMETHEUS} and has a unit; the units the
dashboard promises (bytes, percentunit, s, bytes per request) are used.

A fleet of soaks (docs/dashboard.md):
- the query variables are job, instance and scenario, in that order, each a label_values query filtered by
  the ones before it, multi-select with All (".*"), refreshed on time range change;
- every selector of every panel and annotation query filters job=~"$job" and instance=~"$instance", and
  scenario=~"$scenario" when the metric has a scenario label (docs/metrics.md says which do); every
  aggregation is `by (...)` and keeps job and instance, and scenario when what it aggregates has one; every
  `on (...)` keeps job and instance; every legend names {{instance}} (and {{scenario}});
- the top panel is a table, one row per instance and scenario (instant table queries merged), with the leak
  gauge, the rules, since when it was raised (dateTimeFromNow, 0 shown as "—"), the confirmation streak, the
  p-value, the slope in bytes per request and the last verdict, the gauge and verdict cells mapped to text and
  colour;
- a state timeline of the gauge per instance and scenario;
- every stat, state timeline and table that shows the verdict or the gauge maps each value to a text and a
  colour (leak red, stable green, noisy yellow, insufficient grey, error orange; ok green, LEAK red), and the
  cycles-by-verdict bars use the same colours;
- an enabled annotation marks each rise of the gauge (leaksoak_leak_raised_timestamp_seconds) with instance
  and scenario in its title; an annotation on the raw verdict, if any, is off by default;
- the growth, slope and noise panels draw their threshold as a series of leaksoak_analysis_threshold (a
  percent setting divided by 100 on a ratio panel), dashed, and keep no hard-coded threshold steps.
"""
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "grafana/dashboards/leaksoak.json"
METRICS_DOC = ROOT / "docs/metrics.md"

VARIABLES = ("job", "instance", "scenario")  # the query variables, in the order they chain
PROCESS_KEY = ("job", "instance")             # what identifies one leaksoak process
VERDICT_COLOURS = {"stable": "green", "leak": "red", "noisy": "yellow", "insufficient": "#8e8e8e", "error": "orange"}
GAUGE_MAPPING = {"0": ("ok", "green"), "1": ("LEAK", "red")}
# The [analysis] settings leaksoak_analysis_threshold{setting} exports.
SETTINGS = {
    "max_growth_percent", "tail_samples", "tail_tolerance_bytes", "max_noise_cv_percent", "error_spike_percent",
    "slope_min_bytes_per_request", "slope_min_growth_bytes", "trend_cycles", "trend_min_growth_bytes", "trend_alpha",
    "confirm_cycles", "max_error_ratio",
}
# Panels of these metrics draw the threshold of this setting as a series, not as hard-coded steps.
THRESHOLD_SERIES = {
    "leaksoak_cycle_growth_ratio": "max_growth_percent",
    "leaksoak_cycle_slope_bytes_per_request": "slope_min_bytes_per_request",
    "leaksoak_cycle_noise_cv_ratio": "max_noise_cv_percent",
}

METRIC_RE = re.compile(r"\b((?:leaksoak|process)_[a-z0-9_]+)\b(\s*\{([^}]*)\})?")
MATCHER_RE = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
AGG_RE = re.compile(r"\b(sum|min|max|avg|group|stddev|stdvar|count_values|count|bottomk|topk|quantile|limitk|"
                    r"limit_ratio)\s*(?:(by|without)\s*\(([^)]*)\))?\s*\(")
ON_RE = re.compile(r"\b(on|ignoring)\s*\(([^)]*)\)")


def flatten(panels):
    for p in panels:
        yield p
        yield from flatten(p.get("panels", []))


def metric_labels():
    """metric name -> its label names, from docs/metrics.md (generated from the code)."""
    out = {}
    for name, labels in re.findall(r"^\| `([a-z_]+)` \| [a-z]+ \| ([^|]*) \|", METRICS_DOC.read_text(), re.M):
        out[name] = set(re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "", labels)))
    return out


def base_metric(name):
    return re.sub(r"_(bucket|sum|count)$", "", name)


def names(text):
    return [n.strip() for n in text.split(",") if n.strip()]


def is_var(value, var):
    return re.fullmatch(r"\$(?:" + var + r"|\{" + var + r"(?::\w+)?\})", value) is not None


def balanced(expr, open_at):
    """The text inside the parenthesis that opens at open_at."""
    depth = 0
    for i in range(open_at, len(expr)):
        depth += {"(": 1, ")": -1}.get(expr[i], 0)
        if depth == 0:
            return expr[open_at + 1:i]
    return expr[open_at + 1:]


def metrics_in(expr):
    return {base_metric(m.group(1)) for m in METRIC_RE.finditer(expr)}


def aggregations(expr):
    """(operator, 'by'/'without'/None, [labels], argument text) of every aggregation in expr."""
    for m in AGG_RE.finditer(expr):
        yield m.group(1), m.group(2), names(m.group(3) or ""), balanced(expr, m.end() - 1)


def check_expr(where, expr, labels, errors):
    """Selectors filter by the variables; aggregations and joins keep instance and scenario."""
    has_scenario = False
    for m in METRIC_RE.finditer(expr):
        metric = base_metric(m.group(1))
        if metric not in labels:
            errors.append(f"{where}: {metric} is not in docs/metrics.md, its labels are unknown")
            continue
        per_scenario = "scenario" in labels[metric]
        has_scenario |= per_scenario
        matchers = {k: (op, v) for k, op, v in MATCHER_RE.findall(m.group(3) or "")}
        for var in VARIABLES if per_scenario else PROCESS_KEY:
            op, value = matchers.get(var, (None, None))
            if op != "=~" or not is_var(value, var):
                errors.append(f'{where}: {metric} is not filtered by {var}=~"${var}"')
    for op, mode, by, arg in aggregations(expr):
        if mode != "by":
            errors.append(f"{where}: {op} without by (...): it would merge instances")
            continue
        want = list(PROCESS_KEY)
        if any("scenario" in labels.get(m, set()) for m in metrics_in(arg)):
            want.append("scenario")
        missing = [w for w in want if w not in by]
        if missing:
            errors.append(f"{where}: {op} by ({', '.join(by)}) drops {', '.join(missing)}")
    for m in ON_RE.finditer(expr):
        listed = names(m.group(2))
        if m.group(1) == "ignoring":
            dropped = [k for k in PROCESS_KEY if k in listed]
            if dropped:
                errors.append(f"{where}: ignoring ({m.group(2)}) drops {', '.join(dropped)}")
        elif any(k not in listed for k in PROCESS_KEY):
            errors.append(f"{where}: on ({m.group(2)}) does not keep job and instance")
    return has_scenario


def value_mappings(maps):
    """[(value, result)] of the value mappings among maps."""
    return [(k, r) for m in maps if m.get("type") == "value" for k, r in m["options"].items()]


def mappings_of(panel):
    """Every value mapping of the panel, defaults and overrides: [(value, result)]."""
    maps = list(panel.get("fieldConfig", {}).get("defaults", {}).get("mappings", []))
    for o in panel.get("fieldConfig", {}).get("overrides", []):
        for prop in o.get("properties", []):
            if prop["id"] == "mappings":
                maps += prop["value"]
    return value_mappings(maps)


def check_verdict_mappings(where, results, errors):
    for verdict, colour in VERDICT_COLOURS.items():
        hits = [r for r in results if (r.get("text") or "").lower() == verdict]
        if not hits:
            errors.append(f"{where}: no value mapping shows the verdict {verdict}")
        elif any(r.get("color") != colour for r in hits):
            errors.append(f"{where}: the verdict {verdict} is not coloured {colour}")


def check_gauge_mappings(where, mapped, errors):
    for key, (text, colour) in GAUGE_MAPPING.items():
        r = dict(mapped).get(key)
        if not r or r.get("text") != text or r.get("color") != colour:
            errors.append(f"{where}: the gauge value {key} is not mapped to {text} in {colour}")


def override_props(panel, column):
    props = {}
    for o in panel["fieldConfig"].get("overrides", []):
        if o["matcher"]["id"] == "byName" and o["matcher"].get("options") == column:
            props.update({p["id"]: p["value"] for p in o["properties"]})
    return props


def check_summary_table(panel, errors):
    """The top row's table: one row per instance and scenario with the columns of docs/dashboard.md."""
    where = f"panel {panel['id']} (top table)"
    if panel["type"] != "table":
        errors.append(f"the first panel is {panel['type']} {panel.get('title')!r}, not the summary table")
        return
    ids = [t["id"] for t in panel.get("transformations", [])]
    if not {"merge", "joinByField"} & set(ids) or "organize" not in ids:
        errors.append(f"{where}: its queries are not merged (merge or joinByField) and organized: {ids}")
    organize = next((t["options"] for t in panel.get("transformations", []) if t["id"] == "organize"), {})
    rename = organize.get("renameByName", {})
    for t in panel["targets"]:
        if t.get("format") != "table" or not t.get("instant"):
            errors.append(f"{where}: target {t['refId']} is not an instant query with format table")

    def target(test):
        for t in panel["targets"]:
            ms = metrics_in(t["expr"])
            by = {b for _, _, bs, _ in aggregations(t["expr"]) for b in bs}
            if test(ms, by, t["expr"]):
                return t
        return None

    def column(name, test):
        t = target(test)
        if not t:
            errors.append(f"{where}: no query for the column {name}")
            return None, {}
        col = rename.get(f"Value #{t['refId']}")
        if not col:
            errors.append(f"{where}: the value of target {t['refId']} ({name}) is not renamed to a column")
            return None, {}
        return col, override_props(panel, col)

    col, props = column("leak gauge", lambda ms, by, e: ms == {"leaksoak_leak_detected"} and "rule" not in by)
    if col:
        check_gauge_mappings(f"{where} column {col}", value_mappings(props.get("mappings", [])), errors)
    col, props = column("raised since", lambda ms, by, e: ms == {"leaksoak_leak_raised_timestamp_seconds"})
    if col:
        if props.get("unit") != "dateTimeFromNow" or "* 1000" not in target(
                lambda ms, by, e: ms == {"leaksoak_leak_raised_timestamp_seconds"})["expr"]:
            errors.append(f"{where} column {col}: not milliseconds shown as dateTimeFromNow")
        zero = [m["options"].get("0") for m in props.get("mappings", []) if m.get("type") == "value"]
        if not any(z and z.get("text") == "—" for z in zero):
            errors.append(f'{where} column {col}: 0 (gauge down) is not shown as "—"')
    column("confirmation streak", lambda ms, by, e: ms == {"leaksoak_leak_streak"} and "rule" not in by)
    column("p-value", lambda ms, by, e: ms == {"leaksoak_cycle_p_value"})
    col, props = column("slope", lambda ms, by, e: ms == {"leaksoak_cycle_slope_bytes_per_request"})
    if col and "/req" not in props.get("unit", ""):
        errors.append(f"{where} column {col}: unit {props.get('unit')!r} is not bytes per request")
    col, props = column("last verdict", lambda ms, by, e: ms == {"leaksoak_cycle_verdict"})
    if col:
        check_verdict_mappings(f"{where} column {col}", [r for _, r in value_mappings(props.get("mappings", []))],
                               errors)
    rules = target(lambda ms, by, e: "leaksoak_leak_detected" in ms and "rule" in by)
    if not rules:
        errors.append(f"{where}: no query for the column rules (by rule)")
    else:
        grouped = [t for t in panel.get("transformations", []) if t["id"] == "groupBy"
                   and (t.get("filter") or {}).get("options") == rules["refId"]
                   and t["options"]["fields"].get("rule", {}).get("operation") == "aggregate"]
        if not grouped:
            errors.append(f"{where}: the rules of target {rules['refId']} are not grouped into one cell per row")
        else:
            agg = grouped[0]["options"]["fields"]["rule"]["aggregations"][0]
            if f"rule ({agg})" not in rename:
                errors.append(f"{where}: the rules column (rule ({agg})) is not renamed")


def check_variables(dash, errors):
    variables = dash["templating"]["list"]
    by_name = {v["name"]: v for v in variables}
    ds = by_name.get("DS_PROMETHEUS")
    if not ds or ds["type"] != "datasource" or ds.get("query") != "prometheus":
        errors.append("no datasource variable DS_PROMETHEUS of type datasource (query prometheus)")
    queries = [v["name"] for v in variables if v["type"] == "query"]
    if tuple(queries) != VARIABLES:
        errors.append(f"the query variables are {queries}, want {list(VARIABLES)} in this order")
    for i, name in enumerate(VARIABLES):
        v = by_name.get(name)
        if not v:
            continue
        where = f"variable {name}"
        if (v.get("datasource") or {}).get("uid") != "${DS_PROMETHEUS}":
            errors.append(f"{where} does not use ${{DS_PROMETHEUS}}")
        if not (v.get("multi") and v.get("includeAll") and v.get("allValue") == ".*"):
            errors.append(f'{where} is not multi-select with All = ".*"')
        if v.get("refresh") != 2:
            errors.append(f"{where} is not refreshed on time range change (refresh 2)")
        q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        m = re.fullmatch(r"\s*label_values\(\s*(.+?)\s*,\s*(\w+)\s*\)\s*", q)
        if not m or m.group(2) != name:
            errors.append(f"{where}: query {q!r} is not label_values(<selector>, {name})")
            continue
        matchers = {k: (op, val) for k, op, val in MATCHER_RE.findall(m.group(1))}
        for before in VARIABLES[:i]:
            op, val = matchers.get(before, (None, None))
            if op != "=~" or not is_var(val, before):
                errors.append(f'{where}: query {q!r} is not filtered by {before}=~"${before}"')


def check_thresholds(p, errors):
    """Growth, slope and noise: the [analysis] threshold as a dashed series, no hard-coded steps."""
    exprs = [t["expr"] for t in p.get("targets", [])]
    metrics = set().union(*(metrics_in(e) for e in exprs)) if exprs else set()
    unit = p["fieldConfig"]["defaults"].get("unit")
    series = [t for t in p.get("targets", []) if "leaksoak_analysis_threshold" in t["expr"]]
    for t in series:
        settings = re.findall(r'setting\s*=\s*"([^"]*)"', t["expr"])
        for s in settings:
            if s not in SETTINGS:
                errors.append(f"panel {p['id']} target {t['refId']}: unknown setting {s!r}")
            if s.endswith("_percent") and unit == "percentunit" and not re.search(r"/\s*100\b", t["expr"]):
                errors.append(f"panel {p['id']} target {t['refId']}: {s} is a percent, the panel a ratio: "
                              "divide by 100")
        dashed = [o for o in p["fieldConfig"].get("overrides", [])
                  if o["matcher"] == {"id": "byFrameRefID", "options": t["refId"]}
                  and any(q["id"] == "custom.lineStyle" and q["value"].get("fill") == "dash" for q in o["properties"])]
        if not dashed:
            errors.append(f"panel {p['id']} target {t['refId']}: the threshold series has no dashed-line override")
    if "leaksoak_cycle_slope_bytes_per_request" in metrics and "/req" not in (unit or ""):
        errors.append(f"panel {p['id']}: the slope in {unit!r}, not in bytes per request")
    for metric, setting in THRESHOLD_SERIES.items():
        if metric not in metrics:
            continue
        if not any(f'setting="{setting}"' in t["expr"].replace(" ", "") for t in series):
            errors.append(f"panel {p['id']}: {metric} without its threshold series setting={setting!r}")
        d = p["fieldConfig"]["defaults"]
        if len((d.get("thresholds") or {}).get("steps", [])) > 1 or \
                (d.get("custom", {}).get("thresholdsStyle") or {}).get("mode", "off") != "off":
            errors.append(f"panel {p['id']}: hard-coded threshold steps beside the threshold series")


def main() -> int:
    dash = json.loads(DASHBOARD.read_text())
    labels = metric_labels()
    errors = []
    panels = list(flatten(dash["panels"]))
    ids = [p["id"] for p in panels]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        errors.append(f"duplicate panel ids: {dupes}")
    cells = {}
    for p in panels:
        g = p["gridPos"]
        if g["x"] < 0 or g["w"] < 1 or g["h"] < 1 or g["x"] + g["w"] > 24:
            errors.append(f"panel {p['id']} outside the 24-column grid: {g}")
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in cells:
                    errors.append(f"panel {p['id']} overlaps panel {cells[(x, y)]} at x={x} y={y}")
                    break
                cells[(x, y)] = p["id"]
            else:
                continue
            break
    if "__inputs" in dash:
        errors.append("__inputs present: breaks file provisioning")
    check_variables(dash, errors)

    units = set()
    for p in panels:
        if p["type"] == "row":
            continue
        if p.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
            errors.append(f"panel {p['id']} does not use ${{DS_PROMETHEUS}}")
        for t in p.get("targets", []):
            where = f"panel {p['id']} target {t.get('refId')}"
            if t.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
                errors.append(f"{where} does not use ${{DS_PROMETHEUS}}")
            per_scenario = check_expr(where, t["expr"], labels, errors)
            if t.get("format") != "table":
                legend = t.get("legendFormat", "")
                for want in ("instance", "scenario") if per_scenario else ("instance",):
                    if "{{" + want + "}}" not in legend:
                        errors.append(f"{where}: legend {legend!r} does not name {{{{{want}}}}}")
        unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit")
        if not unit:
            errors.append(f"panel {p['id']} has no unit")
        units.add(unit)
        units.update(v for o in p.get("fieldConfig", {}).get("overrides", [])
                     for q in o["properties"] if q["id"] == "unit" for v in [q["value"]])
        exprs = [t["expr"] for t in p.get("targets", [])]
        if p["type"] in ("stat", "state-timeline", "table"):
            results = [r for _, r in mappings_of(p)]
            if p["type"] != "table" and any("leaksoak_cycle_verdict" in e for e in exprs):
                check_verdict_mappings(f"panel {p['id']}", results, errors)
            if p["type"] != "table" and any(metrics_in(e) == {"leaksoak_leak_detected"} for e in exprs):
                check_gauge_mappings(f"panel {p['id']}", mappings_of(p), errors)
        if any("leaksoak_cycles_total" in e and "verdict" in e for e in exprs):
            colours = {}
            for o in p["fieldConfig"].get("overrides", []):
                for q in o["properties"]:
                    if q["id"] == "color":
                        colours[o["matcher"].get("options", "")] = q["value"].get("fixedColor")
            for verdict, colour in VERDICT_COLOURS.items():
                if not any(re.search(rf"\b{verdict}\b", k) and c == colour for k, c in colours.items()):
                    errors.append(f"panel {p['id']}: cycles of verdict {verdict} are not coloured {colour}")
        if p["type"] == "timeseries":
            check_thresholds(p, errors)
    for want in ("bytes", "percentunit", "s", "dateTimeFromNow"):
        if want not in units:
            errors.append(f"no panel with unit {want}")
    if not any("/req" in (u or "") for u in units):
        errors.append("no panel in bytes per request")

    content = sorted((p for p in panels if p["type"] != "row"), key=lambda p: (p["gridPos"]["y"], p["gridPos"]["x"]))
    if content:
        check_summary_table(content[0], errors)
    timelines = [p for p in panels if p["type"] == "state-timeline" and any(
        metrics_in(t["expr"]) == {"leaksoak_leak_detected"}
        and {"job", "instance", "scenario"} <= {b for _, _, bs, _ in aggregations(t["expr"]) for b in bs}
        and "rule" not in {b for _, _, bs, _ in aggregations(t["expr"]) for b in bs} for t in p["targets"])]
    if not timelines:
        errors.append("no state timeline of the leak gauge per instance and scenario")

    rises = []
    for a in dash["annotations"]["list"]:
        expr = a.get("expr") or (a.get("target") or {}).get("expr") or ""
        if not expr:
            continue
        where = f"annotation {a['name']!r}"
        if (a.get("datasource") or {}).get("uid") != "${DS_PROMETHEUS}":
            errors.append(f"{where} does not use ${{DS_PROMETHEUS}}")
        check_expr(where, expr, labels, errors)
        if "leaksoak_leak_raised_timestamp_seconds" in expr and a.get("enable") and \
                ("changes(" in expr.replace(" ", "") or a.get("useValueForTime")):
            title = a.get("titleFormat", "")
            if "{{instance}}" not in title or "{{scenario}}" not in title:
                errors.append(f"{where}: title {title!r} does not name {{{{instance}}}} and {{{{scenario}}}}")
            rises.append(a)
        if "leaksoak_cycle_verdict" in expr and a.get("enable"):
            errors.append(f"{where}: an annotation on the raw verdict is on by default")
    if not rises:
        errors.append("no enabled annotation on the leak gauge rising (leaksoak_leak_raised_timestamp_seconds)")

    for e in errors:
        print("FAIL:", e)
    print(f"dashboard: {len(panels)} panels, variables, filters, aggregations, legends, top table, mappings, "
          f"annotations and threshold series checked: {'FAILED' if errors else 'ok'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
