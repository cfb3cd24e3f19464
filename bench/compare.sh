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
#   COMPARE_CASES ["single hot batch100 batch1000"]  (set and empty: none, e.g. the daily line alone)
#   COMPARE_ORGS [1000]           organizations registered beforehand for single and batch cases
#   COMPARE_DAILY_ORGS [100000]   organizations for the daily-reports line (0: skip it)
#   COMPARE_DISPATCH_ROWS [20000] backlog drained by dispatch_v1 and dispatch_v2 (0: skip them)
#   COMPARE_PORT [5090]           the billing host's port on 127.0.0.1
#   COMPARE_LOG_DIR [a temp dir]  raw outputs (kept)
#   COMPARE_FLOOR [1]             also run the floor host (serve --floor 1) for the single case: line floor_single
#   COMPARE_HOST_ARGS [""]        extra arguments of every serve (ours and the floor), e.g. "--max-pool 8" (see compare-host)
#   COMPARE_VARIANT_ARGS [""]     when set, a third host (ours with these extra arguments) is measured after ours in
#                                 every case: lines variant_<case>
#   COMPARE_PG_SETTINGS [""]      extra server settings for the one cluster, e.g. "-c commit_delay=100 -c commit_siblings=5"
#                                 (pgbench and ours alike)
#   COMPARE_WRK_THREADS [2]       wrk's threads
#
# Besides the CSV lines of the issue, every case prints pgbench_<case> (pgbench's own per-transaction latency in the same
# run, from its --log) and the optional floor_single / variant_<case> lines, in the same columns (bench/README section 4).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${COMPARE_SECONDS:-30}"
warmup="${COMPARE_WARMUP:-10}"
connections="${COMPARE_CONNECTIONS:-4 16}"
cases="${COMPARE_CASES-single hot batch100 batch1000}"  # COMPARE_CASES= (empty): no case, e.g. the daily line alone
orgs="${COMPARE_ORGS:-1000}"
daily_orgs="${COMPARE_DAILY_ORGS:-100000}"
dispatch_rows="${COMPARE_DISPATCH_ROWS:-20000}"
port="${COMPARE_PORT:-5090}"
logs="${COMPARE_LOG_DIR:-$(mktemp -d /tmp/vaultai-compare-logs.XXXXXX)}"
mkdir -p "$logs"

