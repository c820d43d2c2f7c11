"""Renders the fault records (one JSON object per line, Personalization.Tests/Faults/FaultReport.cs) as Markdown."""
import json
import os
import platform
import sys

path = sys.argv[1]
records = [json.loads(line) for line in open(path) if line.strip()] if os.path.exists(path) else []
if not records:
    sys.exit(f"no fault records in {path}: run bash bench/faults/run.sh first")

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
loads = [r["loadAverage"] for r in records if r["loadAverage"] >= 0]
print(f"Run of {records[0]['at'][:16].replace('T', ' ')} UTC, {os.cpu_count()} cores ({cpu}), "
      f"load average during the faults {min(loads):.1f}–{max(loads):.1f}.\n")
print("| fault | store | events in | applied | lost | duplicated | poison → DLQ | fault (s) | time to recover (s) | notes |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
for r in records:
    recover = f"{r['recoverSeconds']:.1f}" if r["recovered"] else "**not recovered**"
    print(f"| {r['fault']} | {r['store']} | {r['eventsProduced']} | {r['applied']} | {r['lost']} | {r['duplicated']} | "
          f"{r['poisonProduced']} → {r['deadLettered']} | {r['faultSeconds']:.1f} | {recover} | {r['notes'].replace('|', '/')} |")
