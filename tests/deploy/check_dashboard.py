#!/usr/bin/env python3
"""Structure checks of grafana/dashboards/leaksoak.json that a JSON schema cannot express.

Panel ids unique; grid positions inside the 24-column grid and not overlapping; the DS_PROMETHEUS datasource
variable (type datasource, no __inputs) and the scenario variable; every query panel uses $DS_PROMETHEUS and
has a unit; the units the issue asks for are used; a leak annotation exists.
"""
import json
import pathlib
import sys

DASHBOARD = pathlib.Path(__file__).resolve().parents[2] / "grafana/dashboards/leaksoak.json"


def flatten(panels):
    for p in panels:
        yield p
        yield from flatten(p.get("panels", []))


def main() -> int:
    dash = json.loads(DASHBOARD.read_text())
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
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    ds = variables.get("DS_PROMETHEUS")
    if not ds or ds["type"] != "datasource" or ds.get("query") != "prometheus":
        errors.append("no datasource variable DS_PROMETHEUS of type datasource (query prometheus)")
    if "scenario" not in variables or variables["scenario"]["type"] != "query":
        errors.append("no query variable scenario")
    units = set()
    for p in panels:
        if p["type"] == "row":
            continue
        if p.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
            errors.append(f"panel {p['id']} does not use ${{DS_PROMETHEUS}}")
        for t in p.get("targets", []):
            if t.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
                errors.append(f"panel {p['id']} target {t.get('refId')} does not use ${{DS_PROMETHEUS}}")
            if "$scenario" not in t["expr"] and "leaksoak_" in t["expr"] and "build_info" not in t["expr"] \
                    and "config_last_reload" not in t["expr"]:
                errors.append(f"panel {p['id']} target {t['refId']} ignores $scenario")
        unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit")
        if not unit:
            errors.append(f"panel {p['id']} has no unit")
        units.add(unit)
    for want in ("bytes", "percentunit", "s"):
        if want not in units:
            errors.append(f"no panel with unit {want}")
    annos = [a for a in dash["annotations"]["list"] if "leak" in a.get("expr", "")]
    if not annos:
        errors.append("no leak annotation")
    for e in errors:
        print("FAIL:", e)
    print(f"dashboard: {len(panels)} panels, ids and grid positions checked: {'FAILED' if errors else 'ok'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
