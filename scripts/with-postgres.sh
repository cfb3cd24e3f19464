#!/usr/bin/env bash
# Runs a command next to a throwaway PostgreSQL cluster, then removes the cluster.
#
#   scripts/with-postgres.sh <command> [arguments...]
#
# Installs Debian's postgresql when its binaries are missing, starts a cluster on 127.0.0.1 with a free port
# in a temp folder (scram-sha-256 password, fsync off: for tests and benchmarks, not durability numbers),
# exports VAULTAI_BILLING_TEST_POSTGRES (and VAULTAI_BILLING_TEST_PGBIN, the server binaries, for the fault test that
# starts and restarts a private cluster of its own), runs the command, and stops and removes the cluster on exit,
# also on failure or Ctrl-C. Exits with the command's status.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 <command> [arguments...]" >&2
  exit 2
fi

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
  echo "==> installing PostgreSQL (Debian package)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
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
rm -f "$work/pwfile"
run_pg "$bin/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $work -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000" \
  start >/dev/null

export VAULTAI_BILLING_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=vaultai;Password=$password;Database=postgres;Pooling=true;Maximum Pool Size=40"
# The fault suite restarts PostgreSQL under a host. It does so on a private cluster made with these binaries, never on
# this shared one: other test projects run against this cluster at the same time.
export VAULTAI_BILLING_TEST_PGBIN="$bin"

set +e
"$@"
status=$?
set -e
exit "$status"
