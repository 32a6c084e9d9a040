#!/usr/bin/env bash
# The local Prefect services of the project, for operators and for the end-to-end tests.
#
#   scripts/prefect.sh start    the data folder's server (`reporting server start`) on 127.0.0.1:$PREFECT_SERVER_PORT
#                               (default 4200) in the background, or where it already runs (a build may
#                               have started it); SQLite database and log in the data folder
#   scripts/prefect.sh stop     stops it (`reporting server stop`: SIGTERM, SIGKILL after 10 s)
#   scripts/prefect.sh server   the same server in the foreground (Ctrl-C stops it)
#   scripts/prefect.sh worker   creates the process work pool `reporting` if missing, runs a worker (foreground)
#   scripts/prefect.sh deploy   registers the deployments of deployments/prefect.yaml (and deletes retired
#                               ones: deployments/retired.py) and the automations
#
# worker and deploy talk to PREFECT_API_URL when it is set (a shared server), else to the data folder's
# server, started if needed. The worker runs flows from the installed package (`reporting.flows…`), so
# it may run in any folder or on any machine with the same install; its reports go to
# REPORTING_OUTPUT_DIR (default: out/ of this checkout).
#
# Prefect's settings come from reporting.settings.configure_prefect (home in the data folder, analytics
# off, results persisted), the same as for in-process builds. PREFECT_API_URL may point elsewhere
# (e.g. a shared PostgreSQL-backed server); by default it is the local server.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
[ -x "$ROOT/.venv/bin/python" ] && export PATH="$ROOT/.venv/bin:$PATH"
export REPORTING_DATA_DIR="${REPORTING_DATA_DIR:-$ROOT/data}"
eval "$(python - <<'PY'
import os, shlex
from reporting import settings
settings.configure_prefect()
for key in sorted(os.environ):
    if key.startswith("PREFECT_") or key == "DO_NOT_TRACK":
        print(f"export {key}={shlex.quote(os.environ[key])}")
PY
)"
PORT="${PREFECT_SERVER_PORT:-4200}"
POOL="${REPORTING_WORK_POOL:-reporting}"
export REPORTING_OUTPUT_DIR="${REPORTING_OUTPUT_DIR:-$ROOT/out}"

use_server() {  # the configured server, else the data folder's own (started on demand)
  if [ -z "${PREFECT_API_URL:-}" ]; then
    PREFECT_API_URL="$(python -c 'import sys
from reporting.orchestration import local_server
print(local_server.start(port=int(sys.argv[1]), say=lambda m: print(m, file=sys.stderr)).api_url)' "$PORT")"
    export PREFECT_API_URL
  fi
}

ensure_pool() {
  use_server
  prefect work-pool inspect "$POOL" >/dev/null 2>&1 || prefect work-pool create "$POOL" --type process >/dev/null
}

case "${1:-}" in
  server)
    exec prefect server start --host 127.0.0.1 --port "$PORT"
    ;;
  start)
    exec reporting server start --port "$PORT"
    ;;
  stop)
    exec reporting server stop
    ;;
  worker)
    ensure_pool
    # REPORTING_WORKER_LIMIT runs at a time (default 1): other workers take the rest
    exec prefect worker start --pool "$POOL" --type process --limit "${REPORTING_WORKER_LIMIT:-1}"
    ;;
  deploy)
    ensure_pool
    cd "$ROOT"
    prefect --no-prompt deploy --all --prefect-file deployments/prefect.yaml
    python "$ROOT/deployments/retired.py"  # deployments prefect.yaml no longer declares, deleted
    python "$ROOT/deployments/strict_parameters.py"  # unknown parameters refused by the server
    python "$ROOT/deployments/automations.py"  # failure notifications (REPORTING_ALERT_WEBHOOK_URL)
    python -c 'from reporting.orchestration.crashed_runs import detect_crashed_runs as d; d()'  # killed runs end Crashed
    ;;
  *)
    sed -n '2,14p' "$0"; exit 2
    ;;
esac
