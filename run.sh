#!/usr/bin/env bash
# The SampleMind local stack: PostgreSQL, one silo (http://127.0.0.1:5081) and client-api (http://127.0.0.1:5080).
#
#   ./run.sh              build, then run silo + client-api in the foreground (Ctrl+C stops both)
#   ./run.sh up           the same in the background; returns once both answer /health/ready
#                         (starts only what is not already running, e.g. a silo that died; logs in .local/logs,
#                         pids in .local/run)
#   ./run.sh down         stop what `up` started (PostgreSQL keeps running)
#   ./run.sh down --all   ... and stop the project's PostgreSQL cluster too
#   ./run.sh status       what runs, and whether it is ready
#
# SAMPLEMIND_PG (a connection string) selects another PostgreSQL; nothing is installed or started then.
# Demo data: once the stack is ready, if the user event log is empty, `./samplemind simulate` loads a demo
# population (SAMPLEMIND_DEMO_USERS users × 60 days, seed 1, ending today 00:00 UTC) through client-api, and its
# Stripe side as signed webhooks to /webhooks/stripe (simulate --stripe: the MRR movements come from Stripe events).
# A database that holds any event is never loaded again. SAMPLEMIND_DEMO=0 disables it (./test.sh does).
# Its revenue is Stripe's, so both hosts run with Revenue__Source=stripe (the MRR tile shows Stripe's MRR) when the
# demo loads the database or loaded it before; a Revenue__Source set in the environment wins.
# The load also records the simulated campaign spend (so campaigns have a CAC and an ROI), and then a live trickle
# keeps the same population's events flowing at wall-clock time (today's first: DAU is live), as a background
# process `demo-live` that `down` stops; SAMPLEMIND_DEMO_LIVE=0 turns the trickle off. The trickle resumes on a
# later `up` for a database the demo loaded (the population's parameters are in $SAMPLEMIND_HOME/demo.env).
# SAMPLEMIND_CONFIGURATION=Debug builds and runs Debug (default Release).
#
# A second, isolated stack (tests, a side-by-side experiment) takes these overrides; unset, the defaults apply:
#   SAMPLEMIND_HOME=DIR            logs in DIR/logs, pid files in DIR/run        (default ./.local)
#   SAMPLEMIND_API_PORT=N          client-api's HTTP port                          (default 5080)
#   SAMPLEMIND_SILO_PORT=N         the silo's web port: dashboard, health          (default 5081)
#   SAMPLEMIND_SILO_SILOPORT=N     the silo's Orleans silo-to-silo port            (default from appsettings: 11111)
#   SAMPLEMIND_SILO_GATEWAYPORT=N  the silo's Orleans gateway port                 (default from appsettings: 30000)
#   SAMPLEMIND_CLUSTER_ID=ID       Orleans ClusterId of silo and client-api        (default from appsettings: samplemind-local)
#   SAMPLEMIND_SKIP_BUILD=1        never build; fail when a host is not built      (default: build when a source is newer)
# Any other Orleans__* / Database__* / Ingest__* / Auth__* / Revenue__* variable passes through to both hosts as configuration.
# client-api runs as ASPNETCORE_ENVIRONMENT=Development (unless set): the local keys dev-write-key (ingest) and
# dev-read-key / dev-growth-key / dev-admin-key (API) come from its appsettings.Development.json.
# Every command (up, down, status) must see the same SAMPLEMIND_HOME and ports to find the same stack.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
CONFIGURATION="${SAMPLEMIND_CONFIGURATION:-Release}"
HOME_DIR="${SAMPLEMIND_HOME:-$ROOT/.local}"
LOGS="$HOME_DIR/logs"
RUN="$HOME_DIR/run"
API_PORT="${SAMPLEMIND_API_PORT:-5080}"
SILO_WEB_PORT="${SAMPLEMIND_SILO_PORT:-5081}"
READY_TIMEOUT="${SAMPLEMIND_READY_TIMEOUT:-120}"
DEMO="${SAMPLEMIND_DEMO:-1}"
DEMO_USERS="${SAMPLEMIND_DEMO_USERS:-1000}"
DEMO_WRITE_KEY="${SAMPLEMIND_DEMO_WRITE_KEY:-dev-write-key}"
DEMO_SPEND_KEY="${SAMPLEMIND_DEMO_SPEND_KEY:-dev-growth-key}"
DEMO_LIVE="${SAMPLEMIND_DEMO_LIVE:-1}"
DEMO_ENV="$HOME_DIR/demo.env"
CLI_DLL="src/SampleMind.Cli/bin/$CONFIGURATION/net10.0/samplemind.dll"

