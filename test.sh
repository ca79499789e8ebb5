#!/usr/bin/env bash
# Installs and starts what the tests need, builds once, runs every test, and ends with one line:
#   N passed, N failed
# Exit code 0 only when nothing failed. SAMPLEMIND_PG selects another PostgreSQL (nothing installed then).
# SAMPLEMIND_CONFIGURATION=Debug tests a Debug build (default Release).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
CONFIGURATION="${SAMPLEMIND_CONFIGURATION:-Release}"
RESULTS="$ROOT/.local/test-results"
CLIENT_TESTS="$ROOT/tests/clients"

passed=0
failed=0
say() { echo "test.sh: $*" >&2; }
summary_and_exit() {
  echo "$passed passed, $failed failed"
  if [ "$failed" -gt 0 ] || [ "${1:-0}" -ne 0 ]; then exit 1; fi
  exit 0
}

# ---- 1. What the tests need --------------------------------------------------------------------
# PostgreSQL: installed (Debian package) and started by the project's own script, unless SAMPLEMIND_PG is set.
if [ -z "${SAMPLEMIND_PG:-}" ]; then
  if ! SAMPLEMIND_PG="$(deploy/local/postgres.sh)"; then
    say "error: PostgreSQL is not available"
    failed=$((failed + 1)); summary_and_exit 1
  fi
fi
export SAMPLEMIND_PG

apt_install() {
  [ "$(id -u)" = "0" ] || { say "error: $* missing and this user cannot apt-get install it"; return 1; }
  say "installing $*"
  if [ -z "${APT_UPDATED:-}" ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || return 1; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# HOOK — browser tests: headless Chromium (Debian's package; Playwright is pointed at /usr/bin/chromium,
# it cannot download browsers here; run it with --no-sandbox as root). Installed when a browser test project exists.
ensure_browser() {
  if [ -d tests/SampleMind.BrowserTests ] || [ -d tests/browser ]; then
    command -v chromium >/dev/null 2>&1 || apt_install chromium || return 1
    export CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium)}"
  fi
}

# HOOK — JavaScript client tests (tests/clients): Node.js + npm, then `npm ci`.
ensure_node_packages() {
  [ -f "$CLIENT_TESTS/package.json" ] || return 0
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm || return 1
  (cd "$CLIENT_TESTS" && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi) >&2
}

# HOOK — the browser SDK test's real npm packages (tests/SampleMind.BrowserTests/sdk: analytics.js 2.0, RudderStack
# JS SDK v3), served to headless Chromium from a second local origin: `npm ci` there.
ensure_sdk_packages() {
  local sdk="$ROOT/tests/SampleMind.BrowserTests/sdk"
  [ -f "$sdk/package.json" ] || return 0
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm || return 1
  (cd "$sdk" && npm ci --no-audit --no-fund) >&2
}

# HOOK — the dashboard page's chart library (client-api/SampleMind.ClientApi/Dashboard/web): client-api's build runs
# `npm ci` there, so Node.js + npm must be present before the build.
ensure_dashboard_packages() {
  [ -f client-api/SampleMind.ClientApi/Dashboard/web/package.json ] || return 0
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm || return 1
}

# HOOK — the Kubernetes manifest tests render deploy/k8s with `kubectl kustomize` (no cluster): kubectl comes with
# these machines' image; Debian's kubernetes-client is the fallback.
ensure_kubectl() {
  [ -d deploy/k8s ] || return 0
  command -v kubectl >/dev/null 2>&1 || apt_install kubernetes-client || return 1
}

# HOOK — the published hosts run behind a real PgBouncer in transaction mode, as the production overlay runs them
# (tests/SampleMind.IntegrationTests/Infrastructure/PgBouncer.cs): Debian's pgbouncer package.
ensure_pgbouncer() {
  [ -n "${PGBOUNCER_PATH:-}" ] && return 0
  [ -x /usr/sbin/pgbouncer ] || apt_install pgbouncer || return 1
}

ensure_browser || { failed=$((failed + 1)); summary_and_exit 1; }
ensure_kubectl || { failed=$((failed + 1)); summary_and_exit 1; }
ensure_pgbouncer || { failed=$((failed + 1)); summary_and_exit 1; }
ensure_dashboard_packages || { failed=$((failed + 1)); summary_and_exit 1; }
ensure_node_packages || { failed=$((failed + 1)); summary_and_exit 1; }
ensure_sdk_packages || { failed=$((failed + 1)); summary_and_exit 1; }

# ---- 2. Build once -------------------------------------------------------------------------------
say "building SampleMind.Grains.sln ($CONFIGURATION)"
if ! dotnet build SampleMind.Grains.sln -c "$CONFIGURATION" -nologo -v quiet -tl:off -clp:ErrorsOnly >&2; then
  say "error: the build failed"
  failed=$((failed + 1)); summary_and_exit 1
fi

