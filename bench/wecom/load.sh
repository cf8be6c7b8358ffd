#!/usr/bin/env bash
# WeCom callback load test: `siyu wecom-sim` delivers encrypted add_external_contact callbacks
# (distinct new customers, each with a fresh welcome code, State of a live code) to `siyu serve`
# at a fixed rate, open loop, and reports how fast they were answered. Then waits until the inbox
# has processed every callback and checks the outcome in the database: one inbox row, one
# customer, one active owner row and one `WeCom Contact Added` event per callback, none twice.
#
# Usage: bench/wecom/load.sh [rate] [seconds] [connections]      (default: 2000 30 64)
# Environment:
#   SIYU_BIN            the siyu binary (default build/release/siyu)
#   SIYU_LOAD_DRAIN_S   how long to wait for processing after the load (default 900)
#   SIYU_HTTP_THREADS, SIYU_WECOM_INBOX_WORKERS   server settings (defaults: the server's)
set -euo pipefail
cd "$(dirname "$0")/../.."
rate="${1:-2000}"
seconds="${2:-30}"
connections="${3:-64}"
bin="${SIYU_BIN:-build/release/siyu}"
drain_limit="${SIYU_LOAD_DRAIN_S:-900}"
[ -x "$bin" ] || { echo "no $bin: run 'make release' first" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed (scripts/install-deps.sh test)" >&2; exit 1; }
note() { echo "wecom load: $*" >&2; }

work="$(mktemp -d)"
sim_pid="" pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  rm -rf "$work"
  return 0
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

corp=wwload0000000001 token=LoadToken2026
aes_key="$(python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode()[:43])')"
data="$work/data"
"$bin" tenant add --data-dir "$data" --name load --time-zone Asia/Shanghai --currency CNY >/dev/null
key="$("$bin" apikey create --data-dir "$data" --tenant-id 1 --name load | sed -n 's/^key=//p')"
port="$(free_port)"
base="http://127.0.0.1:$port"

"$bin" wecom-sim --port 0 --corp-id "$corp" --contact-secret load-contact --agent-secret load-agent \
  --agent-id 1000002 --token "$token" --aes-key "$aes_key" --rate-limit 1000000 \
  --callback-url "$base/wecom/callback/1" >"$work/sim.out" 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
sim="$(sed -n 's/^wecom-sim listening on //p' "$work/sim.out" | head -1)"
[ -n "$sim" ] || { cat "$work/sim.log" >&2; exit 1; }

# WeCom's per-corp limits are per API and far above the default client budget; the simulator
# allows everything, so the client's limiter must not be the bottleneck being measured.
SIYU_HTTP_THREADS="${SIYU_HTTP_THREADS:-0}" SIYU_WECOM_INBOX_WORKERS="${SIYU_WECOM_INBOX_WORKERS:-4}" SIYU_WECOM_RATE_LIMIT_PER_SECOND=100000 "$bin" serve --data-dir "$data" --port "$port" --log-level warn \
  >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 300); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.1; done

api() { curl -sf -X "$1" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' "$base$2" ${3:+-d "$3"}; }
api PUT /api/v1/wecom/config "{\"corp_id\":\"$corp\",\"contact_secret\":\"load-contact\",\"agent_secret\":\"load-agent\",
  \"agent_id\":1000002,\"token\":\"$token\",\"encoding_aes_key\":\"$aes_key\",\"api_base_url\":\"$sim\"}" >/dev/null
curl -sf "$sim/sim/staff" -d '{"userid":"loader","name":"压测导购","department":[1]}' >/dev/null
api POST /api/v1/wecom/staff/sync >/dev/null
staff_id="$(api GET '/api/v1/wecom/staff?q=loader' | json 'd["data"][0]["id"]')"
code="$(api POST /api/v1/wecom/live-codes "{\"name\":\"压测活码\",\"channel\":\"poster\",\"staff_ids\":[$staff_id],
  \"assign_mode\":\"round_robin\",\"welcome\":{\"text\":\"欢迎\"}}")"
config_id="$(echo "$code" | json 'd["staff"][0]["config_id"] or ""')"
[ -n "$config_id" ] || { echo "live code has no contact way: $code" >&2; exit 1; }

note "$rate callbacks/s for ${seconds}s over $connections connections"
load="$(curl -sf "$sim/sim/load" -d "{\"rate\":$rate,\"seconds\":$seconds,\"connections\":$connections,
  \"userid\":\"loader\",\"config_id\":\"$config_id\",\"timeout_ms\":5000}")"
echo "$load" | json '"answered %d/%d, errors %d, non-2xx %d, within 1 s %d, achieved %.0f/s, latency ms p50 %.1f p95 %.1f p99 %.1f max %.1f" % (d["answered"], d["sent"], d["errors"], d["non_2xx"], d["within_1s"], d["achieved_rate"], d["latency_ms"]["p50"], d["latency_ms"]["p95"], d["latency_ms"]["p99"], d["latency_ms"]["max"])'
sent="$(echo "$load" | json 'd["sent"]')"

note "waiting for the inbox to process every callback"
started="$(date +%s.%N)"
while :; do
  stats="$(api GET /api/v1/wecom/inbox?limit=1)"
  pending="$(echo "$stats" | json 'd["pending"]')"
  [ "$pending" = 0 ] && break
  if awk -v a="$started" -v b="$(date +%s.%N)" -v l="$drain_limit" 'BEGIN { exit !(b - a > l) }'; then
    echo "still $pending pending after ${drain_limit}s" >&2; exit 1
  fi
  sleep 1
done
drained="$(date +%s.%N)"
echo "$stats" | json '"inbox: done %d, failed %d, duplicates %d" % (d["done"], d["failed"], d["duplicates"])'
awk -v a="$started" -v b="$drained" 'BEGIN { printf "processing finished %.1f s after the load ended\n", b - a }'

db="$data/siyu.db"
q() { sqlite3 "$db" "$1"; }
rows="$(q "SELECT count(*) FROM wecom_inbox")"
customers="$(q "SELECT count(DISTINCT value) FROM customer_identifiers WHERE type = 'wecom_external_userid'")"
owners="$(q "SELECT count(*) FROM customer_owners WHERE status = 'active'")"
events="$(q "SELECT count(*) FROM events WHERE name = 'WeCom Contact Added'")"
distinct="$(q "SELECT count(DISTINCT customer_id) FROM events WHERE name = 'WeCom Contact Added'")"
welcomes="$(curl -sf "$sim/sim/state?full=0" | json 'd.get("welcome_sent_count", len(d.get("welcome_sent", [])))')"
echo "callbacks $sent: inbox rows $rows, customers $customers, active owners $owners, Contact Added events $events ($distinct customers), welcome messages sent $welcomes"
ok=1
for n in "$rows" "$customers" "$owners" "$events" "$distinct"; do [ "$n" = "$sent" ] || ok=0; done
if [ "$ok" = 1 ]; then echo "all processed, none twice"; else echo "MISMATCH" >&2; exit 1; fi
