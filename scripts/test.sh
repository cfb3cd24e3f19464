#!/usr/bin/env bash
# Runs the whole VaultAI.Billing test suite against a real, throwaway PostgreSQL cluster.
#
#   ./scripts/test.sh [extra dotnet test arguments]      e.g. ./scripts/test.sh --filter FullyQualifiedName~Webhook
#
# Installs Debian's chromium and chromedriver (for the dashboard browser test) when missing, starts a
# PostgreSQL cluster on 127.0.0.1 through scripts/with-postgres.sh (which exports
# VAULTAI_BILLING_TEST_POSTGRES and removes the cluster on exit, whatever the outcome), runs
# `dotnet test VaultAI.Billing.sln`, and prints one closing line with the totals.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ -z "${VAULTAI_BILLING_TEST_POSTGRES:-}" ]; then
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    echo "==> installing Chromium and ChromeDriver (Debian packages) for the dashboard browser test"
    as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null \
      || echo "warning: chromium could not be installed; the browser test will fail" >&2
  fi

  # Start the database, then run this script again inside its environment.
  exec "$root/scripts/with-postgres.sh" "$root/scripts/test.sh" "$@"
fi

export CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium || true)}"
export CHROMEDRIVER_PATH="${CHROMEDRIVER_PATH:-$(command -v chromedriver || true)}"

results="$(mktemp -d /tmp/vaultai-billing-results.XXXXXX)"
trap 'rm -rf "$results"' EXIT

echo "==> dotnet test VaultAI.Billing.sln"
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
# Name every failed test with the first lines of its message, so the end of the log says what broke.
if [ "$failed" -gt 0 ]; then
  echo "==> failed tests"
  for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    python3 - "$trx" <<'PY' || grep -o 'testName="[^"]*" [^>]*outcome="Failed"' "$trx" || true
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns):
    if r.get("outcome") != "Failed":
        continue
    print("FAILED " + r.get("testName", "?"))
    message = r.find(".//t:ErrorInfo/t:Message", ns)
    trace = r.find(".//t:ErrorInfo/t:StackTrace", ns)
    for text, most in ((message, 12), (trace, 8)):
        if text is not None and text.text:
            for line in text.text.strip().splitlines()[:most]:
                print("    " + line)
PY
  done
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