say() { echo "==> $*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
# The host's resident set now and its high-water mark so far, in MiB, so the peak can be put down to a case.
rss_note() { # label
  echo "# rss after $1: $(awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { printf "%d MiB now, peak so far %d MiB", r / 1024, h / 1024 }' "/proc/$host_pid/status")" >&2
}

# ---- Tools (installed only when missing) ---------------------------------------------------------------------
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then missing+=(postgresql); fi
if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/pgbench" ]; then missing+=(postgresql-contrib); fi
command -v python3 >/dev/null 2>&1 || missing+=(python3)
[ -x /usr/bin/time ] || missing+=(time)
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
floor_pid=""
variant_pid=""
cleanup() {
  status=$?
  for pid in "$host_pid" "$floor_pid" "$variant_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  done
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
say "starting PostgreSQL ($("$bin/postgres" --version)) on 127.0.0.1:$pg_port, durable commits ${COMPARE_PG_SETTINGS:-}"
run_pg "$bin/initdb" -D "$work/data" -U vaultai --pwfile="$work/pwfile" --auth=scram-sha-256 -E UTF8 >/dev/null
rm -f "$work/pwfile"
run_pg "$bin/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $work -c max_connections=300 -c shared_buffers=256MB ${COMPARE_PG_SETTINGS:-}" start >/dev/null
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
start_host() { # name port daily-orgs extra-arguments... -> sets started_pid; files $work/<name>-orgs.txt, $logs/<name>.log
  local name="$1" p="$2" daily="$3"
  shift 3
  say "starting the billing host '$name' on 127.0.0.1:$p ($orgs organizations + $daily for the daily line, registered first) $*"
  # A 16 MiB gen0 budget: the host's peak RSS stays under 256 MiB (bench/README 4b); COMPARE_GEN0SIZE= for the runtime's default.
  # shellcheck disable=SC2086 # COMPARE_HOST_ARGS is a list of arguments
  DOTNET_GCgen0size="${COMPARE_GEN0SIZE-0x1000000}" dotnet "$host_dll" serve --port "$p" --orgs "$orgs" --orgs-file "$work/$name-orgs.txt" \
    --daily-orgs "$daily" --daily-file "$work/$name-daily.txt" --ready-file "$work/$name-ready" ${COMPARE_HOST_ARGS:-} "$@" >"$logs/$name.log" 2>&1 &
  started_pid=$!
  for _ in $(seq 1 1200); do
    [ -f "$work/$name-ready" ] && break
    kill -0 "$started_pid" 2>/dev/null || { cat "$logs/$name.log" >&2; say "the billing host '$name' exited"; exit 1; }
    sleep 0.5
  done
  [ -f "$work/$name-ready" ] || { say "the billing host '$name' did not start within 10 minutes"; exit 1; }
}
start_host host "$port" "$daily_orgs"
host_pid=$started_pid
rss_note "registration"
cp "$work/host-orgs.txt" "$work/orgs.txt"
base="http://127.0.0.1:$port"
# The floor (only the irreducible work of a warm report, same process shape) and a variant of ours, each on its own
# database of the same cluster, idle while the others are measured.
floor_pid=""
variant_pid=""
if [ "${COMPARE_FLOOR:-1}" = 1 ] && [[ " $cases " == *" single "* ]]; then
  start_host floor "$((port + 1))" 0 --floor 1
  floor_pid=$started_pid
fi
if [ -n "${COMPARE_VARIANT_ARGS:-}" ]; then
  # shellcheck disable=SC2086
  start_host variant "$((port + 2))" 0 $COMPARE_VARIANT_ARGS
  variant_pid=$started_pid
fi

# CPU accounting of a measured run, from /proc (Linux): "<pid's ticks> <PostgreSQL's ticks> <machine busy ticks> <machine ticks>
# <pid's run-queue wait, ns> <PostgreSQL's live processes' run-queue wait, ns> <CPU pressure 'some' total, us>".
# PostgreSQL's ticks are the postmaster's own, its reaped children's (pgbench's backends exit when it disconnects) and its
# live children's. Ticks are USER_HZ (100 a second). Run-queue wait (/proc/<pid>/task/*/schedstat, second field): time a
# thread was ready to run but waited for a core; CPU pressure: time at least one task of the machine waited for a core.
cpu_snapshot() { # pid (0: none)
  python3 - "$1" "$(head -n 1 "$work/data/postmaster.pid")" <<'PY'
import os, sys
def stat(pid):
    try:
        text = open(f"/proc/{pid}/stat").read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()
def own(fields):
    return int(fields[11]) + int(fields[12]) if fields else 0
def waited(pid):
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                total += int(open(f"/proc/{pid}/task/{task}/schedstat").read().split()[1])
            except (OSError, IndexError):
                pass
    except OSError:
        pass
    return total
pid, postmaster = sys.argv[1], sys.argv[2]
master = stat(postmaster)
pg = own(master) + (int(master[13]) + int(master[14]) if master else 0)
pg_wait = 0
for entry in os.listdir("/proc"):
    if entry.isdigit() and (fields := stat(entry)) and fields[1] == postmaster:
        pg += own(fields)
        pg_wait += waited(entry)
cpu = [int(v) for v in open("/proc/stat").readline().split()[1:9]]
try:
    pressure = int(open("/proc/pressure/cpu").readline().rsplit("total=", 1)[1])
except (OSError, IndexError, ValueError):
    pressure = 0
print(own(stat(pid)) if pid != "0" else 0, pg, sum(cpu) - cpu[3] - cpu[4], sum(cpu), waited(pid) if pid != "0" else 0, pg_wait, pressure)
PY
}

cpu_note() { # label count before after client-seconds -> one stderr line: where the machine's CPU went during the run
  python3 - "$@" <<'PY' >&2
import os, sys
label, count, before, after, client = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4].split(), float(sys.argv[5] or 0)
host, pg, busy, total, host_wait, pg_wait, pressure = (int(a) - int(b) for a, b in zip(after, before))
cores = total / 100
host_s, pg_s, busy_s = host / 100, pg / 100, busy / 100
other = max(0.0, busy_s - host_s - pg_s - client)
elapsed = total / 100 / (os.cpu_count() or 1)
per = lambda s: f"{s * 1e6 / count:.0f}" if count else "-"
print(f"# cpu {label}: {cores:.1f} core-seconds elapsed, {busy_s:.1f} busy ({100 * busy / total if total else 0:.0f} %), "
      f"some task waiting for a core {100 * pressure / 1e6 / elapsed if elapsed else 0:.0f} % of the time: "
      f"load generator {client:.1f} s, host {host_s:.1f} s, PostgreSQL {pg_s:.1f} s, everything else {other:.1f} s; "
      f"per request: host {per(host_s)} us, PostgreSQL {per(pg_s)} us, load generator {per(client)} us"
      # Run-queue wait is read from live threads only: pgbench's backends exit before the second reading, so not for pgbench.
      + (f"; waiting for a core per request: host threads {per(host_wait / 1e9)} us, PostgreSQL's backends {per(max(0, pg_wait) / 1e9)} us"
         if not label.startswith("pgbench") else ""))
PY
}

pgbench_run() { # connections case -> "<tps> <p50 ms> <p99 ms>": pgbench's rate and its own per-transaction latency
  local c="$1" threads=$(( $1 < 2 ? 1 : 2 )) prefix="$work/pglat-$1-$2"
  rm -f "$prefix".*
  # --log writes one line per transaction ("client tx latency_us script epoch epoch_us"), one file per pgbench thread.
  local before
  before="$(cpu_snapshot 0)"
  /usr/bin/time -f '%U %S' -o "$work/pgbench.time" "$bin/pgbench" -h 127.0.0.1 -p "$pg_port" -U vaultai -n -c "$c" -j "$threads" -T "$seconds" -f "$work/insert.sql" \
    --log --log-prefix="$prefix" pgbench_compare >"$logs/pgbench-$c-$2.log" 2>&1
  local tps
  tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$logs/pgbench-$c-$2.log" | head -n 1)"
  cpu_note "pgbench_$2 at $c connections" "$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$logs/pgbench-$c-$2.log")" \
    "$before" "$(cpu_snapshot 0)" "$(awk '{print $1 + $2}' "$work/pgbench.time")"
  python3 - "$tps" "$prefix".* <<'PY'
import sys
latencies = sorted(int(line.split()[2]) for name in sys.argv[2:] for line in open(name) if line.strip())
def percentile(p):
    return latencies[min(len(latencies) - 1, max(0, -(-p * len(latencies) // 100) - 1))] / 1000 if latencies else 0.0
print(sys.argv[1] or 0, f"{percentile(50):.2f}", f"{percentile(99):.2f}")
PY
  rm -f "$prefix".*
}

wrk_case() { # case connections duration [base url] [orgs file] -> the WRK line
  local case="$1" c="$2" d="$3" url="${4:-$base}" orgs_file="${5:-$work/orgs.txt}" script file batch=1
  case "$case" in
    single) script=usage-report.lua; file="$orgs_file" ;;
    hot) script=usage-report.lua; file="$work/hot-$c.txt"; head -n 1 "$orgs_file" > "$file" ;;
    batch100) script=usage-events.lua; file="$orgs_file"; batch=100 ;;
    batch1000) script=usage-events.lua; file="$orgs_file"; batch=1000 ;;
    *) say "unknown case $case"; exit 2 ;;
  esac
  local pid=0 label="$case" before
  case "${url##*:}" in
    "$port") pid="$host_pid" ;;
    "$((port + 1))") pid="$floor_pid"; label="floor_$case" ;;
    "$((port + 2))") pid="$variant_pid"; label="variant_$case" ;;
  esac
  before="$(cpu_snapshot "$pid")"
  VAULTAI_ORGS_FILE="$file" VAULTAI_BATCH="$batch" VAULTAI_RUN="$case-$c-$RANDOM$RANDOM" \
    /usr/bin/time -f '%U %S' -o "$work/wrk.time" wrk -t"${COMPARE_WRK_THREADS:-2}" -c"$c" -d"${d}s" --timeout 10s -s "$root/bench/wrk/$script" "$url" >"$logs/wrk-$case-$c-$d-${url##*:}.log" 2>&1
  local line
  line="$(grep '^WRK,' "$logs/wrk-$case-$c-$d-${url##*:}.log" | tail -n 1)"
  if [ "$d" = "$seconds" ]; then
    cpu_note "$label at $c connections" "$(cut -d, -f2 <<<"$line")" "$before" "$(cpu_snapshot "$pid")" "$(awk '{print $1 + $2}' "$work/wrk.time")"
  fi
  echo "$line"
}

