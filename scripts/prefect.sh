#!/usr/bin/env bash
# The local Prefect services of the project, for operators and for the end-to-end tests.
#
#   scripts/prefect.sh start    server on 127.0.0.1:$PREFECT_SERVER_PORT (default 4200) in the background,
#                               SQLite database and log in the data folder; returns once it is healthy
#   scripts/prefect.sh stop     stops the server started by `start` (by its recorded PID)
#   scripts/prefect.sh server   the same server in the foreground (Ctrl-C stops it)
#   scripts/prefect.sh worker   creates the process work pool `reporting` if missing, runs a worker (foreground)
#   scripts/prefect.sh deploy   registers the deployments of deployments/prefect.yaml
#
# Prefect's settings come from reporting.settings.configure_prefect (home in the data folder, analytics
# off, results persisted), the same as for in-process builds. PREFECT_API_URL may point elsewhere
# (e.g. a shared PostgreSQL-backed server); by default it is the local server.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
[ -x "$ROOT/.venv/bin/python" ] && export PATH="$ROOT/.venv/bin:$PATH"
export REPORTING_PROJECT_DIR="$ROOT"
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
export PREFECT_API_URL="${PREFECT_API_URL:-http://127.0.0.1:$PORT/api}"
POOL="${REPORTING_WORK_POOL:-reporting}"
PIDFILE="$PREFECT_HOME/server.pid"
LOG="$PREFECT_HOME/server.log"

healthy() { python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$PREFECT_API_URL/health" >/dev/null 2>&1; }

ensure_pool() {
  prefect work-pool inspect "$POOL" >/dev/null 2>&1 || prefect work-pool create "$POOL" --type process >/dev/null
}

case "${1:-}" in
  server)
    exec prefect server start --host 127.0.0.1 --port "$PORT"
    ;;
  start)
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      echo "Prefect server already running (PID $(cat "$PIDFILE")): ${PREFECT_API_URL%/api}"; exit 0
    fi
    set -m  # a job of its own: SIGINT/SIGTERM are not ignored as they would be under nohup
    prefect server start --host 127.0.0.1 --port "$PORT" >"$LOG" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 120); do
      if healthy; then echo "Prefect server: ${PREFECT_API_URL%/api} (PID $(cat "$PIDFILE"), log $LOG; stop: make server-stop)"; exit 0; fi
      kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { echo "Prefect server exited; see $LOG" >&2; rm -f "$PIDFILE"; exit 1; }
      sleep 1
    done
    echo "Prefect server not healthy after 120 s; see $LOG" >&2; exit 1
    ;;
  stop)
    [ -f "$PIDFILE" ] || { echo "no Prefect server started by this script ($PIDFILE missing)"; exit 0; }
    pid="$(cat "$PIDFILE")"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL -- "-$pid"
    rm -f "$PIDFILE"; echo "Prefect server stopped (PID $pid)"
    ;;
  worker)
    ensure_pool
    exec prefect worker start --pool "$POOL" --type process
    ;;
  deploy)
    ensure_pool
    cd "$ROOT"
    prefect --no-prompt deploy --all --prefect-file deployments/prefect.yaml
    ;;
  *)
    sed -n '2,13p' "$0"; exit 2
    ;;
esac
