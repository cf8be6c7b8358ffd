#!/usr/bin/env bash
# Ingest benchmark: a Release server on a fresh data dir, a write key, then
# bench/ingest/http_ingest.mjs. Usage: bench/ingest/run.sh [events] [batch] [concurrency]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${SIYU_BIN:-build/release/siyu}"
[ -x "$bin" ] || { echo "no $bin: run 'make release' first" >&2; exit 1; }
data="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT
SIYU_ADMIN_PASSWORD=bench-password-1 "$bin" serve --data-dir "$data" --port "$port" --log-level warn \
  >"$data/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
key="$("$bin" apikey create --data-dir "$data" --tenant-id 1 --name bench --kind write | sed -n 's/^key=//p')"
node bench/ingest/http_ingest.mjs "http://127.0.0.1:$port" "$key" "${1:-100000}" "${2:-250}" "${3:-6}"
