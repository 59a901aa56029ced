#!/usr/bin/env python3
"""Summarises a scripts/soak-self run: python3 scripts/soak-self-report.py OUT_DIR."""
import json, sys
out = sys.argv[1]
SKIP = 120  # seconds of start-up (the first round of scenarios) left out of the figures

def slope(points):
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0

def ends(values):
    k = max(1, len(values) // 10)
    return sum(values[:k]) / k, sum(values[-k:]) / k

print(f"figures leave out the first {SKIP} s")
print("| source | cycles | verdicts | cycles where trend fired | figure | first 10 % | last 10 % | growth | slope per hour |")
print("|---|---:|---|---:|---|---:|---:|---:|---:|")
for src in ("self-heap", "self"):
    verdicts, trend, heap = {}, 0, []
    t0 = None
    for line in open(f"{out}/{src}.log"):
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        msg = ev.get("message", "")
        t = ev.get("timestamp", "")
        if msg.startswith("cycle finished"):
            v = ev.get("verdict", "?")
            verdicts[v] = verdicts.get(v, 0) + 1
            trend += "trend rule" in msg or "Final averages rose" in msg
        if msg == "batch" and ev.get("phase") == "measure":
            heap.append(float(ev["memory_bytes"]))
    rss = [tuple(map(float, l.split())) for l in open(f"{out}/{src}.rss") if l.strip()]
    run = (rss[-1][0] - rss[0][0]) if len(rss) > 1 else 1.0
    rss = [(x, y) for x, y in rss if x >= SKIP] or rss
    cycles = sum(verdicts.values())
    vtext = ", ".join(f"{k} {n}" for k, n in sorted(verdicts.items()))
    rows = [("RSS", [r for _, r in rss], slope(rss) * 3600)]
    if src == "self-heap" and heap:
        heap = heap[int(len(heap) * SKIP / max(run, SKIP)):]  # batches are spread evenly over the run
        per_hour = slope(list(enumerate(heap))) * len(heap) / max((run - SKIP) / 3600, 1e-9)
        rows.insert(0, ("live heap", heap, per_hour))
    for name, values, per_hour in rows:
        a, b = ends(values)
        growth = (b - a) / a * 100 if a else 0
        print(f"| {src} | {cycles} | {vtext} | {trend} | {name} | {a/1048576:.3f} MiB | {b/1048576:.3f} MiB | {growth:+.2f} % | {per_hour/1024:+.1f} KiB |")
