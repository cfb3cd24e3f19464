#!/usr/bin/env bash
# Runs the whole VaultAI.Billing test suite against a real, throwaway PostgreSQL cluster.
#
#   ./scripts/test.sh [extra dotnet test arguments]
#
# Installs Debian's postgresql (and chromium for the browser tests) when missing, starts a cluster
# on 127.0.0.1 with a free port in a temp folder, exports VAULTAI_BILLING_TEST_POSTGRES, runs
# `dotnet test VaultAI.Billing.sln`, and removes the cluster on exit, whatever the outcome.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
  echo "==> installing PostgreSQL (Debian package)"
  apt_install postgresql
fi
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "==> installing Chromium and ChromeDriver (Debian packages) for the dashboard browser test"
  apt_install chromium chromium-driver || echo "warning: chromium could not be installed; browser tests will fail" >&2
fi

bin="$(pg_bin)"
work="$(mktemp -d /tmp/vaultai-billing-pg.XXXXXX)"
pg_user=postgres
run_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi
}
if [ "$(id -u)" -eq 0 ]; then chown "$pg_user" "$work"; fi

cleanup() {
  status=$?
  if [ -f "$work/data/postmaster.pid" ]; then
    run_pg "$bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
  || shuf -i 20000-60000 -n 1)"
password="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)"
printf '%s\n' "$password" > "$work/pwfile"
if [ "$(id -u)" -eq 0 ]; then chown "$pg_user" "$work/pwfile"; fi

echo "==> starting a throwaway PostgreSQL on 127.0.0.1:$port"
run_pg "$bin/initdb" -D "$work/data" -U vaultai --pwfile="$work/pwfile" --auth=scram-sha-256 --no-sync -E UTF8 >/dev/null
run_pg "$bin/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $work -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  start >/dev/null

export VAULTAI_BILLING_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=vaultai;Password=$password;Database=postgres;Pooling=true;Maximum Pool Size=40"
export CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium || true)}"
export CHROMEDRIVER_PATH="${CHROMEDRIVER_PATH:-$(command -v chromedriver || true)}"

echo "==> dotnet test VaultAI.Billing.sln"
results="$work/results"
set +e
dotnet test VaultAI.Billing.sln --logger "console;verbosity=normal" --logger "trx" --results-directory "$results" "$@"
status=$?
set -e

# One closing line over every test project, from the TRX counters.
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  n="$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters")"
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${n:-0}))
done
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
