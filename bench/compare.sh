#!/usr/bin/env bash
# Our ingestion next to PostgreSQL's own single-row insert rate, in one run, on one durable PostgreSQL cluster.
#
#   ./bench/compare.sh                                   full run (about 15 minutes with the defaults)
#   COMPARE_SECONDS=3 COMPARE_WARMUP=1 COMPARE_ORGS=200 COMPARE_DAILY_ORGS=500 COMPARE_DISPATCH_ROWS=1000 ./bench/compare.sh
#                                                        smoke run (meant to stay under 2 minutes once built)
#
# Prints CSV on stdout under the header case,connections,ours_per_s,pgbench_tx_per_s,ratio,p50_ms,p99_ms; progress and
# the raw tool output go to stderr and to $COMPARE_LOG_DIR. See bench/README.md for what each line measures.
#
# Environment (defaults in brackets):
#   COMPARE_SECONDS [30]          length of each measured run (pgbench and ours alike)
#   COMPARE_WARMUP [10]           one unmeasured wrk run per case before the measured ones
#   COMPARE_CONNECTIONS ["4 16"]  connection counts, each run for every case
#   COMPARE_CASES ["single hot batch100 batch1000"]
#   COMPARE_ORGS [1000]           organizations registered beforehand for single and batch cases
#   COMPARE_DAILY_ORGS [100000]   organizations for the daily-reports line (0: skip it)
#   COMPARE_DISPATCH_ROWS [20000] backlog drained by dispatch_v1 and dispatch_v2 (0: skip them)
#   COMPARE_PORT [5090]           the billing host's port on 127.0.0.1
#   COMPARE_LOG_DIR [a temp dir]  raw outputs (kept)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${COMPARE_SECONDS:-30}"
warmup="${COMPARE_WARMUP:-10}"
connections="${COMPARE_CONNECTIONS:-4 16}"
cases="${COMPARE_CASES:-single hot batch100 batch1000}"
orgs="${COMPARE_ORGS:-1000}"
daily_orgs="${COMPARE_DAILY_ORGS:-100000}"
dispatch_rows="${COMPARE_DISPATCH_ROWS:-20000}"
port="${COMPARE_PORT:-5090}"
logs="${COMPARE_LOG_DIR:-$(mktemp -d /tmp/vaultai-compare-logs.XXXXXX)}"
mkdir -p "$logs"

say() { echo "==> $*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# ---- Tools (installed only when missing) ---------------------------------------------------------------------
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then missing+=(postgresql); fi
if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/pgbench" ]; then missing+=(postgresql-contrib); fi
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]} (Debian packages)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
bin="$(pg_bin)"

# ---- One PostgreSQL cluster, durable commits (fsync, synchronous_commit and full_page_writes left on) ------------
work="$(mktemp -d /tmp/vaultai-compare.XXXXXX)"
pg_user=postgres
run_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi; }
if [ "$(id -u)" -eq 0 ]; then chown "$pg_user" "$work"; fi
host_pid=""
cleanup() {
  status=$?
  if [ -n "$host_pid" ] && kill -0 "$host_pid" 2>/dev/null; then kill "$host_pid" 2>/dev/null || true; wait "$host_pid" 2>/dev/null || true; fi
  if [ -f "$work/data/postmaster.pid" ]; then run_pg "$bin/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pg_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
password="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)"
printf '%s\n' "$password" > "$work/pwfile"
if [ "$(id -u)" -eq 0 ]; then chown "$pg_user" "$work/pwfile"; fi
say "starting PostgreSQL ($("$bin/postgres" --version)) on 127.0.0.1:$pg_port, durable commits"
run_pg "$bin/initdb" -D "$work/data" -U vaultai --pwfile="$work/pwfile" --auth=scram-sha-256 -E UTF8 >/dev/null
rm -f "$work/pwfile"
run_pg "$bin/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $work -c max_connections=300 -c shared_buffers=256MB" start >/dev/null
export PGPASSWORD="$password"
export VAULTAI_BILLING_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=vaultai;Password=$password;Database=postgres;Pooling=true;Maximum Pool Size=64"
psql_() { "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U vaultai -v ON_ERROR_STOP=1 -qAt "$@"; }

# pgbench's table: a UUID key and a unique (org, key) index, as our ledger has.
psql_ -d postgres -c "CREATE DATABASE pgbench_compare"
psql_ -d pgbench_compare -c "CREATE TABLE reports (id uuid PRIMARY KEY, org integer NOT NULL, key text NOT NULL, quantity bigint NOT NULL, received_at timestamptz NOT NULL DEFAULT now()); CREATE UNIQUE INDEX reports_org_key ON reports (org, key);"
cat > "$work/insert.sql" <<'SQL'
\set org random(1, 10000)
INSERT INTO reports (id, org, key, quantity) VALUES (gen_random_uuid(), :org, md5(random()::text), 1) ON CONFLICT DO NOTHING;
SQL

# ---- The billing host, a separate process; organizations registered beforehand -----------------------------------
say "building bench/compare-host (Release)"
dotnet build "$root/bench/compare-host" -c Release -v quiet -nologo >"$logs/build.log" 2>&1 || { cat "$logs/build.log" >&2; exit 1; }
host_dll="$root/bench/compare-host/bin/Release/net10.0/compare-host.dll"
cd "$work"
say "starting the billing host on 127.0.0.1:$port ($orgs organizations + $daily_orgs for the daily line, registered first)"
# A 16 MiB gen0 budget: the host's peak RSS stays under 256 MiB (bench/README 4b); COMPARE_GEN0SIZE= for the runtime's default.
DOTNET_GCgen0size="${COMPARE_GEN0SIZE-0x1000000}" dotnet "$host_dll" serve --port "$port" --orgs "$orgs" --orgs-file "$work/orgs.txt" --daily-orgs "$daily_orgs" \
  --daily-file "$work/daily.txt" --ready-file "$work/ready" >"$logs/host.log" 2>&1 &
host_pid=$!
for _ in $(seq 1 1200); do
  [ -f "$work/ready" ] && break
  kill -0 "$host_pid" 2>/dev/null || { cat "$logs/host.log" >&2; say "the billing host exited"; exit 1; }
  sleep 0.5
done
[ -f "$work/ready" ] || { say "the billing host did not start within 10 minutes"; exit 1; }
head -n 1 "$work/orgs.txt" > "$work/hot.txt"
base="http://127.0.0.1:$port"

pgbench_tps() { # connections
  local c="$1" threads=$(( $1 < 2 ? 1 : 2 ))
  "$bin/pgbench" -h 127.0.0.1 -p "$pg_port" -U vaultai -n -c "$c" -j "$threads" -T "$seconds" -f "$work/insert.sql" pgbench_compare \
    >"$logs/pgbench-$c-$2.log" 2>&1
  sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$logs/pgbench-$c-$2.log" | head -n 1
}

wrk_case() { # case connections duration -> the WRK line
  local case="$1" c="$2" d="$3" script file batch=1
  case "$case" in
    single) script=usage-report.lua; file="$work/orgs.txt" ;;
    hot) script=usage-report.lua; file="$work/hot.txt" ;;
    batch100) script=usage-events.lua; file="$work/orgs.txt"; batch=100 ;;
    batch1000) script=usage-events.lua; file="$work/orgs.txt"; batch=1000 ;;
    *) say "unknown case $case"; exit 2 ;;
  esac
  VAULTAI_ORGS_FILE="$file" VAULTAI_BATCH="$batch" VAULTAI_RUN="$case-$c-$RANDOM$RANDOM" \
    wrk -t2 -c"$c" -d"${d}s" --timeout 10s -s "$root/bench/wrk/$script" "$base" >"$logs/wrk-$case-$c-$d.log" 2>&1
  grep '^WRK,' "$logs/wrk-$case-$c-$d.log" | tail -n 1
}

