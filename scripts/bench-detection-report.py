#!/usr/bin/env python3
"""Summarises the JSON logs of `leaksoak run` (telemetry.log_format = "json") for scripts/bench-detection-e2e.

Usage: bench-detection-report.py LEAK=LOGFILE [LEAK=LOGFILE ...]   (prints a markdown table)
       bench-detection-report.py --cycles LOGFILE                  (prints one line per cycle)

Per cycle it reads the `cycle finished` line: the verdict field and, from the report text in the message, which
rules fired (by their message) and whether the report marks them `[unconfirmed ...]`. The leak gauge is
derived independently from docs/analysis.md#the-leak-gauge (growth/tail/slope raise it when the same rule fired in confirm_cycles = 2
consecutive leak cycles; trend and a confirmed error_spike raise it at once; `error` cycles neither count nor
break a streak) and cross-checked against the report's markers (a finding without `[unconfirmed` = raised).
"""
import json
import statistics
import sys

PREFIXES = [
    ("growth", "Memory grew by "),
    ("tail", "Memory rose in each of the last "),
    ("error_spike", "ERROR-INDUCED MEMORY LEAK DETECTED"),
    ("slope", "Memory grows by "),
    ("trend", "Final averages rose by "),
]
PYTEST_RULES = {"growth", "tail", "error_spike"}
CONFIRM = 2


def cycles(path):
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                ev = json.loads(line)
            except json.JSONDecodeError:
                continue
            msg = ev.get("message", "")
            if not msg.startswith("cycle finished"):
                continue
            rules, confirmed = [], []
            for text in msg.splitlines():
                for rule, prefix in PREFIXES:
                    if text.startswith(prefix):
                        rules.append(rule)
                        if "[unconfirmed" not in text:
                            confirmed.append(rule)
            noise = None
            for text in msg.splitlines():
                if text.startswith("Noise CV:"):
                    try:
                        noise = float(text.split()[2].rstrip("%"))
                    except (IndexError, ValueError):
                        pass
            out.append({
                "verdict": ev.get("verdict"),
                "growth": float(ev.get("growth_bytes", 0.0)),
                "slope": float(ev.get("slope_bytes_per_request", 0.0)),
                "duration": float(ev.get("duration_s", 0.0)),
                "noise": noise,
                "rules": rules,
                "marked": confirmed,
            })
    return out


def derive_gauge(cs):
    """Per cycle: whether the gauge is raised after it (derived from docs/analysis.md#the-leak-gauge)."""
    streak = {"growth": 0, "tail": 0, "slope": 0, "error_spike": 0}
    raised = []
    for c in cs:
        if c["verdict"] == "error":
            raised.append(raised[-1] if raised else False)
            continue
        leak = c["verdict"] == "leak"
        for r in streak:
            streak[r] = streak[r] + 1 if leak and r in c["rules"] else 0
        up = "trend" in c["rules"]
        up |= any(streak[r] >= CONFIRM for r in ("growth", "tail", "slope"))
        # an error spike confirmed within its cycle raises at once; the report shows it without a marker
        up |= leak and "error_spike" in c["marked"]
        raised.append(up)
    return raised


def first(flags):
    for i, f in enumerate(flags, 1):
        if f:
            return i
    return None


def fmt_first(i):
    return "never" if i is None else str(i)


def summarise(leak, path):
    cs = cycles(path)
    n = len(cs)
    if n == 0:
        return f"| {leak} | 0 | – | – | – | – | – | – | – | – | – |"
    verdicts = {}
    for c in cs:
        verdicts[c["verdict"]] = verdicts.get(c["verdict"], 0) + 1
    leaks = verdicts.get("leak", 0)
    counts = {r: sum(r in c["rules"] for c in cs) for r, _ in PREFIXES}
    pytest_cycles = sum(bool(PYTEST_RULES & set(c["rules"])) for c in cs)
    other_only = sum(bool(c["rules"]) and not (PYTEST_RULES & set(c["rules"])) for c in cs)
    derived = derive_gauge(cs)
    marked = [bool(c["marked"]) for c in cs]
    agree = "yes" if derived == marked else f"no ({sum(a != b for a, b in zip(derived, marked))} cycles differ)"
    up_from_2 = derived[1:]
    up_share = f"{sum(up_from_2)}/{len(up_from_2)}" if up_from_2 else "–"
    fired = ", ".join(f"{r} {k}" for r, k in counts.items() if k) or "none"
    others = ", ".join(f"{v} {k}" for v, k in sorted(verdicts.items()) if v != "leak") or "–"
    slope = statistics.median(c["slope"] for c in cs)
    growth = statistics.median(c["growth"] for c in cs) / 1024
    dur = statistics.median(c["duration"] for c in cs)
    noise = [c["noise"] for c in cs if c["noise"] is not None]
    noise_txt = f"{statistics.median(noise):.1f} %" if noise else "–"
    return (
        f"| {leak} | {n} | {leaks}/{n} ({100 * leaks / n:.0f} %) | {others} | {fired} | {pytest_cycles} / {other_only} "
        f"| {fmt_first(first(derived))} | {up_share} | {agree} | {slope:.0f} | {growth:.0f} | {noise_txt} | {dur:.1f} |"
    )


def main(argv):
    if len(argv) == 3 and argv[1] == "--cycles":
        cs = cycles(argv[2])
        for i, (c, g) in enumerate(zip(cs, derive_gauge(cs)), 1):
            print(f"{i:3d} {c['verdict']:<12} gauge={'UP' if g else '--'} rules={','.join(c['rules']) or '-'} "
                  f"marked={','.join(c['marked']) or '-'} slope={c['slope']:.0f} growth={c['growth'] / 1024:.0f}KiB "
                  f"noise={c['noise']}% dur={c['duration']:.2f}s")
        return
    print("| leak B/req | cycles | verdict leak | other verdicts | rules fired (cycles) | pytest-rule cycles / slope-or-trend-only "
          "| gauge first raised at cycle | gauge up, cycles 2..n | derived gauge = report markers | median slope B/req "
          "| median growth (final − initial avg) KiB | median noise CV | median cycle s |")
    print("|---:|---:|---|---|---|---|---:|---|---|---:|---:|---:|---:|")
    for arg in argv[1:]:
        leak, path = arg.split("=", 1)
        print(summarise(leak, path))


if __name__ == "__main__":
    main(sys.argv)
