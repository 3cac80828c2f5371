#!/usr/bin/env bash
# Load test of the production server, on loopback only, bounded in time.
#
#   bench/load.sh            # 20 s at 64 connections, then 10 s of 1 MiB bodies
#   DURATION=60 CONNECTIONS=128 bench/load.sh
#
# 1. Starts `.venv/bin/gunicorn -c gunicorn.conf.py app:app` on 127.0.0.1 and a
#    free port, rate limiting off (the run is one client hammering on purpose).
# 2. Drives POST /api/v1/diagnose with wrk and a realistic error body (a KB
#    example with an access key id in it, so redaction runs too): requests/s,
#    p50/p99 latency, non-2xx responses and socket errors, which must be zero.
# 3. Sends 1 MiB bodies: every one must be refused with 413, and the server's
#    RSS (master + workers, /proc/<pid>/status) must not grow beyond a small
#    margin -- the body is refused on its Content-Length, never buffered.
# 4. Stops the server. Figures are printed and kept in bench/results/.
#
# Exit status: 0 when every check holds, 1 otherwise, 2 when it cannot run.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20}
BIG_DURATION=${BIG_DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
[ "$THREADS" -le "$CONNECTIONS" ] || THREADS=$CONNECTIONS  # wrk wants a connection per thread
# The 1 MiB run may grow RSS by at most this much, summed over all processes:
# allocator noise and a few more connection buffers, nothing like 1 MiB x requests.
RSS_MARGIN_KB=${RSS_MARGIN_KB:-16384}
BIG_BYTES=$((1024 * 1024))

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "wrk not found: installing the Debian package" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; }
  fi
fi
if ! command -v wrk >/dev/null 2>&1; then
  echo "bench/load.sh needs wrk (https://github.com/wg/wrk): 'sudo apt-get install wrk' on Debian/Ubuntu," >&2
  echo "'brew install wrk' on macOS; run this script again as root to have it install wrk itself." >&2
  exit 2
fi
[ -x .venv/bin/gunicorn ] || { echo "no .venv/bin/gunicorn: run scripts/setup first" >&2; exit 2; }

OUT=bench/results
mkdir -p "$OUT"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
WORK=$(mktemp -d)
SERVER_PID=

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap stop_server EXIT INT TERM

PORT=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"

# the request body: a real error from the KB, with a key id that redaction masks
.venv/bin/python - "$WORK/body.json" <<'PY'
import json, sys
text = """\u2577
\u2502 Error: error configuring Terraform AWS Provider: error validating provider credentials: error calling sts:GetCallerIdentity: operation error STS: GetCallerIdentity, https response error StatusCode: 403, RequestID: 1c2d3e4f-5a6b-7c8d-9e0f-a1b2c3d4e5f6, api error InvalidClientTokenId: The security token included in the request is invalid.
\u2502
\u2502   with provider["registry.terraform.io/hashicorp/aws"],
\u2502   on providers.tf line 10, in provider "aws":
\u2502   10: provider "aws" {
\u2502
\u2575
export AWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE
"""
json.dump({"error": text, "hints": {"runner": "github-actions"}}, open(sys.argv[1], "w"))
PY

RATELIMIT_ENABLED=0 GUNICORN_BIND="127.0.0.1:$PORT" \
  .venv/bin/gunicorn -c gunicorn.conf.py app:app >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

for _ in $(seq 1 100); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "the server died on start:" >&2; tail -20 "$WORK/server.log" >&2; exit 2; }
  sleep 0.1
done
curl -fsS "$BASE/healthz" >/dev/null || { echo "no /healthz after 10 s" >&2; exit 2; }
# the first worker answers /healthz while the others still load the KB: wait for them
WORKERS=0
for _ in $(seq 1 50); do
  n=$(pgrep -P "$SERVER_PID" | wc -l)
  [ "$n" -gt "$WORKERS" ] && WORKERS=$n || { [ "$WORKERS" -gt 0 ] && break; }
  sleep 0.2
done

rss_kb() {  # master + workers, from /proc/<pid>/status
  local total=0 pid kb
  for pid in "$SERVER_PID" $(pgrep -P "$SERVER_PID"); do
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  echo "$total"
}

field() { sed -n "s/^$1=//p" "$2" | tail -1; }

