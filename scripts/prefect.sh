#!/usr/bin/env bash
# The local Prefect services of the project, for operators and for the end-to-end tests.
#
#   scripts/prefect.sh start    the data folder's server (`reporting server start`) in the background on
#                               127.0.0.1:$PREFECT_SERVER_PORT (default 4200; a free port if that one is
#                               taken, 0 for any), or where it already runs (a build may have started it)
#   scripts/prefect.sh stop     stops it (`reporting server stop`: `prefect server stop`)
#   scripts/prefect.sh server   a server in the foreground on that port (Ctrl-C stops it)
#   scripts/prefect.sh worker   creates the process work pool `reporting` if missing, runs a worker (foreground)
#   scripts/prefect.sh deploy   registers the deployments of deployments/prefect.yaml (and deletes retired
#                               ones: deployments/retired.py) and the automations
#
# worker and deploy talk to PREFECT_API_URL when it is set (a shared server), else to the data folder's
# server, started if needed. The worker runs flows from the installed package (`reporting.flows…`), so
# it may run in any folder or on any machine with the same install; its reports go to
# REPORTING_OUTPUT_DIR (default: out/ of this checkout).
#
# Prefect's settings come from `reporting server env` (settings.configure_prefect: home in the data
# folder, analytics off, results persisted), the same as for in-process builds.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
[ -x "$ROOT/.venv/bin/python" ] && export PATH="$ROOT/.venv/bin:$PATH"
export REPORTING_DATA_DIR="${REPORTING_DATA_DIR:-$ROOT/data}"
export REPORTING_OUTPUT_DIR="${REPORTING_OUTPUT_DIR:-$ROOT/out}"
PORT="${PREFECT_SERVER_PORT:-4200}"
POOL="${REPORTING_WORK_POOL:-reporting}"

use_server() {  # Prefect's settings and the configured server, else the data folder's (started on demand)
  eval "$(reporting server env)"
  prefect work-pool inspect "$POOL" >/dev/null 2>&1 || prefect work-pool create "$POOL" --type process >/dev/null
}

case "${1:-}" in
  server)
    eval "$(reporting server env --settings-only)"
    exec prefect server start --host 127.0.0.1 --port "$PORT"
    ;;
  start)
    exec reporting server start --port "$PORT"
    ;;
  stop)
    exec reporting server stop
    ;;
  worker)
    use_server
    # REPORTING_WORKER_LIMIT runs at a time (default 1): other workers take the rest
    exec prefect worker start --pool "$POOL" --type process --limit "${REPORTING_WORKER_LIMIT:-1}"
    ;;
  deploy)
    use_server
    cd "$ROOT"
    # Prefect's hints name its bare commands: the project's worker is `make worker`, and Prefect's
    # commands in a new shell need the project's settings and server first.
    prefect --no-prompt deploy --all --prefect-file deployments/prefect.yaml | sed -E \
      -e "s/prefect worker start --pool '?[^' ]+'?/make worker/" \
      -e 's#\$ prefect deployment run#$ eval "$(.venv/bin/reporting server env)"; .venv/bin/prefect deployment run#'
    # retired deployments deleted, unknown parameters refused, next runs described, failure
    # notifications, killed runs ended Crashed: one process (deployments/after_deploy.py)
    python "$ROOT/deployments/after_deploy.py"
    ;;
  *)
    sed -n '2,15p' "$0"; exit 2
    ;;
esac
