#!/usr/bin/env bash
# CPU time the billing host spends per usage report, read from /proc (utime + stime of the host process) before and after
# a bounded load. On a shared machine throughput is noise; CPU time per request is much steadier.
#
#   scripts/with-postgres.sh bench/cpu-per-report.sh          (a throwaway cluster; durability does not change host CPU)
#
# Environment (defaults in brackets):
#   CPU_ORGS [1000]        organizations for the warm passes (each reports CPU_ROUNDS times, distinct keys)
#   CPU_ROUNDS [10]        reports per organization in the warm pass
#   CPU_DAILY [20000]      organizations reporting once, their first report ever (the daily, cold path)
#   CPU_CONCURRENCY [16]   concurrent requests of the load generator
#   CPU_PORT [5091]        the host's port on 127.0.0.1
#   CPU_GEN0SIZE [0x1000000] the host's gen0 budget (DOTNET_GCgen0size, bytes in hex; empty: the runtime's default,
#                          which with workstation non-concurrent GC grows well past 16 MiB; see bench/README 4b)
#   CPU_FLOOR [0]          1: serve the floor instead of our pipeline (compare-host serve --floor 1: Kestrel, the JSON body,
#                          SHA-256 of the token, the report statement, the answer); runs the warm pass only (no cold pass)
#   CPU_WRK [0]            1: then a warm pass driven by wrk instead (-t2, CPU_CONCURRENCY connections, CPU_WRK_SECONDS [5] s,
#                          bench/wrk/usage-report.lua over the warm organizations, 90 % new keys), to compare the two load
#                          generators: their own CPU per request and the rate each gets from the same host
#   CPU_TRACE [unset]      a dotnet-trace executable: samples the host's threads during the cold and warm passes into
#                          $CPU_TRACE_DIR (default /tmp); the CPU figures of a traced run include the tracing's own cost
# Prints one line per pass: pass,reports,host_cpu_us_per_report,errors,client_cpu_us_per_report,postgres_cpu_us_per_report,
# reports_per_s (the load generator's own CPU, PostgreSQL's: its live processes, read from /proc the same way, and the
# rate of the pass); then the host's own CPU per second over 5 s with nothing sent (timers, background services, the
# in-process emulator), and its peak RSS.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${VAULTAI_BILLING_TEST_POSTGRES:?run under scripts/with-postgres.sh}"
orgs="${CPU_ORGS:-1000}"
rounds="${CPU_ROUNDS:-10}"
floor="${CPU_FLOOR:-0}"
daily="${CPU_DAILY:-20000}"
[ "$floor" = 1 ] && daily=0
concurrency="${CPU_CONCURRENCY:-16}"
port="${CPU_PORT:-5091}"
work="$(mktemp -d /tmp/vaultai-cpu.XXXXXX)"
host_pid=""
cleanup() {
  if [ -n "$host_pid" ] && kill -0 "$host_pid" 2>/dev/null; then kill "$host_pid" 2>/dev/null || true; wait "$host_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build "$root/bench/compare-host" -c Release -v quiet -nologo >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
dll="$root/bench/compare-host/bin/Release/net10.0/compare-host.dll"
gen0size="${CPU_GEN0SIZE-0x1000000}"
if [ -n "$gen0size" ]; then export DOTNET_GCgen0size="$gen0size"; fi
dotnet "$dll" serve --port "$port" --orgs "$orgs" --orgs-file "$work/orgs.txt" --daily-orgs "$daily" \
  --daily-file "$work/daily.txt" --ready-file "$work/ready" --floor "$floor" >"$work/host.log" 2>&1 &
host_pid=$!
unset DOTNET_GCgen0size
for _ in $(seq 1 1200); do
  [ -f "$work/ready" ] && break
  kill -0 "$host_pid" 2>/dev/null || { cat "$work/host.log" >&2; exit 1; }
  sleep 0.5
done
[ -f "$work/ready" ] || { echo "the host did not start" >&2; exit 1; }

tick="$(getconf CLK_TCK)"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$host_pid/stat"; }
pass() { # name file rounds
  local before after out n errors client postgres
  before="$(cpu_ticks)"
  out="$(dotnet "$dll" absorb --base "http://127.0.0.1:$port" --orgs-file "$2" --rounds "$3" --key-prefix "$1" --concurrency "$concurrency" \
    --database "$VAULTAI_BILLING_TEST_POSTGRES" 2>>"$work/absorb.log" | grep '^ABSORB' || true)"
  after="$(cpu_ticks)"
  IFS=, read -r _ n _ rate _ _ errors <<<"$(grep '^ABSORB,' <<<"$out" || true)"
  IFS=, read -r _ _ client postgres <<<"$(grep '^ABSORB_CPU,' <<<"$out" || true)"
  echo "$1,$n,$(( (after - before) * 1000000 / tick / n )),$errors,$client,$postgres,$rate"
}

wrk_pass() { # name: a warm pass driven by wrk for CPU_WRK_SECONDS
  local before after out n failed seconds user sys
  before="$(cpu_ticks)"
  out="$(VAULTAI_ORGS_FILE="$work/orgs.txt" VAULTAI_RUN="$1-$$" /usr/bin/time -f 'WRKCPU,%U,%S' wrk -t2 -c"$concurrency" \
    -d"${CPU_WRK_SECONDS:-5}s" -s "$root/bench/wrk/usage-report.lua" "http://127.0.0.1:$port" 2>&1 | grep -E '^(WRK|WRKCPU),' || true)"
  after="$(cpu_ticks)"
  IFS=, read -r _ n failed seconds _ _ <<<"$(grep '^WRK,' <<<"$out" || true)"
  IFS=, read -r _ user sys <<<"$(grep '^WRKCPU,' <<<"$out" || true)"
  echo "$1,$n,$(( (after - before) * 1000000 / tick / n )),$failed,$(awk -v u="$user" -v s="$sys" -v n="$n" -v t="$seconds" \
    'BEGIN { printf "%d,,%d", (u + s) * 1e6 / n, n / t }')"
}

traced() { # name, then the pass's arguments
  if [ -z "${CPU_TRACE:-}" ]; then pass "$@"; return; fi
  "$CPU_TRACE" collect -p "$host_pid" --profile dotnet-sampled-thread-time -o "${CPU_TRACE_DIR:-/tmp}/cpu-$1.nettrace" >"$work/trace-$1.log" 2>&1 &
  local tracer=$!
  sleep 2
  pass "$@"
  kill -INT "$tracer" 2>/dev/null || true
  wait "$tracer" 2>/dev/null || true
}

echo "pass,reports,host_cpu_us_per_report,errors,client_cpu_us_per_report,postgres_cpu_us_per_report,reports_per_s"
pass warmup "$work/orgs.txt" 2 >/dev/null   # JIT, pools, caches: not counted
[ "$floor" = 1 ] || traced cold "$work/daily.txt" 1             # each organization's first report (credential and organization not cached)
traced warm "$work/orgs.txt" "$rounds"      # organizations reporting again (credential and organization cached)
[ "${CPU_WRK:-0}" = 1 ] && wrk_pass wrk_warm   # the same kind of pass, with wrk as the load generator
idle_before="$(cpu_ticks)"; sleep 5; idle_after="$(cpu_ticks)"
echo "idle_host_cpu_us_per_s,$(( (idle_after - idle_before) * 1000000 / tick / 5 )),,,,,"   # the host with nothing to do, 5 s
echo "peak_rss_mib,$(( $(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$host_pid/status") / 1024 )),,,,,"
