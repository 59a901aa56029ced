#!/usr/bin/env python3
"""Half of scripts/test-deploy-e2e: ask a real Prometheus, which scrapes two real leaksoak daemons (one leaking,
one clean, the same scenario name) and evaluates the shipped rule file, about every shipped PromQL expression.

  e2e_check.py --prometheus URL --job JOB --scenario S --leaky INSTANCE --clean INSTANCE --clean-pid PID
               [--first-sample-timeout S] [--data-timeout S]

1. Waits until both instances have leaksoak_leak_detected samples (else reports the scrape targets' health).
2. Until the data timeout, requires:
   - LeaksoakLeakDetected is pending or firing for the leaky instance and scenario, its summary names them and
     quotes a slope and the rules; no leak alert names the clean instance;
   - every dashboard query (panels, annotations, variables: tests/deploy/queries.py), with $job, $instance and
     $scenario set to each instance, parses and returns data, and every series it returns that carries an
     instance label is that instance's (the job and instance variables list them all; the clean soak has no
     gauge rises and no positive streaks, so those queries may be empty for it; the cgroup tasks panel is empty
     for both, which measure processes);
   - every Grafana-managed rule query and every loaded rule evaluates without error.
3. Kills the clean daemon and requires LeaksoakDown pending or firing for its instance, and not the leaky one's.
"""
import argparse
import json
import os
import re
import signal
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


def alerts(base, name):
    return [a for a in api(base, "/api/v1/alerts")["data"]["alerts"] if a["labels"].get("alertname") == name]


def leak_alert_problems(base, args):
    got = alerts(base, "LeaksoakLeakDetected")
    problems = [f"LEAK ALERT names the clean instance: {a['labels']}" for a in got
                if a["labels"].get("instance") == args.clean]
    mine = [a for a in got if a["labels"].get("instance") == args.leaky and a["labels"].get("scenario") == args.scenario]
    if not mine:
        problems.append(f"LEAK ALERT not pending or firing for {args.leaky} {args.scenario}: {[a['labels'] for a in got]}")
    for a in mine:
        summary = a["annotations"].get("summary", "")
        if f"on {args.leaky}" not in summary or "B per request" not in summary or "(rules: )" in summary:
            problems.append(f"LEAK ALERT summary does not name the instance, slope and rules: {summary!r}")
    return problems


def may_be_empty(q, clean):
    """A clean soak has no gauge rises and no positive streaks: those queries may be empty for it. Both soaks
    measure a process, which has no cgroup `tasks` series: that panel is empty for both."""
    if 'resource="tasks"' in q["expr"]:
        return True
    # The time to the memory limit exists only while a leak is raised (and a rate and a limit are known).
    raised_only = "leaksoak_leak_time_to_limit_seconds" in q["expr"]
    return clean and (q["kind"] == "annotation" or raised_only or re.search(r"\)\s*>\s*0\s*$", q["expr"]) is not None)


def query_problems(base, args, instance, counts):
    problems = []
    for q in queries.all_queries({"job": args.job, "instance": instance, "scenario": args.scenario}):
        r = api(base, "/api/v1/query", query=q["expr"])
        if r.get("status") != "success":
            problems.append(f"PARSE/EVAL {q['source']}: {q['name']}: {r.get('error')}")
            continue
        if q["source"] != "dashboard":
            continue
        result = r["data"]["result"]
        counts[f"{instance} {q['name']}"] = len(result) if isinstance(result, list) else 1
        if not result and not may_be_empty(q, instance == args.clean):
            problems.append(f"NO DATA for {instance}: {q['name']}: {q['expr']}")
        others = {s["metric"].get("instance") for s in result if isinstance(result, list)} - {instance, None}
        if others and q["name"] not in ("variable job", "variable instance"):
            problems.append(f"OTHER INSTANCE {sorted(others)} in {q['name']} for {instance}: {q['expr']}")
    return problems


def rule_problems(base):
    return [f"RULE {rule['name']} evaluates with error: {rule.get('lastError')}"
            for g in api(base, "/api/v1/rules")["data"]["groups"] for rule in g["rules"] if rule.get("health") == "err"]


def until(timeout, check):
    """Calls check() until it returns no problems or timeout seconds pass; returns the last problems."""
    start = time.monotonic()
    while True:
        problems = check()
        if not problems or time.monotonic() - start > timeout:
            return problems, time.monotonic() - start
        time.sleep(2)


def main() -> int:
    ap = argparse.ArgumentParser()
    for flag in ("--prometheus", "--job", "--scenario", "--leaky", "--clean"):
        ap.add_argument(flag, required=True)
    ap.add_argument("--clean-pid", type=int, required=True)
    ap.add_argument("--first-sample-timeout", type=float, default=90)
    ap.add_argument("--data-timeout", type=float, default=60)
    args = ap.parse_args()
    base = args.prometheus

    def first_samples():
        r = api(base, "/api/v1/query", query="leaksoak_leak_detected")
        seen = {s["metric"]["instance"] for s in r.get("data", {}).get("result", [])}
        return [f"no leaksoak_leak_detected sample from {i}" for i in (args.leaky, args.clean) if i not in seen]

    problems, took = until(args.first_sample_timeout, first_samples)
    if problems:
        print(f"e2e: FAIL: {problems}. Scrape targets: {target_health(base)}")
        return 1
    print(f"e2e: both instances have samples after {took:.0f} s")

    counts = {}

    def fleet():
        counts.clear()
        return (leak_alert_problems(base, args) + query_problems(base, args, args.leaky, counts)
                + query_problems(base, args, args.clean, counts) + rule_problems(base))

    problems, took = until(args.data_timeout, fleet)
    if problems:
        print(f"e2e: FAIL after {took:.0f} s:")
        for p in problems:
            print("  " + p)
        return 1
    for name, n in sorted(counts.items()):
        print(f"  {n:3d} series  {name}")
    leak = [a for a in alerts(base, "LeaksoakLeakDetected") if a["labels"].get("instance") == args.leaky][0]
    print(f"e2e: LeaksoakLeakDetected {leak['state']} for {args.leaky} only: {leak['annotations']['summary']}")
    print(f"e2e: every dashboard query, per instance, returns that instance's data ({took:.0f} s)")

    os.kill(args.clean_pid, signal.SIGKILL)

    def down():
        got = alerts(base, "LeaksoakDown")
        named = {a["labels"].get("instance") for a in got}
        problems = [] if args.clean in named else [f"LeaksoakDown not pending or firing for {args.clean}: {named}"]
        return problems + ([f"LeaksoakDown names the running {args.leaky}"] if args.leaky in named else [])

    problems, took = until(30, down)
    if problems:
        print(f"e2e: FAIL after killing the clean daemon: {problems}")
        return 1
    state = [a["state"] for a in alerts(base, "LeaksoakDown") if a["labels"].get("instance") == args.clean][0]
    print(f"e2e: clean daemon killed; LeaksoakDown {state} for {args.clean} after {took:.0f} s (for: 5m kept)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
