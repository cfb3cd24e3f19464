#!/usr/bin/env bash
# The added latency of .RequireEntitlement per request (bench/README.md, section 5), on a throwaway PostgreSQL cluster.
#
#   ./bench/entitlement-filter.sh                                         full run (about 3 minutes with the defaults)
#   ENTITLEMENT_SECONDS=2 ENTITLEMENT_WARMUP=1 ENTITLEMENT_ROUNDS=2 ./bench/entitlement-filter.sh   smoke run
#
# Prints CSV on stdout: endpoint,requests,median_ms,p99_ms,cpu_ms_per_request for plain (no filter), guarded (the filter,
# which reads the organization and the period total) and added (guarded minus plain). cpu_ms_per_request is the benchmark
# process's CPU time (host and load generator, not PostgreSQL) over its requests. Progress goes to stderr.
#
# Environment (defaults in brackets):
#   ENTITLEMENT_SECONDS [20]      length of each measured run of one endpoint
#   ENTITLEMENT_WARMUP [5]        one unmeasured run per endpoint first
#   ENTITLEMENT_ROUNDS [4]        alternating rounds (plain then guarded, guarded then plain, ...)
#   ENTITLEMENT_CONCURRENCY [16]  requests in flight
#   ENTITLEMENT_PORT [5091]       the host's port on 127.0.0.1
#   ENTITLEMENT_ORGS [1000]       organizations registered (one recorded event each); requests go to them in turn.
#                                 1 reproduces the runs recorded before 2026-12-03 19:00 UTC (every check reads one row,
#                                 which flatters the coalescing of concurrent reads)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="$root/bench/entitlement-filter/EntitlementFilter.csproj"
dotnet build "$project" -c Release -nologo -v quiet >&2
"$root/scripts/with-postgres.sh" dotnet run --project "$project" -c Release --no-build -- \
  --seconds "${ENTITLEMENT_SECONDS:-20}" \
  --warmup "${ENTITLEMENT_WARMUP:-5}" \
  --rounds "${ENTITLEMENT_ROUNDS:-4}" \
  --concurrency "${ENTITLEMENT_CONCURRENCY:-16}" \
  --port "${ENTITLEMENT_PORT:-5091}" \
  --organizations "${ENTITLEMENT_ORGS:-1000}"
