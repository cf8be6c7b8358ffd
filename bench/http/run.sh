#!/usr/bin/env bash
# HTTP benchmark: wrk with keep-alive against GET /api/v1/customers/{id} (secret-key auth,
# one SQLite read) and GET /healthz, on a Release build serving from a fresh data dir.
# Prints requests/s and latency percentiles. Usage: bench/http/run.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${1:-15}"
connections="${2:-64}"
bin="${SIYU_BIN:-build/release/siyu}"
[ -x "$bin" ] || { echo "no $bin: run 'make release' first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (scripts/install-deps.sh test)" >&2; exit 1; }

data="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT

SIYU_ADMIN_PASSWORD=bench-password-1 "$bin" serve --data-dir "$data" --port "$port" --log-level warn \
  --demo >"$data/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done

key="$("$bin" apikey create --data-dir "$data" --tenant-id 2 --name bench | sed -n 's/^key=//p')"
id="$(curl -sf -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/v1/customers?limit=1" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')"
url="http://127.0.0.1:$port/api/v1/customers/$id"
curl -sf -H "Authorization: Bearer $key" "$url" >/dev/null

echo "siyu $("$bin" version | cut -d' ' -f2), $(nproc) cores, wrk -t2 -c$connections -d${seconds}s, keep-alive"
run() {
  local name="$1"; shift
  local out
  out="$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@")"
  local rps p50 p99
  rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  p50="$(echo "$out" | awk '$1=="50%" {print $2}')"
  p99="$(echo "$out" | awk '$1=="99%" {print $2}')"
  errors="$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')"
  printf '%-34s %10s req/s   p50 %-8s p99 %-8s %s\n' "$name" "$rps" "$p50" "$p99" "$errors"
}
run "GET /api/v1/customers/{id}" -H "Authorization: Bearer $key" "$url"
run "GET /healthz" "http://127.0.0.1:$port/healthz"