SERVICES=(silo client-api)
declare -A DLL=(
  [silo]="silo/SampleMind.Silo/bin/$CONFIGURATION/net10.0/SampleMind.Silo.dll"
  [client-api]="client-api/SampleMind.ClientApi/bin/$CONFIGURATION/net10.0/SampleMind.ClientApi.dll"
  [demo-live]="$CLI_DLL"
)
declare -A URL=([silo]="http://127.0.0.1:$SILO_WEB_PORT" [client-api]="http://127.0.0.1:$API_PORT")

# Settings the hosts read from their environment (unset overrides leave appsettings.json in charge).
[ -n "${SAMPLEMIND_CLUSTER_ID:-}" ] && export Orleans__ClusterId="$SAMPLEMIND_CLUSTER_ID"
SILO_ENV=()
[ -n "${SAMPLEMIND_SILO_SILOPORT:-}" ] && SILO_ENV+=("Orleans__SiloPort=$SAMPLEMIND_SILO_SILOPORT")
[ -n "${SAMPLEMIND_SILO_GATEWAYPORT:-}" ] && SILO_ENV+=("Orleans__GatewayPort=$SAMPLEMIND_SILO_GATEWAYPORT")

# The command line of one host (into the array CMD): its URL, (silo) its Orleans ports, then dotnet and its DLL.
# `env` execs dotnet, so the pid started is the host's own pid.
host_command() {
  local svc="$1"
  CMD=(env "ASPNETCORE_URLS=${URL[$svc]}")
  [ "$svc" = silo ] && CMD+=("${SILO_ENV[@]}")
  # The local stack's keys (dev-write-key, dev-read-key, …) live in client-api's appsettings.Development.json only.
  [ "$svc" = client-api ] && CMD+=("ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Development}" "Dashboard__OrleansDashboardUrl=${URL[silo]}/dashboard")
  CMD+=(dotnet "${DLL[$svc]}")
}

say() { echo "run.sh: $*" >&2; }
die() { echo "run.sh: error: $*" >&2; exit 1; }

