#!/usr/bin/env python3
"""Half of scripts/test-deploy-e2e: ask a real Prometheus, which scrapes a real leaksoak, about every shipped
PromQL expression.

  e2e_check.py PROMETHEUS_URL SCENARIO FIRST_SAMPLE_TIMEOUT_S DATA_TIMEOUT_S

1. Waits until leaksoak_leak_detected has samples (else reports the scrape target's health and last error).
2. Until DATA_TIMEOUT_S more seconds have passed, evaluates every expression of tests/deploy/queries.py
   ($scenario = SCENARIO, $__rate_interval = 1m) through /api/v1/query, and requires: each parses; each
   dashboard query (panels, annotation, variable) returns data; the LeaksoakLeakDetected expression returns
   SCENARIO; every rule group loaded from deploy/prometheus/leaksoak-rules.yaml evaluates without error.
"""
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
import queries  # noqa: E402


def api(base, path, **params):
    url = f"{base}{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:  # 400 on a parse error carries a JSON body
        return json.load(e)


def target_health(base):
    out = []
    for t in api(base, "/api/v1/targets")["data"]["activeTargets"]:
        out.append(f"{t['scrapeUrl']}: health {t['health']}, last error {t['lastError']!r}")
    return "; ".join(out) or "no active targets"


def evaluate(base, scenario, counts=None):
    """Problems of this round, as strings; empty when everything holds. counts: name -> series returned."""
    problems = []
    for q in queries.all_queries(scenario):
        r = api(base, "/api/v1/query", query=q["expr"])
        if r.get("status") != "success":
            problems.append(f"PARSE/EVAL {q['source']}: {q['name']}: {r.get('error')}")
            continue
        result = r["data"]["result"]
        if counts is not None:
            counts[f"{q['source']}: {q['name']}"] = len(result) if isinstance(result, list) else 1
        if q["source"] == "dashboard" and not result:
            problems.append(f"NO DATA {q['name']}: {q['expr']}")
        if q["source"] == "prometheus-rule" and q["name"] == "LeaksoakLeakDetected":
            got = sorted({s["metric"].get("scenario") for s in result})
            if scenario not in got:
                problems.append(f"LEAK ALERT expression returned scenarios {got}, want {scenario}")
    for g in api(base, "/api/v1/rules")["data"]["groups"]:
        for rule in g["rules"]:
            if rule.get("health") == "err":
                problems.append(f"RULE {rule['name']} evaluates with error: {rule.get('lastError')}")
    return problems


def main() -> int:
    base, scenario, first_timeout, data_timeout = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    start = time.monotonic()
    while True:
        r = api(base, "/api/v1/query", query="leaksoak_leak_detected")
        if r.get("status") == "success" and r["data"]["result"]:
            print(f"e2e: leaksoak_leak_detected has samples after {time.monotonic() - start:.0f} s")
            break
        if time.monotonic() - start > first_timeout:
            print(f"e2e: FAIL: no leaksoak_leak_detected sample within {first_timeout:.0f} s. "
                  f"Scrape target: {target_health(base)}")
            return 1
        time.sleep(1)
    start = time.monotonic()
    while True:
        counts = {}
        problems = evaluate(base, scenario, counts)
        if not problems:
            for name, n in counts.items():
                print(f"  {n:3d} series  {name}")
            n = len(queries.all_queries(scenario))
            print(f"e2e: all {n} PromQL expressions parse, every dashboard query has data, "
                  f"the leak alert expression returns {scenario} ({time.monotonic() - start:.0f} s)")
            return 0
        if time.monotonic() - start > data_timeout:
            print(f"e2e: FAIL after {data_timeout:.0f} s:")
            for p in problems:
                print("  " + p)
            return 1
        time.sleep(2)


if __name__ == "__main__":
    sys.exit(main())