events_per_request() { case "$1" in batch100) echo 100 ;; batch1000) echo 1000 ;; *) echo 1 ;; esac; }

csv_line() { # label case connections pgbench-tps WRK-line
  local label="$1" case="$2" c="$3" tps="$4" requests failed duration p50 p99
  IFS=, read -r _ requests failed duration p50 p99 <<<"$5"
  python3 - "$label" "$c" "$requests" "$failed" "$duration" "$p50" "$p99" "$tps" "$(events_per_request "$case")" <<'PY'
import sys
case, c, requests, failed, duration, p50, p99, tps, per = sys.argv[1:]
ok = max(0, int(requests) - int(failed))
ours = ok * int(per) / float(duration)
tps = float(tps or 0)
print(f"{case},{c},{ours:.0f},{tps:.0f},{(ours / tps if tps else 0):.3f},{float(p50):.2f},{float(p99):.2f}")
if int(failed):
    print(f"# {case} at {c} connections: {failed} of {requests} requests failed (not counted)", file=sys.stderr)
PY
}

loadavg() { cut -d' ' -f1 /proc/loadavg; }

echo "case,connections,ours_per_s,pgbench_tx_per_s,ratio,p50_ms,p99_ms"
for c in $connections; do
  for case in $cases; do
    if [ "$warmup" -gt 0 ]; then wrk_case "$case" "$c" "$warmup" >/dev/null; fi
    # Interleaved: PostgreSQL's ceiling, then ours, on the same cluster, one after the other.
    load_before="$(loadavg)"
    read -r tps pg_p50 pg_p99 <<<"$(pgbench_run "$c" "$case")"
    csv_line "$case" "$case" "$c" "$tps" "$(wrk_case "$case" "$c" "$seconds")"
    # pgbench's own latency per transaction in the same run: the database's tail next to ours.
    echo "pgbench_$case,$c,,$(printf '%.0f' "$tps"),,$pg_p50,$pg_p99"
    if [ -n "$variant_pid" ]; then
      if [ "$warmup" -gt 0 ]; then wrk_case "$case" "$c" "$warmup" "http://127.0.0.1:$((port + 2))" "$work/variant-orgs.txt" >/dev/null; fi
      csv_line "variant_$case" "$case" "$c" "$tps" "$(wrk_case "$case" "$c" "$seconds" "http://127.0.0.1:$((port + 2))" "$work/variant-orgs.txt")"
    fi
    if [ -n "$floor_pid" ] && [ "$case" = single ]; then
      if [ "$warmup" -gt 0 ]; then wrk_case "$case" "$c" "$warmup" "http://127.0.0.1:$((port + 1))" "$work/floor-orgs.txt" >/dev/null; fi
      csv_line "floor_$case" "$case" "$c" "$tps" "$(wrk_case "$case" "$c" "$seconds" "http://127.0.0.1:$((port + 1))" "$work/floor-orgs.txt")"
    fi
    echo "# $case at $c connections: load average $load_before before pgbench, $(loadavg) after the last wrk" >&2
    rss_note "$case at $c connections"
  done
done
for pid in "$floor_pid" "$variant_pid"; do
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
done
floor_pid=""
variant_pid=""

# ---- 100,000 organizations' daily reports (registered beforehand), one report each, 16 connections ---------------
if [ "$daily_orgs" -gt 0 ]; then
  absorb="$(dotnet "$host_dll" absorb --base "$base" --orgs-file "$work/host-daily.txt" --concurrency 16 2>>"$logs/absorb.log" | grep '^ABSORB,' || true)"
  IFS=, read -r _ n secs per p50 p99 errors <<<"$absorb"
  echo "daily_reports_$n,16,$per,,,$p50,$p99"
  echo "# daily: $n organizations' reports absorbed in $secs s ($errors errors)" >&2
  rss_note "the daily line"
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