# a correct answer first: the run measures diagnoses, not error pages
code=$(curl -s -o "$WORK/one.json" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$WORK/body.json" "$BASE/api/v1/diagnose")
[ "$code" = 200 ] && grep -q '"InvalidClientTokenId"' "$WORK/one.json" || { echo "sanity request answered $code" >&2; exit 1; }

echo "== run 1: ${DURATION}s, $CONNECTIONS connections, $THREADS wrk threads, $(wc -c <"$WORK/body.json") B realistic body, $WORKERS workers"
BODY_FILE="$WORK/body.json" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s \
  -s bench/wrk.lua "$BASE/api/v1/diagnose" >"$WORK/run1.txt" 2>&1
cat "$WORK/run1.txt"

RSS_BEFORE=$(rss_kb)
echo "== run 2: ${BIG_DURATION}s of 1 MiB bodies ($CONNECTIONS connections); RSS before: $RSS_BEFORE kB"
BODY_BYTES=$BIG_BYTES wrk -t"$THREADS" -c"$CONNECTIONS" -d"${BIG_DURATION}s" --timeout 5s \
  -s bench/wrk.lua "$BASE/api/v1/diagnose" >"$WORK/run2.txt" 2>&1
cat "$WORK/run2.txt"
RSS_AFTER=$(rss_kb)
one_big=$(head -c $((BIG_BYTES - 13)) /dev/zero | tr '\0' x | sed 's/^/{"error": "/; s/$/"}/' \
  | curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @- "$BASE/api/v1/diagnose")
grep -E "Traceback|\[ERROR\]|\[CRITICAL\]|WORKER TIMEOUT" "$WORK/server.log" >"$WORK/server_errors.txt" || true

R1_REQ=$(field requests "$WORK/run1.txt"); R1_RPS=$(field rps "$WORK/run1.txt")
R1_P50=$(field p50_ms "$WORK/run1.txt"); R1_P90=$(field p90_ms "$WORK/run1.txt"); R1_P99=$(field p99_ms "$WORK/run1.txt")
R1_MAX=$(field max_ms "$WORK/run1.txt")
R1_NON2XX=$(field non2xx "$WORK/run1.txt"); R1_SOCK=$(field socket_errors "$WORK/run1.txt")
R2_REQ=$(field requests "$WORK/run2.txt"); R2_RPS=$(field rps "$WORK/run2.txt")
R2_P50=$(field p50_ms "$WORK/run2.txt"); R2_P99=$(field p99_ms "$WORK/run2.txt")
R2_STATUSES=$(field statuses "$WORK/run2.txt"); R2_SOCK=$(field socket_errors_detail "$WORK/run2.txt")
R2_413=$(echo "$R2_STATUSES" | tr ',' '\n' | sed -n 's/^413://p'); R2_413=${R2_413:-0}
R2_OTHER=$(echo "$R2_STATUSES" | tr ',' '\n' | grep -v '^413:' | grep -c . || true)
RSS_GROWTH=$((RSS_AFTER - RSS_BEFORE))
SERVER_ERRORS=$(wc -l <"$WORK/server_errors.txt" 2>/dev/null || echo 0)

ok=1
check() { if eval "$1"; then echo "  ok   $2"; else echo "  FAIL $2"; ok=0; fi; }
echo "== checks"
check '[ "${R1_REQ:-0}" -gt 0 ]' "run 1 answered requests ($R1_REQ)"
check '[ "$R1_NON2XX" = 0 ]' "run 1: no non-2xx responses ($R1_NON2XX)"
check '[ "$R1_SOCK" = 0 ]' "run 1: no socket errors ($R1_SOCK)"
check '[ "$R2_413" -gt 0 ] && [ "$R2_OTHER" = 0 ]' "run 2: every 1 MiB body answered 413 ($R2_STATUSES)"
check '[ "$one_big" = 413 ]' "a single 1 MiB body after the run: $one_big"
check '[ "$RSS_GROWTH" -le "$RSS_MARGIN_KB" ]' "run 2: RSS grew $RSS_GROWTH kB (limit $RSS_MARGIN_KB kB; $RSS_BEFORE -> $RSS_AFTER kB)"
check '[ "$SERVER_ERRORS" = 0 ]' "server log: no tracebacks, errors or worker timeouts ($SERVER_ERRORS)"

SUMMARY="$OUT/load-$STAMP.txt"
{
  echo "date: $STAMP"
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
  echo "server: gunicorn -c gunicorn.conf.py ($WORKERS workers, gthread), rate limiting off; wrk $THREADS threads on the same machine"
  echo "run 1: ${DURATION}s, $CONNECTIONS conns, realistic body: $R1_REQ requests, $R1_RPS req/s, p50 $R1_P50 ms, p90 $R1_P90 ms, p99 $R1_P99 ms, max $R1_MAX ms, non-2xx $R1_NON2XX, socket errors $R1_SOCK"
  echo "run 2: ${BIG_DURATION}s, $CONNECTIONS conns, 1 MiB bodies: $R2_REQ requests ($R2_RPS req/s), statuses $R2_STATUSES, p50 $R2_P50 ms, p99 $R2_P99 ms, socket errors $R2_SOCK"
  echo "rss: $RSS_BEFORE kB before run 2, $RSS_AFTER kB after ($RSS_GROWTH kB)"
  echo "result: $([ $ok = 1 ] && echo pass || echo FAIL)"
} | tee "$SUMMARY"
[ -s "$WORK/server_errors.txt" ] && { echo "server errors:"; head -20 "$WORK/server_errors.txt"; }
[ $ok = 1 ] || exit 1
