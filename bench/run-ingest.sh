#!/usr/bin/env bash
# Runs bench/ingest-load (Release) against a throwaway PostgreSQL cluster, then removes the cluster.
#
#   ./bench/run-ingest.sh [ingest-load options]       e.g. --orgs 200 --reports 20000 --concurrency 16 --seconds 60
#
# If VAULTAI_BILLING_TEST_POSTGRES is already set (e.g. inside a scripts/test.sh-like environment), that server
# is used and no cluster is started. Otherwise scripts/with-postgres.sh starts one (fsync=off, synchronous_commit=off,
# full_page_writes=off: numbers are NOT durable-commit numbers).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ -n "${VAULTAI_BILLING_TEST_POSTGRES:-}" ]; then
  echo "==> using the PostgreSQL in VAULTAI_BILLING_TEST_POSTGRES"
  exec dotnet run -c Release --project bench/ingest-load -- "$@"
fi

exec "$root/scripts/with-postgres.sh" dotnet run -c Release --project bench/ingest-load -- "$@"