# ---- 3. .NET tests -----------------------------------------------------------------------------
rm -rf "$RESULTS"; mkdir -p "$RESULTS"
say "running dotnet test"
# Microsoft.Testing.Platform (global.json); exit code 8 = a test project without tests yet, not a failure.
# The integration module (about 12 min, mostly waiting on the silos and client-apis it starts) runs from the start,
# beside the other modules one after another (about 5 min together). Every process a test starts gets its own
# database and ports from its module's own block below the ephemeral range (tests/…/Infrastructure/LocalPorts.cs),
# so the two lines cannot take each other's ports.
# No module may hang the run: a test still running after 5 minutes is named in the output (--long-running), and a
# module still running after 25 minutes is stopped and fails (--timeout; the whole suite takes about 15).
run_module() {
  dotnet test --project "$1" -c "$CONFIGURATION" --no-build --no-ansi --no-progress \
    --report-xunit-trx --results-directory "$RESULTS" --ignore-exit-code 8 \
    --long-running 300 --timeout "${SAMPLEMIND_TEST_MODULE_TIMEOUT:-25m}" >&2
}
run_module tests/SampleMind.IntegrationTests &
integration_pid=$!
dotnet_rc=0
for project in tests/SampleMind.*/; do
  [ "${project%/}" = tests/SampleMind.IntegrationTests ] && continue
  run_module "${project%/}" || dotnet_rc=$?
done
wait "$integration_pid" || dotnet_rc=$?

# Sum the counters of every trx file (one per test project): <Counters total=".." passed=".." failed=".." error=".." timeout=".." aborted=".." …>
read -r trx_passed trx_failed < <(
  cat "$RESULTS"/*.trx 2>/dev/null | tr '\n' ' ' | grep -o '<Counters [^>]*>' | awk '
    { p = 0; f = 0
      for (i = 1; i <= NF; i++) {
        split($i, kv, "=");  gsub(/"|\/|>/, "", kv[2])
        if (kv[1] == "passed") p = kv[2]
        if (kv[1] == "failed" || kv[1] == "error" || kv[1] == "timeout" || kv[1] == "aborted") f += kv[2]
      }
      P += p; F += f }
    END { print P + 0, F + 0 }')
passed=$((passed + trx_passed))
failed=$((failed + trx_failed))
if [ "$dotnet_rc" -ne 0 ] && [ "$trx_failed" -eq 0 ]; then
  say "dotnet test exited with $dotnet_rc without a failed test in the results (a crashed test host?)"
  failed=$((failed + 1))
fi

# ---- 4. JavaScript client tests (against a stack of their own) ---------------------------------------
# Their own ports, home (.local/clients-test) and database (samplemind_clients_test, recreated each run): the dev
# stack that ./run.sh uses, and its database, are never touched by a test.
if [ -f "$CLIENT_TESTS/package.json" ]; then
  CLIENTS_HOME="$ROOT/.local/clients-test"
  export SAMPLEMIND_HOME="$CLIENTS_HOME" SAMPLEMIND_API_PORT="${SAMPLEMIND_CLIENTS_API_PORT:-5070}" SAMPLEMIND_SILO_PORT="${SAMPLEMIND_CLIENTS_SILO_PORT:-5071}" \
    SAMPLEMIND_SILO_SILOPORT=11170 SAMPLEMIND_SILO_GATEWAYPORT=30070 SAMPLEMIND_CLUSTER_ID=samplemind-clients-test SAMPLEMIND_SKIP_BUILD=1
  trap './run.sh down >&2' EXIT
  ./run.sh down >&2 2>/dev/null || true
  if clients_pg="$(SAMPLEMIND_CONFIGURATION="$CONFIGURATION" ./samplemind db recreate --database samplemind_clients_test)" \
     && SAMPLEMIND_PG="$clients_pg" SAMPLEMIND_DEMO=0 SAMPLEMIND_CONFIGURATION="$CONFIGURATION" ./run.sh up >&2; then
    say "running node --test in tests/clients"
    (cd "$CLIENT_TESTS" && SAMPLEMIND_API="http://127.0.0.1:$SAMPLEMIND_API_PORT" \
      node --test --test-reporter=spec --test-reporter-destination=stderr \
        --test-reporter=tap --test-reporter-destination="$RESULTS/clients.tap" >&2)
    node_rc=$?
    node_passed=$(grep -E '^# pass ' "$RESULTS/clients.tap" 2>/dev/null | awk '{print $3}' | tail -1)
    node_failed=$(grep -E '^# fail ' "$RESULTS/clients.tap" 2>/dev/null | awk '{print $3}' | tail -1)
    passed=$((passed + ${node_passed:-0}))
    failed=$((failed + ${node_failed:-0}))
    if [ "$node_rc" -ne 0 ] && [ "${node_failed:-0}" -eq 0 ]; then failed=$((failed + 1)); fi
  else
    say "error: the client tests' stack did not come up"
    failed=$((failed + 1))
  fi
  ./run.sh down >&2
  trap - EXIT
fi

summary_and_exit 0