sources_newer_than() {
  find src silo client-api deploy/sql Directory.*.props global.json -newer "$1" -type f \
    \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.sql' -o -name '*.json' -o -name '*.html' -o -name '*.js' -o -name '*.css' \) \
    -not -path '*/bin/*' -not -path '*/obj/*' -not -path '*/node_modules/*' -print -quit 2>/dev/null
}

demo_enabled() { [ "$DEMO" != "0" ]; }

build() {
  if [ "${SAMPLEMIND_SKIP_BUILD:-}" = 1 ]; then
    local svc
    for svc in "${SERVICES[@]}"; do
      [ -f "${DLL[$svc]}" ] || die "${DLL[$svc]} is not built (SAMPLEMIND_SKIP_BUILD=1 forbids building it here)"
    done
    return
  fi
  # Skip the build (seconds of MSBuild even when nothing changed) when both hosts (and the CLI, which loads
  # the demo population) are newer than every source.
  local outputs=("${DLL[silo]}" "${DLL[client-api]}") projects=(silo/SampleMind.Silo client-api/SampleMind.ClientApi)
  if demo_enabled; then outputs+=("$CLI_DLL"); projects+=(src/SampleMind.Cli); fi
  local stale=false f
  for f in "${outputs[@]}"; do
    if [ ! -f "$f" ] || [ -n "$(sources_newer_than "$f")" ]; then stale=true; fi
  done
  $stale || return 0
  # client-api's build runs `npm ci` for the dashboard page's chart library.
  if ! command -v npm >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || die "npm is needed to build the dashboard page (apt-get install nodejs npm)"
    say "installing nodejs npm (the dashboard page's build needs npm)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null \
      || die "could not install nodejs npm"
  fi
  say "building ${projects[*]} ($CONFIGURATION)"
  for project in "${projects[@]}"; do
    local out
    out="$(dotnet build "$project" -c "$CONFIGURATION" -nologo -v quiet -tl:off -clp:ErrorsOnly 2>&1)" \
      || { echo "$out" >&2; die "the build of $project failed"; }
  done
  touch "${outputs[@]}"
}

# Loads the demo population into an empty event log (the stack must be ready). Never fails the stack:
# a failed load is reported and the stack keeps running.
load_demo() {
  demo_enabled || return 0
  local events
  if ! events="$(SAMPLEMIND_CONFIGURATION="$CONFIGURATION" ./samplemind db events 2>&1)"; then
    say "demo: cannot count the stored events, not loading the demo population: $events"
    return 0
  fi
  if [ "$events" != "0" ]; then
    say "demo: the event log already holds $events events; not loading the demo population"
    return 0
  fi
  local now; now="$(date -u +%Y-%m-%d)"
  say "demo: loading a demo population ($DEMO_USERS users × 60 days to $now, seed 1) into ${URL[client-api]} (SAMPLEMIND_DEMO=0 skips this)"
  local started=$SECONDS
  if SAMPLEMIND_CONFIGURATION="$CONFIGURATION" ./samplemind simulate --users "$DEMO_USERS" --days 60 --seed 1 --now "$now" \
       --target "${URL[client-api]}" --write-key "$DEMO_WRITE_KEY" --spend-key "$DEMO_SPEND_KEY" --pricing-test --identity --stripe >&2; then
    say "demo: loaded in $((SECONDS - started)) s"
    mkdir -p "$HOME_DIR"
    printf 'DEMO_LOADED_USERS=%s\nDEMO_LOADED_NOW=%s\nDEMO_LOADED_PG=%q\n' "$DEMO_USERS" "$now" "$SAMPLEMIND_PG" >"$DEMO_ENV"
  else
    say "demo: loading the demo population failed (see above); the stack keeps running — reload into an empty database, or load more with ./samplemind simulate --seed 2 …"
  fi
}

# The demo's live trickle: the loaded population (demo.env) goes on producing events at wall-clock time, in the
# background. Only for a database the demo loaded, and only once (a running trickle is left alone).
start_demo_live() {
  demo_enabled && [ "$DEMO_LIVE" != 0 ] && [ -f "$DEMO_ENV" ] || return 0
  local DEMO_LOADED_USERS DEMO_LOADED_NOW DEMO_LOADED_PG
  # shellcheck disable=SC1090
  . "$DEMO_ENV"
  [ "${DEMO_LOADED_PG:-}" = "$SAMPLEMIND_PG" ] || return 0
  if alive demo-live; then return 0; fi
  mkdir -p "$LOGS" "$RUN"
  say "demo: live trickle of the demo population → ${URL[client-api]} (log $LOGS/demo-live.log; SAMPLEMIND_DEMO_LIVE=0 turns it off)"
  setsid nohup env SAMPLEMIND_PG="$SAMPLEMIND_PG" dotnet "$CLI_DLL" simulate --users "$DEMO_LOADED_USERS" --days 60 --seed 1 \
    --now "$DEMO_LOADED_NOW" --target "${URL[client-api]}" --write-key "$DEMO_WRITE_KEY" --pricing-test --identity --stripe --live --resume --concurrency 1 \
    >"$LOGS/demo-live.log" 2>&1 </dev/null &
  echo $! >"$RUN/demo-live.pid"
}

# Revenue__Source=stripe for both hosts (unless set already) when the demo's Stripe side is, or will be, the
# database's revenue: the demo loaded it (demo.env) or will load it (no event stored yet, or no schema yet).
demo_revenue_source() {
  demo_enabled && [ -z "${Revenue__Source:-}" ] || return 0
  local DEMO_LOADED_USERS DEMO_LOADED_NOW DEMO_LOADED_PG="" events
  # shellcheck disable=SC1090
  [ -f "$DEMO_ENV" ] && . "$DEMO_ENV"
  if [ "$DEMO_LOADED_PG" != "$SAMPLEMIND_PG" ]; then
    events="$(SAMPLEMIND_CONFIGURATION="$CONFIGURATION" ./samplemind db events 2>/dev/null)" || return 0
    [ "$events" = 0 ] || return 0
  fi
  export Revenue__Source=stripe
  say "demo: both hosts run with Revenue__Source=stripe (the demo's revenue is its Stripe side; set Revenue__Source to override)"
}

postgres() {
  if [ -z "${SAMPLEMIND_PG:-}" ]; then
    SAMPLEMIND_PG="$(deploy/local/postgres.sh)" || die "PostgreSQL is not available (see above)"
  fi
  export SAMPLEMIND_PG
}

pid_of() { local f="$RUN/$1.pid"; [ -f "$f" ] && cat "$f" || true; }
# Whether pid runs the host svc. A host killed with kill -9 stays a zombie until its parent (init, once run.sh has
# exited) reaps it, and kill -0 still succeeds on a zombie: that counts as dead, as does a pid reused by another program.
pid_runs() {
  local pid="$1" svc="$2" state cmdline
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  [ -r "/proc/$pid/stat" ] || return 0
  state="$(sed -E 's/^[0-9]+ \(.*\) (.).*/\1/' "/proc/$pid/stat" 2>/dev/null)" || return 1
  [ "$state" != Z ] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"${DLL[$svc]##*/}"* ]]
}
alive() { pid_runs "$(pid_of "$1")" "$1"; }
ready() { curl -fsS -m 3 -o /dev/null "${URL[$1]}/health/ready" 2>/dev/null; }

