#!/usr/bin/env bash
# Runs every test of the project: the trainer's Python tests, then the .NET suite (which starts its own embedded
# Kafka broker, PostgreSQL server, kcat processes and Debian's Prometheus/promtool). Installs the Debian packages the
# tests need when missing.
set -euo pipefail
cd "$(dirname "$0")"

packages=(python3-torch python3-onnx libopenblas0-pthread kcat postgresql prometheus tmux chromium)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "test.sh: missing Debian packages: ${missing[*]} — run: sudo apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
  echo "test.sh: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "== trainer (Python) tests"
PYENV_VERSION=system /usr/bin/python3 -m unittest discover -s trainer/tests -t . -v

echo "== .NET tests"
# The TRX file lets the end of a long log say which tests failed and why (a CI log may keep only its tail).
results=$(mktemp -d)
status=0
dotnet test Personalization.sln -c Release --logger "console;verbosity=normal" --logger "trx;LogFileName=tests.trx" \
  --results-directory "$results" || status=$?
if ((status)); then
  PYENV_VERSION=system /usr/bin/python3 tools/trx-failures.py "$results"/*.trx || true
fi
rm -rf "$results"
exit "$status"
