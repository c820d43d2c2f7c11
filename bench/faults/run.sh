#!/usr/bin/env bash
# The fault-injection suite of issue 11 (Personalization.Tests/Faults), then its Markdown table.
#
#   bash bench/faults/run.sh            # the in-suite sizes: 100 users over 10 s, 8 s outages, each fault once
#   SOAK=1 bash bench/faults/run.sh     # the soak: 200 users over 60 s, 30 s outages, every fault 3 times, a 60 s storm
#   bash bench/faults/run.sh --report   # only render the table of the last run
#   FAULT=Every_broker_down SOAK=1 bash bench/faults/run.sh   # one fault only (part of its test name)
#
# Sizes come from PZ_FAULT_USERS, PZ_FAULT_STREAM_SECONDS, PZ_FAULT_OUTAGE_SECONDS, PZ_FAULT_REPEAT,
# PZ_FAULT_STORM_SECONDS, PZ_FAULT_RECOVER_SECONDS (see Personalization.Tests/Faults/FaultSettings.cs); records go to PZ_FAULT_RESULTS
# (default bench/faults/results/faults.jsonl), the table next to it (faults.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/faults/results
mkdir -p "$out"
export PZ_FAULT_RESULTS="${PZ_FAULT_RESULTS:-$PWD/$out/faults.jsonl}"

if [[ "${1:-}" != "--report" ]]; then
  if [[ "${SOAK:-0}" == "1" ]]; then
    export PZ_FAULT_USERS="${PZ_FAULT_USERS:-200}" PZ_FAULT_STREAM_SECONDS="${PZ_FAULT_STREAM_SECONDS:-60}"
    export PZ_FAULT_OUTAGE_SECONDS="${PZ_FAULT_OUTAGE_SECONDS:-30}" PZ_FAULT_REPEAT="${PZ_FAULT_REPEAT:-3}"
    export PZ_FAULT_STORM_SECONDS="${PZ_FAULT_STORM_SECONDS:-60}" PZ_FAULT_RECOVER_SECONDS="${PZ_FAULT_RECOVER_SECONDS:-300}"
  fi
  rm -f "$PZ_FAULT_RESULTS"
  nice -n 5 dotnet build Personalization.sln -c Release -v q -nologo
  started=$(date +%s)
  status=0
  nice -n 5 dotnet test Personalization.Tests -c Release --no-build --filter "FullyQualifiedName~Faults${FAULT:+&FullyQualifiedName~$FAULT}" || status=$?
  echo "fault suite: $(( $(date +%s) - started )) s, exit $status" >&2
fi

python3 bench/faults/report.py "$PZ_FAULT_RESULTS" | tee "${PZ_FAULT_RESULTS%.jsonl}.md"
exit "${status:-0}"