# Something else (another stack, another program) already listens on the port: we would take its answers for ours.
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_of() { local url="${URL[$1]}"; echo "${url##*:}"; }
ensure_port_free() {
  local svc="$1" port; port="$(port_of "$1")"
  if port_taken "$port"; then
    die "port $port ($svc) is already in use by a process this stack did not start; stop it, or pick other ports (SAMPLEMIND_API_PORT / SAMPLEMIND_SILO_PORT)"
  fi
}

start_bg() {
  local svc="$1"
  if alive "$svc"; then
    say "$svc already running (pid $(pid_of "$svc"))"
    return
  fi
  ensure_port_free "$svc"
  mkdir -p "$LOGS" "$RUN"
  say "starting $svc → ${URL[$svc]} (log $LOGS/$svc.log)"
  host_command "$svc"
  setsid nohup "${CMD[@]}" >"$LOGS/$svc.log" 2>&1 </dev/null &
  echo $! >"$RUN/$svc.pid"
}

wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT)) svc
  for svc in "${SERVICES[@]}"; do
    until ready "$svc"; do
      if ! alive "$svc"; then
        rm -f "$RUN/$svc.pid"
        say "$svc exited; the end of $LOGS/$svc.log:"
        tail -n 20 "$LOGS/$svc.log" >&2 || true
        return 1
      fi
      [ "$SECONDS" -lt "$deadline" ] || { say "$svc is not ready after ${READY_TIMEOUT}s (see $LOGS/$svc.log)"; return 1; }
      sleep 0.5
    done
    say "$svc ready: ${URL[$svc]}/health/ready"
  done
}

stop_svc() {
  local svc="$1" pid
  pid="$(pid_of "$svc")"
  if pid_runs "$pid" "$svc"; then
    say "stopping $svc (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do pid_runs "$pid" "$svc" || break; sleep 0.25; done
    if pid_runs "$pid" "$svc"; then say "$svc did not stop in 15 s; killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$RUN/$svc.pid"
}

status() {
  local svc
  for svc in "${SERVICES[@]}"; do
    if alive "$svc"; then
      if ready "$svc"; then echo "$svc: running (pid $(pid_of "$svc")), ready — ${URL[$svc]}"
      else echo "$svc: running (pid $(pid_of "$svc")), not ready — ${URL[$svc]}/health/ready"; fi
    else
      echo "$svc: stopped"
    fi
  done
  if alive demo-live; then echo "demo-live: running (pid $(pid_of demo-live)) — $LOGS/demo-live.log"; fi
  echo "postgres: $( { [ -n "${SAMPLEMIND_PG:-}" ] && echo "$SAMPLEMIND_PG" || deploy/local/postgres.sh url; } | sed -E 's/Password=[^;]*/Password=***/')"
}

foreground() {
  build
  postgres
  demo_revenue_source
  local svc
  for svc in "${SERVICES[@]}"; do ensure_port_free "$svc"; done
  local pids=()
  trap 'echo; say "stopping"; stop_svc demo-live; kill -TERM "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; exit 0' INT TERM
  host_command silo; "${CMD[@]}" & pids+=($!)
  host_command client-api; "${CMD[@]}" & pids+=($!)
  say "silo ${URL[silo]}/dashboard · client-api ${URL[client-api]}/openapi/v1.json · Ctrl+C stops both"
  if demo_enabled; then
    # The demo load needs both hosts ready; give up quietly when either exits (the wait below reports it).
    local deadline=$((SECONDS + READY_TIMEOUT)) up=true svc
    for svc in "${SERVICES[@]}"; do
      until ready "$svc"; do
        if ! kill -0 "${pids[@]}" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then up=false; break 2; fi
        sleep 0.5
      done
    done
    if $up; then load_demo; start_demo_live; else say "demo: the stack is not ready; not loading the demo population"; fi
  fi
  # When either exits, stop the other.
  local rc=0
  wait -n "${pids[@]}" || rc=$?
  stop_svc demo-live
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  exit "$rc"
}

case "${1:-}" in
  "") foreground ;;
  up)
    if alive silo && alive client-api && ready silo && ready client-api; then postgres; start_demo_live; status; exit 0; fi
    for svc in "${SERVICES[@]}"; do alive "$svc" || ensure_port_free "$svc"; done
    build
    postgres
    demo_revenue_source
    start_bg silo
    start_bg client-api
    wait_ready || die "the stack did not come up"
    load_demo
    start_demo_live
    say "up: silo ${URL[silo]}/dashboard · client-api ${URL[client-api]}/openapi/v1.json"
    ;;
  down)
    for svc in demo-live client-api silo; do stop_svc "$svc"; done
    if [ "${2:-}" = "--all" ]; then deploy/local/postgres.sh stop; fi
    ;;
  status) status ;;
  *) die "unknown command '$1' (use: up | down [--all] | status, or nothing for the foreground)" ;;
esac