events_per_request() { case "$1" in batch100) echo 100 ;; batch1000) echo 1000 ;; *) echo 1 ;; esac; }

echo "case,connections,ours_per_s,pgbench_tx_per_s,ratio,p50_ms,p99_ms"
for c in $connections; do
  for case in $cases; do
    if [ "$warmup" -gt 0 ]; then wrk_case "$case" "$c" "$warmup" >/dev/null; fi
    # Interleaved: PostgreSQL's ceiling, then ours, on the same cluster, one after the other.
    tps="$(pgbench_tps "$c" "$case")"
    line="$(wrk_case "$case" "$c" "$seconds")"
    IFS=, read -r _ requests failed duration p50 p99 <<<"$line"
    python3 - "$case" "$c" "$requests" "$failed" "$duration" "$p50" "$p99" "$tps" "$(events_per_request "$case")" <<'PY'
import sys
case, c, requests, failed, duration, p50, p99, tps, per = sys.argv[1:]
ok = max(0, int(requests) - int(failed))
ours = ok * int(per) / float(duration)
tps = float(tps or 0)
print(f"{case},{c},{ours:.0f},{tps:.0f},{(ours / tps if tps else 0):.3f},{float(p50):.2f},{float(p99):.2f}")
if int(failed):
    print(f"# {case} at {c} connections: {failed} of {requests} requests failed (not counted)", file=sys.stderr)
PY
  done
done

# ---- 100,000 organizations' daily reports (registered beforehand), one report each, 16 connections ---------------
if [ "$daily_orgs" -gt 0 ]; then
  absorb="$(dotnet "$host_dll" absorb --base "$base" --orgs-file "$work/daily.txt" --concurrency 16 2>>"$logs/absorb.log" | grep '^ABSORB,' || true)"
  IFS=, read -r _ n secs per p50 p99 errors <<<"$absorb"
  echo "daily_reports_$n,16,$per,,,$p50,$p99"
  echo "# daily: $n organizations' reports absorbed in $secs s ($errors errors)" >&2
fi

rss_kib="$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$host_pid/status")"
kill "$host_pid" 2>/dev/null || true
wait "$host_pid" 2>/dev/null || true
host_pid=""

# ---- Dispatch: our dispatcher draining a backlog into an emulator enforcing Stripe's limits, next to the emulator's own rate.
if [ "$dispatch_rows" -gt 0 ]; then
  for transport in v1 v2; do
    out="$(dotnet "$host_dll" dispatch --transport "$transport" --rows "$dispatch_rows" --concurrency 8 2>>"$logs/dispatch.log" | grep '^DISPATCH,' || true)"
    IFS=, read -r _ t ours raw sent counted limited <<<"$out"
    python3 -c "import sys; o,r=float(sys.argv[2] or 0),float(sys.argv[3] or 0); print(f'dispatch_{sys.argv[1]},8,{o:.0f},{r:.0f},{(o/r if r else 0):.3f},,')" "$transport" "$ours" "$raw"
    echo "# dispatch_$transport: $sent rows sent, $counted counted by the emulator, $limited answered 429" >&2
  done
fi

echo "peak_rss_mib,,$(( ${rss_kib:-0} / 1024 )),,,,"
say "raw outputs in $logs"
